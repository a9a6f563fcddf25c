"""Data parallelism on CPU: 4 forced devices == 1 device, a checkpoint written on 4 devices
reads on 1, two processes on localhost == one process, and the launcher stops a job whose
worker fails."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO, quick_config
from ocr_jax import inference
from ocr_jax import train


@pytest.fixture(scope="module")
def four_devices(data_dir, tmp_path_factory):
  out = tmp_path_factory.mktemp("four_devices")
  env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4")
  proc = subprocess.run([sys.executable, os.path.join(REPO, "tests", "four_devices.py"),
                         data_dir, str(out)], env=env, capture_output=True, text=True,
                        timeout=600, cwd=REPO)
  assert proc.returncode == 0, proc.stderr[-3000:]
  with open(out / "result.json") as f:
    return out, json.load(f)


def test_four_devices_train_like_one(four_devices):
  _, result = four_devices
  assert result["devices_holding_params"] == [4]  # replicated over the 4-device mesh
  np.testing.assert_allclose(result["losses_4"], result["losses_1"], rtol=1e-5)
  assert result["max_param_update"] > 1e-4  # the steps did move the params ...
  assert result["max_param_diff"] < 1e-5, result  # ... identically on 4 devices and on 1


def test_checkpoint_written_on_four_devices_reads_on_one(four_devices):
  out, _ = four_devices
  rec = inference.Recognizer.from_checkpoint(str(out / "ckpt"))
  assert rec.step == 3
  want = np.load(out / "predictions.npz")
  best, best_prob, lengths = rec._predict(  # pylint: disable=protected-access
      rec.params, rec.batch_stats, want["image"], want["image_paddings"])
  np.testing.assert_array_equal(np.asarray(lengths), want["lengths"])
  np.testing.assert_array_equal(np.asarray(best), want["best"])
  np.testing.assert_allclose(np.asarray(best_prob), want["best_prob"], rtol=1e-5, atol=1e-6)


def _losses(workdir):
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    return [r["loss"] for r in map(json.loads, f) if r["kind"] == "train"]


def test_two_processes_train_like_one(data_dir, tmp_path):
  overrides = {"data.width_buckets": (256,), "num_train_steps": 6, "log_every_steps": 1,
               "checkpoint_every_steps": 6, "eval.max_examples": 32}
  two = tmp_path / "two"
  cmd = [sys.executable, os.path.join(REPO, "launch", "local.py"), "--num_processes=2",
         f"--log_dir={tmp_path / 'logs'}", "--", sys.executable, "-m", "ocr_jax.main",
         "--config=configs/default.py:quick", f"--workdir={two}",
         f"--config.data.data_dir={data_dir}", "--config.data.width_buckets=(256,)"]
  cmd += [f"--config.{k}={v}" for k, v in overrides.items() if k != "data.width_buckets"]
  proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
  logs = [(tmp_path / "logs" / f"worker-{i}.log").read_text() for i in range(2)]
  assert proc.returncode == 0, logs[0][-2000:] + logs[1][-2000:]
  for i, log in enumerate(logs):
    assert f"JAX process {i} / 2" in log
    assert "process_images_per_s" in log  # each worker logs its own throughput
  one = tmp_path / "one"
  result = train.train_and_evaluate(quick_config(data_dir, **overrides), str(one))
  # Only process 0 writes metrics: one record per step, not two.
  assert len(_losses(two)) == 6
  np.testing.assert_allclose(_losses(two), _losses(one), rtol=1e-4)
  final = json.loads((two / "final_metrics.json").read_text())
  assert final["num_lines"] == result["num_lines"] == 32
  assert abs(final["cer"] - result["cer"]) < 1e-6


def test_launcher_stops_the_job_when_a_worker_fails(tmp_path):
  worker = ("import os, sys, time\n"
            "if os.environ['OCR_JAX_PROCESS_ID'] == '1': sys.exit(3)\n"
            "time.sleep(300)\n")
  cmd = [sys.executable, os.path.join(REPO, "launch", "local.py"), "--num_processes=3",
         f"--log_dir={tmp_path}", "--", sys.executable, "-c", worker]
  proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
  assert proc.returncode == 3
  assert "worker 1 exited with code 3; stopping the others" in proc.stderr
