"""Device mesh and shardings: one code path for 1 CPU, 8 GPUs or a TPU pod slice."""
from __future__ import annotations

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P


def make_mesh(devices=None) -> Mesh:
  """A 1-D mesh over every device, axis 'data' (pure data parallelism)."""
  devices = jax.devices() if devices is None else devices
  return Mesh(np.asarray(devices), ("data",))


def replicated(mesh: Mesh) -> NamedSharding:
  return NamedSharding(mesh, P())


def data_sharded(mesh: Mesh) -> NamedSharding:
  return NamedSharding(mesh, P("data"))


def put_batch(batch: dict, mesh: Mesh) -> dict:
  """Process-local numpy batch -> global jax.Arrays sharded over 'data' (batch axis)."""
  sharding = data_sharded(mesh)
  return {k: jax.make_array_from_process_local_data(sharding, v) for k, v in batch.items()}
