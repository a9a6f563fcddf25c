"""Training and evaluation of a CTC line recognizer, as one story: mesh, input, model,
sharding, update, checkpoint, evals, loop. Text and music differ only in config and data.
"""
from __future__ import annotations

import functools
import json
import os
import time
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
from absl import logging
from jax.experimental import multihost_utils

from ocr_jax import charset as charset_lib
from ocr_jax import checkpoints
from ocr_jax import decoding
from ocr_jax import distill
from ocr_jax import finetune
from ocr_jax import metrics as metrics_lib
from ocr_jax import models
from ocr_jax import parallel
from ocr_jax.data import pipeline
from ocr_jax.model_state import TrainState, build, create_train_state, frozen_stages
from ocr_jax.model_state import predict_step
from ocr_jax.models import prediction as prediction_lib


class NonFiniteLossError(RuntimeError):
  """Training produced a NaN or Inf loss."""


# ------------------------------------------------------------------------------------------
# Model, optimizer, state: model_state.py (shared with reading and fine-tuning).
# ------------------------------------------------------------------------------------------
def step_options(config, charset: charset_lib.Charset, sharding) -> tuple[dict, Any]:
  """`train_step`'s keyword arguments that `config` sets (frozen stages; a distillation
  teacher and its weight), and the teacher's variables placed with `sharding` (None without
  a teacher), the step's fourth argument."""
  teacher, teacher_vars, weight = None, None, 0.0
  if distill.enabled(config):
    teacher, teacher_vars = distill.load_teacher(config, charset, sharding)
    weight = float(config.distill.weight)
  return (dict(teacher=teacher, distill_weight=weight, freeze=frozen_stages(config)),
          teacher_vars)


# ------------------------------------------------------------------------------------------
# Update.
# ------------------------------------------------------------------------------------------
def ctc_loss(logits, logit_paddings, labels, label_paddings):
  """Per-line CTC negative log-likelihood (blank id 0)."""
  return optax.ctc_loss(logits, logit_paddings, labels, label_paddings,
                        blank_id=charset_lib.BLANK_ID)


def sequence_loss(logits, logit_paddings, labels, label_paddings, *, ctc: bool):
  """Per-line negative log-likelihood: CTC over frames, or teacher-forced cross-entropy."""
  if ctc:
    return ctc_loss(logits, logit_paddings, labels, label_paddings)
  return prediction_lib.attention_loss(logits, labels, label_paddings)


def train_step(state: TrainState, batch: dict, rng, teacher_vars=None, *, model, tx,
               teacher=None, distill_weight: float = 0.0, freeze=()):
  """One optimizer step; pure, compiled once per width bucket. With a `teacher` (distill.py)
  the loss mixes in the KL divergence from its frames, `distill_weight` of it."""
  rng = jax.random.fold_in(rng, state.step)
  ctc = model.prediction == "ctc"

  def loss_fn(params):
    (logits, logit_paddings), updates = model.apply(
        {"params": params, "batch_stats": state.batch_stats}, batch["image"],
        batch["image_paddings"], batch["labels"], batch["label_paddings"], train=True,
        rngs={"dropout": rng}, mutable=["batch_stats"])
    per_line = sequence_loss(logits, logit_paddings, batch["labels"],
                             batch["label_paddings"], ctc=ctc)
    if teacher is not None:
      teacher_logits, _ = teacher.apply(teacher_vars, batch["image"], batch["image_paddings"],
                                        train=False)
      kl = distill.frame_kl(logits, teacher_logits, logit_paddings)
      per_line = (1.0 - distill_weight) * per_line + distill_weight * kl
    return jnp.mean(per_line), (updates.get("batch_stats", {}), logits, logit_paddings)

  (loss, (batch_stats, logits, logit_paddings)), grads = jax.value_and_grad(
      loss_fn, has_aux=True)(state.params)
  updates, opt_state = tx.update(grads, state.opt_state, state.params)
  params = optax.apply_updates(state.params, updates)
  best, best_prob, lengths = decoding.greedy_frames(logits, logit_paddings)
  # The norm of the trained stages only: nothing then reads a frozen stage's gradient, and
  # XLA drops its computation (a frozen conv stack costs its forward pass alone).
  trained = {k: g for k, g in grads.items() if k not in freeze}
  metrics = {"loss": loss, "grad_norm": optax.global_norm(trained),
             "best": best, "best_prob": best_prob, "lengths": lengths}
  new_state = state.replace(step=state.step + 1, params=params, batch_stats=batch_stats,
                            opt_state=opt_state)
  return new_state, metrics


