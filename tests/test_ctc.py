"""CTC loss on known alignments, and greedy decoding."""
import itertools

import jax.numpy as jnp
import numpy as np
import pytest

from ocr_jax import decoding
from ocr_jax import train


def _collapse(path):
  out, prev = [], 0
  for k in path:
    if k != 0 and k != prev:
      out.append(k)
    prev = k
  return out


def test_ctc_loss_matches_brute_force_sum_over_alignments():
  rng = np.random.default_rng(0)
  t, k = 5, 3
  logits = rng.normal(size=(1, t, k)).astype(np.float32)
  labels = np.array([[1, 2, 0]], np.int32)
  label_paddings = np.array([[0, 0, 1]], np.float32)
  log_probs = logits[0] - np.log(np.exp(logits[0]).sum(-1, keepdims=True))
  total = 0.0
  for path in itertools.product(range(k), repeat=t):
    if _collapse(path) == [1, 2]:
      total += np.exp(sum(log_probs[i, c] for i, c in enumerate(path)))
  loss = train.ctc_loss(jnp.asarray(logits), jnp.zeros((1, t)), jnp.asarray(labels),
                        jnp.asarray(label_paddings))
  assert float(loss[0]) == pytest.approx(-np.log(total), rel=1e-4)


def test_ctc_loss_near_zero_on_a_confident_correct_alignment():
  # Frames say: blank h h blank i (+2 padded frames that must not count).
  path = [0, 1, 1, 0, 2, 3, 3]
  logits = np.full((1, 7, 4), -20.0, np.float32)
  logits[0, np.arange(7), path] = 20.0
  paddings = np.array([[0, 0, 0, 0, 0, 1, 1]], np.float32)
  good = train.ctc_loss(logits, paddings, np.array([[1, 2]]), np.zeros((1, 2)))
  wrong = train.ctc_loss(logits, paddings, np.array([[2, 1]]), np.zeros((1, 2)))
  assert float(good[0]) < 1e-3
  assert float(wrong[0]) > 10


def test_greedy_decode_collapses_repeats_and_ignores_padding():
  path = np.array([[1, 1, 0, 1, 2, 2, 0, 3, 3]])
  logits = np.full((1, 9, 4), -5.0, np.float32)
  logits[0, np.arange(9), path[0]] = 5.0
  paddings = np.array([[0, 0, 0, 0, 0, 0, 0, 1, 1]], np.float32)  # the 3s are padding
  (d,) = decoding.greedy_decode(*decoding.greedy_frames(logits, paddings))
  assert d.ids == [1, 1, 2]
  assert len(d.char_confidences) == 3
  assert all(0.99 < c <= 1.0 for c in d.char_confidences)
  assert d.confidence == pytest.approx(min(d.char_confidences))


def test_greedy_confidence_reflects_uncertainty():
  logits = np.zeros((1, 3, 3), np.float32)
  logits[0, 1, 1] = 0.5  # barely prefers class 1 over blank and class 2
  (d,) = decoding.greedy_decode(*decoding.greedy_frames(logits, np.zeros((1, 3))))
  assert d.ids == [1]
  assert 0.3 < d.confidence < 0.6


def test_attention_decoding_stops_at_the_end_token():
  best = np.array([[3, 3, 5, 0, 4, 0]])  # repeats are kept; nothing after the first end token
  prob = np.array([[0.9, 0.8, 0.7, 0.95, 0.5, 0.6]])
  (d,) = decoding.greedy_decode(best, prob, np.array([3]), ctc=False)
  assert d.ids == [3, 3, 5] and d.char_confidences == [0.9, 0.8, 0.7] and d.confidence == 0.7
  (empty,) = decoding.greedy_decode(np.array([[0, 2]]), np.array([[0.6, 0.9]]), np.array([0]),
                                    ctc=False)
  assert empty.ids == [] and empty.confidence == 0.6  # the end token's probability


def test_beam_search_finds_the_most_probable_labelling_with_blank_only_frames():
  # With a beam wide enough to hold every prefix, CTC prefix beam search is exact: its text
  # must be the labelling of highest total probability over all alignments (brute force).
  # Every other frame is blank-only (the others' classes below the pruning threshold), which
  # takes the search's shortcut for such frames.
  chars = lambda k: "_ab"[k]  # noqa: E731
  for seed in range(5):
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.ones(3) * 0.7, size=6)
    probs[::2] = [1 - 2e-9, 1e-9, 1e-9]
    totals = {}
    for path in itertools.product(range(3), repeat=6):
      text = "".join(chars(k) for i, k in enumerate(path)
                     if k and (i == 0 or path[i - 1] != k))
      totals[text] = totals.get(text, 0.0) + np.prod(probs[np.arange(6), path])
    best = max(totals, key=totals.get)
    d = decoding.beam_search(np.log(probs), 6, chars, beam_width=64)
    assert "".join(map(chars, d.ids)) == best, seed
