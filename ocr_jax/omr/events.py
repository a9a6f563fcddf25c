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
  of parts (`align_systems`) the count runs over every part that read the same meters, so
  one misread bar in a two-bar staff is put back by its partner's bars; and a part whose own
  bars mostly fill the grid vouches for it in the parts that read the same meters.
  Resync also keeps a second voice in the order the tokens were read: a note or rest of the
  second voice does not start before the first voice's note or rest that was read before it
  (the two voices' events are written by onset), so a second-voice rest the recognizer lost
  delays the notes after it as the rest would have.
"""
from __future__ import annotations

import bisect
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
  as_read = _timed(objects, resync=False, breaks=breaks)
  if resync_bars and 2 * as_read.bars_off_meter < as_read.bars_checked:
    return _timed(objects, resync=True, breaks=breaks)
  return as_read


def _assumed_meter(objects) -> tk.Time | None:
  """For a staff with no time signature read: the meter of the bar length that most of its
  bars (between two barlines) share, when at least two do; else None."""
  if any(isinstance(obj, tk.Time) for obj in objects):
    return None
  barlines = _timed(objects, False, infer=False).barlines
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


def _timed(objects, resync: bool, breaks=(), infer: bool = True) -> Score:
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


def align_systems(systems, resync_bars: bool = False, where: str = ""):
  """Parts read system by system -> (one Score per part on a shared clock, warnings).

  `systems[m][p]` holds the parsed objects of the staff of part `p` (its position in the
  system, top first) in system `m`; every system has the same number of staves. A part's
  staves are timed one after the other as one staff (`to_score`: its meter, ties and bar
  resync run on). Then each system's bars are aligned across its parts at their barlines:
  bar k of the system lasts as long as the longest part's bar k (with `resync_bars`: as a
  part's bar k that fills its meter exactly, where one does; one staff's misread bar would
  otherwise make every later bar of the page late), and the notes of each part's
  bar k start where the system's does, at their own offsets in the bar. A system whose parts
  read different numbers of bars is still aligned bar by bar (the missing bars are rests) and
  named in a warning. With one part the score is that part's, unchanged.

  With `resync_bars` (a recognizer's reading) the staves of a system first settle what one
  of them misread: they share a meter (`_shared_meters`), a barline read where two short bars
  make one is left out (`_spurious_barlines`), a bar one `voice2` or `chord` mark too many
  or too few overfills or underfills is mended where one edit fills it (`_marks_mended`),
  and a bar of n whole bars where the other staves have more bars counts as n, up to their
  count (`_whole_bars`); each overruled reading is warned of. A system's first bar that its
  staves read short by different amounts, each by less than half, is a whole bar, not a
  pickup (`_no_pickup`); a pickup its staves read differently lasts the shortest reading
  whose voices agree (`_pickup_length`)."""
  parts = len(systems[0]) if systems else 0
  warnings = []
  if resync_bars and parts > 1:
    systems, warnings = _shared_meters(systems, where)
    systems, more = _spurious_barlines(systems, where)
    warnings += more
    systems, more = _marks_mended(systems, where)
    warnings += more
  joined = []  # (objects, starts of its systems) per part
  for p in range(parts):
    objects, starts = [], []
    for staves in systems:
      starts.append(len(objects))
      objects += staves[p]
    joined.append((objects, starts))
  timed = [_timed(objects, False, starts) for objects, starts in joined]
  if resync_bars:  # the grid's evidence: the bars of every part that read the same meters
    meters = [[m for _, m in score.time_signatures] for score in timed]
    for p, (objects, starts) in enumerate(joined):
      alike = [q for q in range(parts) if meters[q] == meters[p]]
      if any(2 * timed[q].bars_off_meter < timed[q].bars_checked for q in alike) or (
          2 * sum(timed[q].bars_off_meter for q in alike) < sum(
              timed[q].bars_checked for q in alike)):
        timed[p] = _timed(objects, True, starts)
  if parts <= 1:
    return timed, []
  # Per part and system: the bar boundaries, from the system's start to the next system's.
  shifts = [[] for _ in range(parts)]  # (part time, clock time) at each bar start
  clock = Fraction(0)
  for m in range(len(systems)):
    bounds = []
    for score in timed:
      start = score.breaks[m]
      end = score.breaks[m + 1] if m + 1 < len(systems) else score.length
      inside = [b for b in score.barlines if start < b < end]
      bounds.append([start] + inside + [end])
    bars = [len(b) - 1 for b in bounds]
    if len(set(bars)) > 1:  # a barline missed: a bar of n whole bars counts as n bars
      bounds = [_whole_bars(b, score, max(bars)) if n < max(bars) else b
                for b, n, score in zip(bounds, bars, timed)]
      bars = [len(b) - 1 for b in bounds]
    if len(set(bars)) > 1:
      warnings.append(f"{where + ': ' if where else ''}system {m + 1}: its staves read "
                      f"{', '.join(map(str, bars))} bars; aligned bar by bar from the left")
    starts = [clock]
    for k in range(max(bars)):
      lengths = [(b[k + 1] - b[k], _meter_at(score, b[k]).bar_length)
                 for b, score in zip(bounds, timed) if k < len(b) - 1]
      fits = [n for n, meter in lengths if n == meter] if resync_bars else []
      if fits:
        length = fits[0]
      elif resync_bars and m == k == 0 and _no_pickup(lengths):
        meter = lengths[0][1]
        length = meter * max(1, round(min(n for n, _ in lengths) / meter))
      elif resync_bars and m == k == 0:  # a pickup
        length = _pickup_length([n for n, _ in lengths], staves_read=systems[0])
      else:
        length = max(n for n, _ in lengths)
      starts.append(starts[-1] + length)
    for p, b in enumerate(bounds):
      shifts[p] += [(b[k], starts[k]) for k in range(len(b) - 1)]
    clock = starts[-1]
  out = []
  for score, shift in zip(timed, shifts):
    part_times = [a for a, _ in shift]

    def moved(t, part_times=part_times, shift=shift):
      k = max(bisect.bisect_right(part_times, t) - 1, 0)
      return shift[k][1] + t - shift[k][0]

    notes = [dataclasses.replace(n, onset=moved(n.onset)) for n in score.notes]
    out.append(Score(notes, clock, [(moved(t), x) for t, x in score.time_signatures],
                     [(moved(t), x) for t, x in score.key_signatures],
                     [(moved(t), x) for t, x in score.clefs], score.bars_checked,
                     score.bars_off_meter, [moved(t) for t in score.barlines],
                     [moved(t) for t in score.breaks], score.bars_off))
  return out, warnings


def _no_pickup(lengths) -> bool:
  """Whether a system's first bar, which no staff reads exactly as long as its meter (else
  not asked), is a misread whole bar rather than a pickup: its staves read different
  lengths (a pickup is equally long in every staff), each more than half the meter (a pickup
  is mostly short; a staff that lost a note or a voice mark reads a little short); or all
  read it more than three quarters of the meter long (pickups that long are rare, staves
  that each lost an eighth are not); or one staff reads it longer than the meter (no pickup
  is). The bar then lasts the whole bars nearest its shortest reading, at least one."""
  if all(4 * n > 3 * meter for n, meter in lengths) or any(n > meter for n, meter in lengths):
    return True
  return len({n for n, _ in lengths}) > 1 and all(2 * n > meter for n, meter in lengths)


def _pickup_length(lengths: list, staves_read: list) -> Fraction:
  """How long a system's first bar lasts when it is a pickup its staves read differently
  (`lengths`, as timed by each staff's first voice): the shortest reading among the staves
  whose voices agree on it (a staff with a second voice in that bar that ends elsewhere than
  its first voice lost or misread one of them), else the shortest of each staff's longer
  voice. Shortest, because a staff reads a pickup long (a duration or a voice mark
  misread) more often than short (abcm2ps development draws with pickups, 2026-12-07)."""
  voices = [_first_bar_voices(objects) for objects in staves_read]
  agreed = [n for n, (first, second) in zip(lengths, voices) if second in (None, first)]
  if agreed:
    return min(agreed)
  return min(max(n, second) for n, (_, second) in zip(lengths, voices))


def _first_bar_voices(objects) -> tuple[Fraction, Fraction | None]:
  """(first voice, second voice or None) lengths of a staff's first bar as read, in
  quarters: the notes and rests up to its first barline (chord notes and grace notes take
  no time)."""
  first, second, voice, in_chord = Fraction(0), None, 1, False
  for obj in objects:
    if isinstance(obj, tk.Barline):
      break
    if isinstance(obj, tk.Chord):
      in_chord = True
    elif isinstance(obj, tk.Voice):
      voice = 2
    elif isinstance(obj, (tk.Note, tk.Rest)):
      grace = isinstance(obj, tk.Note) and obj.grace
      if not (in_chord and isinstance(obj, tk.Note)) and not grace:
        if voice == 2:
          second = (second or Fraction(0)) + obj.duration
        else:
          first += obj.duration
      in_chord, voice = False, 1
  return first, second


def _head_meter(objects) -> tuple[int, tk.Time | None]:
  """(index, Time) of a staff's time signature, before its first note, rest or barline;
  (index where one would go, None) when it has none there."""
  for i, obj in enumerate(objects):
    if isinstance(obj, tk.Time):
      return i, obj
    if not isinstance(obj, (tk.Clef, tk.Key)):
      return i, None
  return len(objects), None


def _with_meter(objects, meter: tk.Time) -> list:
  i, read = _head_meter(objects)
  return objects[:i] + [meter] + objects[i + (read is not None):]


def _meter_name(meter: tk.Time | None) -> str:
  if meter is None:
    return "none"
  return meter.symbol or f"{meter.numerator}/{meter.denominator}"


def _bars_filling(score: Score, meter: tk.Time) -> int:
  """How many bars of a timed staff (closed by a barline, the first included) last `meter`'s
  bar."""
  bounds = [Fraction(0)] + score.barlines
  return sum(b - a == meter.bar_length for a, b in zip(bounds, bounds[1:]))


def _shared_meters(systems, where: str):
  """The staves of a system share its meter: where they read different time signatures (or
  one read none), each is timed in the one that most of the system's bars fill, first bars
  included (ties: the one that leaves fewer checked bars off, then the one more staves
  read), and a warning names it."""
  out, warnings = [], []
  for m, staves in enumerate(systems):
    read = [_head_meter(objects)[1] for objects in staves]
    candidates = list(dict.fromkeys(r for r in read if r is not None))
    if not candidates or all(r == candidates[0] for r in read):
      out.append(staves)
      continue
    def fit(c):  # how many bars fill meter c, how many checked bars it leaves off
      scores = [_timed(_with_meter(objects, c), False) for objects in staves]
      return (sum(_bars_filling(score, c) for score in scores),
              -sum(score.bars_off_meter for score in scores), read.count(c))

    meter = max(candidates, key=fit)
    out.append([objects if r == meter else _with_meter(objects, meter)
                for objects, r in zip(staves, read)])
    for p, r in enumerate(read):
      if r != meter:
        warnings.append(f"{where + ': ' if where else ''}system {m + 1} staff {p + 1}: time "
                        f"signature {_meter_name(r)} as read; timed in {_meter_name(meter)} "
                        "with the rest of its system")
  return out, warnings


def _whole_bars(bounds: list, score: Score, most: int) -> list:
  """Bar boundaries with each bar that lasts n >= 2 whole bars of its meter cut into n, from
  the left, into at most `most` bars in all (the other staves' count: a bar that resync
  rounded up does not make the staff longer than its partners)."""
  out = [bounds[0]]
  for i, (start, end) in enumerate(zip(bounds, bounds[1:])):
    length = _meter_at(score, start).bar_length
    n = (end - start) / length
    if n.denominator == 1 and n >= 2:
      room = most - (len(out) - 1) - (len(bounds) - 1 - i)  # cuts left before `most` bars
      out += [start + k * length for k in range(1, min(int(n), room + 1))]
    out.append(end)
  return out


def _bar_count(objects) -> int:
  barlines = [i for i, obj in enumerate(objects) if isinstance(obj, tk.Barline)]
  tail = objects[barlines[-1] + 1:] if barlines else objects
  return len(barlines) + any(isinstance(o, (tk.Note, tk.Rest, tk.MultiRest)) for o in tail)


def _spurious_barlines(systems, where: str):
  """Where a staff reads more bars than another staff of its system, a barline that closes
  an empty bar (one barline read twice), or one between two bars that as read do not fill
  the meter but together fill exactly one bar, was read where there is none: it is left out
  (named in a warning), before timing."""
  out, warnings = [], []
  for m, staves in enumerate(systems):
    counts = [_bar_count(objects) for objects in staves]
    fixed = []
    for p, objects in enumerate(staves):
      extra = counts[p] - min(counts)
      while extra > 0:
        score = _timed(objects, False)
        if not score.time_signatures:
          break
        bounds = [Fraction(0)] + score.barlines
        drop = why = None
        for k in range(1, len(bounds)):
          length = _meter_at(score, bounds[k - 1]).bar_length
          first = bounds[k] - bounds[k - 1]
          second = bounds[k + 1] - bounds[k] if k + 1 < len(bounds) else None
          if first == 0:  # a barline read twice (a double or thick one)
            drop, why = k - 1, "it closes an empty bar"
          elif second is not None and length not in (first, second) and (
              first + second == length):
            drop, why = k - 1, "the bars on either side fill one"
          if drop is not None:  # the k-th barline, 0-based
            break
        if drop is None:
          break
        index = [i for i, obj in enumerate(objects) if isinstance(obj, tk.Barline)][drop]
        objects = objects[:index] + objects[index + 1:]
        warnings.append(f"{where + ': ' if where else ''}system {m + 1} staff {p + 1}: "
                        f"barline {drop + 1} left out ({why})")
        extra -= 1
      fixed.append(objects)
    out.append(fixed)
  return out, warnings


def _marks_mended(systems, where: str):
  """A bar whose first voice, as read, is longer or shorter than its meter by exactly one
  event, where exactly one edit of a mark fills it and keeps the token order (`_in_order`):
  a `voice2` mark added before a first-voice note or rest (a second voice read into the
  first), one left out (the reverse), or a `chord` mark left out (a note read as struck with
  the one before it). Not where the first bar of a piece is short (a pickup), nor where a
  bar lasts n >= 2 whole bars in a staff that reads fewer bars than another (a barline
  missed, `_whole_bars`). Each edit is named in a warning."""
  out, warnings = [], []
  for m, staves in enumerate(systems):
    fixed = []
    counts = [_bar_count(objects) for objects in staves]
    for p, objects in enumerate(staves):
      objects, edits = list(objects), []
      meter, start, bar = None, 0, 0
      for i, obj in enumerate(objects):
        if isinstance(obj, tk.Time):
          meter = obj
        if not isinstance(obj, tk.Barline):
          continue
        bar += 1
        found = meter and _bar_edit(objects[start:i], meter.bar_length, m > 0 or bar > 1,
                                    counts[p] < max(counts))
        if found:
          edits.append((start + found[0], *found[1:], bar))
        start = i + 1
      for i, mark, added, k in reversed(edits):
        if added:
          objects.insert(i, tk.Voice())
        else:  # the mark before the note or rest at i
          del objects[i - 1]
        warnings.append(f"{where + ': ' if where else ''}system {m + 1} staff {p + 1} bar "
                        f"{k}: {mark} mark {'added' if added else 'left out'} (the bar then "
                        "fills its meter)")
      fixed.append(objects)
    out.append(fixed)
  return out, warnings


def _bar_edit(bar: list, length: Fraction, short_ok: bool, missed_ok: bool):
  """(index in `bar` of the note or rest, the mark ('voice2' or 'chord'), added: True / left
  out: False) of the one mark edit that fills a bar (`_marks_mended`), or None.
  `short_ok`: a short bar may be mended (not a pickup); `missed_ok`: a bar of n >= 2 whole
  bars may be a barline missed (its staff reads fewer bars than another): not mended."""
  if any(isinstance(o, tk.MultiRest) for o in bar):
    return None
  events = []  # (index, 1 | 2 | "chord" (struck with a first-voice note), duration)
  voice = 1
  for j, obj in enumerate(bar):
    if not isinstance(obj, (tk.Note, tk.Rest)) or (isinstance(obj, tk.Note) and obj.grace):
      continue
    previous = bar[j - 1] if j else None
    if isinstance(previous, tk.Chord):
      if voice == 1:
        events.append((j, "chord", obj.duration))
      continue
    voice = 2 if isinstance(previous, tk.Voice) else 1
    events.append((j, voice, obj.duration))
  first = sum(d for _, v, d in events if v == 1)
  excess = first - length
  if excess == 0 or (excess < 0 and not short_ok) or (
      missed_ok and excess > 0 and (first / length).denominator == 1):
    return None
  found = []
  for k, (j, kind, duration) in enumerate(events):
    if duration != abs(excess):
      continue
    if excess > 0 and kind == 1:
      new, edit = 2, ("voice2", True)
    elif excess < 0 and kind in (2, "chord"):
      new, edit = 1, ("voice2" if kind == 2 else "chord", False)
    else:
      continue
    trial = [(new if i == k else v, d) for i, (_, v, d) in enumerate(events)
             if i == k or v != "chord"]
    if _in_order(trial, length):
      found.append((j, *edit))
  return found[0] if len(found) == 1 else None


def _in_order(events, length: Fraction) -> bool:
  """Whether (voice, duration) events, in the order read, keep the tokens' order: a second
  voice's event starts at or after the first voice's event read before it and before the one
  read after it (events go by onset, the first voice first); and the second voice fits its
  bar of `length`."""
  t1 = t2 = last = Fraction(0)  # the voices' clocks; the first voice's last onset
  waiting = []  # second-voice onsets read since the first voice's last event
  for voice, duration in events:
    if voice == 1:
      if any(onset >= t1 for onset in waiting):
        return False
      waiting, last, t1 = [], t1, t1 + duration
    else:
      if t2 < last:
        return False
      waiting.append(t2)
      t2 += duration
  return t2 <= length


def _meter_at(score: Score, t: Fraction) -> tk.Time:
  """The meter in force at time `t`: the last time signature at or before it, else the
  first (or 4/4 with none)."""
  before = [m for at, m in score.time_signatures if at <= t]
  if before:
    return before[-1]
  return score.time_signatures[0][1] if score.time_signatures else tk.Time(4, 4)
