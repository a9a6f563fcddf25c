"""Distillation: train a model against another trained model's CTC frames.

`config.distill.teacher=DIR` (a workdir or a released model) runs that model, in inference
mode, on every training batch; the student's loss per line becomes

  (1 - weight) * CTC(student, labels) + weight * sum over real frames KL(teacher || student)

with `weight = config.distill.weight`. Frame-level targets carry the teacher's alignment, so a
student with a cheaper sequence stage (say `conv` instead of a BiLSTM) under the teacher's
features (`init_from` the teacher with `init_model='config'`, `freeze=('features',)`) fits the
teacher's frames in far fewer steps than CTC alone fits the labels (tests/test_distill.py);
on held-out fonts the English students of docs/speed.md got no further in 50 CPU minutes than
CTC alone did (configs/english_print_conv.py). Teacher and student must share the charset,
the line height and the frame rate (the width reduction of their features); this is checked
before the first step.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from ocr_jax import charset as charset_lib
from ocr_jax import finetune
from ocr_jax import models


def enabled(config) -> bool:
  return bool(config.get("distill", {}).get("teacher", ""))


def load_teacher(config, charset: charset_lib.Charset, sharding):
  """(teacher module, its variables placed with `sharding`) for `config.distill.teacher`."""
  path = config.distill.teacher
  state, teacher_charset, teacher_config = finetune.load(path, "distill.teacher")
  if tuple(teacher_charset.symbols) != tuple(charset.symbols):
    raise ValueError(f"distill.teacher {path}: its charset ({teacher_charset.num_classes} "
                     f"classes) differs from this run's ({charset.num_classes}); distillation "
                     f"matches frames class by class")
  if not models.is_ctc(teacher_config.model) or not models.is_ctc(config.model):
    raise ValueError("distill.teacher: teacher and student must both be CTC models")
  if teacher_config.data.height != config.data.height:
    raise ValueError(f"distill.teacher {path}: line height {teacher_config.data.height} px, "
                     f"this run's {config.data.height} px")
  teacher = models.get_model(teacher_config.model, charset.num_classes)
  variables = {"params": state.params, "batch_stats": state.batch_stats}
  return teacher, jax.device_put(variables, sharding)


def frame_kl(student_logits, teacher_logits, paddings):
  """Per-line sum over real frames of KL(teacher || student): float32[B]."""
  if student_logits.shape != teacher_logits.shape:
    raise ValueError(f"distill: student frames {student_logits.shape} and teacher frames "
                     f"{teacher_logits.shape} differ; both need features of the same width "
                     f"reduction (config.model.features.width_reduction)")
  teacher_logp = jax.nn.log_softmax(jax.lax.stop_gradient(teacher_logits), axis=-1)
  student_logp = jax.nn.log_softmax(student_logits, axis=-1)
  kl = jnp.sum(jnp.exp(teacher_logp) * (teacher_logp - student_logp), axis=-1)
  return jnp.sum(kl * (1.0 - paddings), axis=-1)
