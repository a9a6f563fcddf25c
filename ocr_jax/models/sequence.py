"""Sequence stages: a feature map float32[B, h, T, C] -> frames float32[B, T, hidden].

Every stage first collapses the height (reshape h*C, then a Dense to `hidden`), then:
  none         nothing more: each frame sees only its conv receptive field.
  bilstm       `num_layers` bidirectional LSTMs that stop at each line's real length.
  transformer  `num_layers` pre-LayerNorm encoder layers (sinusoidal positions, self-attention
               masked to the real frames, a 2x MLP), `num_heads` heads.
  conv         `num_layers` residual temporal convolutions (LayerNorm, a width-`kernel_size`
               convolution over frames, ReLU), padded frames zeroed before each: context of
               num_layers * (kernel_size - 1) / 2 frames each side, no time loop and no
               positions, so any line length and every core's full width.

`stride` > 1 makes every stage step over groups of `stride` adjacent frames (their features
concatenated before the collapse): T/stride steps, a recurrence's cost divided by `stride`.
The CTC head then writes `stride` frames per step (prediction.CTCHead), so the output keeps
T frames and the labels their room.
"""
from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp
import numpy as np

from ocr_jax.models import features as features_lib


def sinusoidal_positions(length: int, dim: int) -> np.ndarray:
  """float32[length, dim] fixed position encodings (Vaswani et al. 2017)."""
  pos = np.arange(length)[:, None]
  i = np.arange(dim // 2)[None, :]
  angle = pos / np.power(10000.0, 2 * i / dim)
  enc = np.zeros((length, dim), np.float32)
  enc[:, 0::2], enc[:, 1::2] = np.sin(angle), np.cos(angle[:, :(dim - dim // 2)])
  return enc


class SelfAttention(nn.Module):
  """Multi-head self-attention as flax's, with no key bias: a key bias adds the same amount to
  every logit of a query, so softmax cancels it and its gradient is zero up to rounding, which
  Adam would amplify into updates of noise (and 4-device and 1-device runs would disagree)."""
  num_heads: int

  @nn.compact
  def __call__(self, x, mask):
    dim = x.shape[-1]
    if dim % self.num_heads:
      raise ValueError(f"sequence.hidden={dim} is not divisible by num_heads={self.num_heads}")
    heads = (self.num_heads, dim // self.num_heads)
    q = nn.DenseGeneral(heads, name="query")(x)
    k = nn.DenseGeneral(heads, use_bias=False, name="key")(x)
    v = nn.DenseGeneral(heads, name="value")(x)
    y = nn.dot_product_attention(q, k, v, mask=mask)
    return nn.DenseGeneral(dim, axis=(-2, -1), name="out")(y)


class EncoderLayer(nn.Module):
  num_heads: int
  dropout: float = 0.0

  @nn.compact
  def __call__(self, x, mask, *, train: bool):
    dim = x.shape[-1]
    attn_mask = nn.make_attention_mask(mask > 0, mask > 0)
    y = nn.LayerNorm(name="ln0")(x)
    y = SelfAttention(self.num_heads, name="attention")(y, attn_mask)
    x = x + nn.Dropout(self.dropout, deterministic=not train)(y)
    y = nn.LayerNorm(name="ln1")(x)
    y = nn.Dense(2 * dim, name="mlp0")(y)
    y = nn.Dense(dim, name="mlp1")(nn.gelu(y))
    x = x + nn.Dropout(self.dropout, deterministic=not train)(y)
    return x * mask[..., None]


class Sequence(nn.Module):
  kind: str = "bilstm"
  hidden: int = 128
  num_layers: int = 1
  num_heads: int = 4
  dropout: float = 0.0
  kernel_size: int = 5
  stride: int = 1

  @nn.compact
  def __call__(self, x, paddings, *, train: bool):
    b, h, w, c = x.shape
    x = x.transpose(0, 2, 1, 3).reshape(b, w, h * c)
    mask = 1.0 - paddings
    if self.stride > 1:  # padded frames are zero, so a group's padding adds nothing
      s = self.stride
      extra = -w % s
      x = jnp.pad(x, ((0, 0), (0, extra), (0, 0))).reshape(b, (w + extra) // s, s * h * c)
      mask = features_lib.pool_mask(jnp.pad(mask, ((0, 0), (0, extra))), s)
      w = x.shape[1]
    x = nn.Dense(self.hidden, name="collapse")(x)
    if self.kind == "bilstm":
      lengths = jnp.sum(mask, axis=1).astype(jnp.int32)
      for i in range(self.num_layers):
        x = nn.Bidirectional(nn.RNN(nn.OptimizedLSTMCell(self.hidden), name=f"forward{i}"),
                             nn.RNN(nn.OptimizedLSTMCell(self.hidden), name=f"backward{i}"),
                             name=f"bilstm{i}")(x, seq_lengths=lengths)
    elif self.kind == "transformer":
      x = (x + sinusoidal_positions(w, self.hidden)[None]) * mask[..., None]
      for i in range(self.num_layers):
        x = EncoderLayer(self.num_heads, self.dropout, name=f"encoder{i}")(x, mask,
                                                                          train=train)
      x = nn.LayerNorm(name="ln_out")(x)
    elif self.kind == "conv":
      x = x * mask[..., None]
      for i in range(self.num_layers):
        y = nn.LayerNorm(name=f"ln{i}")(x) * mask[..., None]
        y = nn.Conv(self.hidden, (self.kernel_size,), name=f"conv{i}")(y)
        x = (x + nn.relu(y)) * mask[..., None]
    elif self.kind != "none":
      raise ValueError(f"unknown sequence model {self.kind!r}; "
                       f"choose from ['bilstm', 'conv', 'none', 'transformer']")
    return x
