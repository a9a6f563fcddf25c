"""Ablation sweeps: a grid of config overrides trained one after another, one results table.

  python launch/ablate.py --config=configs/default.py --sweep_file=configs/sweeps/stages.py \
      --root=/tmp/ablate --out=docs/ablation
  python launch/ablate.py --config=configs/default.py:quick --root=/tmp/ab \
      --sweep=model.sequence.name=none,bilstm,transformer --sweep=model.prediction.name=ctc,attention

Each run is `python -m ocr_jax.main --config=CONFIG --workdir=ROOT/NAME --config.FIELD=VALUE...`
(`--print_only` prints those commands, for a cluster, and stops). A run whose workdir holds
final metrics and a measurement is skipped, so re-running resumes a sweep; a killed run
resumes from its checkpoint. After each run this process measures, on the same machine:
  params          parameter count of the restored model
  gflops          XLA's cost analysis of the inference forward pass, per 256-px-wide line
  train_img_s     median training images/s over the run's log windows (first one dropped:
                  it holds the compilations)
  infer_lines_s   median lines/s of `Recognizer.read_arrays` (preprocessing, batching, the
                  jitted forward pass and decoding) over --infer_repeats passes over the
                  first --infer_lines validation lines, after a warm-up pass
  cer, line_accuracy  the run's final validation metrics;  wall_min  its wall clock
`--top=K --top_seeds=N` then reruns the K best settings (by CER) with seeds 1..N-1; the
Markdown table shows mean and range over seeds. Writes OUT.csv (one row a run), OUT.md and
OUT.png (validation CER against inference lines/s).
"""
from __future__ import annotations

import argparse
import csv
import importlib.util
import itertools
import json
import os
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIELDS = ("name", "seed", "params", "gflops", "train_img_s", "infer_lines_s", "cer",
          "line_accuracy", "wall_min")


# ------------------------------------------------------------------------------------------
# The grid.
# ------------------------------------------------------------------------------------------
def parse_value(text: str):
  """'1e-3' -> 1e-3, '(8,16)' -> (8, 16), 'true' -> True, 'vgg' -> 'vgg'."""
  import ast  # pylint: disable=g-import-not-at-top
  if text.lower() in ("true", "false"):
    return text.lower() == "true"
  try:
    return ast.literal_eval(text)
  except (ValueError, SyntaxError):
    return text


def grid_from_flags(sweeps: list[str]) -> list[dict]:
  """['a.b=1,2', 'c=x,y'] -> the 4 override dicts of the product. Tuple values keep their
  commas inside brackets: 'model.features.channels=(8,16),(16,32)'."""
  axes = []
  for spec in sweeps:
    field, _, values = spec.partition("=")
    if not values:
      raise SystemExit(f"--sweep {spec!r}: expected FIELD=V1,V2,...")
    parts, depth, cur = [], 0, ""
    for ch in values:
      depth += 1 if ch in "([" else -1 if ch in ")]" else 0
      if ch == "," and depth == 0:
        parts.append(cur)
        cur = ""
      else:
        cur += ch
    parts.append(cur)
    axes.append([(field, parse_value(v)) for v in parts])
  return [dict(combo) for combo in itertools.product(*axes)]


