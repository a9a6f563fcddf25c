"""Feature extractors: line image float32[B, 32, W, 1] -> feature map float32[B, h, W/4, C]
(W/2 with `width_reduction=2`).

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

Reading and training compute the same functions in two forms, each the faster one for XLA on
CPU (VGG 16-32-96-128, 32 lines of 512 px, one device of 2 cores): reading runs the first
layer as `InputConv` (a sum of shifted copies of the image, one per kernel tap, fused into one
loop) and pools with maxima of strided slices, 68 ms against 105 ms for nn.Conv and a
reshape-max pool (XLA convolves a single input channel at a few GFLOP/s, and does not fuse a
reshape-max with the loop before it); training keeps nn.Conv and the reshape-max, whose
gradients XLA computes faster (338 ms against 377 ms). Both create the same parameters.
"""
from __future__ import annotations

import functools
from typing import Sequence

import flax.linen as nn
import jax.numpy as jnp

# (height, width) pooling after each block: height 32 -> 2, width / 4.
POOLS = ((2, 2), (2, 2), (2, 1), (2, 1))
WIDTH_REDUCTION = 4  # the default; `config.model.features.width_reduction: 2` pools the
# width once only: twice the frames for symbols that crowd one column (a piano staff's chord
# is up to 7 tokens at one note head's x, under two frames at 4), ~1.7x the VGG's work.
_POOLS = {4: POOLS, 2: ((2, 2), (2, 1), (2, 1), (2, 1))}


def pools(width_reduction: int = WIDTH_REDUCTION) -> tuple:
  """(height, width) pooling of each block for a width reduction of 4 or 2."""
  if width_reduction not in _POOLS:
    raise ValueError(f"width_reduction must be one of {sorted(_POOLS)}, not "
                     f"{width_reduction!r}")
  return _POOLS[width_reduction]


