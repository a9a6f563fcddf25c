"""The model, optimizer and state of a config, and a run rebuilt from its checkpoint.

The pieces that training (train.py), reading (inference.py) and starting from another run
(finetune.py, distill.py) share, so that their imports point one way: all of them import this
module, and it imports none of them.
"""
from __future__ import annotations

import functools
from typing import Any

import flax
import jax
import jax.numpy as jnp
import ml_collections
import optax

from ocr_jax import charset as charset_lib
from ocr_jax import checkpoints
from ocr_jax import decoding
from ocr_jax import models
from ocr_jax.models import recognizer


@flax.struct.dataclass
class TrainState:
  step: jax.Array
  params: Any
  batch_stats: Any
  opt_state: Any


def make_optimizer(config) -> tuple[optax.GradientTransformation, optax.Schedule]:
  opt = config.optimizer
  schedule = optax.warmup_cosine_decay_schedule(
      init_value=0.0, peak_value=opt.learning_rate, warmup_steps=opt.warmup_steps,
      decay_steps=max(config.num_train_steps, opt.warmup_steps + 1),
      end_value=opt.learning_rate * opt.end_learning_rate_factor)
  tx = optax.chain(optax.clip_by_global_norm(opt.grad_clip_norm),
                   optax.adamw(schedule, weight_decay=opt.weight_decay))
  freeze = frozen_stages(config)
  if freeze:  # frozen stages get zero updates (and no weight decay)
    tx = optax.multi_transform({"train": tx, "frozen": optax.set_to_zero()},
                               stage_labels(freeze))
  return tx, schedule


def frozen_stages(config) -> tuple[str, ...]:
  return tuple(config.get("freeze", ()) or ())


def create_train_state(rng, model, tx, config) -> TrainState:
  height, width = config.data.height, config.data.width_buckets[0]
  images = jnp.zeros((1, height, width, 1), jnp.float32)
  paddings = jnp.zeros((1, width), jnp.float32)
  variables = model.init(rng, images, paddings, train=False)
  params = variables["params"]
  return TrainState(step=jnp.zeros((), jnp.int32), params=params,
                    batch_stats=variables.get("batch_stats", {}), opt_state=tx.init(params))


def build(config, charset: charset_lib.Charset | None = None):
  """(charset, model, optimizer, schedule) for a config; the same for training and inference.
  `charset` overrides `config.charset` (a checkpoint's own, or one derived from the data)."""
  if charset is None:
    charset = charset_lib.get_charset(config.charset)
  model = models.get_model(config.model, charset.num_classes, config.data.max_label_length)
  tx, schedule = make_optimizer(config)
  return charset, model, tx, schedule


def stage_labels(freeze):
  """optax.multi_transform labels: 'frozen' for parameters of the stages in `freeze`."""
  unknown = set(freeze) - set(recognizer.STAGES)
  if unknown:
    raise ValueError(f"config.freeze names unknown stages {sorted(unknown)}; "
                     f"choose from {recognizer.STAGES}")

  def labels(params):
    return {k: jax.tree_util.tree_map(
        lambda _, k=k: "frozen" if recognizer.stage_of(k) in freeze else "train", v)
            for k, v in params.items()}
  return labels


def predict_step(params, batch_stats, images, image_paddings, *, model):
  """Inference forward pass: greedy frames (best class, its probability, frame counts)."""
  logits, logit_paddings = model.apply({"params": params, "batch_stats": batch_stats},
                                       images, image_paddings, train=False)
  best, best_prob, lengths = decoding.greedy_frames(logits, logit_paddings)
  return best, best_prob, lengths


def predict_log_probs(params, batch_stats, images, image_paddings, *, model):
  """Inference forward pass for beam search: log-probabilities [B, T, C] and frame counts."""
  logits, logit_paddings = model.apply({"params": params, "batch_stats": batch_stats},
                                       images, image_paddings, train=False)
  lengths = jnp.sum(1.0 - logit_paddings, axis=-1).astype(jnp.int32)
  return jax.nn.log_softmax(logits, axis=-1), lengths


def load_run(path: str, step: int | None = None):
  """(train state on this host's first device, charset, config, step) of a checkpoint
  (the latest one unless `step` is given), rebuilt from the directory alone."""
  mngr = checkpoints.manager(path, create=False)
  step = mngr.latest_step() if step is None else step
  if step is None:
    raise FileNotFoundError(f"no checkpoint found under {path}")
  meta = checkpoints.read_meta(mngr, step)
  config = ml_collections.ConfigDict(meta["config"])
  charset = charset_lib.Charset.from_json(meta["charset"])
  sharding = jax.sharding.SingleDeviceSharding(jax.local_devices()[0])
  if meta.get("released"):  # release.py keeps params and batch statistics only
    saved = checkpoints.restore_as_saved(mngr, step, sharding)
    state = TrainState(step=saved["step"], params=saved["params"],
                       batch_stats=saved.get("batch_stats", {}), opt_state=None)
  else:
    _, model, tx, _ = build(config, charset)
    abstract = jax.eval_shape(functools.partial(
        create_train_state, model=model, tx=tx, config=config), jax.random.PRNGKey(0))
    state, _ = checkpoints.restore(mngr, step, abstract, sharding=sharding)
  mngr.close()
  return state, charset, config, step
