"""Greedy decoding with confidences, for CTC frames and attention-decoder steps.

The device computes per-step argmax ids and their probabilities (jit-friendly, fixed shapes);
the host turns them into symbols: for CTC it collapses repeats and drops blanks, for an
attention decoder it reads up to the end token (id 0). A character's confidence is the
probability of the step that emitted it; a line's confidence is its least confident character
(or, for an empty line, the least confident blank / end step).
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


def until_end(best: np.ndarray, best_prob: np.ndarray, length: int) -> Decoded:
  """Host side for one attention-decoded line: the symbols before the first end token."""
  ids, confs = [], []
  for t in range(int(length)):
    if int(best[t]) == BLANK_ID:
      break
    ids.append(int(best[t]))
    confs.append(float(best_prob[t]))
  line = min(confs) if confs else float(best_prob[min(int(length), len(best_prob) - 1)])
  return Decoded(ids, confs, line)


def greedy_decode(best, best_prob, lengths, *, ctc: bool = True) -> list[Decoded]:
  """Host side for a batch of device outputs from `greedy_frames`."""
  best, best_prob, lengths = map(np.asarray, (best, best_prob, lengths))
  one = collapse if ctc else until_end
  return [one(best[i], best_prob[i], lengths[i]) for i in range(best.shape[0])]