def max_pool(x, ph: int, pw: int, *, train: bool):
  """Non-overlapping `ph` x `pw` max-pool; odd trailing rows/columns are dropped like VALID
  pooling. Training: a reshape-max (trains ~30 % faster than nn.max_pool on CPU); reading:
  maxima of strided slices (see the module doc)."""
  b, h, w, c = x.shape
  x = x[:, :h // ph * ph, :w // pw * pw]
  if train:
    return x.reshape(b, h // ph, ph, w // pw, pw, c).max(axis=(2, 4))
  x = functools.reduce(jnp.maximum, [x[:, i::ph] for i in range(ph)])
  return functools.reduce(jnp.maximum, [x[:, :, j::pw] for j in range(pw)])


class InputConv(nn.Module):
  """nn.Conv(features, kernel_size, padding='SAME') of a one-channel image, with the same
  parameters (names, shapes, initialisers), computed as the sum over kernel taps of the
  shifted image times the tap's weights: XLA fuses that into one elementwise loop, ~14x
  faster on CPU than its convolution of a single input channel (but slower to
  differentiate)."""
  features: int
  kernel_size: tuple[int, int] = (3, 3)
  use_bias: bool = True

  @nn.compact
  def __call__(self, x):
    kh, kw = self.kernel_size
    if x.shape[-1] != 1 or kh % 2 == 0 or kw % 2 == 0:
      raise ValueError(f"InputConv takes one channel and odd kernels, got {x.shape[-1]} "
                       f"channels, kernel {self.kernel_size}")
    kernel = self.param("kernel", nn.initializers.lecun_normal(),
                        (kh, kw, 1, self.features))
    _, h, w, _ = x.shape
    x = jnp.pad(x, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    y = sum(x[:, i:i + h, j:j + w] * kernel[i, j, 0] for i in range(kh) for j in range(kw))
    if self.use_bias:
      y = y + self.param("bias", nn.initializers.zeros_init(), (self.features,))
    return y


def conv(x, features: int, kernel_size=(3, 3), *, use_bias: bool = True, train: bool,
         name: str):
  """A SAME convolution: InputConv when reading a one-channel input, nn.Conv otherwise."""
  if x.shape[-1] == 1 and not train:
    return InputConv(features, tuple(kernel_size), use_bias, name=name)(x)
  return nn.Conv(features, kernel_size, use_bias=use_bias, name=name)(x)


def pool_mask(mask, pw: int):
  """A column mask [B, W] (1 = real) after pooling the width by `pw`."""
  b, w = mask.shape
  return mask[:, :w // pw * pw].reshape(b, w // pw, pw).max(-1)


def _masked_bn(x, mask, name: str, train: bool):
  """BatchNorm whose batch statistics count only the real columns. Reading uses the running
  statistics, where the mask changes nothing, so it is left out there (a graph without it
  exports to ONNX)."""
  bn = nn.BatchNorm(use_running_average=not train, momentum=0.9, name=name)
  if not train:
    return bn(x)
  return bn(x, mask=jnp.broadcast_to(mask[:, None, :, None] > 0, x.shape))


class VGG(nn.Module):
  channels: Sequence[int] = (32, 64, 128, 128)
  width_reduction: int = WIDTH_REDUCTION

  @nn.compact
  def __call__(self, x, paddings, *, train: bool):
    mask = 1.0 - paddings
    block_pools = pools(self.width_reduction)
    for i, c in enumerate(self.channels):
      ph, pw = block_pools[i] if i < len(block_pools) else (1, 1)
      x = conv(x, c, use_bias=False, train=train, name=f"conv{i}")
      x = nn.relu(_masked_bn(x, mask, f"bn{i}", train)) * mask[:, None, :, None]
      x = max_pool(x, ph, pw, train=train)
      mask = pool_mask(mask, pw)
    return x, 1.0 - mask


class LeNet(nn.Module):
  """Two conv5x5 + ReLU + 2x2 pool blocks; channels beyond the second are ignored."""
  channels: Sequence[int] = (20, 50)
  width_reduction: int = WIDTH_REDUCTION  # 4 only

  @nn.compact
  def __call__(self, x, paddings, *, train: bool):
    if self.width_reduction != 4:
      raise ValueError("lenet features reduce the width by 4 only")
    mask = 1.0 - paddings
    for i, c in enumerate(self.channels[:2]):
      x = nn.relu(conv(x, c, (5, 5), train=train, name=f"conv{i}")) * mask[:, None, :, None]
      x = max_pool(x, 2, 2, train=train)
      mask = pool_mask(mask, 2)
    return x, 1.0 - mask


class ResNet(nn.Module):
  channels: Sequence[int] = (32, 64, 128, 128)
  width_reduction: int = WIDTH_REDUCTION

  @nn.compact
  def __call__(self, x, paddings, *, train: bool):
    mask = 1.0 - paddings
    keep = lambda y: y * mask[:, None, :, None]  # noqa: E731
    x = conv(x, self.channels[0], use_bias=False, train=train, name="stem")
    x = keep(nn.relu(_masked_bn(x, mask, "stem_bn", train)))
    block_pools = pools(self.width_reduction)
    for i, c in enumerate(self.channels):
      shortcut = x
      if x.shape[-1] != c:
        shortcut = nn.Conv(c, (1, 1), use_bias=False, name=f"proj{i}")(x)
      y = nn.Conv(c, (3, 3), use_bias=False, name=f"block{i}_conv0")(x)
      y = keep(nn.relu(_masked_bn(y, mask, f"block{i}_bn0", train)))
      y = nn.Conv(c, (3, 3), use_bias=False, name=f"block{i}_conv1")(y)
      y = _masked_bn(y, mask, f"block{i}_bn1", train)
      x = keep(nn.relu(y + shortcut))
      ph, pw = block_pools[i] if i < len(block_pools) else (1, 1)
      x = max_pool(x, ph, pw, train=train)
      mask = pool_mask(mask, pw)
    return x, 1.0 - mask


FEATURES = {"lenet": LeNet, "vgg": VGG, "resnet": ResNet}


def get(name: str, channels, *, width_reduction: int = WIDTH_REDUCTION,
        module_name: str = "features") -> nn.Module:
  if name not in FEATURES:
    raise ValueError(f"unknown features {name!r}; choose from {sorted(FEATURES)}")
  return FEATURES[name](tuple(channels), width_reduction, name=module_name)
