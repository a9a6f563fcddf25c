"""Starting a run from another run's checkpoint, also onto a different charset.

`config.init_from=DIR` (a workdir or its checkpoints/ folder): every parameter and batch
statistic whose path and shape match is copied; the output layer keeps the column of every
symbol the two charsets share (blank included) and keeps its fresh initialisation for new
symbols (every class-indexed parameter: output layers, an attention decoder's embedding).
The model architecture is the checkpoint's (config.model is replaced, with a warning, if it
differs), or with `config.init_model='config'` the config's own: then only the tensors whose
paths and shapes match are copied (say, the features of a BiLSTM model into one with another
sequence stage) and the rest start fresh. A model whose sequence stage steps over groups of
frames (`sequence.stride` k, models/sequence.py) starts from a stride-1 model of the same
sizes as its nearest equivalent: the collapse reads each group's mean (the old kernel / k,
once per frame of the group) and the output layer writes the old frame's classes k times,
so only the time steps of the recurrence are new to it. `config.freeze=('features',)` (any of
recognizer.STAGES) keeps those stages fixed.
Optimizer state and step start fresh. Only a run without checkpoints of its own is
initialised this way; a rerun resumes from its own checkpoints as always.
"""
from __future__ import annotations

import flax
import ml_collections
import numpy as np
from absl import logging

from ocr_jax import charset as charset_lib
from ocr_jax import checkpoints
from ocr_jax import model_state
from ocr_jax import released
from ocr_jax.models import recognizer


def model_source(config) -> str:
  """Whose architecture an init_from run uses: 'checkpoint' or 'config'."""
  source = config.get("init_model", "checkpoint")
  if source not in ("checkpoint", "config"):
    raise ValueError(f"config.init_model={source!r}: use 'checkpoint' or 'config'")
  return source


def base_config(path: str) -> ml_collections.ConfigDict:
  """The training config saved with the latest checkpoint under `path` (a workdir or a
  released model's name)."""
  mngr = checkpoints.manager(released.resolve(path), create=False)
  if mngr.latest_step() is None:
    raise FileNotFoundError(f"init_from: no checkpoint found under {path}")
  config = ml_collections.ConfigDict(checkpoints.read_meta(mngr)["config"])
  mngr.close()
  return config


def load(path: str, what: str = "init_from"):
  """(state on host, charset, config) of the latest checkpoint under `path`; a missing one is
  reported as the config field `what` that named it."""
  try:
    state, charset, config, _ = model_state.load_run(released.resolve(path))
  except FileNotFoundError as e:
    raise FileNotFoundError(f"{what}: {e}") from None
  return state, charset, config


def class_map(old: charset_lib.Charset, new: charset_lib.Charset) -> np.ndarray:
  """For each new class id, the old class id of the same symbol, or -1."""
  index = {s: i + 1 for i, s in enumerate(old.symbols)}
  return np.array([charset_lib.BLANK_ID] + [index.get(s, -1) for s in new.symbols])


def transfer(fresh, old, old_charset, new_charset):
  """Copies `old` into `fresh` (both flax variable dicts) where paths and shapes match;
  class-indexed parameters are copied class by class through the charsets (an extra trailing
  row, the attention decoder's start token, is copied as is). Returns (tree, report)."""
  flat_new = flax.traverse_util.flatten_dict(flax.core.unfreeze(fresh))
  flat_old = flax.traverse_util.flatten_dict(flax.core.unfreeze(old))
  mapping = class_map(old_charset, new_charset)
  shared = mapping >= 0
  copied, kept = 0, []
  out = {}
  for key, value in flat_new.items():
    value = np.asarray(value)
    src = _restride(key, flat_old.get(key), value.shape)
    axis = recognizer.class_axis(key)
    if axis is not None and src is not None and _same_but(np.shape(src), value.shape, axis):
      src = np.moveaxis(np.asarray(src), axis, -1)
      value = np.moveaxis(value.copy(), axis, -1)
      extra = value.shape[-1] - len(mapping)  # rows past the classes (start token)
      index = np.concatenate([mapping, np.arange(src.shape[-1] - extra, src.shape[-1])])
      keep = index >= 0
      value[..., keep] = src[..., index[keep]]
      value = np.moveaxis(value, -1, axis)
      copied += 1
    elif src is not None and np.shape(src) == value.shape:
      value = np.asarray(src)
      copied += 1
    else:
      kept.append("/".join(key))
    out[key] = value
  report = {"copied": copied, "total": len(flat_new), "not_copied": kept,
            "shared_classes": int(shared.sum()), "classes": len(mapping),
            "new_symbols": [s for s, m in zip(new_charset.symbols, mapping[1:]) if m < 0]}
  return flax.traverse_util.unflatten_dict(out), report


def _restride(key: tuple, src, shape: tuple):
  """`src` of a stride-1 model recast for a strided one (see the module doc) where `key` is
  the collapse kernel or the CTC output layer and the shapes say so; else `src` as is."""
  if src is None or len(key) < 2:
    return src
  src = np.asarray(src)
  if key[-2:] == ("collapse", "kernel") and src.ndim == 2 and len(shape) == 2:
    k, rest = divmod(shape[0], src.shape[0])
    if k > 1 and not rest and shape[1] == src.shape[1]:
      return np.tile(src / k, (k, 1))
  if key[-2] == "head" and "prediction" in key and len(shape) == src.ndim + 1:
    if shape[:-2] == src.shape[:-1]:  # [..., classes] -> [..., k, classes]
      return np.repeat(src[..., None, :], shape[-2], axis=-2)
  return src


def _same_but(a: tuple, b: tuple, axis: int) -> bool:
  """Whether shapes `a` and `b` agree on every axis except `axis`."""
  a, b = list(a), list(b)
  if len(a) != len(b):
    return False
  del a[axis], b[axis]
  return a == b


def init_from(state, path: str, charset: charset_lib.Charset):
  """`state` (a fresh TrainState) with the weights of the checkpoint at `path`."""
  old, old_charset, _ = load(path)
  params, report = transfer(state.params, old.params, old_charset, charset)
  batch_stats, _ = transfer(state.batch_stats, old.batch_stats, old_charset, charset)
  logging.info("init_from %s: copied %d of %d parameter tensors; output layer keeps %d of %d "
               "classes; new symbols %s; not copied: %s", path, report["copied"],
               report["total"], report["shared_classes"], report["classes"],
               "".join(report["new_symbols"])[:200] or "none", report["not_copied"] or "none")
  return state.replace(params=params, batch_stats=batch_stats), report
