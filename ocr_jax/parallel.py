"""Device mesh and shardings: one code path for 1 CPU, 8 GPUs or a TPU pod slice."""
from __future__ import annotations

import os

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P


def make_mesh(devices=None) -> Mesh:
  """A 1-D mesh over every device, axis 'data' (pure data parallelism).

  Devices are ordered by process, so each process's rows of a global batch are one
  contiguous block (process p holds rows [p*n, (p+1)*n)), which `pipeline.process_slice`
  and the per-process metrics rely on.
  """
  devices = jax.devices() if devices is None else devices
  devices = sorted(devices, key=lambda d: (d.process_index, d.id))
  return Mesh(np.asarray(devices), ("data",))


def local_rows(global_rows: int) -> slice:
  """This process's rows of a global batch laid out over `make_mesh()`."""
  n = global_rows // jax.process_count()
  return slice(jax.process_index() * n, (jax.process_index() + 1) * n)


def sum_over_processes(values: dict) -> dict:
  """Sums a dict of host scalars over all processes (identity with one process)."""
  if jax.process_count() == 1:
    return dict(values)
  from jax.experimental import multihost_utils  # pylint: disable=g-import-not-at-top
  keys = sorted(values)
  gathered = multihost_utils.process_allgather(
      np.asarray([values[k] for k in keys], np.float64))
  return dict(zip(keys, np.asarray(gathered).reshape(-1, len(keys)).sum(0).tolist()))


def replicated(mesh: Mesh) -> NamedSharding:
  return NamedSharding(mesh, P())


def data_sharded(mesh: Mesh) -> NamedSharding:
  return NamedSharding(mesh, P("data"))


def put_batch(batch: dict, mesh: Mesh) -> dict:
  """Process-local numpy batch -> global jax.Arrays sharded over 'data' (batch axis)."""
  sharding = data_sharded(mesh)
  return {k: jax.make_array_from_process_local_data(sharding, v) for k, v in batch.items()}


def usable_cores() -> int:
  """CPU cores this process may run on (its affinity where the OS has one, e.g. Linux)."""
  if hasattr(os, "sched_getaffinity"):
    return len(os.sched_getaffinity(0))
  return os.cpu_count() or 1


def use_host_cores(max_devices: int = 8) -> int:
  """Makes each usable host core (at most `max_devices`) its own XLA CPU device, for
  processes that only run inference (`ocr-jax`, `ocr_jax.compare`); returns the number of CPU
  devices. XLA runs a BiLSTM's time loop on one core, so a batch sharded over one device
  per core reads 1.3-1.6x more lines/s on 2 cores than one device using both
  (`launch/infer_devices_benchmark.py` at 9a0885e). Not for training: its conv gradients
  already use every core, and the English BiLSTM's 2-device train step measured 0.57-0.76x
  as fast (the default model's about 1x). Does nothing once JAX has run a computation, or
  when XLA_FLAGS forces a device count itself.
  """
  if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    try:
      jax.config.update("jax_num_cpu_devices", max(1, min(usable_cores(), max_devices)))
    except RuntimeError:  # JAX already runs: keep its devices
      pass
  return len(jax.devices("cpu"))


COMPILE_CACHE_ENV = "OCR_JAX_COMPILE_CACHE"
DEFAULT_COMPILE_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "ocr_jax", "xla")


def use_compilation_cache(path: str | None = None) -> str | None:
  """Keeps compiled programs on disk between processes (JAX's persistent compilation
  cache), for the `ocr-jax` command: a reader compiles once per (width, batch) shape, ~0.6 s
  each on 2 CPU cores, and a folder of lines needs a dozen shapes or more, so a later run
  loads them instead (docs/speed.md, "Compiled once, kept on disk"). `path` (default: the
  environment variable OCR_JAX_COMPILE_CACHE, else ~/.cache/ocr_jax/xla); "off", "0" or ""
  turn it off. A cache the user set up for JAX (JAX_COMPILATION_CACHE_DIR) is kept. Its size
  is bounded by the shapes read: ~60 kB a shape, a model's shapes at most 16 widths an octave
  (inference.WIDTHS_PER_OCTAVE) times 6 batch sizes. XLA checks on loading that a program
  was compiled for this machine's CPU and recompiles otherwise. Returns the folder in use,
  or None (off, or the folder cannot be made). Call before the first compilation."""
  if jax.config.jax_compilation_cache_dir:
    return jax.config.jax_compilation_cache_dir
  if path is None:
    path = os.environ.get(COMPILE_CACHE_ENV, DEFAULT_COMPILE_CACHE)
  if path.strip().lower() in ("", "0", "off", "none", "false"):
    return None
  try:
    os.makedirs(path, exist_ok=True)
  except OSError:
    return None
  jax.config.update("jax_compilation_cache_dir", path)
  jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
  return path
