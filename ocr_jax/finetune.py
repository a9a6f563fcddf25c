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
so only the time steps of the recurrence are new to it. `config.init_model='widen'` is
'config' for a wider model (Net2Net's function-preserving growth, Chen et al. 2016): a tensor
that the config's model holds larger on some axes (more channels in a feature block, say)
keeps the old values in its leading block; a kernel's rows that read the new input channels
are zero and its new output columns keep their fresh initialisation, so the wider model starts
out reading exactly as the old one did and training puts the new channels to use. The
collapse kernel, which reads the last block's channels once per feature row, is placed row by
row; a residual block that gains a projection starts it as the identity. Only the features
grow: a wider sequence stage or output layer starts fresh (a bidirectional layer's two halves
would not line up). `config.freeze=('features',)` (any of recognizer.STAGES) keeps those
stages fixed.
Optimizer state and step start fresh. Only a run without checkpoints of its own is
initialised this way; a rerun resumes from its own checkpoints as always.
"""
from __future__ import annotations

import re

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
  """Whose architecture an init_from run uses: 'checkpoint', or 'config' ('widen' grows the
  checkpoint into the config's)."""
  source = config.get("init_model", "checkpoint")
  if source not in ("checkpoint", "config", "widen"):
    raise ValueError(f"config.init_model={source!r}: use 'checkpoint', 'config' or 'widen'")
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


def transfer(fresh, old, old_charset, new_charset, widen: bool = False):
  """Copies `old` into `fresh` (both flax variable dicts) where paths and shapes match;
  class-indexed parameters are copied class by class through the charsets (an extra trailing
  row, the attention decoder's start token, is copied as is); with `widen`, smaller old
  tensors are embedded (module doc). Returns (tree, report)."""
  flat_new = flax.traverse_util.flatten_dict(flax.core.unfreeze(fresh))
  flat_old = flax.traverse_util.flatten_dict(flax.core.unfreeze(old))
  mapping = class_map(old_charset, new_charset)
  shared = mapping >= 0
  copied, kept = 0, []
  out = {}
  channels = (_last_channels(flat_old), _last_channels(flat_new)) if widen else None
  for key, value in flat_new.items():
    value = np.asarray(value)
    # Widening grows tensors; it never restrides (a collapse kernel twice as tall is a last
    # block twice as wide, not two frames a step).
    src = flat_old.get(key) if widen else _restride(key, flat_old.get(key), value.shape)
    if widen and src is not None and np.shape(src) != value.shape:
      src = _embed(key, np.asarray(src), value, channels)
    elif widen and src is None and "features" in key and key[-2].startswith("proj"):
      src = _identity_shortcut(key, flat_old, value)
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


def _last_channels(flat: dict) -> int | None:
  """The output channels of the features' last block (a kernel of the module with the
  highest block number: conv3, block3_conv1, proj3), or None."""
  def block(key):
    number = re.search(r"\d+", key[key.index("features") + 1])
    return int(number.group()) if number else -1
  kernels = [k for k in flat if "features" in k and k[-1] == "kernel" and np.ndim(flat[k]) == 4]
  return int(np.shape(flat[max(kernels, key=block)])[-1]) if kernels else None


def _embed(key: tuple, src: np.ndarray, fresh: np.ndarray, channels) -> np.ndarray | None:
  """`src` grown to `fresh`'s shape as `init_model='widen'` grows it, or None where it does
  not fit inside (another rank, or smaller on some axis) or is not the features'."""
  if key[-2:] == ("collapse", "kernel") and src.ndim == 2 and None not in channels:
    (c_old, c_new), (n_old, n_new) = channels, (src.shape[0], fresh.shape[0])
    rows, rest = divmod(n_old, c_old)
    if not rest and rows * c_new == n_new and src.shape[1] <= fresh.shape[1]:
      out = np.zeros(fresh.shape, fresh.dtype)  # the rows reading new channels read nothing
      out[:, src.shape[1]:] = fresh[:, src.shape[1]:]
      for r in range(rows):  # the collapse reads row-major (row, channel) features
        out[r * c_new:r * c_new + c_old, :src.shape[1]] = src[r * c_old:(r + 1) * c_old]
      return out
  if ("features" not in key or src.ndim != fresh.ndim
      or any(a > b for a, b in zip(src.shape, fresh.shape))):
    return None
  out = fresh.copy()
  if key[-1] == "kernel" and src.ndim >= 2:
    out[..., src.shape[-2]:, :] = 0  # new inputs are read with weight 0
  out[tuple(slice(0, n) for n in src.shape)] = src
  return out


def _identity_shortcut(key: tuple, flat_old: dict, fresh: np.ndarray) -> np.ndarray | None:
  """A residual block's new 1x1 projection (`widen`: the block's input and output widths
  now differ) where the old block added its input as is: the identity on the old channels,
  new outputs fresh, new inputs read with weight 0. None where the old block had no block of
  that number."""
  number = key[-2][len("proj"):]
  old_conv = key[:-2] + (f"block{number}_conv0", "kernel")
  if old_conv not in flat_old or fresh.ndim != 4:
    return None
  c = np.shape(flat_old[old_conv])[-2]  # the old block's input = output channels
  out = fresh.copy()
  out[..., c:, :] = 0
  out[..., :c, :c] = np.eye(c, dtype=fresh.dtype)
  return out


def _same_but(a: tuple, b: tuple, axis: int) -> bool:
  """Whether shapes `a` and `b` agree on every axis except `axis`."""
  a, b = list(a), list(b)
  if len(a) != len(b):
    return False
  del a[axis], b[axis]
  return a == b


def init_from(state, path: str, charset: charset_lib.Charset, widen: bool = False):
  """`state` (a fresh TrainState) with the weights of the checkpoint at `path`; `widen`: grow
  smaller tensors into the state's (module doc)."""
  old, old_charset, _ = load(path)
  params, report = transfer(state.params, old.params, old_charset, charset, widen)
  batch_stats, _ = transfer(state.batch_stats, old.batch_stats, old_charset, charset, widen)
  logging.info("init_from %s: copied %d of %d parameter tensors; output layer keeps %d of %d "
               "classes; new symbols %s; not copied: %s", path, report["copied"],
               report["total"], report["shared_classes"], report["classes"],
               "".join(report["new_symbols"])[:200] or "none", report["not_copied"] or "none")
  return state.replace(params=params, batch_stats=batch_stats), report
