"""Greedy decoding with confidences, for CTC frames and attention-decoder steps.

The device computes per-step argmax ids and their probabilities (jit-friendly, fixed shapes);
the host turns them into symbols: for CTC it collapses repeats and drops blanks, for an
attention decoder it reads up to the end token (id 0). A character's confidence is the
probability of the step that emitted it; a line's confidence is its least confident character
(or, for an empty line, the least confident blank / end step).

Only `greedy_frames` runs on the device; it imports JAX when called, so the host side
(collapse, beam search, word lists) also serves readers without JAX (onnx_reader.py).
"""
from __future__ import annotations

import dataclasses
import math
import os

import numpy as np

from ocr_jax.charset import BLANK_ID


@dataclasses.dataclass
class Decoded:
  ids: list[int]
  char_confidences: list[float]
  confidence: float


def greedy_frames(logits, logit_paddings):
  """Device side: (best class id int32[B, T], its probability float32[B, T], lengths[B])."""
  import jax  # pylint: disable=g-import-not-at-top
  import jax.numpy as jnp  # pylint: disable=g-import-not-at-top
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


# ------------------------------------------------------------------------------------------
# CTC prefix beam search, optionally rescored by a scorer: a word list, or a music prior
# (`omr/prior.py`). A scorer has `extend(prefix, k, id_to_char)`, the log-score added when
# class k is appended to the prefix (a tuple of class ids), and `finish(prefix, id_to_char)`,
# the log-score added when the line ends there.
# ------------------------------------------------------------------------------------------
def _logsumexp(a: float, b: float) -> float:
  if a == -np.inf:
    return b
  if b == -np.inf:
    return a
  m = max(a, b)
  return m + math.log1p(math.exp(-abs(a - b)))


@dataclasses.dataclass
class Lexicon:
  """A word list for beam search. A word is a maximal run of letters (and inner apostrophes);
  a completed word found in the list (case-insensitively) adds `bonus` to its beam's log score,
  one not found adds `-penalty`; digits and punctuation are never scored."""
  words: frozenset
  bonus: float = 1.0
  penalty: float = 2.0

  @classmethod
  def from_file(cls, path: str, **kwargs) -> Lexicon:
    with open(path, encoding="utf-8") as f:
      return cls(frozenset(w.strip().lower() for w in f if w.strip()), **kwargs)

  def score(self, word: str) -> float:
    if not word:
      return 0.0
    return self.bonus if word.lower() in self.words else -self.penalty

  def knows_all(self, text: str) -> bool:
    """Whether every word of `text` (as `extend` delimits them) is in the list."""
    end = len(text)
    while end > 0:
      start = _word_start(text, end)
      if self.score(text[start:end].strip("'")) < 0:
        return False
      end = start - 1 if start < end else end - 1  # past the word, or past one other char
    return True

  def extend(self, prefix, k: int, id_to_char) -> float:
    if _in_word(id_to_char(k)):
      return 0.0
    return self.score(_last_word(prefix, id_to_char))

  def finish(self, prefix, id_to_char) -> float:
    return self.score(_last_word(prefix, id_to_char))


def _in_word(ch: str) -> bool:
  """Words are maximal runs of letters and apostrophes (apostrophes at the edges dropped)."""
  return ch.isalpha() or ch == "'"


def _word_start(text: str, end: int | None = None) -> int:
  """Where the run of word characters that ends at text[end - 1] starts (`end`, default
  len(text), if there is none)."""
  i = len(text) if end is None else end
  while i > 0 and _in_word(text[i - 1]):
    i -= 1
  return i


def _last_word(prefix, id_to_char) -> str:
  """The run of letters/apostrophes at the end of the decoded `prefix` (stripped of
  apostrophes at its edges), decoding only as far back as the run goes."""
  parts = []
  for k in reversed(prefix):
    symbol = id_to_char(k)
    i = _word_start(symbol)
    parts.append(symbol[i:])
    if i:
      break
  return "".join(reversed(parts)).strip("'")


