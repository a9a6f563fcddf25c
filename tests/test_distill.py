"""Distillation: the frame KL is a divergence over real frames only, and a `conv` student
under a trained teacher's frozen features learns the teacher's frames."""
import json
import os

import jax
import numpy as np
import pytest

from conftest import quick_config
from ocr_jax import distill
from ocr_jax import finetune
from ocr_jax import train


def test_frame_kl_is_zero_on_equal_frames_and_ignores_padding():
  rng = np.random.default_rng(0)
  teacher = rng.normal(size=(2, 5, 4)).astype(np.float32)
  student = rng.normal(size=(2, 5, 4)).astype(np.float32)
  paddings = np.zeros((2, 5), np.float32)
  paddings[1, 3:] = 1
  np.testing.assert_allclose(distill.frame_kl(teacher, teacher, paddings), 0, atol=1e-6)
  kl = np.asarray(distill.frame_kl(student, teacher, paddings))
  p = np.exp(teacher) / np.exp(teacher).sum(-1, keepdims=True)
  q = np.exp(student) / np.exp(student).sum(-1, keepdims=True)
  per_frame = (p * np.log(p / q)).sum(-1)
  np.testing.assert_allclose(kl, [per_frame[0].sum(), per_frame[1, :3].sum()], rtol=1e-5)
  changed = student.copy()
  changed[1, 3:] += 5.0  # padded frames: no effect
  np.testing.assert_allclose(distill.frame_kl(changed, teacher, paddings), kl, rtol=1e-6)
  with pytest.raises(ValueError, match="frames"):
    distill.frame_kl(student[:, :4], teacher, paddings)


def test_conv_student_learns_the_teachers_frames(trained, data_dir, tmp_path):
  teacher_dir, _ = trained
  config = quick_config(data_dir)
  config.init_from = teacher_dir
  config.init_model = "config"
  config.model.sequence.name = "conv"
  config.model.sequence.num_layers = 2
  config.freeze = ("features",)
  config.distill.teacher = teacher_dir
  config.distill.weight = 1.0  # the teacher's frames alone: the loss is the KL
  config.num_train_steps = 40
  config.log_every_steps = 5
  config.checkpoint_every_steps = 40
  config.eval.max_examples = 32
  workdir = str(tmp_path / "student")
  train.train_and_evaluate(config, workdir)
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    losses = [r["loss"] for r in map(json.loads, f) if r["kind"] == "train"]
  assert len(losses) == 8 and np.all(np.isfinite(losses))
  # 34 -> 0.5 when written: frame targets teach far faster than CTC from a fresh head.
  assert losses[-1] < 0.1 * losses[0], losses
  teacher, _, _ = finetune.load(teacher_dir)
  student, _, student_config = finetune.load(workdir)
  assert student_config.model.sequence.name == "conv"
  for a, b in zip(jax.tree_util.tree_leaves(student.params["features"]),
                  jax.tree_util.tree_leaves(teacher.params["features"])):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))

  config.charset = "digits"  # class ids would no longer match the teacher's
  with pytest.raises(ValueError, match="charset"):
    train.train_and_evaluate(config, str(tmp_path / "digits"))
