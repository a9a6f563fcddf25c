"""Prediction stages: frames float32[B, T, D] -> (logits float32[B, S, classes], paddings[B, S]).

  ctc        a Dense per frame (S = T frames); class 0 is the CTC blank.
  attention  an autoregressive LSTM decoder with additive (Bahdanau) attention over the
             frames, as the 'Attn' stage of Baek et al. 2019. S = max_length + 1 steps;
             class 0 is end-of-sequence, and the embedding has one more row, the start token.
             Training feeds the true previous symbol (teacher forcing, `labels` given);
             inference feeds its own greedy choice and pads everything after the first
             end-of-sequence. The loss is `attention_loss` (cross-entropy up to and including
             the end token).
Both keep class ids equal to charset ids, so charsets, fine-tuning and decoding are shared.
"""
from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

EOS_ID = 0  # shares the blank's id: never a real symbol


class CTCHead(nn.Module):
  """A Dense per frame; with `stride` > 1 (frames[B, T/stride, D] from a strided sequence
  stage) `stride` frames per step, kernel [D, stride, classes], cut to the T of `paddings`."""
  num_classes: int
  stride: int = 1

  @nn.compact
  def __call__(self, x, paddings, labels=None, label_paddings=None, *, train: bool):
    del labels, label_paddings, train
    if self.stride == 1:
      return nn.Dense(self.num_classes, name="head")(x), paddings
    b, t, _ = x.shape
    logits = nn.DenseGeneral((self.stride, self.num_classes), name="head")(x)
    return logits.reshape(b, t * self.stride, -1)[:, :paddings.shape[1]], paddings


class _DecoderStep(nn.Module):
  """One decoder step: (carry, input token) -> (carry, logits)."""
  num_classes: int
  hidden: int
  teacher_forcing: bool

  @nn.compact
  def __call__(self, carry, forced_token, frames, keys, frame_mask):
    lstm_state, prev_token = carry
    token = forced_token if self.teacher_forcing else prev_token
    emb = nn.Embed(self.num_classes + 1, self.hidden, name="embed")(token)
    query = nn.Dense(self.hidden, name="query")(lstm_state[1])
    energy = nn.Dense(1, name="energy")(jnp.tanh(keys + query[:, None]))[..., 0]
    energy = jnp.where(frame_mask > 0, energy, -1e9)
    weights = jax.nn.softmax(energy, axis=-1)
    context = jnp.einsum("bt,btd->bd", weights, frames)
    lstm_state, y = nn.OptimizedLSTMCell(self.hidden, name="lstm")(
        lstm_state, jnp.concatenate([emb, context], -1))
    logits = nn.Dense(self.num_classes, name="head")(jnp.concatenate([y, context], -1))
    return (lstm_state, jnp.argmax(logits, -1).astype(jnp.int32)), logits


class AttentionDecoder(nn.Module):
  num_classes: int
  max_length: int
  hidden: int = 128

  @nn.compact
  def __call__(self, frames, paddings, labels=None, label_paddings=None, *, train: bool):
    del train
    b = frames.shape[0]
    steps = self.max_length + 1
    keys = nn.Dense(self.hidden, name="keys")(frames)
    bos = jnp.full((b, 1), self.num_classes, jnp.int32)
    teacher = labels is not None
    if teacher:  # the decoder input is the start token, then the true symbols
      forced = jnp.concatenate([bos, labels[:, :steps - 1].astype(jnp.int32)], 1)
    else:
      forced = jnp.broadcast_to(bos, (b, steps))
    scan = nn.scan(_DecoderStep, variable_broadcast="params", split_rngs={"params": False},
                   in_axes=(1, nn.broadcast, nn.broadcast, nn.broadcast), out_axes=1)
    step = scan(self.num_classes, self.hidden, teacher, name="decoder")
    zeros = jnp.zeros((b, self.hidden), frames.dtype)
    carry = ((zeros, zeros), bos[:, 0])
    _, logits = step(carry, forced, frames, keys, 1.0 - paddings)
    if teacher:  # the target positions: each symbol, then the end token
      return logits, 1.0 - target_mask(label_paddings, steps)
    # Everything after the first end-of-sequence is padding.
    ended = jnp.cumsum(jnp.argmax(logits, -1) == EOS_ID, axis=1) > 0
    return logits, ended.astype(jnp.float32)


def target_mask(label_paddings, steps: int):
  """float32[B, steps]: 1 at each symbol's position and at the end token after it."""
  return jnp.pad(1.0 - label_paddings, ((0, 0), (1, 0)), constant_values=1.0)[:, :steps]


def attention_loss(logits, labels, label_paddings):
  """Per-line cross-entropy over the symbols and the end token (teacher-forced logits
  float32[B, L+1, C]; labels int32[B, L] zero-padded, so position len is already EOS)."""
  steps = logits.shape[1]
  targets = jnp.pad(labels, ((0, 0), (0, 1)))[:, :steps]
  mask = target_mask(label_paddings, steps)
  log_probs = jax.nn.log_softmax(logits, -1)
  nll = -jnp.take_along_axis(log_probs, targets[..., None], -1)[..., 0]
  return jnp.sum(nll * mask, axis=1)


def get(name: str, num_classes: int, *, max_length: int, hidden: int, stride: int = 1,
        module_name: str = "prediction") -> nn.Module:
  if name == "ctc":
    return CTCHead(num_classes, stride, name=module_name)
  if stride != 1:
    raise ValueError(f"sequence stride {stride} needs the 'ctc' prediction, not {name!r}")
  if name == "attention":
    return AttentionDecoder(num_classes, max_length, hidden, name=module_name)
  raise ValueError(f"unknown prediction {name!r}; choose from ['attention', 'ctc']")
