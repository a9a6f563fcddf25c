"""Parsed tokens -> timed note events (in quarter notes, exact fractions).

Choices (PrIMuS is silent on performance):
- Pitches are sounding pitches already; clefs and key signatures do not change them.
- A `tie` joins the note before it to the next note of the same pitch (barlines, clefs and
  meter changes may stand between): one longer note, no new onset. A tie with no such next
  note is ignored.
- `multirest-N` lasts N bars of the current meter (C = 4/4, C/ = 2/2; 4/4 before any meter).
- `chord` (the piano extension of `omr/tokens.py`): the next note starts with the previous
  one and takes no time of its own; a tie from a chord ties its last-named note.
- `voice2` (the same extension): the next note or rest runs on the second voice's clock,
  which starts at each barline; ties join notes of one voice. Bars are as long as their
  first voice (barlines, meter checks and resync follow it alone), or as their second where
  no first-voice note or rest was read (one lost rest: a bar of none would vanish).
- A fermata keeps the notated timing (onsets stay on the written grid) and is flagged.
- A whole rest alone in a bar fills the bar, whatever the meter (engravers draw bar rests so).
- Grace notes take no notated time: they sound on the beat as 32nd notes (1/8 quarter each,
  at most half of the main note together), delaying the main note, which is shortened by the
  same amount so the following onsets do not move.
- `resync_bars=True` (what `ocr-jax omr` writes; off for reference tokens) keeps the bars on
  the meter's grid: at a barline, a bar that does not fill its meter is lengthened or
  shortened to the nearest whole number of bars (at least one), so one misread duration
  moves the notes of its own bar, not those of the rest of the piece. Exempt: the piece's
  first bar when shorter than its meter (a pickup), bars holding a multirest, and the last
  bar (no barline follows). On tokens whose bars fill their meter it changes nothing. The
  grid is trusted only when most checked bars as read fill it: when they do not, the time
  signature itself was probably misread, and the bars are timed as read. A staff with no
  time signature read takes as its grid the bar length most of its bars share. In a system
  of parts (`omr/align.py`) the count runs over every part that read the same meters, so one
  misread bar in a two-bar staff is put back by its partner's bars; and a part whose own
  bars mostly fill the grid vouches for it in the parts that read the same meters.
  Resync also keeps a second voice in the order the tokens were read: a note or rest of the
  second voice does not start before the first voice's note or rest that was read before it
  (the two voices' events are written by onset), so a second-voice rest the recognizer lost
  delays the notes after it as the rest would have.
"""
from __future__ import annotations

import collections
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
  name: str = ""  # the spelling read, e.g. 'F#4' (MusicXML keeps it)
  voice: int = 1  # 2: the staff's second voice (`voice2`)


@dataclasses.dataclass
class Score:
  notes: list[NoteEvent]
  length: Fraction
  time_signatures: list[tuple[Fraction, tk.Time]]
  key_signatures: list[tuple[Fraction, str]]
  clefs: list[tuple[Fraction, str]]
  bars_checked: int = 0  # bars that end at a barline, not the first after a time signature
  bars_off_meter: int = 0  # of those, as read, not filling their meter (no multirest)
  barlines: list[Fraction] = dataclasses.field(default_factory=list)  # times, as timed
  breaks: list[Fraction] = dataclasses.field(default_factory=list)  # times of `to_score`'s
  # `breaks` (object indices: where the staves of a part's later systems begin)
  bars_off: list[int] = dataclasses.field(default_factory=list)  # the bars_off_meter and
  # the bars whose second voice does not fill them, by number (1 = before the first barline)


def to_score(objects, resync_bars: bool = False, breaks=()) -> Score:
  """Timed notes of parsed tokens (rules in the module doc); `breaks`: object indices whose
  times are reported in `Score.breaks`."""
  objects = list(objects)
  as_read = timed(objects, resync=False, breaks=breaks)
  if resync_bars and 2 * as_read.bars_off_meter < as_read.bars_checked:
    return timed(objects, resync=True, breaks=breaks)
  return as_read


def _assumed_meter(objects) -> tk.Time | None:
  """For a staff with no time signature read: the meter of the bar length that most of its
  bars (between two barlines) share, when at least two do; else None."""
  if any(isinstance(obj, tk.Time) for obj in objects):
    return None
  barlines = timed(objects, False, infer=False).barlines
  lengths = [b - a for a, b in zip(barlines, barlines[1:])]
  if not lengths:
    return None
  length = max(set(lengths), key=lengths.count)
  if lengths.count(length) < 2 or 2 * lengths.count(length) <= len(lengths):
    return None
  for unit in (4, 8, 16):
    count = length * unit / 4
    if count.denominator == 1 and count > 0:
      return tk.Time(int(count), unit)
  return None


