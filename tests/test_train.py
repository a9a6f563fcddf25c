"""End-to-end training: loss falls, checkpoints appear, runs resume (also after SIGKILL),
a small fixed set is learned exactly, and a NaN loss stops training with a clear error."""
import json
import os
import signal
import subprocess
import sys
import time

import jax
import numpy as np
import pytest

from conftest import REPO, quick_config
from ocr_jax import checkpoints
from ocr_jax import model_state
from ocr_jax import train
from ocr_jax.data import pipeline


def _logged(workdir, kind):
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    return [r for r in map(json.loads, f) if r["kind"] == kind]


def test_quick_run_learns_and_writes_a_checkpoint(trained, data_dir):
  workdir, result = trained
  config = quick_config(data_dir)
  assert result["step"] == config.num_train_steps
  mngr = checkpoints.manager(workdir, create=False)
  assert mngr.latest_step() == config.num_train_steps
  meta = checkpoints.read_meta(mngr)
  assert meta["config"]["model"]["name"] == "recognizer"
  assert len(meta["charset"]["symbols"]) == 95
  # Loss falls: compare the same fixed validation batches before and after training.
  charset, model, tx, _ = model_state.build(config)
  fresh = model_state.create_train_state(jax.random.PRNGKey(config.seed), model, tx, config)
  abstract = jax.eval_shape(lambda: fresh)
  restored, _ = checkpoints.restore(mngr, mngr.latest_step(), abstract)
  split = pipeline.Split(config.data, "validation")
  losses = {"fresh": [], "trained": []}
  for batch, _, weights in pipeline.eval_batches(
      split, charset, batch_size=16, buckets=config.data.width_buckets, height=32,
      max_label_length=config.data.max_label_length, max_examples=48,
      with_labels=True):
    for name, state in (("fresh", fresh), ("trained", restored)):
      logits, lp = model.apply({"params": state.params, "batch_stats": state.batch_stats},
                               batch["image"], batch["image_paddings"])
      per_line = train.ctc_loss(logits, lp, batch["labels"], batch["label_paddings"])
      losses[name].append(float((np.asarray(per_line) * weights).sum() / weights.sum()))
  assert np.mean(losses["trained"]) < 0.5 * np.mean(losses["fresh"]), losses
  logged = _logged(workdir, "train")
  assert [r["step"] for r in logged] == list(range(10, 61, 10))
  assert {"loss", "cer", "images_per_s", "eta", "learning_rate"} <= set(logged[0])
  assert _logged(workdir, "eval")[-1]["num_lines"] == 96


def test_rerun_resumes_from_the_last_checkpoint(trained, data_dir, tmp_path):
  workdir, _ = trained
  copy = tmp_path / "resumed"
  subprocess.run(["cp", "-r", workdir, str(copy)], check=True)
  config = quick_config(data_dir, num_train_steps=70)
  result = train.train_and_evaluate(config, str(copy))
  assert result["start_step"] == 60 and result["step"] == 70
  assert checkpoints.manager(str(copy), create=False).latest_step() == 70


def test_sigkill_mid_run_then_resume(data_dir, tmp_path):
  workdir = str(tmp_path / "killed")
  cmd = [sys.executable, "-m", "ocr_jax.main", "--config=configs/default.py:quick",
         f"--workdir={workdir}", f"--config.data.data_dir={data_dir}",
         "--config.checkpoint_every_steps=5", "--config.data.width_buckets=(128,256)"]
  proc = subprocess.Popen(cmd + ["--config.num_train_steps=100000"], cwd=REPO,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
  ckpt = os.path.join(workdir, "checkpoints")
  deadline = time.time() + 300
  try:
    while time.time() < deadline:
      done = [int(d) for d in os.listdir(ckpt) if d.isdigit()] if os.path.isdir(ckpt) else []
      if done and max(done) >= 10:
        break
      time.sleep(0.5)
    else:
      pytest.fail("no checkpoint at step >= 10 within 300 s")
  finally:
    proc.send_signal(signal.SIGKILL)
    proc.wait()
  saved = checkpoints.manager(workdir, create=False).latest_step()
  assert saved >= 10
  out = subprocess.run(cmd + [f"--config.num_train_steps={saved + 5}"], cwd=REPO,
                       capture_output=True, text=True, timeout=600)
  assert out.returncode == 0, out.stderr[-3000:]
  assert f"Resuming from checkpoint at step {saved}" in out.stderr
  assert checkpoints.manager(workdir, create=False).latest_step() == saved + 5
  steps = [r["step"] for r in _logged(workdir, "train")]
  assert steps[-1] == saved + 5


def test_nan_loss_stops_training_with_a_clear_error(data_dir, tmp_path, monkeypatch):
  real_make_batch = pipeline.make_batch

  def poisoned(*args, **kwargs):
    batch = real_make_batch(*args, **kwargs)
    batch["image"][0, 0, 0, 0] = np.nan
    return batch

  monkeypatch.setattr(pipeline, "make_batch", poisoned)
  config = quick_config(data_dir, num_train_steps=5, **{"data.width_buckets": (256,)})
  with pytest.raises(train.NonFiniteLossError, match="loss is nan at step 0"):
    train.train_and_evaluate(config, str(tmp_path / "nan"))
