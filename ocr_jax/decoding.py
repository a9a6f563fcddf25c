"""CTC decoding with confidences.

The device computes per-frame argmax ids and their probabilities (jit-friendly, fixed shapes);
the host collapses repeats and drops blanks. A character's confidence is the probability of
the frame that emitted it; a line's confidence is its least confident character (or, for an
empty line, the least confident blank frame).
"""
from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from ocr_jax.charset import BLANK_ID


@dataclasses.dataclass
class Decoded:
  ids: list[int]
  char_confidences: list[float]
  confidence: float


def greedy_frames(logits, logit_paddings):
  """Device side: (best class id int32[B, T], its probability float32[B, T], lengths[B])."""
  log_probs = jax.nn.log_softmax(logits, axis=-1)
  best = jnp.argmax(log_probs, axis=-1).astype(jnp.int32)
  best_prob = jnp.exp(jnp.max(log_probs, axis=-1))
  lengths = jnp.sum(1.0 - logit_paddings, axis=-1).astype(jnp.int32)
  return best, best_prob, lengths


def collapse(best: np.ndarray, best_prob: np.ndarray, length: int) -> Decoded:
  """Host side for one line: merge repeated ids, drop blanks."""
  ids, confs = [], []
  prev = BLANK_ID
  for t in range(int(length)):
    k = int(best[t])
    if k != BLANK_ID and k != prev:
      ids.append(k)
      confs.append(float(best_prob[t]))
    elif k != BLANK_ID and k == prev and confs:
      confs[-1] = max(confs[-1], float(best_prob[t]))
    prev = k
  if confs:
    line = min(confs)
  else:
    line = float(np.min(best_prob[:max(int(length), 1)]))
  return Decoded(ids, confs, line)


def ctc_greedy_decode(best, best_prob, lengths) -> list[Decoded]:
  """Host side for a batch of device outputs from `greedy_frames`."""
  best, best_prob, lengths = map(np.asarray, (best, best_prob, lengths))
  return [collapse(best[i], best_prob[i], lengths[i]) for i in range(best.shape[0])]
