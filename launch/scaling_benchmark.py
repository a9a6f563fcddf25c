"""Training images/s of one config run three ways on this machine, printed as JSON:

  1 process on 1 device | 1 process on N forced CPU devices | P processes (launch/local.py)

  python launch/scaling_benchmark.py --config=configs/default.py --steps=150 [--devices=4]

Each run is the real `python -m ocr_jax.main` training loop on the same global batch; the
figure is the median of the logged `images_per_s` windows after the first two (which hold
the compilations). On a machine with few cores this shows the overhead of the multi-device
and multi-process code paths, not a speed-up.
"""
import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(name, cmd, env, workdir, timeout=None):
  """Runs one training command; the medians of its logged windows after the first two."""
  print(f"== {time.strftime('%H:%M:%S')} {name}: {' '.join(cmd)}", file=sys.stderr, flush=True)
  # Its own process group, so a run past `timeout` is killed with its loader processes.
  proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, start_new_session=True)
  try:
    _, stderr = proc.communicate(timeout=timeout)
  except subprocess.TimeoutExpired:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    raise SystemExit(f"{name} ran past {timeout} s: killed with its child processes") from None
  if proc.returncode:
    raise SystemExit(f"{name} failed:\n{stderr[-3000:]}")
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    train = [r for r in map(json.loads, f) if r["kind"] == "train"]
  windows = train[2:] or train
  return {"images_per_s": statistics.median(r["images_per_s"] for r in windows),
          "process_images_per_s": statistics.median(r["process_images_per_s"]
                                                    for r in windows),
          "input_wait": statistics.median(r["input_wait"] for r in windows),
          "windows": len(windows)}


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--config", default="configs/default.py", help="config file")
  parser.add_argument("--steps", type=int, default=150, help="training steps per run")
  parser.add_argument("--log_every", type=int, default=10, help="steps per timed window")
  parser.add_argument("--devices", type=int, default=4, help="forced CPU devices")
  parser.add_argument("--processes", type=int, default=2, help="processes (launch/local.py)")
  parser.add_argument("--data_dir", default="", help="tfds data dir (default: the config's)")
  parser.add_argument("--out", default="", help="also write the JSON here")
  args = parser.parse_args()
  tmp = tempfile.mkdtemp(prefix="ocr_jax_scaling_")
  common = [f"--config={args.config}", f"--config.num_train_steps={args.steps}",
            f"--config.log_every_steps={args.log_every}",
            f"--config.checkpoint_every_steps={args.steps}",
            f"--config.eval_every_steps={args.steps + 1}", "--config.eval.max_examples=64"]
  if args.data_dir:
    common.append(f"--config.data.data_dir={args.data_dir}")
  main_cmd = [sys.executable, "-m", "ocr_jax.main"]
  env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
  results = {}
  wd = os.path.join(tmp, "one")
  results["1 process, 1 device"] = run("one", main_cmd + [f"--workdir={wd}"] + common, env, wd)
  wd = os.path.join(tmp, "forced")
  forced = dict(env, XLA_FLAGS=f"--xla_force_host_platform_device_count={args.devices}")
  results[f"1 process, {args.devices} forced devices"] = run(
      "forced", main_cmd + [f"--workdir={wd}"] + common, forced, wd)
  wd = os.path.join(tmp, "procs")
  launcher = [sys.executable, os.path.join(REPO, "launch", "local.py"),
              f"--num_processes={args.processes}", f"--log_dir={wd}/logs", "--"]
  results[f"{args.processes} processes, 1 device each"] = run(
      "procs", launcher + main_cmd + [f"--workdir={wd}"] + common, env, wd)
  out = {"config": args.config, "steps": args.steps, "machine": platform.node(),
         "cpus": os.cpu_count(), "results": results}
  text = json.dumps(out, indent=1)
  print(text)
  if args.out:
    with open(args.out, "w") as f:
      f.write(text + "\n")


if __name__ == "__main__":
  main()