# ------------------------------------------------------------------------------------------
# Evaluation.
# ------------------------------------------------------------------------------------------
def evaluate(predict_fn, state, split, charset, config, mesh) -> dict:
  """Greedy-decodes a whole split; CER, WER and line accuracy over the real examples. Each
  process scores its own rows; the additive counts are summed over processes."""
  refs, hyps = [], []
  for batch, texts, weights in pipeline.eval_batches(
      split, charset, batch_size=config.eval.batch_size, buckets=config.data.width_buckets,
      height=config.data.height, max_label_length=config.data.max_label_length,
      max_examples=config.eval.max_examples):
    dev = parallel.put_batch({"image": batch["image"],
                              "image_paddings": batch["image_paddings"]}, mesh)
    # Outputs are replicated: take this process's rows of the global batch.
    out = predict_fn(state.params, state.batch_stats, dev["image"], dev["image_paddings"])
    rows = parallel.local_rows(config.eval.batch_size)
    out = [np.asarray(o.addressable_data(0))[rows] for o in out]
    for d, text, w in zip(decoding.greedy_decode(*out, ctc=models.is_ctc(config.model)),
                          texts, weights):
      if w > 0:
        refs.append(text)
        hyps.append(charset.decode(d.ids))
  counts = parallel.sum_over_processes(metrics_lib.text_counts(refs, hyps, charset.split))
  return metrics_lib.metrics_from_counts(counts)


# ------------------------------------------------------------------------------------------
# Logging.
# ------------------------------------------------------------------------------------------
class MetricWriter:
  """Logs metrics and appends them as JSON lines to <workdir>/metrics.jsonl (process 0)."""

  def __init__(self, workdir: str):
    self._path = os.path.join(workdir, "metrics.jsonl") if jax.process_index() == 0 else None

  def write(self, step: int, kind: str, values: dict):
    values = {k: (float(v) if isinstance(v, (np.floating, np.integer, jax.Array)) else v)
              for k, v in values.items()}
    shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                      for k, v in values.items())
    logging.info("[%s] step %d: %s", kind, step, shown)
    if self._path:
      with open(self._path, "a") as f:
        f.write(json.dumps({"step": step, "kind": kind, **values}) + "\n")


def _format_eta(seconds: float) -> str:
  seconds = int(max(seconds, 0))
  return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m{seconds % 60:02d}s"