def beam_search(log_probs: np.ndarray, length: int, id_to_char, *, beam_width: int = 8,
                scorer=None, prune: float = 1e-3) -> Decoded:
  """CTC prefix beam search over one line's log-probabilities float[T, C] (class 0 = blank).

  Keeps `beam_width` prefixes with their blank-ending and non-blank-ending log probabilities;
  only classes with probability >= `prune` in a frame are expanded. A `scorer` (a Lexicon, a
  music prior) adds its log-score to every extension and at the end. A character's confidence is
  its highest frame probability among the frames the best path assigns to it; the line's is
  its least confident character."""
  log_probs = np.asarray(log_probs)[:int(length)]
  T, C = log_probs.shape
  # prefix -> [log p ending in blank, log p ending in non-blank, scorer's sum, char confs]
  beams = {(): [0.0, -np.inf, 0.0, ()]}
  # Per frame, the classes to expand, found for all frames at once (Python floats and ints
  # from here on: the loop below is scalar work). One pass over the [T, C] array (a Korean
  # line has 2,564 classes a frame); only the kept entries become Python floats.
  keep = log_probs >= np.float64(np.log(prune))
  empty = np.flatnonzero(~keep.any(axis=1))
  keep[empty, np.argmax(log_probs[empty], axis=1)] = True  # else the best one
  flat = np.flatnonzero(keep)
  frames, classes = np.divmod(flat, C)
  bounds = np.searchsorted(frames, np.arange(T + 1)).tolist()
  values = log_probs.reshape(-1)[flat].astype(np.float64).tolist()
  classes = classes.tolist()
  for t in range(T):
    candidates = classes[bounds[t]:bounds[t + 1]]
    lps = values[bounds[t]:bounds[t + 1]]
    if len(candidates) == 1 and candidates[0] == BLANK_ID:
      # Only a blank is possible (most frames between characters): every prefix is kept,
      # now ending in a blank, and all scores move by the same amount, so the beams keep
      # their ranked order. Same result as the general step below, faster.
      p = lps[0]
      beams = {prefix: [_logsumexp(pb, pnb) + p, -np.inf, lex, confs]
               for prefix, (pb, pnb, lex, confs) in beams.items()}
      continue
    nxt: dict = {}

    def entry(prefix, lex, confs):
      e = nxt.get(prefix)
      if e is None:
        e = nxt[prefix] = [-np.inf, -np.inf, lex, confs]
      return e

    for prefix, (pb, pnb, lex, confs) in beams.items():
      total = _logsumexp(pb, pnb)
      for k, p in zip(candidates, lps):
        if k == BLANK_ID:
          e = entry(prefix, lex, confs)
          e[0] = _logsumexp(e[0], total + p)
          continue
        last = prefix[-1] if prefix else None
        new = prefix + (k,)
        new_lex = lex
        if scorer is not None:
          new_lex = lex + scorer.extend(prefix, k, id_to_char)
        prob = math.exp(p)
        if k == last:
          # Repeat: staying on the same character extends the prefix unchanged; a new copy
          # of it needs a blank in between.
          e = entry(prefix, lex, confs)
          e[1] = _logsumexp(e[1], pnb + p)
          if confs and prob > confs[-1]:
            e[3] = confs[:-1] + (prob,)
          e2 = entry(new, new_lex, confs + (prob,))
          e2[1] = _logsumexp(e2[1], pb + p)
        else:
          e2 = entry(new, new_lex, confs + (prob,))
          e2[1] = _logsumexp(e2[1], total + p)
    ranked = sorted(nxt.items(), key=lambda kv: -(_logsumexp(kv[1][0], kv[1][1]) + kv[1][2]))
    beams = dict(ranked[:beam_width])

  def final(item):
    prefix, (pb, pnb, lex, _) = item
    if scorer is not None:
      lex += scorer.finish(prefix, id_to_char)
    return _logsumexp(pb, pnb) + lex

  prefix, (_, _, _, confs) = max(beams.items(), key=final)
  confs = [float(c) for c in confs]
  if confs:
    line = min(confs)
  else:
    line = float(np.exp(np.float64(log_probs[:, BLANK_ID].min()))) if T else 1.0
  return Decoded(list(prefix), confs, line)


# The `lm` decoder keeps the greedy reading of a line whose characters are all as confident as
# its language model's `trust` says (release.LM_SETTINGS), and beam-searches the others
# expanding only the classes of probability >= LM_PRUNE in a frame: on the development sets
# a prune of 1 % reads as 0.1 % does (within 0.05 points) in half the time.
LM_PRUNE = 1e-2


def decode_log_probs(log_probs, lengths, charset, decoder: str = "greedy", *,
                     beam_width: int = 8, scorer=None, words_trust: float = 0.5) -> list[Decoded]:
  """Host side for CTC log-probabilities float[B, T, C] and frame counts [B], shared by the
  JAX and the ONNX readers. 'greedy' collapses each line's best frames; 'beam', 'lm' and
  'music' run the prefix beam search (with `scorer`: a character language model, a music
  prior; 'lm' keeps the greedy reading of lines the model's `trust` allows); 'words' keeps
  the greedy reading of a line whose characters are all `words_trust` confident and whose
  words are all in the list (`scorer`), and beam-searches the others."""
  log_probs, lengths = np.asarray(log_probs), np.asarray(lengths)
  greedy = [None] * len(log_probs)
  if decoder in ("greedy", "words", "lm"):
    greedy = []
    for lp, n in zip(log_probs, lengths):
      rows = lp[:max(int(n), 1)]  # the frames past the line's end are not read
      best = rows.argmax(-1)
      greedy.append(collapse(best, np.exp(rows[np.arange(len(best)), best]), n))
  if decoder == "greedy":
    return greedy

  def trusted(g: Decoded) -> bool:
    if decoder == "lm":
      return g.confidence >= scorer.trust
    return (decoder == "words" and g.confidence >= words_trust and
            scorer.knows_all(charset.decode(g.ids)))

  prune = LM_PRUNE if decoder == "lm" else 1e-3
  return [g if g is not None and trusted(g) else
          beam_search(log_probs[i], lengths[i], charset.decode_one, beam_width=beam_width,
                      scorer=scorer, prune=prune)
          for i, g in enumerate(greedy)]


WORDS_FILE = "words.txt"  # beside a released English model: the `words` decoder's list


def decoder_files(decoder: str, model_dir: str, words: str | None = None) -> dict:
  """The recognizer options that a decoder loads from beside a model (a workdir, a released
  model's folder, or an .onnx file's folder): 'words' -> `lexicon` (MODEL/words.txt, or the
  list `words`), 'lm' -> `language_model` (MODEL/charlm.json.gz); {} for the others. Raises
  OSError naming the missing file."""
  if decoder == "words":
    return {"lexicon": Lexicon.from_file(words or os.path.join(model_dir, WORDS_FILE))}
  if decoder == "lm":
    from ocr_jax import charlm  # pylint: disable=g-import-not-at-top
    path = os.path.join(model_dir, charlm.LM_FILE)
    if not os.path.exists(path):
      raise FileNotFoundError(f"no character language model at {path} (python -m "
                              "ocr_jax.release --lm_only writes one)")
    return {"language_model": charlm.CharLM.load(path)}
  return {}