def timed(objects, resync: bool, breaks=(), infer: bool = True) -> Score:
  """Timed notes of parsed tokens with resync on or off as asked (`to_score` decides it from
  the staff's own bars; `omr/align.py` from a system's)."""
  notes: list[NoteEvent] = []
  times, keys, clefs = [], [], []
  t = Fraction(0)
  # No time signature read: the grid of the bar length most bars share (checks and resync
  # only; no time signature is reported).
  assumed = _assumed_meter(objects) if infer else None
  meter = assumed or tk.Time(4, 4)
  bar_start = Fraction(0)
  checked = False  # the current bar is checked by `resync_bars` (a barline since the meter)
  pickup = assumed is not None  # the current bar is the first after a time signature
  # (no multirest)
  bars_checked = bars_off_meter = 0
  pending_graces: dict[int, list[tk.Note]] = {1: [], 2: []}  # by voice
  tie_from: dict[int, NoteEvent | None] = {1: None, 2: None}
  last: NoteEvent | None = None
  last_voice = 1
  # A staff read empty starts its system where the next one starts: one time per break.
  barlines, break_times, bars_off = [], [], []
  n_breaks, breaks = len(breaks), collections.Counter(breaks)
  in_chord = False
  voice = 1  # of the next note or rest (`voice2` marks the second)
  t2 = None  # the second voice's clock in this bar (None: it has not started)
  alone = None  # a bar's only note or rest so far; False once it holds two
  v1_onset = Fraction(0)  # of the first voice's last note or rest (or its bar's start)
  for i, obj in enumerate(objects):
    break_times += [t] * breaks[i]
    if isinstance(obj, tk.Chord):
      in_chord = last is not None
      continue
    if isinstance(obj, tk.Voice):
      voice = 2
      continue
    if in_chord and isinstance(obj, tk.Note):  # struck with the chord's first note
      in_chord = False
      last = NoteEvent(obj.pitch, last.onset, last.duration, fermata=obj.fermata,
                       name=obj.name, voice=last.voice)
      notes.append(last)
      continue
    if isinstance(obj, (tk.Note, tk.Rest)):  # in the first voice's time or the second's
      v, voice = voice, 1
      now = t if v == 1 else (bar_start if t2 is None else t2)
      if v == 2 and resync and now < v1_onset:  # module doc: a second-voice rest lost
        now = v1_onset
      if v == 1:
        v1_onset = now
      graces = pending_graces[v]
      if isinstance(obj, tk.Note) and obj.grace:
        graces.append(obj)
        continue
      if isinstance(obj, tk.Rest):
        tie_from[v] = None
        if v == 1:
          alone = obj if alone is None else False
      elif (tie_from[v] is not None and tie_from[v].pitch == obj.pitch and not graces):
        tie_from[v].duration += obj.duration
        last, tie_from[v] = tie_from[v], None
      else:
        tie_from[v] = None
        start, length = now, obj.duration
        if graces:
          each = min(GRACE_LENGTH, obj.duration / (2 * len(graces)))
          for g in graces:
            notes.append(NoteEvent(g.pitch, start, each, grace=True, name=g.name, voice=v))
            start += each
          length -= each * len(graces)
          pending_graces[v] = []
        last = NoteEvent(obj.pitch, start, length, fermata=obj.fermata, name=obj.name,
                         voice=v)
        notes.append(last)
      if isinstance(obj, tk.Note) and v == 1:
        alone = False
      now += obj.duration
      if v == 1:
        t = now
      else:
        t2 = now
      last_voice = v
    elif isinstance(obj, tk.MultiRest):
      t += meter.bar_length * obj.bars
      tie_from, alone = {1: None, 2: None}, False
      checked = pickup = False
    elif isinstance(obj, tk.Tie):
      tie_from[last_voice] = last
    elif isinstance(obj, tk.Time):
      meter = obj
      times.append((t, obj))
      # Only a piece's first bar can be a pickup: a meter set later starts a checked bar.
      bar_start, checked, pickup = t, t > 0, t == 0
    elif isinstance(obj, tk.Key):
      keys.append((t, obj.name))
    elif isinstance(obj, tk.Clef):
      clefs.append((t, obj.name))
    elif isinstance(obj, tk.Barline):  # barlines carry no time, unless `resync`
      if t == bar_start and t2 is not None:  # no first voice read: the bar is its second's
        t = t2
      # A whole rest alone fills any bar.
      if alone and alone.duration == 4 and (times or assumed):
        t = bar_start + meter.bar_length
      if checked or (pickup and t - bar_start > meter.bar_length):  # no pickup is that long
        bars_checked += 1
        if t - bar_start != meter.bar_length:
          bars_off_meter += 1
          bars_off.append(len(barlines) + 1)
          if resync:
            t = bar_start + max(1, round((t - bar_start) / meter.bar_length)) * meter.bar_length
        elif t2 is not None and t2 != t:  # the second voice, as read, does not fill the bar
          bars_off.append(len(barlines) + 1)
      bar_start, checked, pickup, alone = t, times != [] or assumed is not None, False, None
      t2, v1_onset = None, t
      barlines.append(t)
  for g in pending_graces[2]:  # graces at the very end: played as short notes
    notes.append(NoteEvent(g.pitch, bar_start if t2 is None else t2, GRACE_LENGTH, grace=True,
                           name=g.name, voice=2))
  for g in pending_graces[1]:
    notes.append(NoteEvent(g.pitch, t, GRACE_LENGTH, grace=True, name=g.name))
    t += GRACE_LENGTH
  break_times += [t] * (n_breaks - len(break_times))  # breaks past the last object
  return Score(notes, t, times, keys, clefs, bars_checked, bars_off_meter, barlines,
               break_times, bars_off)


def score_from_tokens(tokens, where: str = "", resync_bars: bool = False) -> Score:
  return to_score(tk.parse(tokens, where), resync_bars)