def grid_from_file(path: str) -> list[dict]:
  """A Python file whose `get_sweep()` returns a list of override dicts."""
  spec = importlib.util.spec_from_file_location("sweep", path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return list(module.get_sweep())


def run_name(overrides: dict) -> str:
  """A readable, filesystem-safe name: `_name` if the sweep gives one, else the values of
  the overrides, in order."""
  def short(v):
    if isinstance(v, (tuple, list)):
      return "x".join(map(str, v))
    return str(v)
  if "_name" in overrides:
    return overrides["_name"]
  name = "-".join(short(v) for k, v in overrides.items() if k != "seed") or "base"
  return name.replace("/", "_").replace(" ", "")


def command(config: str, workdir: str, overrides: dict) -> list[str]:
  cmd = [sys.executable, "-m", "ocr_jax.main", f"--config={config}", f"--workdir={workdir}"]
  for field, value in overrides.items():
    if field.startswith("_"):
      continue
    text = (("(" + ",".join(map(repr, value)) + ("," if len(value) == 1 else "") + ")")
            if isinstance(value, (tuple, list)) else str(value))
    cmd.append(f"--config.{field}={text}")
  return cmd


# ------------------------------------------------------------------------------------------
# Measurement.
# ------------------------------------------------------------------------------------------
def measure(workdir: str, infer_lines: int, infer_repeats: int) -> dict:
  """Figures of a finished run (see the module docstring)."""
  import jax  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  from ocr_jax import inference  # pylint: disable=g-import-not-at-top
  from ocr_jax.data import pipeline  # pylint: disable=g-import-not-at-top

  with open(os.path.join(workdir, "final_metrics.json")) as f:
    final = json.load(f)
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    logged = [json.loads(line) for line in f]
  rates = [r["images_per_s"] for r in logged if r["kind"] == "train"][1:]
  rec = inference.Recognizer.from_checkpoint(workdir)
  config = rec.config

  # FLOPs of one inference batch at width 256, from the compiled XLA program.
  images = np.zeros((8, config.data.height, 256, 1), np.float32)
  paddings = np.zeros((8, 256), np.float32)
  predict = rec._predict  # pylint: disable=protected-access
  compiled = predict.lower(rec.params, rec.batch_stats, images, paddings).compile()
  cost = compiled.cost_analysis()
  cost = cost[0] if isinstance(cost, (list, tuple)) else cost
  flops = float(cost.get("flops", float("nan"))) / 8 if cost else float("nan")

  split = pipeline.Split(config.data, config.data.get("eval_split", "validation"))
  greys = []
  for i in range(min(infer_lines, len(split))):
    image = np.asarray(split.example(i)["image"])
    greys.append(image[..., 0] if image.ndim == 3 else image)
  rec.read_arrays(greys)  # warm-up: compiles every (width, batch) bucket used
  times = []
  for _ in range(infer_repeats):
    t0 = time.perf_counter()
    rec.read_arrays(greys)
    times.append(time.perf_counter() - t0)
  num_params = sum(x.size for x in jax.tree_util.tree_leaves(rec.params))
  return {"params": int(num_params), "gflops": flops / 1e9,
          "train_img_s": statistics.median(rates) if rates else float("nan"),
          "infer_lines_s": len(greys) / statistics.median(times),
          "cer": final["cer"], "line_accuracy": final["line_accuracy"],
          "wall_min": final["wall_seconds"] / 60, "num_val_lines": final["num_lines"],
          "steps": final["step"]}


# ------------------------------------------------------------------------------------------
# Reports.
# ------------------------------------------------------------------------------------------
def _spread(values, fmt):
  if len(values) == 1:
    return fmt.format(values[0])
  return (fmt.format(statistics.mean(values)) + " (" + fmt.format(min(values)) + "-" +
          fmt.format(max(values)) + ")")


def write_reports(rows: list[dict], out: str, header: str) -> None:
  os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
  with open(out + ".csv", "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=FIELDS + ("overrides",), extrasaction="ignore")
    writer.writeheader()
    for r in rows:
      writer.writerow({**r, "overrides": json.dumps(r["overrides"])})
  by_name: dict[str, list[dict]] = {}
  for r in rows:
    by_name.setdefault(r["name"], []).append(r)
  ordered = sorted(by_name.items(), key=lambda kv: statistics.mean(r["cer"] for r in kv[1]))
  lines = [header, "",
           "| setting | seeds | params (M) | GFLOPs/line | train img/s | infer lines/s | "
           "val CER (%) | line acc (%) | wall (min) |",
           "|---|---|---|---|---|---|---|---|---|"]
  for name, runs in ordered:
    get = lambda k: [r[k] for r in runs]  # noqa: E731
    lines.append(
        f"| {name} | {len(runs)} | {runs[0]['params'] / 1e6:.2f} | {runs[0]['gflops']:.3f} | "
        f"{_spread(get('train_img_s'), '{:.0f}')} | {_spread(get('infer_lines_s'), '{:.0f}')} | "
        f"{_spread([100 * c for c in get('cer')], '{:.2f}')} | "
        f"{_spread([100 * a for a in get('line_accuracy')], '{:.1f}')} | "
        f"{_spread(get('wall_min'), '{:.1f}')} |")
  with open(out + ".md", "w") as f:
    f.write("\n".join(lines) + "\n")
  print("\n".join(lines))

  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  fig, ax = plt.subplots(figsize=(8, 5.5))
  for name, runs in ordered:
    xs = [r["infer_lines_s"] for r in runs]
    ys = [100 * r["cer"] for r in runs]
    ax.scatter(xs, ys, s=25)
    ax.annotate(name, (statistics.mean(xs), statistics.mean(ys)), fontsize=7,
                xytext=(4, 3), textcoords="offset points")
  ax.set_xscale("log")
  ax.set_xlabel("inference lines/s (log scale)")
  ax.set_ylabel("validation CER (%)")
  ax.set_title("Accuracy versus speed, one point per run")
  ax.grid(True, alpha=0.3)
  fig.tight_layout()
  fig.savefig(out + ".png", dpi=120)


# ------------------------------------------------------------------------------------------
# The sweep.
# ------------------------------------------------------------------------------------------
def run_one(args, overrides: dict, seed: int) -> dict | None:
  overrides = {**dict(args.set_overrides), **overrides, "seed": seed}
  name = run_name({k: v for k, v in overrides.items() if k not in dict(args.set_overrides)})
  workdir = os.path.join(args.root, f"{name}-seed{seed}")
  cmd = command(args.config, workdir, overrides)
  if args.print_only:
    print(" ".join(f"'{c}'" if any(ch in c for ch in " ()'") else c for c in cmd))
    return None
  result_path = os.path.join(workdir, "ablation.json")
  if os.path.exists(result_path):
    with open(result_path) as f:
      return json.load(f)
  if not os.path.exists(os.path.join(workdir, "final_metrics.json")):
    print(f"[ablate] {name} seed {seed}: {' '.join(cmd)}", flush=True)
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, "train.log"), "a") as log:
      code = subprocess.call(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    if code:
      print(f"[ablate] {name} seed {seed} failed (exit {code}); see {workdir}/train.log",
            flush=True)
      return None
  row = {"name": name, "seed": seed, "overrides": overrides,
         **measure(workdir, args.infer_lines, args.infer_repeats)}
  with open(result_path, "w") as f:
    json.dump(row, f, indent=1)
  print(f"[ablate] {name} seed {seed}: CER {100 * row['cer']:.2f} %, "
        f"{row['infer_lines_s']:.0f} lines/s", flush=True)
  return row


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--config", required=True, help="base config, e.g. configs/default.py")
  parser.add_argument("--sweep", action="append", default=[],
                      help="FIELD=V1,V2,... (repeat: the grid is the product)")
  parser.add_argument("--sweep_file", help="Python file with get_sweep() -> [overrides]")
  parser.add_argument("--set", action="append", default=[],
                      help="FIELD=VALUE applied to every run (e.g. the step budget)")
  parser.add_argument("--root", required=True, help="one workdir per run under here")
  parser.add_argument("--out", help="report path without extension (default ROOT/ablation)")
  parser.add_argument("--seeds", default="0", help="seeds of every setting")
  parser.add_argument("--top", type=int, default=0, help="settings rerun with more seeds")
  parser.add_argument("--top_seeds", type=int, default=2, help="seeds of the top settings")
  parser.add_argument("--infer_lines", type=int, default=256,
                      help="validation lines read to time inference")
  parser.add_argument("--infer_repeats", type=int, default=3,
                      help="timed inference passes (median)")
  parser.add_argument("--print_only", action="store_true", help="print the commands only")
  args = parser.parse_args()
  args.set_overrides = [(f, parse_value(v)) for f, _, v in (s.partition("=") for s in args.set)]

  grid = grid_from_file(args.sweep_file) if args.sweep_file else []
  grid += grid_from_flags(args.sweep) if args.sweep else []
  grid = grid or [{}]
  seeds = [int(s) for s in args.seeds.split(",")]
  rows = [r for o in grid for s in seeds if (r := run_one(args, o, s))]
  if args.top and not args.print_only:
    ranked = sorted(grid, key=lambda o: min(
        (r["cer"] for r in rows if r["name"] == run_name(o)), default=9.9))
    for o in ranked[:args.top]:
      rows += [r for s in range(args.top_seeds) if s not in seeds and (r := run_one(args, o, s))]
  if args.print_only or not rows:
    return
  import platform  # pylint: disable=g-import-not-at-top
  header = "\n".join([
      "# Ablation results", "",
      "Made by (re-running it re-uses finished runs and rewrites this file):", "",
      "```", "python " + " ".join(
          f"'{a}'" if any(ch in a for ch in " ()") else a for a in sys.argv), "```", "",
      f"Base config `{args.config}`; every run with "
      f"{', '.join(f'`{k}={v}`' for k, v in args.set_overrides) or 'no extra overrides'}. "
      f"Machine: {platform.machine()}, {os.cpu_count()} CPU threads, Python "
      f"{platform.python_version()}, all runs one after another. Mean over seeds, range in "
      f"brackets; rows sorted by mean CER."])
  write_reports(rows, args.out or os.path.join(args.root, "ablation"), header)


if __name__ == "__main__":
  main()
