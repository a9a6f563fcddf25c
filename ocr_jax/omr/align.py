"""A system's staves, each read as its own part, on one clock (`align_systems`).

The staves of a system sound together: bar k of every part starts when the system's bar k
does. Reference tokens line up by themselves; a recognizer's reading needs its misreadings
settled across the staves first (a time signature, a spurious barline, a `voice2` or
`chord` mark, a pickup read differently). Timing one staff is `omr/events.py`'s.
"""
from __future__ import annotations

import bisect
import dataclasses
from fractions import Fraction

from ocr_jax.omr import events
from ocr_jax.omr import tokens as tk


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
  then one that a note or rest read at a neighbouring value overfills or underfills (either
  voice) where the other staves' onsets say which (`_durations_mended`),
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
    systems, more = _durations_mended(systems, where)
    warnings += more
  joined = []  # (objects, starts of its systems) per part
  for p in range(parts):
    objects, starts = [], []
    for staves in systems:
      starts.append(len(objects))
      objects += staves[p]
    joined.append((objects, starts))
  timed = [events.timed(objects, False, starts) for objects, starts in joined]
  if resync_bars:  # the grid's evidence: the bars of every part that read the same meters
    meters = [[m for _, m in score.time_signatures] for score in timed]
    for p, (objects, starts) in enumerate(joined):
      alike = [q for q in range(parts) if meters[q] == meters[p]]
      if any(2 * timed[q].bars_off_meter < timed[q].bars_checked for q in alike) or (
          2 * sum(timed[q].bars_off_meter for q in alike) < sum(
              timed[q].bars_checked for q in alike)):
        timed[p] = events.timed(objects, True, starts)
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
      bounds.append([start] + [b for b in score.barlines if start < b < end] + [end])
    if m == 0 and resync_bars:  # a staff that read nothing before a piece's first barline
      # (a pickup's notes lost), while another staff reads a pickup and a bar more, has that
      # bar, of no length as read
      most = max(len(b) for b in bounds)
      pickup = any(len(b) == most and b[1] - b[0] < _meter_at(score, b[0]).bar_length
                   for b, score in zip(bounds, timed))
      bounds = [[b[0]] + b if pickup and len(b) < most and _opens_with_barline(objects) else b
                for b, objects in zip(bounds, systems[0])]
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
    out.append(events.Score(notes, clock, [(moved(t), x) for t, x in score.time_signatures],
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
  its first voice lost or misread one of them; one that read nothing there lost it), else
  the shortest of each staff's longer voice that is not empty. Shortest, because a staff
  reads a pickup long (a duration or a voice mark misread) more often than short (abcm2ps
  development draws with pickups, 2026-12-07)."""
  voices = [_first_bar_voices(objects) for objects in staves_read]
  agreed = [n for n, (first, second) in zip(lengths, voices) if second in (None, first) and n]
  if agreed:
    return min(agreed)
  return min((max(n, second or 0) for n, (_, second) in zip(lengths, voices)),
             key=lambda n: (n == 0, n))


def _opens_with_barline(objects) -> bool:
  """Whether a staff's tokens hold a barline before any note or rest."""
  for obj in objects:
    if isinstance(obj, (tk.Note, tk.Rest, tk.MultiRest)):
      return False
    if isinstance(obj, tk.Barline):
      return True
  return False


def _first_bar_voices(objects) -> tuple[Fraction, Fraction | None]:
  """(first voice, second voice or None) lengths of a staff's first bar as read, in
  quarters: the notes and rests up to its first barline (`_bar_events`)."""
  end = next((i for i, obj in enumerate(objects) if isinstance(obj, tk.Barline)), len(objects))
  items = _bar_events(objects[:end])
  second = [d for _, v, d in items if v == 2]
  return sum((d for _, v, d in items if v == 1), Fraction(0)), sum(second) if second else None


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


def _bars_filling(score: events.Score, meter: tk.Time) -> int:
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
      scores = [events.timed(_with_meter(objects, c), False) for objects in staves]
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


def _whole_bars(bounds: list, score: events.Score, most: int) -> list:
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
  return len(_bars_with_meters(objects))


def _spurious_barlines(systems, where: str):
  """A bar that every staff of a system reads empty (no note or rest: a double, repeat or
  final barline read as two) is no bar: its closing barline is left out in every staff. Then,
  where a staff reads more bars than another staff of its system, a barline that closes
  an empty bar (one barline read twice), or one between two bars that as read do not fill
  the meter but together fill exactly one bar, or else come nearest to one (`_nearest_pair`),
  was read where there is none: it is left out.
  Each is named in a warning, before timing. (An empty bar one staff alone reads is more
  likely a lost whole rest, and its partner's count keeps it.)"""
  out, warnings = [], []
  for m, staves in enumerate(systems):
    staves, dropped = _empty_everywhere(staves)
    warnings += [f"{where + ': ' if where else ''}system {m + 1}: barline {k + 1} left out in "
                 "every staff (no staff read anything before it in its bar)" for k in dropped]
    counts = [_bar_count(objects) for objects in staves]
    fixed = []
    for p, objects in enumerate(staves):
      extra = counts[p] - min(counts)
      while extra > 0:
        score = events.timed(objects, False)
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
        if drop is None:  # no pair fills one exactly: the pair of short bars nearest to it
          drop, why = _nearest_pair(score, bounds)
        if drop is None:
          break
        objects = _without_barline(objects, drop)
        warnings.append(f"{where + ': ' if where else ''}system {m + 1} staff {p + 1}: "
                        f"barline {drop + 1} left out ({why})")
        extra -= 1
      fixed.append(objects)
    out.append(fixed)
  return out, warnings


def _nearest_pair(score: events.Score, bounds: list):
  """(barline index, why) between the two neighbouring bars, neither filling its meter, whose
  lengths as read add up nearest to one bar, within a quarter of it (a note or dot lost or
  added beside a barline read where there is none); (None, None) where no pair does."""
  best, drop = None, None
  for k in range(1, len(bounds) - 1):
    length = _meter_at(score, bounds[k - 1]).bar_length
    first, second = bounds[k] - bounds[k - 1], bounds[k + 1] - bounds[k]
    miss = abs(first + second - length)
    if 0 < first < length and 0 < second < length and 4 * miss <= length and (
        best is None or miss < best):
      best, drop = miss, k - 1
  return (drop, "the bars on either side nearly fill one") if drop is not None else (None, None)


def _empty_everywhere(staves):
  """(staves, barlines left out: their 0-based index as read, in order) with every bar that all
  staves read empty dropped: its closing barline is left out in each staff."""
  dropped = []
  while True:
    lengths = []
    for objects in staves:
      bounds = [Fraction(0)] + events.timed(objects, False).barlines
      lengths.append([b - a for a, b in zip(bounds, bounds[1:])])
    empty = [k for k in range(min(len(n) for n in lengths)) if all(n[k] == 0 for n in lengths)]
    if not empty:
      return staves, dropped
    dropped.append(empty[0] + len(dropped))
    staves = [_without_barline(objects, empty[0]) for objects in staves]


def _without_barline(objects, k: int) -> list:
  """A staff's objects without its k-th barline (0-based)."""
  i = [i for i, obj in enumerate(objects) if isinstance(obj, tk.Barline)][k]
  return objects[:i] + objects[i + 1:]


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
      for k, (start, stop, meter) in enumerate(_bars_with_meters(objects)):
        if stop == len(objects):  # an open last bar (no barline read after it)
          continue
        found = meter and _bar_edit(objects[start:stop], meter.bar_length, m > 0 or k > 0,
                                    counts[p] < max(counts))
        if found:
          edits.append((start + found[0], *found[1:], k + 1))
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
  found = _mark_edits(bar, length, short_ok, missed_ok)
  return found[0] if len(found) == 1 else None


def _mark_edits(bar: list, length: Fraction, short_ok: bool, missed_ok: bool) -> list:
  """Every mark edit that fills a bar (`_bar_edit`)."""
  if any(isinstance(o, tk.MultiRest) for o in bar):
    return []
  items = _bar_events(bar)
  first = sum(d for _, v, d in items if v == 1)
  excess = first - length
  if excess == 0 or (excess < 0 and not short_ok) or (
      missed_ok and excess > 0 and (first / length).denominator == 1):
    return []
  found = []
  for k, (j, kind, duration) in enumerate(items):
    if duration != abs(excess):
      continue
    if excess > 0 and kind == 1:
      new, edit = 2, ("voice2", True)
    elif excess < 0 and kind in (2, "chord"):
      new, edit = 1, ("voice2" if kind == 2 else "chord", False)
    else:
      continue
    trial = [(new if i == k else v, d) for i, (_, v, d) in enumerate(items)
             if i == k or v != "chord"]
    if _in_order(trial, length):
      found.append((j, *edit))
  return found


# A note or rest misread at a neighbouring value: twice or half as long, a dot added or lost.
_MISREAD_VALUES = (Fraction(2), Fraction(1, 2), Fraction(3, 2), Fraction(2, 3))
_NOTATED = frozenset(d * dots for d in tk.DURATIONS.values() for dots in tk.DOTS.values())


def _durations_mended(systems, where: str):
  """A bar whose first voice, as read, is longer or shorter than its meter where one of its
  notes or rests (with the notes of its chord) read at a neighbouring value (`_MISREAD_VALUES`)
  fills it and keeps the token order (`_in_order`), where no mark edit does (`_mark_edits`:
  a bar two of them fill stays as read): of the value edits, the one whose onsets
  meet the most onsets of the system's other staves in that bar (the hands of piano music
  share a beat), where one does and the bar has other staves to ask. Not where the first bar
  of a piece is short (a pickup), nor where a bar lasts n >= 2 whole bars in a staff that
  reads fewer bars than another (`_whole_bars`). A bar whose first voice fills and whose
  second does not is mended the same way in its second voice, the first voice's onsets
  counted with the other staves'. A misread value moves every later onset of its voice in
  the bar; the other staves' bars keep theirs. Each edit is named in a warning."""
  out, warnings = [], []
  for m, staves in enumerate(systems):
    bars = [_bars_with_meters(objects) for objects in staves]
    counts = [len(b) for b in bars]
    fixed = []
    for p, objects in enumerate(staves):
      objects = list(objects)
      for k, (start, stop, meter) in reversed(list(enumerate(bars[p]))):
        others = set()
        for q in range(len(staves)):
          if q != p and k < counts[q]:
            others |= _onsets(_bar_events(staves[q][bars[q][k][0]:bars[q][k][1]]))
        found = meter and others and _duration_edit(
            objects[start:stop], meter.bar_length, others, m > 0 or k > 0,
            counts[p] < max(counts))
        if not found:
          continue
        edit, voice = found
        for j, duration in edit:
          objects[start + j] = dataclasses.replace(objects[start + j], duration=duration)
        warnings.append(f"{where + ': ' if where else ''}system {m + 1} staff {p + 1} bar "
                        f"{k + 1}: a {'second-voice ' if voice == 2 else ''}value read "
                        f"{edit[0][1]} quarters long (the bar then fills its meter, in time "
                        "with the other staves)")
      fixed.append(objects)
    out.append(fixed)
  return out, warnings


def _bars_with_meters(objects) -> list:
  """(start, stop) indices of each bar's objects (up to its barline, or the end) and the
  meter in force there (None before any)."""
  out, meter, start = [], None, 0
  for i, obj in enumerate(objects):
    if isinstance(obj, tk.Time):
      meter = obj
    if isinstance(obj, tk.Barline):
      out.append((start, i, meter))
      start = i + 1
  if any(isinstance(o, (tk.Note, tk.Rest, tk.MultiRest)) for o in objects[start:]):
    out.append((start, len(objects), meter))
  return out


def _onsets(items) -> set:
  """The onsets in the bar of `_bar_events` items, both voices."""
  clocks, out = {1: Fraction(0), 2: Fraction(0)}, set()
  for _, voice, duration in items:
    if voice != "chord":
      out.add(clocks[voice])
      clocks[voice] += duration
  return out


def _duration_edit(bar: list, length: Fraction, others: set, short_ok: bool,
                   missed_ok: bool):
  """([(index in `bar`, new duration)], voice) of the one value edit (`_durations_mended`)
  that fills a bar's first voice, or else its second, and best meets the onsets `others` (a
  second voice's also its first voice's), or None."""
  if any(isinstance(o, tk.MultiRest) for o in bar) or _mark_edits(bar, length, short_ok,
                                                                  missed_ok):
    return None  # multirests are not timed; a bar two mark edits would fill stays as read
  items = _bar_events(bar)
  totals = [sum(d for _, v, d in items if v == voice) for voice in (1, 2)]
  voice = 1 if totals[0] != length else 2
  excess = totals[voice - 1] - length
  if excess == 0 or not totals[voice - 1] or (excess < 0 and not short_ok) or (
      voice == 1 and missed_ok and excess > 0 and (totals[0] / length).denominator == 1):
    return None
  if voice == 2:
    others = others | _onsets([item for item in items if item[1] == 1])
  scored = []
  for k, (j, v, duration) in enumerate(items):
    new = next((duration * f for f in _MISREAD_VALUES
                if duration * f in _NOTATED and duration * (f - 1) == -excess), None)
    if v != voice or new is None:
      continue
    trial = [(j_, v_, new if i == k else d) for i, (j_, v_, d) in enumerate(items)]
    if _in_order([(v_, d) for _, v_, d in trial if v_ != "chord"], length):
      scored.append((len(_onsets(trial) & others), j, new))
  scored.sort(key=lambda x: -x[0])
  if not scored or (len(scored) > 1 and scored[1][0] == scored[0][0]):
    return None
  _, j, new = scored[0]
  chord = [j]  # the notes struck with it, of its value
  while (chord[-1] + 2 < len(bar) and isinstance(bar[chord[-1] + 1], tk.Chord) and
         getattr(bar[chord[-1] + 2], "duration", None) == bar[j].duration):
    chord.append(chord[-1] + 2)
  return [(i, new) for i in chord], voice


def _bar_events(bar: list) -> list:
  """The notes and rests of a bar's objects as read: (index in `bar`, 1 | 2 (the voice) |
  "chord" (struck with a first-voice note), duration); grace notes and a second voice's
  chord notes take no time and are left out."""
  items, voice = [], 1
  for j, obj in enumerate(bar):
    if not isinstance(obj, (tk.Note, tk.Rest)) or (isinstance(obj, tk.Note) and obj.grace):
      continue
    previous = bar[j - 1] if j else None
    if isinstance(previous, tk.Chord):
      if voice == 1:
        items.append((j, "chord", obj.duration))
      continue
    voice = 2 if isinstance(previous, tk.Voice) else 1
    items.append((j, voice, obj.duration))
  return items


def _in_order(items, length: Fraction) -> bool:
  """Whether (voice, duration) events, in the order read, keep the tokens' order: a second
  voice's event starts at or after the first voice's event read before it and before the one
  read after it (events go by onset, the first voice first); and the second voice fits its
  bar of `length`."""
  t1 = t2 = last = Fraction(0)  # the voices' clocks; the first voice's last onset
  waiting = []  # second-voice onsets read since the first voice's last event
  for voice, duration in items:
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


def _meter_at(score: events.Score, t: Fraction) -> tk.Time:
  """The meter in force at time `t`: the last time signature at or before it, else the
  first (or 4/4 with none)."""
  before = [m for at, m in score.time_signatures if at <= t]
  if before:
    return before[-1]
  return score.time_signatures[0][1] if score.time_signatures else tk.Time(4, 4)
