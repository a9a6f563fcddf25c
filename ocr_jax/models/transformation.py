"""Transformation stage: thin-plate-spline rectification (Shi et al. 2016, RARE; the 'TPS'
stage of Baek et al. 2019).

A small localisation network looks at the line and predicts `num_fiducial` points (half along
the top edge, half along the bottom) in the input; the thin-plate spline that maps the rest
layout of those points onto the predicted ones tells, for every output pixel, where to sample
the input (bilinear). The last layer starts at zero weight with the rest layout as bias, so a
fresh model starts from the identity and learns to straighten curved or slanted lines.

Variable widths: coordinates are normalised to each line's real width (from its paddings),
so the transform of a line does not depend on how much it is padded.
"""
from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from ocr_jax.models import features


def rest_points(num_fiducial: int) -> np.ndarray:
  """float32[F, 2] (x, y) in [-1, 1]: F/2 evenly along the top edge, F/2 along the bottom."""
  xs = np.linspace(-1.0, 1.0, num_fiducial // 2)
  top = np.stack([xs, -np.ones_like(xs)], 1)
  bottom = np.stack([xs, np.ones_like(xs)], 1)
  return np.concatenate([top, bottom]).astype(np.float32)


def _tps_kernel(sq_dist, xp=jnp):
  """U(r) = r^2 log r^2, with U(0) = 0; `xp` is jnp on the device or np on the host."""
  return sq_dist * xp.log(xp.where(sq_dist > 0, sq_dist, 1.0))


def tps_inverse(points: np.ndarray) -> np.ndarray:
  """float32[F+3, F+3]: the inverse of the TPS system matrix [[K, P], [P^T, 0]] of `points`."""
  f = len(points)
  d2 = ((points[:, None] - points[None]) ** 2).sum(-1)
  k = _tps_kernel(d2, np)  # in float64 on the host
  p = np.concatenate([np.ones((f, 1)), points], 1)
  system = np.zeros((f + 3, f + 3))
  system[:f, :f], system[:f, f:], system[f:, :f] = k, p, p.T
  return np.linalg.inv(system).astype(np.float32)


def sample_grid(source_points, lengths, height: int, width: int, rest):
  """For each output pixel, the (row, col) to sample in the input: float32[B, 2, H, W]."""
  coef = jnp.einsum("ij,bjk->bik", jnp.asarray(tps_inverse(rest)),
                    jnp.pad(source_points, ((0, 0), (0, 3), (0, 0))))  # [B, F+3, 2]
  real_w = jnp.maximum(lengths.astype(jnp.float32), 1.0)[:, None, None]  # [B, 1, 1]
  cols = jnp.arange(width, dtype=jnp.float32)[None, None, :]
  rows = jnp.arange(height, dtype=jnp.float32)[None, :, None]
  x = jnp.broadcast_to((cols + 0.5) / real_w * 2 - 1, (lengths.shape[0], height, width))
  y = jnp.broadcast_to((rows + 0.5) / height * 2 - 1, x.shape)
  grid = jnp.stack([x, y], -1).reshape(x.shape[0], -1, 2)  # [B, H*W, 2] targets
  d2 = ((grid[:, :, None, :] - jnp.asarray(rest)[None, None]) ** 2).sum(-1)
  basis = jnp.concatenate([_tps_kernel(d2), jnp.ones_like(grid[..., :1]), grid], -1)
  src = jnp.einsum("bnk,bkd->bnd", basis, coef).reshape(x.shape + (2,))
  src_col = (src[..., 0] + 1) / 2 * real_w - 0.5
  src_row = (src[..., 1] + 1) / 2 * height - 0.5
  return jnp.stack([src_row, src_col], 1)


def bilinear_sample(images, coords):
  """images float32[B, H, W, 1] sampled at coords float32[B, 2, H, W] (zero outside)."""
  sample = lambda img, c: jax.scipy.ndimage.map_coordinates(  # noqa: E731
      img, [c[0], c[1]], order=1, mode="constant", cval=0.0)
  return jax.vmap(sample)(images[..., 0], coords)[..., None]


class TPS(nn.Module):
  num_fiducial: int = 20
  channels: tuple = (16, 32, 64)

  @nn.compact
  def __call__(self, images, paddings, *, train: bool):
    b, h, w, _ = images.shape
    mask = 1.0 - paddings
    x = images
    for i, c in enumerate(self.channels):  # localisation network
      x = nn.relu(features.conv(x, c, train=train, name=f"loc_conv{i}"))
      x = x * mask[:, None, :, None]
      x = features.max_pool(x, 2, 2, train=train)
      mask = features.pool_mask(mask, 2)
    pooled = (x * mask[:, None, :, None]).sum((1, 2)) / (
        jnp.maximum(mask.sum(1), 1.0)[:, None] * x.shape[1])
    x = nn.relu(nn.Dense(64, name="loc_fc0")(pooled))
    rest = rest_points(self.num_fiducial)
    points = nn.Dense(2 * self.num_fiducial, name="loc_fc1", kernel_init=nn.initializers.zeros,
                      bias_init=lambda *_: jnp.asarray(rest.reshape(-1)))(x)
    points = points.reshape(b, self.num_fiducial, 2)
    lengths = jnp.sum(1.0 - paddings, axis=1)
    coords = sample_grid(points, lengths, h, w, rest)
    return bilinear_sample(images, coords) * (1.0 - paddings)[:, None, :, None]


def get(name: str, num_fiducial: int = 20, *, module_name: str = "transformation"):
  if name == "tps":
    return TPS(num_fiducial, name=module_name)
  if name != "none":
    raise ValueError(f"unknown transformation {name!r}; choose from ['none', 'tps']")
  return None
