"""Lines/s of one or more models reading a folder of line images with the host's cores as 1
XLA CPU device and as one device per core (`parallel.use_host_cores`), alternated in fresh
processes (XLA_FLAGS is read once per process), printed as JSON.

  python launch/infer_devices_benchmark.py --data /tmp/ocr_testsets/clean [--devices 1,2]
      [--model ocr_jax/released/english_print[,/tmp/other_run]] [--rounds 3] [--passes 5]

Each process times `--passes` passes over every image after one warm-up pass (compilation)
with `compare.measure` and reports the median (and the CER, the same for every device count
of a model); the figure per (model, device count) is the median over `--rounds` processes,
and `vs_first` its ratio to the first model at the first count.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

_CHILD = """
import json, sys
from ocr_jax import compare
_, model, data, passes = sys.argv
engine = compare.OcrJax("greedy", model, beam_width=8)
_, greys, refs = compare.load_set(data, lambda m: None)
r = compare.measure(engine, greys, refs, int(passes))
print(json.dumps({"devices": engine.recognizer.mesh.size, "lines_per_s": r["lines_per_s"],
                  "cer": r["cer"]}))
"""


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--data", required=True, help="a folder of line images with labels.tsv")
  parser.add_argument("--model", default=os.path.join("ocr_jax", "released", "english_print"),
                      help="comma-separated models (workdirs or released models)")
  parser.add_argument("--devices", default="1,2", help="comma-separated CPU device counts")
  parser.add_argument("--rounds", type=int, default=3)
  parser.add_argument("--passes", type=int, default=5)
  args = parser.parse_args()
  from ocr_jax import parallel  # pylint: disable=g-import-not-at-top
  counts = [int(n) for n in args.devices.split(",")]
  models = args.model.split(",")
  rates = {(m, n): [] for m in models for n in counts}
  cers = {}
  for _ in range(args.rounds):
    for m, n in rates:
      env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={n}",
                 TF_CPP_MIN_LOG_LEVEL="3")
      out = subprocess.run([sys.executable, "-c", _CHILD, m, args.data, str(args.passes)],
                           env=env, capture_output=True, text=True, check=True)
      got = json.loads(out.stdout.strip().splitlines()[-1])
      rates[m, n].append(got["lines_per_s"])
      cers[m] = got["cer"]
      print(f"{m}, {n} device(s): {rates[m, n][-1]:.1f} lines/s, CER {100 * got['cer']:.2f} %",
            file=sys.stderr, flush=True)
  base = statistics.median(rates[models[0], counts[0]])
  print(json.dumps({
      "data": args.data, "cores": parallel.usable_cores(),
      "runs": [{"model": m, "devices": n, "lines_per_s": round(statistics.median(r), 1),
                "runs": [round(x, 1) for x in r],
                "vs_first": round(statistics.median(r) / base, 2),
                "cer": round(cers[m], 5)}
               for (m, n), r in rates.items()],
      "method": f"median over {args.rounds} alternated processes of the median of "
                f"{args.passes} passes after a warm-up pass"}, indent=1))


if __name__ == "__main__":
  main()
