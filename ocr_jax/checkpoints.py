"""Orbax checkpoints: the train state plus the JSON metadata that makes a run self-describing.

A checkpoint directory `<workdir>/checkpoints/<step>/` holds `state` (params, batch stats,
optimizer state, step) and `meta` (the training config, the charset, the wall time so far),
so inference rebuilds the model from the directory alone.
"""
from __future__ import annotations

import os

import jax
import orbax.checkpoint as ocp


def checkpoint_dir(path: str) -> str:
  """Accepts a workdir or its `checkpoints/` folder; returns the latter."""
  path = os.path.abspath(os.path.expanduser(path))
  sub = os.path.join(path, "checkpoints")
  return sub if os.path.isdir(sub) or not os.path.isdir(path) else path


def manager(path: str, max_to_keep: int = 3, create: bool = True) -> ocp.CheckpointManager:
  directory = checkpoint_dir(path) if not create else os.path.join(
      os.path.abspath(os.path.expanduser(path)), "checkpoints")
  return ocp.CheckpointManager(
      directory,
      options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, create=create),
      item_names=("state", "meta"))


def save(mngr: ocp.CheckpointManager, step: int, state, meta: dict) -> None:
  mngr.save(step, args=ocp.args.Composite(state=ocp.args.StandardSave(state),
                                          meta=ocp.args.JsonSave(meta)))


def read_meta(mngr: ocp.CheckpointManager, step: int | None = None) -> dict:
  step = mngr.latest_step() if step is None else step
  if step is None:
    raise FileNotFoundError(f"no checkpoint in {mngr.directory}")
  return mngr.restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore())).meta


def restore(mngr: ocp.CheckpointManager, step: int, abstract_state, sharding=None):
  """Restores `state` onto the shapes (and `sharding`, if given) of `abstract_state`."""
  def to_struct(x):
    s = ocp.utils.to_shape_dtype_struct(x)
    return jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=sharding) if sharding else s
  target = jax.tree_util.tree_map(to_struct, abstract_state)
  restored = mngr.restore(step, args=ocp.args.Composite(
      state=ocp.args.StandardRestore(target), meta=ocp.args.JsonRestore()))
  return restored.state, restored.meta


def restore_as_saved(mngr: ocp.CheckpointManager, step: int, sharding=None):
  """`state` as it was saved (nested dicts of arrays, on `sharding` if given), without a
  target: what a reader needs of a released checkpoint, whose shapes are then not traced
  out of the model first (jax.eval_shape of its init: ~1.3 s of a cold start on 2 cores)."""
  state = mngr.restore(step, args=ocp.args.Composite(state=ocp.args.StandardRestore())).state
  return jax.device_put(state, sharding) if sharding else state
