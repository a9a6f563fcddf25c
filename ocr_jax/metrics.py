"""Edit-distance metrics: CER, WER, symbol error rate, exact-sequence (line) accuracy."""
from __future__ import annotations

from typing import Sequence


def edit_distance(ref: Sequence, hyp: Sequence) -> int:
  """Levenshtein distance between two sequences (characters, words or tokens)."""
  if len(ref) < len(hyp):
    ref, hyp = hyp, ref
  prev = list(range(len(hyp) + 1))
  for i, r in enumerate(ref, 1):
    cur = [i]
    for j, h in enumerate(hyp, 1):
      cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h)))
    prev = cur
  return prev[-1]


def error_rate(refs: Sequence[Sequence], hyps: Sequence[Sequence]) -> float:
  """Total edits / total reference length (micro-averaged, as CER and WER are reported)."""
  if len(refs) != len(hyps):
    raise ValueError(f"{len(refs)} references but {len(hyps)} hypotheses")
  edits = sum(edit_distance(r, h) for r, h in zip(refs, hyps))
  total = sum(len(r) for r in refs)
  return edits / max(total, 1)


def cer(refs: Sequence[str], hyps: Sequence[str]) -> float:
  return error_rate(refs, hyps)


def wer(refs: Sequence[str], hyps: Sequence[str]) -> float:
  return error_rate([r.split() for r in refs], [h.split() for h in hyps])


def sequence_accuracy(refs: Sequence, hyps: Sequence) -> float:
  return sum(r == h for r, h in zip(refs, hyps)) / max(len(refs), 1)


def text_counts(refs: Sequence[str], hyps: Sequence[str], split=None) -> dict:
  """Additive counts behind CER, WER, SER and line accuracy (summable over processes).
  `split` cuts a label into its symbols (characters by default; `Charset.split` for music
  tokens), for the symbol error rate."""
  if len(refs) != len(hyps):
    raise ValueError(f"{len(refs)} references but {len(hyps)} hypotheses")
  split = split or list
  return {"char_edits": sum(edit_distance(r, h) for r, h in zip(refs, hyps)),
          "chars": sum(len(r) for r in refs),
          "word_edits": sum(edit_distance(r.split(), h.split()) for r, h in zip(refs, hyps)),
          "words": sum(len(r.split()) for r in refs),
          "symbol_edits": sum(edit_distance(split(r), split(h)) for r, h in zip(refs, hyps)),
          "symbols": sum(len(split(r)) for r in refs),
          "exact_lines": sum(r == h for r, h in zip(refs, hyps)), "lines": len(refs)}


def metrics_from_counts(c: dict) -> dict:
  return {"cer": c["char_edits"] / max(c["chars"], 1),
          "wer": c["word_edits"] / max(c["words"], 1),
          "ser": c["symbol_edits"] / max(c["symbols"], 1),
          "line_accuracy": c["exact_lines"] / max(c["lines"], 1),
          "num_lines": int(c["lines"])}


def text_metrics(refs: Sequence[str], hyps: Sequence[str], split=None) -> dict:
  return metrics_from_counts(text_counts(refs, hyps, split))
