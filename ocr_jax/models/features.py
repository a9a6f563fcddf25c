"""Feature extractors: line image float32[B, 32, W, 1] -> feature map float32[B, h, W/4, C].

Three families, picked by `config.model.features.name`:
  lenet   two 5x5 conv + ReLU + pool blocks, no normalisation (the small document-specific
          backbone argued for by the Ivalua work; height 32 -> 8).
  vgg     the CRNN stack: conv3x3 -> BatchNorm -> ReLU -> max-pool per block (32 -> 2).
  resnet  a conv stem, then per stage one residual block (two conv3x3 + BatchNorm, a 1x1
          projection when the width changes) and a pool (32 -> 2).
Variable-width lines travel with explicit paddings (1 = padding): activations are zeroed at
padded columns after every block and BatchNorm statistics ignore them, so a line gives the
same features on its real part whatever it is padded to (when its width is a multiple of
the width reduction, 4).
"""
from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax.numpy as jnp

# (height, width) pooling after each block: height 32 -> 2, width / 4.
POOLS = ((2, 2), (2, 2), (2, 1), (2, 1))
WIDTH_REDUCTION = 4


def max_pool(x, ph: int, pw: int):
  """Non-overlapping max-pool written as a reshape (trains ~30 % faster than nn.max_pool on
  CPU); odd trailing rows/columns are dropped like VALID pooling."""
  b, h, w, c = x.shape
  x = x[:, :h // ph * ph, :w // pw * pw]
  return x.reshape(b, h // ph, ph, w // pw, pw, c).max(axis=(2, 4))


def pool_mask(mask, pw: int):
  """A column mask [B, W] (1 = real) after pooling the width by `pw`."""
  b, w = mask.shape
  return mask[:, :w // pw * pw].reshape(b, w // pw, pw).max(-1)


def _masked_bn(x, mask, name: str, train: bool):
  """BatchNorm whose batch statistics count only the real columns."""
  m = jnp.broadcast_to(mask[:, None, :, None] > 0, x.shape)
  return nn.BatchNorm(use_running_average=not train, momentum=0.9, name=name)(x, mask=m)


class VGG(nn.Module):
  channels: Sequence[int] = (32, 64, 128, 128)

  @nn.compact
  def __call__(self, x, paddings, *, train: bool):
    mask = 1.0 - paddings
    for i, c in enumerate(self.channels):
      ph, pw = POOLS[i] if i < len(POOLS) else (1, 1)
      x = nn.Conv(c, (3, 3), use_bias=False, name=f"conv{i}")(x)
      x = nn.relu(_masked_bn(x, mask, f"bn{i}", train)) * mask[:, None, :, None]
      x = max_pool(x, ph, pw)
      mask = pool_mask(mask, pw)
    return x, 1.0 - mask


class LeNet(nn.Module):
  """Two conv5x5 + ReLU + 2x2 pool blocks; channels beyond the second are ignored."""
  channels: Sequence[int] = (20, 50)

  @nn.compact
  def __call__(self, x, paddings, *, train: bool):
    del train  # no normalisation, no dropout
    mask = 1.0 - paddings
    for i, c in enumerate(self.channels[:2]):
      x = nn.relu(nn.Conv(c, (5, 5), name=f"conv{i}")(x)) * mask[:, None, :, None]
      x = max_pool(x, 2, 2)
      mask = pool_mask(mask, 2)
    return x, 1.0 - mask


class ResNet(nn.Module):
  channels: Sequence[int] = (32, 64, 128, 128)

  @nn.compact
  def __call__(self, x, paddings, *, train: bool):
    mask = 1.0 - paddings
    keep = lambda y: y * mask[:, None, :, None]  # noqa: E731
    x = nn.Conv(self.channels[0], (3, 3), use_bias=False, name="stem")(x)
    x = keep(nn.relu(_masked_bn(x, mask, "stem_bn", train)))
    for i, c in enumerate(self.channels):
      shortcut = x
      if x.shape[-1] != c:
        shortcut = nn.Conv(c, (1, 1), use_bias=False, name=f"proj{i}")(x)
      y = nn.Conv(c, (3, 3), use_bias=False, name=f"block{i}_conv0")(x)
      y = keep(nn.relu(_masked_bn(y, mask, f"block{i}_bn0", train)))
      y = nn.Conv(c, (3, 3), use_bias=False, name=f"block{i}_conv1")(y)
      y = _masked_bn(y, mask, f"block{i}_bn1", train)
      x = keep(nn.relu(y + shortcut))
      ph, pw = POOLS[i] if i < len(POOLS) else (1, 1)
      x = max_pool(x, ph, pw)
      mask = pool_mask(mask, pw)
    return x, 1.0 - mask


FEATURES = {"lenet": LeNet, "vgg": VGG, "resnet": ResNet}


def get(name: str, channels, *, module_name: str = "features") -> nn.Module:
  if name not in FEATURES:
    raise ValueError(f"unknown features {name!r}; choose from {sorted(FEATURES)}")
  return FEATURES[name](tuple(channels), name=module_name)
