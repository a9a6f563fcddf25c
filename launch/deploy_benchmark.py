"""Size, cold start, lines/s and CER of the deployable forms of a recognizer, side by side.

  python launch/deploy_benchmark.py --model english_print --data /tmp/ocr_devsets/clean \
      [--cores 1,2] [--repeats 3] [--out docs/deploy]

Engines: `jax` (the checkpoint through inference.Recognizer), `onnx` and `onnx-int8` (files
that `ocr-jax export` writes, read by onnx_reader.OnnxRecognizer), `rapidocr` (PP-OCRv6's
recognition ONNX in RapidOCR's wheel: the model a device maker would otherwise pick). Each
measurement runs in a fresh process pinned to the first N cores (`taskset`), so every engine
gets the same cores: lines/s is the median of `--repeats` timed passes after a warm-up pass;
cold start is the wall time from process start to the first line read (imports, model load,
compilation), median of 3; and the share of lines each engine reads exactly as the JAX
model does (the export's fidelity). Prints a Markdown table and writes OUT.md / OUT.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

ENGINES = ("jax", "onnx", "onnx-int8", "rapidocr")


def load_engine(engine: str, model: str, onnx_dir: str, cores: int):
  """An object with read(list of grey lines) -> list of text, and its files on disk."""
  if engine == "jax":
    from ocr_jax import parallel  # pylint: disable=g-import-not-at-top
    parallel.use_host_cores()
    from ocr_jax import inference, released  # pylint: disable=g-import-not-at-top
    path = released.resolve(model)
    rec = inference.Recognizer.from_checkpoint(path)
    return (lambda greys: [r.text for r in rec.read_arrays(greys)]), [path]
  if engine in ("onnx", "onnx-int8"):
    from ocr_jax import onnx_reader  # pylint: disable=g-import-not-at-top
    path = os.path.join(onnx_dir, "model.int8.onnx" if engine == "onnx-int8" else "model.onnx")
    rec = onnx_reader.OnnxRecognizer.from_file(path, threads=cores)
    return (lambda greys: [r.text for r in rec.read_arrays(greys)]), [path]
  if engine == "rapidocr":
    from ocr_jax import compare  # pylint: disable=g-import-not-at-top
    reader = compare.RapidOcr(cores)
    import rapidocr  # pylint: disable=g-import-not-at-top
    models = os.path.join(os.path.dirname(rapidocr.__file__), "models")
    return reader.read, [os.path.join(models, f) for f in os.listdir(models) if "_rec_" in f]
  raise ValueError(f"unknown engine {engine!r} ({', '.join(ENGINES)})")


def size_of(paths) -> int:
  total = 0
  for p in paths:
    if os.path.isdir(p):
      total += sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(p) for f in fs)
    else:
      total += os.path.getsize(p)
  return total


def worker(args) -> None:
  """Runs in the pinned process: reads the set, prints one JSON line."""
  start = time.perf_counter()
  if args.cold:  # the first line alone, and only the modules its engine needs
    from ocr_jax.data import preprocess, testsets  # pylint: disable=g-import-not-at-top
    name, _ = next(iter(testsets.read_labels(args.data)))
    grey = preprocess.load_image(os.path.join(args.data, name))
    read, _ = load_engine(args.worker, args.model, args.onnx_dir, int(args.cores))
    read([grey])
    print(json.dumps({"cold_s": time.time() - args.t0}))
    return
  from ocr_jax import compare, metrics  # pylint: disable=g-import-not-at-top
  names, greys, refs = compare.load_set(args.data, log=lambda m: None)
  read, files = load_engine(args.worker, args.model, args.onnx_dir, int(args.cores))
  hyps = read(greys)  # warm-up
  times = []
  for _ in range(args.repeats):
    t = time.perf_counter()
    hyps = read(greys)
    times.append(time.perf_counter() - t)
  times.sort()
  hyps = [compare.normalize(h) for h in hyps]
  print(json.dumps({"lines": len(greys), "lines_per_s": len(greys) / times[len(times) // 2],
                    "cer": metrics.cer(refs, hyps), "bytes": size_of(files),
                    "setup_s": time.perf_counter() - start, "hyps": hyps}))


def run_pinned(args, engine: str, cores: int, cold: bool = False) -> dict:
  cpus = ",".join(str(c) for c in sorted(os.sched_getaffinity(0))[:cores])
  cmd = ["taskset", "-c", cpus, sys.executable, __file__, "--worker", engine, "--model",
         args.model, "--data", args.data, "--onnx_dir", args.onnx_dir, "--cores", str(cores),
         "--repeats", str(args.repeats), "--t0", repr(time.time() if cold else 0.0)]
  if cold:
    cmd.append("--cold")
  env = dict(os.environ, OMP_NUM_THREADS=str(cores), OCR_JAX_COMPILE_CACHE="off",
             TF_CPP_MIN_LOG_LEVEL="3")
  proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, env=env)
  if proc.returncode != 0:
    raise RuntimeError(f"{engine} on {cores} cores failed:\n{proc.stderr[-2000:]}")
  return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--model", default="english_print", help="a workdir or released name")
  parser.add_argument("--data", required=True, help="a folder of line images + labels.tsv")
  parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated")
  parser.add_argument("--cores", default="1,2", help="core counts to pin each engine to")
  parser.add_argument("--repeats", type=int, default=3, help="timed passes (median)")
  parser.add_argument("--out", default="", help="also write OUT.md and OUT.json")
  parser.add_argument("--onnx_dir", default="", help="(internal) the exported files")
  parser.add_argument("--worker", default="", help="(internal) run one engine and exit")
  parser.add_argument("--t0", type=float, default=0.0, help="(internal) launch time")
  parser.add_argument("--cold", action="store_true", help="(internal) time one line")
  args = parser.parse_args()
  if args.worker:
    worker(args)
    return
  engines = args.engines.split(",")
  with tempfile.TemporaryDirectory() as tmp:
    args.onnx_dir = tmp
    if any(e.startswith("onnx") for e in engines):
      from ocr_jax import export  # pylint: disable=g-import-not-at-top
      export.export(args.model, os.path.join(tmp, "model.onnx"), quantize="int8")
    rows = []
    for engine in engines:
      cold = sorted(run_pinned(args, engine, 2, cold=True)["cold_s"] for _ in range(3))[1]
      for cores in (int(c) for c in args.cores.split(",")):
        r = run_pinned(args, engine, cores)
        rows.append({"engine": engine, "cores": cores, "cold_start_s": cold, **r})
        print(json.dumps({k: v for k, v in rows[-1].items() if k != "hyps"}), file=sys.stderr,
              flush=True)
  # The share of lines each engine reads exactly as the JAX model does (export fidelity).
  reference = next((r["hyps"] for r in rows if r["engine"] == "jax"), None)
  for r in rows:
    hyps = r.pop("hyps")
    r["same_as_jax"] = (None if reference is None else
                        sum(a == b for a, b in zip(hyps, reference)) / len(reference))
  lines = [f"Command: `python {' '.join(sys.argv)}`", "",
           f"Machine: {os.cpu_count()} CPU cores, {platform.processor() or platform.machine()}"
           f"; data: {args.data} ({rows[0]['lines']} lines)", "",
           "| engine | MB on disk | cold start, 2 cores (s) | cores | lines/s | CER % | "
           "lines read as JAX reads them |",
           "|---|---:|---:|---:|---:|---:|---:|"]
  for r in rows:
    same = "-" if r["same_as_jax"] is None else f"{100 * r['same_as_jax']:.1f} %"
    lines.append(f"| {r['engine']} | {r['bytes'] / 1e6:.1f} | {r['cold_start_s']:.2f} | "
                 f"{r['cores']} | {r['lines_per_s']:.1f} | {100 * r['cer']:.2f} | {same} |")
  print("\n".join(lines))
  if args.out:
    with open(args.out + ".md", "w", encoding="utf-8") as f:
      f.write("\n".join(lines) + "\n")
    with open(args.out + ".json", "w", encoding="utf-8") as f:
      json.dump(rows, f, indent=1)


if __name__ == "__main__":
  main()
