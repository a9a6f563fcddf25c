"""Training images/s and input-wait share of the real training loop, per batch size and loader.

  python launch/loader_benchmark.py --config=configs/default.py \
      --runs=32:threads:1,256:threads:4,256:processes:8 --steps=300 --out=/tmp/loaders.json

Each run is `python -m ocr_jax.main` on the config's prepared dataset with
`batch_size`, `data.loader` and `data.num_workers` overridden; the figures are the medians of
the logged windows after the first two (which hold the compilations): global images/s and
`input_wait`, the share of the loop's time spent waiting for the next batch. On an
accelerator, 1 - input_wait is the share of the step time the device is kept fed. One line of
JSON is printed per run as it finishes, then the table. Set JAX_COMPILATION_CACHE_DIR to
compile each shape once across the runs.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scaling_benchmark  # pylint: disable=g-import-not-at-top,wrong-import-position


def parse_runs(text: str) -> list[tuple[int, str, int]]:
  """'32:threads:1,256:processes:8' -> [(32, 'threads', 1), (256, 'processes', 8)]."""
  runs = []
  for part in filter(None, text.split(",")):
    batch, loader, workers = part.split(":")
    runs.append((int(batch), loader, int(workers)))
  return runs


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--config", default="configs/default.py", help="config file")
  parser.add_argument("--runs", default="32:threads:1,32:threads:2,32:processes:2",
                      help="comma-separated batch:loader:workers runs")
  parser.add_argument("--steps", type=int, default=200, help="training steps per run")
  parser.add_argument("--log_every", type=int, default=10, help="steps per timed window")
  parser.add_argument("--timeout", type=int, default=300, help="seconds per run")
  parser.add_argument("--out", default="", help="also write the JSON here")
  args = parser.parse_args()
  tmp = tempfile.mkdtemp(prefix="ocr_jax_loaders_")
  results = []
  for batch, loader, workers in parse_runs(args.runs):
    name = f"batch {batch}, {workers} {loader}"
    wd = os.path.join(tmp, f"b{batch}_{loader}_{workers}")
    cmd = [sys.executable, "-m", "ocr_jax.main", f"--workdir={wd}",
           f"--config={args.config}", f"--config.batch_size={batch}",
           f"--config.data.loader={loader}", f"--config.data.num_workers={workers}",
           f"--config.prefetch={max(4, 2 * workers)}",
           f"--config.num_train_steps={args.steps}",
           f"--config.log_every_steps={args.log_every}",
           f"--config.checkpoint_every_steps={args.steps}",
           f"--config.eval_every_steps={args.steps + 1}", "--config.eval.max_examples=64"]
    try:
      row = scaling_benchmark.run(name, cmd, dict(os.environ), wd, timeout=args.timeout)
    except (SystemExit, OSError, subprocess.TimeoutExpired) as e:
      # A failed run is reported, and the others still run.
      row = {"error": str(e)[-500:]}
    row = {"batch_size": batch, "loader": loader, "workers": workers, **row}
    print(json.dumps(row), flush=True)
    results.append(row)
  import jax  # pylint: disable=g-import-not-at-top
  out = {"config": args.config, "steps": args.steps, "machine": platform.node(),
         "cpus": os.cpu_count(), "devices": [str(d) for d in jax.devices()],
         "runs": results}
  if args.out:
    with open(args.out, "w") as f:
      f.write(json.dumps(out, indent=1) + "\n")
  print(f"\n{args.config} on {out['devices']} ({out['cpus']} CPUs)")
  print("| batch | loader | images/s | input wait |\n|---:|---|---:|---:|")
  for r in results:
    if "error" in r:
      print(f"| {r['batch_size']} | {r['workers']} {r['loader']} | failed | |")
    else:
      print(f"| {r['batch_size']} | {r['workers']} {r['loader']} | {r['images_per_s']:.0f} "
            f"| {100 * r['input_wait']:.1f} % |")


if __name__ == "__main__":
  main()
