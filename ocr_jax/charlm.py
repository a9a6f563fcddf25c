"""A character n-gram language model for CTC beam search (the `lm` decoder).

The recognizer's errors on print it did not render are mostly one letter for a look-alike
(c/e, l/I/1, rn/m, 'cOmmon', 결/걸): the right letter is usually among the frame's candidates
and loses by a little. The prefix beam search (decoding.beam_search) adds `weight` times this
model's log-probability of each character given the `order - 1` characters before it, and of
the line's end, so that the reading the language makes likely wins such near ties.

Estimate: interpolated absolute discounting (Ney et al. 1994) over the training text's
characters, one paragraph a sequence with its start and end marked; n-grams of order >= 3 seen
once are pruned to keep the released file small. A character the text never shows (the
charset's rarer symbols) gets the add-one floor of the unigram level, never zero.

Host-side Python alone (no JAX): the ONNX reader uses it too. Saved as gzipped JSON beside a
released model (`LM_FILE`; `python -m ocr_jax.release --lm_only` writes it).
"""
from __future__ import annotations

import collections
import gzip
import io
import json
import math
from typing import Iterable

LM_FILE = "charlm.json.gz"
START, END = "\x02", "\x03"  # never in a charset (charset.py keeps control characters out)


class CharLM:
  """P(char | the `order - 1` characters before it). The decoder's settings travel with it:
  `weight` (of its log-probabilities in the beam search) and `trust` (the `lm` decoder keeps
  the greedy reading of a line whose characters are all at least this confident; above 1,
  every line is searched)."""

  def __init__(self, counts: list[dict[str, dict[str, int]]], vocab_size: int,
               discount: float = 0.75, weight: float = 0.2, trust: float = 0.5):
    self.counts, self.order = counts, len(counts)
    self.vocab_size, self.discount, self.weight, self.trust = vocab_size, discount, weight, trust
    # Per context: (its total count, how many distinct characters follow it).
    self._totals = [{h: (sum(c.values()), len(c)) for h, c in level.items()} for level in counts]
    self._cache: dict[tuple, float] = {}  # log P per (id_to_char, last order - 1 ids, id)

  @classmethod
  def build(cls, texts: Iterable[str], order: int = 5, min_count: int = 2, vocab_size: int = 0,
            **kwargs) -> CharLM:
    """Counts the n-grams of `texts` (one paragraph each); those of order >= 3 seen fewer than
    `min_count` times are dropped. `vocab_size`: the charset's size (the unigram floor)."""
    if order < 1:
      raise ValueError(f"order must be >= 1, not {order}")
    pad = START * (order - 1)
    texts = [pad + text + END for text in texts]
    counts = []
    for n in range(order):  # n: the context's length
      grams = collections.Counter()
      for text in texts:
        grams.update(text[i - n:i + 1] for i in range(order - 1, len(text)))
      level, keep = {}, (1 if n < 2 else min_count)
      for gram, k in grams.items():
        if k >= keep:
          level.setdefault(gram[:-1], {})[gram[-1]] = k
      counts.append(level)
    # Every symbol and the end mark share the unigram's add-one floor.
    vocab_size = max(vocab_size + 1, len(counts[0].get("", {})))
    return cls(counts, vocab_size, **kwargs)

  @classmethod
  def load(cls, path: str, **kwargs) -> CharLM:
    with gzip.open(path, "rt", encoding="utf-8") as f:
      d = json.load(f)
    if d.get("format") != "ocr_jax.charlm/1":
      raise ValueError(f"{path}: not a character language model of ocr_jax")
    options = {k: d[k] for k in ("discount", "weight", "trust") if k in d}
    options.update(kwargs)
    return cls(d["counts"], d["vocab_size"], **options)

  def save(self, path: str) -> None:
    """Byte for byte the same file for the same counts (no time or name in the gzip header:
    a re-release leaves git nothing to store)."""
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", compresslevel=9,
                                                fileobj=raw, mtime=0) as gz, \
        io.TextIOWrapper(gz, encoding="utf-8") as f:
      json.dump({"format": "ocr_jax.charlm/1", "vocab_size": self.vocab_size,
                 "discount": self.discount, "weight": self.weight, "trust": self.trust,
                 "counts": self.counts}, f, ensure_ascii=False, separators=(",", ":"))

  def prob(self, history: str, char: str) -> float:
    """P(char | history), history the (up to) `order - 1` characters before, START-padded."""
    unigram, (total, _) = self.counts[0].get("", {}), self._totals[0].get("", (0, 0))
    p = (unigram.get(char, 0) + 1) / (total + self.vocab_size)
    for n in range(1, self.order):
      h = history[len(history) - n:]
      stats = self._totals[n].get(h) if len(history) >= n else None
      if stats is None:
        break
      total, distinct = stats
      seen = self.counts[n][h].get(char, 0)
      p = max(seen - self.discount, 0) / total + self.discount * distinct / total * p
    return p

  def log_prob(self, text: str) -> float:
    """log P(text, then its end)."""
    text = START * (self.order - 1) + text + END
    return sum(math.log(self.prob(text[i - self.order + 1:i], text[i]))
               for i in range(self.order - 1, len(text)))

  # The beam search's scorer interface (decoding.beam_search): a prefix is a tuple of class
  # ids, `id_to_char` their symbols. log P is cached: the search asks the same few thousand
  # questions hundreds of thousands of times a page.
  def _log_prob(self, prefix, k, id_to_char) -> float:
    need = self.order - 1
    key = (id_to_char, prefix[max(0, len(prefix) - need):] if need else (), k)
    lp = self._cache.get(key)
    if lp is None:
      history = "".join(id_to_char(i) for i in key[1])
      history = (START * need + history)[len(history):] if need else ""
      lp = math.log(self.prob(history, END if k is None else id_to_char(k)))
      if len(self._cache) > 1_000_000:
        self._cache.clear()
      self._cache[key] = lp
    return lp

  def extend(self, prefix, k: int, id_to_char) -> float:
    return self.weight * self._log_prob(prefix, k, id_to_char)

  def finish(self, prefix, id_to_char) -> float:
    return self.weight * self._log_prob(prefix, None, id_to_char)