# ------------------------------------------------------------------------------------------
# The run.
# ------------------------------------------------------------------------------------------
def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str) -> dict:
  """Trains (resuming from `workdir` if it holds a checkpoint) and evaluates; returns the
  final validation metrics."""
  run_start = time.time()
  workdir = os.path.abspath(os.path.expanduser(workdir))
  os.makedirs(workdir, exist_ok=True)
  writer = MetricWriter(workdir)

  # -- Mesh. ---------------------------------------------------------------------------------
  mesh = parallel.make_mesh()
  for name, size in (("batch_size", config.batch_size),
                     ("eval.batch_size", config.eval.batch_size)):
    if size % jax.device_count():
      raise ValueError(f"{name} {size} is not divisible by {jax.device_count()} devices "
                       f"(it is the global batch, split over all devices)")

  # -- Input. --------------------------------------------------------------------------------
  if jax.process_index() == 0:
    pipeline.prepare(config.data)
  if jax.process_count() > 1:
    multihost_utils.sync_global_devices("dataset prepared")
    pipeline.prepare(config.data)  # a host whose data_dir is not shared renders its own copy
  pipeline.report_skipped(config.data)
  train_split = pipeline.train_split(config.data)
  val_split = pipeline.Split(config.data, config.data.get("eval_split", "validation"))
  plan = pipeline.BatchPlan(train_split.widths, config.data.width_buckets, config.batch_size,
                            config.seed)
  logging.info("Data: %d train / %d validation lines, width buckets %s, batch %d.",
               len(train_split), len(val_split), tuple(config.data.width_buckets),
               config.batch_size)

  # -- Model and sharding. -------------------------------------------------------------------
  if config.get("init_from") and finetune.model_source(config) == "checkpoint":
    base_model = finetune.base_config(config.init_from).model
    if base_model.to_dict() != config.model.to_dict():
      logging.warning("init_from: using the model architecture of %s: %s", config.init_from,
                      base_model)
      config = ml_collections.ConfigDict(config.to_dict())  # the caller's stays untouched
      config.model = base_model
  charset = (pipeline.dataset_charset(config.data) if config.charset == "from_data"
             else charset_lib.get_charset(config.charset))
  unknown = pipeline.unknown_symbols(val_split, charset, config.eval.max_examples)
  if unknown:
    logging.warning("%d validation line(s) hold symbols the charset lacks (scored as errors): "
                    "%s", unknown[0], "".join(sorted(unknown[1]))[:200])
  charset, model, tx, schedule = build(config, charset)
  rng = jax.random.PRNGKey(config.seed)
  init_rng, train_rng = jax.random.split(rng)
  repl = parallel.replicated(mesh)
  init_fn = functools.partial(create_train_state, model=model, tx=tx, config=config)
  abstract_state = jax.eval_shape(init_fn, init_rng)
  state_sharding = jax.tree_util.tree_map(lambda _: repl, abstract_state)
  num_params = sum(x.size for x in jax.tree_util.tree_leaves(abstract_state.params))
  logging.info("Model %s: %.3f M parameters, %d classes.", config.model.name, num_params / 1e6,
               charset.num_classes)

  # -- Checkpoint: resume or start. ----------------------------------------------------------
  mngr = checkpoints.manager(workdir, max_to_keep=config.max_to_keep)
  latest = mngr.latest_step()
  if latest is not None:
    state, meta = checkpoints.restore(mngr, latest, abstract_state, sharding=repl)
    wall_offset = float(meta.get("train_seconds", 0.0))
    logging.info("Resuming from checkpoint at step %d in %s.", latest, mngr.directory)
  else:
    state = jax.jit(init_fn, out_shardings=state_sharding)(init_rng)
    if config.get("init_from"):
      state, _ = finetune.init_from(jax.device_get(state), config.init_from, charset,
                                    widen=finetune.model_source(config) == "widen")
      state = jax.device_put(state, state_sharding)
    wall_offset = 0.0  # run_start already precedes data preparation
  start_step = int(state.step)

  def make_meta(step: int, elapsed: float) -> dict:
    return {"config": config.to_dict(), "charset": charset.to_json(), "step": step,
            "train_seconds": elapsed, "num_params": int(num_params)}

  # -- Update and predict functions. ---------------------------------------------------------
  batch_sharding = parallel.data_sharded(mesh)
  options, teacher_vars = step_options(config, charset, repl)
  if options["teacher"] is not None:
    logging.info("Distilling from %s (weight %.2f).", config.distill.teacher,
                 options["distill_weight"])
  p_train_step = jax.jit(
      functools.partial(train_step, model=model, tx=tx, **options),
      in_shardings=(state_sharding, batch_sharding, repl, repl),
      out_shardings=(state_sharding, repl), donate_argnums=0)
  p_predict = jax.jit(functools.partial(predict_step, model=model),
                      in_shardings=(repl, repl, batch_sharding, batch_sharding),
                      out_shardings=repl)

  def run_eval(step: int, elapsed: float) -> dict:
    t0 = time.time()
    m = evaluate(p_predict, state, val_split, charset, config, mesh)
    m["eval_seconds"] = time.time() - t0
    m["wall_seconds"] = elapsed
    writer.write(step, "eval", m)
    return m

  # -- Loop. ---------------------------------------------------------------------------------
  num_steps = config.num_train_steps
  it = pipeline.TrainIterator(
      train_split, plan, charset, height=config.data.height,
      max_label_length=config.data.max_label_length, start_step=start_step,
      prefetch=config.prefetch, num_workers=config.data.get("num_workers", 1),
      loader=config.data.get("loader", "threads"), augment=config.data.get("augment"),
      transfer=lambda b: (b, parallel.put_batch(b, mesh)))  # host copy kept for logging

  def check_finite(loss, at_step: int) -> float:
    loss = float(loss)
    if not np.isfinite(loss):
      raise NonFiniteLossError(
          f"loss is {loss} at step {at_step}; lower optimizer.learning_rate or "
          f"optimizer.grad_clip_norm, or check the data (last good checkpoint: "
          f"{mngr.latest_step()})")
    return loss

  step = start_step
  compiled = set()  # batch shapes the train step has been compiled for
  window_start, window_steps, input_wait = time.time(), 0, 0.0
  elapsed = lambda: wall_offset + time.time() - run_start  # noqa: E731
  pending = None  # (step, loss) of the previous step, checked once the next is dispatched
  try:
    for step in range(start_step, num_steps):
      t_wait = time.time()
      batch, device_batch = next(it)
      input_wait += time.time() - t_wait
      t_call = time.time()
      state, m = p_train_step(state, device_batch, train_rng, teacher_vars)
      if batch["image"].shape not in compiled:  # this call compiled the step for a new width
        compiled.add(batch["image"].shape)      # bucket: keep it out of the rates and ETA
        window_start += time.time() - t_call
      # Checking the previous step's loss keeps one step queued on the device.
      if pending is not None:
        check_finite(pending[1], pending[0])
      pending = (step, m["loss"])
      window_steps += 1
      done = step + 1
      is_log = done % config.log_every_steps == 0 or done == num_steps
      is_ckpt = done % config.checkpoint_every_steps == 0 or done == num_steps
      is_eval = done % config.eval_every_steps == 0 and done != num_steps
      if not (is_log or is_ckpt or is_eval):
        continue
      loss = check_finite(m["loss"], step)  # never log, save or evaluate a non-finite state
      if is_log:
        dt = time.time() - window_start
        decoded = decoding.greedy_decode(m["best"], m["best_prob"], m["lengths"],
                                         ctc=models.is_ctc(config.model))
        local_texts = [charset.decode(t[:int(n)]) for t, n in zip(
            batch["labels"], (1 - batch["label_paddings"]).sum(1))]
        rows = parallel.local_rows(config.batch_size)  # outputs hold the global batch
        hyps = [charset.decode(d.ids) for d in decoded[rows]]
        steps_per_s = window_steps / dt
        writer.write(done, "train", {
            "loss": loss, "cer": metrics_lib.cer(local_texts, hyps),
            "grad_norm": m["grad_norm"], "learning_rate": schedule(done),
            "images_per_s": steps_per_s * config.batch_size,  # global
            "process_images_per_s": steps_per_s * len(local_texts),
            "input_wait": input_wait / dt,  # share of this process's time spent on input
            "eta": _format_eta((num_steps - done) / steps_per_s),
            "wall_seconds": elapsed()})
        window_start, window_steps, input_wait = time.time(), 0, 0.0
      if is_ckpt:
        checkpoints.save(mngr, done, state, make_meta(done, elapsed()))
      if is_eval:
        run_eval(done, elapsed())
        window_start, window_steps, input_wait = time.time(), 0, 0.0
    if pending is not None:
      check_finite(pending[1], pending[0])
  except KeyboardInterrupt:
    logging.warning("Interrupted at step %d; saving a checkpoint before exiting.", step)
    finite = pending is None or np.isfinite(float(pending[1]))
    if finite and mngr.latest_step() != int(state.step):
      checkpoints.save(mngr, int(state.step), state, make_meta(int(state.step), elapsed()))
    mngr.wait_until_finished()
    raise
  finally:
    it.close()

  mngr.wait_until_finished()
  final = run_eval(int(state.step), elapsed())
  if jax.process_index() == 0:
    with open(os.path.join(workdir, "final_metrics.json"), "w") as f:
      json.dump({"step": int(state.step), **final}, f, indent=1)
  mngr.close()
  return {"step": int(state.step), "start_step": start_step, **final}
