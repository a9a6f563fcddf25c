"""Parsed tokens -> timed note events (in quarter notes, exact fractions).

Choices (PrIMuS is silent on performance):
- Pitches are sounding pitches already; clefs and key signatures do not change them.
- A `tie` joins the note before it to the next note of the same pitch (barlines, clefs and
  meter changes may stand between): one longer note, no new onset. A tie with no such next
  note is ignored.
- `multirest-N` lasts N bars of the current meter (C = 4/4, C/ = 2/2; 4/4 before any meter).
- A fermata keeps the notated timing (onsets stay on the written grid) and is flagged.
- Grace notes take no notated time: they sound on the beat as 32nd notes (1/8 quarter each,
  at most half of the main note together), delaying the main note, which is shortened by the
  same amount so the following onsets do not move.
- `resync_bars=True` (what `ocr-jax omr` writes; off for reference tokens) keeps the bars on
  the meter's grid: at a barline, a bar that does not fill its meter is lengthened or
  shortened to the nearest whole number of bars (at least one), so one misread duration
  moves the notes of its own bar, not those of the rest of the piece. Exempt: the first bar
  after a time signature (a pickup), bars holding a multirest, and the last bar (no barline
  follows). On tokens whose bars fill their meter it changes nothing. The grid is trusted
  only when most checked bars as read fill it: when they do not, the time signature itself
  was probably misread, and the bars are timed as read.
"""
from __future__ import annotations

import dataclasses
from fractions import Fraction

from ocr_jax.omr import tokens as tk

GRACE_LENGTH = Fraction(1, 8)


@dataclasses.dataclass
class NoteEvent:
  pitch: int
  onset: Fraction  # quarter notes from the start
  duration: Fraction
  grace: bool = False
  fermata: bool = False


@dataclasses.dataclass
class Score:
  notes: list[NoteEvent]
  length: Fraction
  time_signatures: list[tuple[Fraction, tk.Time]]
  key_signatures: list[tuple[Fraction, str]]
  clefs: list[tuple[Fraction, str]]
  bars_checked: int = 0  # bars that end at a barline, not the first after a time signature
  bars_off_meter: int = 0  # of those, as read, not filling their meter (no multirest)


def to_score(objects, resync_bars: bool = False) -> Score:
  """Timed notes of parsed tokens (rules in the module doc)."""
  objects = list(objects)
  as_read = _timed(objects, resync=False)
  if resync_bars and 2 * as_read.bars_off_meter < as_read.bars_checked:
    return _timed(objects, resync=True)
  return as_read


def _timed(objects, resync: bool) -> Score:
  notes: list[NoteEvent] = []
  times, keys, clefs = [], [], []
  t = Fraction(0)
  meter = tk.Time(4, 4)
  bar_start = Fraction(0)
  checked = False  # the current bar is checked by `resync_bars` (a barline since the meter)
  bars_checked = bars_off_meter = 0
  pending_graces: list[tk.Note] = []
  tie_from: NoteEvent | None = None
  last: NoteEvent | None = None
  for obj in objects:
    if isinstance(obj, tk.Note) and obj.grace:
      pending_graces.append(obj)
      continue
    if isinstance(obj, tk.Note):
      if tie_from is not None and tie_from.pitch == obj.pitch and not pending_graces:
        tie_from.duration += obj.duration
        t += obj.duration
        last, tie_from = tie_from, None
        continue
      tie_from = None
      start, length = t, obj.duration
      if pending_graces:
        each = min(GRACE_LENGTH, obj.duration / (2 * len(pending_graces)))
        for g in pending_graces:
          notes.append(NoteEvent(g.pitch, start, each, grace=True))
          start += each
        length -= each * len(pending_graces)
        pending_graces = []
      last = NoteEvent(obj.pitch, start, length, fermata=obj.fermata)
      notes.append(last)
      t += obj.duration
    elif isinstance(obj, tk.Rest):
      t += obj.duration
      tie_from = None
    elif isinstance(obj, tk.MultiRest):
      t += meter.bar_length * obj.bars
      tie_from = None
      checked = False
    elif isinstance(obj, tk.Tie):
      tie_from = last
    elif isinstance(obj, tk.Time):
      meter = obj
      times.append((t, obj))
      bar_start, checked = t, False
    elif isinstance(obj, tk.Key):
      keys.append((t, obj.name))
    elif isinstance(obj, tk.Clef):
      clefs.append((t, obj.name))
    elif isinstance(obj, tk.Barline):  # barlines carry no time, unless `resync`
      if checked:
        bars_checked += 1
        if t - bar_start != meter.bar_length:
          bars_off_meter += 1
          if resync:
            t = bar_start + max(1, round((t - bar_start) / meter.bar_length)) * meter.bar_length
      bar_start, checked = t, times != []
  for g in pending_graces:  # graces at the very end: played as short notes
    notes.append(NoteEvent(g.pitch, t, GRACE_LENGTH, grace=True))
    t += GRACE_LENGTH
  return Score(notes, t, times, keys, clefs, bars_checked, bars_off_meter)


def score_from_tokens(tokens, where: str = "", resync_bars: bool = False) -> Score:
  return to_score(tk.parse(tokens, where), resync_bars)
