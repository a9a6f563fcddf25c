"""Musically plausible monophonic incipits: PrIMuS semantic tokens plus the MEI that engraves them.

An incipit is a pure function of its random generator. It has a clef, a major key, a meter
(C and C/ included), optionally a leading multirest, and bars whose rhythms fill the meter
exactly: dotted and double-dotted values, rests, ties (also across barlines), fermatas and
grace notes. Pitches walk the key's scale with occasional leaps and chromatic notes, within
two ledger lines of the staff. Every token is checked against the PrIMuS vocabulary.

The MEI is written the way PrIMuS' own sources are (one staff, one layer, key and meter in
the scoreDef), with displayed accidentals worked out from the key and earlier notes of the
bar, and beams on about half of the incipits (PrIMuS engraves flags only; real scores beam).
No JAX here.
"""
from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np

from ocr_jax.omr import tokens as tk

# clef -> weight (its bottom staff line: tk.clef_bottom)
CLEFS = {"G2": 0.55, "F4": 0.16, "C1": 0.07, "C3": 0.07, "C4": 0.06, "G1": 0.02, "C2": 0.03,
         "F3": 0.02, "C5": 0.01, "F5": 0.01}
KEYS = tk.KEYS
# token value -> (weight, count, unit, MEI meter.sym)
METERS = {"C": (0.14, 4, 4, "common"), "4/4": (0.12, 4, 4, ""), "C/": (0.07, 2, 2, "cut"),
          "2/4": (0.16, 2, 4, ""), "3/4": (0.18, 3, 4, ""), "6/8": (0.11, 6, 8, ""),
          "3/8": (0.06, 3, 8, ""), "2/2": (0.04, 2, 2, ""), "3/2": (0.04, 3, 2, ""),
          "12/8": (0.03, 12, 8, ""), "9/8": (0.02, 9, 8, ""), "6/4": (0.02, 6, 4, ""),
          "5/4": (0.01, 5, 4, "")}
# (token name, MEI dur) by length in quarters
VALUES = {"whole": "1", "half": "2", "quarter": "4", "eighth": "8", "sixteenth": "16",
          "thirty_second": "32"}
DOT_NAMES = {0: "", 1: ".", 2: ".."}
# Rhythm styles: weights over (value, dots).
STYLES = (
    {("half", 0): 3, ("quarter", 0): 5, ("half", 1): 1, ("whole", 0): 1, ("quarter", 1): 1,
     ("eighth", 0): 2},
    {("quarter", 0): 5, ("eighth", 0): 5, ("quarter", 1): 2, ("half", 0): 2,
     ("sixteenth", 0): 1, ("eighth", 1): 1},
    {("eighth", 0): 5, ("sixteenth", 0): 5, ("quarter", 0): 2, ("eighth", 1): 2,
     ("sixteenth", 1): 0.5, ("thirty_second", 0): 0.7, ("quarter", 1): 0.5,
     ("quarter", 2): 0.2, ("eighth", 2): 0.1},
)
_STEPS = "CDEFGAB"
_MEI_ACCID = {-1: "f", 0: "n", 1: "s"}


def _length(value: str, dots: int) -> Fraction:
  return tk.DURATIONS[value] * tk.DOTS[DOT_NAMES[dots]]


def _mei_key(key: str) -> str:
  n = KEYS[key]
  return "0" if n == 0 else f"{abs(n)}{'s' if n > 0 else 'f'}"


@dataclasses.dataclass
class Event:
  kind: str  # 'note' | 'rest' | 'grace'
  value: str
  dots: int = 0
  diatonic: int = 0  # octave * 7 + step index
  alter: int = 0
  fermata: bool = False
  tie: bool = False  # tied to the next note
  chord: tuple["Event", ...] = ()  # notes struck with this one, above it (piano staves)
  artic: str = ""  # an MEI articulation drawn on the note (`add_markings`; no token)
  loc: int | None = None  # a rest's drawn place (diatonic) where it is not the engraver's

  @property
  def step(self) -> str:
    return _STEPS[self.diatonic % 7]

  @property
  def octave(self) -> int:
    return self.diatonic // 7

  def token(self) -> str:
    dur = f"{self.value}{DOT_NAMES[self.dots]}{'_fermata' if self.fermata else ''}"
    if self.kind == "rest":
      return f"rest-{dur}"
    acc = {-1: "b", 0: "", 1: "#"}[self.alter]
    return f"{'gracenote' if self.kind == 'grace' else 'note'}-{self.step}{acc}{self.octave}_{dur}"


@dataclasses.dataclass
class Incipit:
  clef: str
  key: str
  meter: str
  multirest: int
  bars: list[list[Event]]
  beamed: bool
  # bar index -> the second voice of that bar (below the first, `add_voices`), filling it
  voices: dict[int, list[Event]] = dataclasses.field(default_factory=dict)
  # bar index -> its performance markings (`add_markings`)
  marks: dict[int, list["Mark"]] = dataclasses.field(default_factory=dict)
  # bar index -> the clef it begins in, drawn before the barline ending the bar before it
  # (`add_clef_change`); the staff's clef is `clef` before the first of them
  clef_changes: dict[int, str] = dataclasses.field(default_factory=dict)
  # bar index -> the event of its first voice that a clef change inside the bar is drawn
  # before (absent: the bar's change is drawn before its opening barline)
  clef_at: dict[int, int] = dataclasses.field(default_factory=dict)
  # bar index -> how the barline ending it is drawn, an MEI @right (`add_barline_styles`;
  # absent: a single line), and whether the first bar opens with a repeat sign. Drawings
  # only: every barline is one `barline` token, an opening repeat none.
  barline_styles: dict[int, str] = dataclasses.field(default_factory=dict)
  repeat_start: bool = False

  def merged(self, k: int) -> list[tuple[int, Event]]:
    """(voice, event) of bar `k` of both voices in the order the eye meets them: by onset;
    at one onset a grace note first, then the first voice, then the second."""
    keyed = []
    for v, events in ((1, self.bars[k]), (2, self.voices.get(k, []))):
      keyed += [((t, e.kind != "grace", v, i), v, e)
                for i, (t, e) in enumerate(zip(onsets(events), events))]
    return [(v, e) for _, v, e in sorted(keyed, key=lambda x: x[0])]

  def tokens(self) -> list[str]:
    out = [f"clef-{self.clef}", f"keySignature-{self.key}M", f"timeSignature-{self.meter}"]
    if self.multirest:
      out += [f"multirest-{self.multirest}", "barline"]
    for k in range(len(self.bars)):
      inside = self.bars[k][self.clef_at[k]] if k in self.clef_at else None
      for v, e in self.merged(k):
        if e is inside:
          out.append(f"clef-{self.clef_changes[k]}")
        if v == 2:
          out.append("voice2")
        out.append(e.token())
        for c in e.chord:
          out += ["chord", c.token()]
        if e.tie:
          out.append("tie")
      if k + 1 in self.clef_changes and k + 1 not in self.clef_at:
        out.append(f"clef-{self.clef_changes[k + 1]}")
      out.append("barline")
    return out

  def mei(self) -> str:
    return to_mei(self)


def onsets(events: list[Event]) -> list[Fraction]:
  """The onset of each event in its bar, in quarters (grace notes take no time)."""
  out, t = [], Fraction(0)
  for e in events:
    out.append(t)
    if e.kind != "grace":
      t += _length(e.value, e.dots)
  return out


def _choose(rng, weights: dict):
  keys = list(weights)
  p = np.array([weights[k] for k in keys], np.float64)
  return keys[rng.choice(len(keys), p=p / p.sum())]


def _fill_bar(rng, length: Fraction, style: dict) -> list[tuple[str, int]]:
  """Values whose lengths sum exactly to `length`."""
  out, left = [], length
  while left > 0:
    fits = {k: w for k, w in style.items() if _length(*k) <= left}
    if not fits:  # fall back on the largest plain value that fits
      value = next(v for v in VALUES if tk.DURATIONS[v] <= left)
      out.append((value, 0))
      left -= tk.DURATIONS[value]
      continue
    k = _choose(rng, fits)
    out.append(k)
    left -= _length(*k)
  return out


def _staff_range(clef: str) -> tuple[int, int, int]:
  """(bottom, lo, hi) of a staff in `clef`, as diatonic numbers (`Event.diatonic`): its
  bottom line, and the notes two ledger lines below and above the staff."""
  bottom = tk.clef_bottom(clef)
  return bottom, bottom - 4, bottom + 12


def _multirests() -> list[int]:
  return sorted(int(t.split("-")[1]) for t in tk.vocabulary() if t.startswith("multirest-"))


MULTIREST_P = 0.12  # chance of a leading multirest in the released splits


def piano_pair(rng: np.random.Generator, n_bars: int) -> tuple[Incipit, Incipit]:
  """A treble and a bass staff of one key, meter and `n_bars` bars, no multirest: the hands
  of a piano system (`system_mei`; `add_chords` makes chords of their notes)."""
  upper = random_incipit(rng, 0, clef="G2", n_bars=n_bars)
  return upper, random_incipit(rng, 0, clef="F4", key=upper.key, meter=upper.meter,
                               n_bars=n_bars)


def random_incipit(rng: np.random.Generator, multirest_p: float = MULTIREST_P,
                   multirest_uniform: float = 0.0, *, clef: str | None = None,
                   key: str | None = None, meter: str | None = None,
                   n_bars: int | None = None) -> Incipit:
  """A random incipit. `multirest_p`: chance of a leading multirest; its bar count is drawn
  with an exponential (mean 8) over the vocabulary's counts, or with chance
  `multirest_uniform` uniformly among the first 40 (so that long rests are not rare).
  `clef`, `key`, `meter` and `n_bars` (exactly that many bars) fix what they name (the
  staves of a system share key, meter and bars). The defaults draw exactly what the
  released splits hold."""
  vocab = tk.vocabulary()
  clef = clef or _choose(rng, CLEFS)
  key = key or list(KEYS)[rng.integers(len(KEYS))]
  meter = meter or _choose(rng, {m: v[0] for m, v in METERS.items()})
  bar_length = bar_length_of(meter)
  bottom, lo, hi = _staff_range(clef)
  alters = tk.key_alters(key)
  style = STYLES[rng.choice(3, p=[0.3, 0.45, 0.25])]
  if bar_length <= Fraction(3, 2):  # 3/8 bars: no half notes
    style = STYLES[2]
  rest_p = rng.uniform(0.02, 0.15)
  leap_p = rng.uniform(0.05, 0.3)
  multirests = _multirests()
  multirest = 0
  if rng.random() < multirest_p:
    if multirest_uniform and rng.random() < multirest_uniform:
      multirest = int(multirests[rng.integers(min(40, len(multirests)))])
    else:
      multirest = int(multirests[min(int(rng.exponential(8)), len(multirests) - 1)])
  target = int(rng.integers(10, 44))
  pos = int(rng.integers(bottom + 1, bottom + 8))
  bars: list[list[Event]] = []
  n_tokens = 3 + 2 * bool(multirest)
  tie_next = None
  while (n_tokens < target and len(bars) < 12) if n_bars is None else len(bars) < n_bars:
    bar = []
    for value, dots in _fill_bar(rng, bar_length, style):
      if tie_next is None and rng.random() < rest_p:
        rest = Event("rest", value, dots, fermata=rng.random() < 0.01)
        if rest.fermata and rest.token() not in vocab:
          rest.fermata = False
        if rest.token() in vocab:
          bar.append(rest)
          continue
      if tie_next is not None:
        d, alter = tie_next
      else:
        move = int(rng.choice([-7, -5, -4, -3, 3, 4, 5, 7])) if rng.random() < leap_p else \
            int(rng.choice([-2, -1, -1, 0, 1, 1, 2]))
        d = pos + move
        if not lo <= d <= hi:
          d = pos - move
        d = int(np.clip(d, lo, hi))
        alter = alters[_STEPS[d % 7]]
        if rng.random() < 0.06:
          alter = int(rng.choice([a for a in (-1, 0, 1) if abs(a - alter) == 1]))
      note = Event("note", value, dots, d, alter)
      if note.token() not in vocab:
        note.alter = alters[note.step]
        if tie_next is not None or note.token() not in vocab:
          tie_next = None
          bar.append(Event("rest", value, dots))  # every plain and dotted rest is a token
          continue
      continues_tie, tie_next = tie_next is not None, None
      if not continues_tie and rng.random() < 0.03:  # a grace note a step above or below
        g = Event("grace", str(rng.choice(["eighth", "sixteenth"])), 0,
                  int(np.clip(d + rng.choice([-1, 1]), lo, hi)))
        g.alter = alters[g.step]
        if g.token() in vocab:
          bar.append(g)
      note.fermata = rng.random() < 0.02
      if note.fermata and note.token() not in vocab:
        note.fermata = False
      if rng.random() < 0.06:
        note.tie = True
        tie_next = (d, note.alter)
      bar.append(note)
      pos = d
    n_tokens += sum(1 + e.tie for e in bar) + 1
    bars.append(bar)
  last = bars[-1][-1]
  if tie_next is not None:
    last.tie = False
  if rng.random() < 0.15 and last.kind == "note":
    last.fermata = True
    if last.token() not in vocab:
      last.fermata = False
  return Incipit(clef, key, meter, multirest, bars, bool(rng.random() < 0.5))


# ------------------------------------------------------------------------------------------
# MEI.
# ------------------------------------------------------------------------------------------
# Chords added above a note, in diatonic steps: thirds, sixths, triads, octaves.
CHORD_SHAPES = ((2,), (4,), (5,), (7,), (2, 4), (2, 5), (3, 5), (4, 7), (2, 4, 7))
# ... and what keyboard music adds: seconds (heads either side of the stem), seventh chords
# and their inversions, open fifths and tenths, octaves filled in, four-note chords.
WIDE_CHORD_SHAPES = CHORD_SHAPES + (
    (1,), (3,), (6,), (9,), (2, 4, 6), (2, 3, 5), (1, 3, 5), (3, 4), (1, 3), (4, 9),
    (2, 7), (4, 7, 9), (2, 4, 7, 9), (4, 6), (3, 5, 7), (2, 5, 7))


def add_chords(inc: Incipit, rng: np.random.Generator, p: float,
               shapes: tuple = CHORD_SHAPES, chromatic: float = 0.0) -> Incipit:
  """Turns notes of `inc` into chords with chance `p` each (not grace notes, tied notes or
  the note a tie ends on): 1-4 notes above it in the key (`shapes`), kept within two
  ledger lines above the staff, each altered a semitone off the key with chance
  `chromatic`; a chord note outside the vocabulary is left out. In place; returns `inc`."""
  vocab = tk.vocabulary()
  _, _, hi = _staff_range(inc.clef)
  alters = tk.key_alters(inc.key)
  after_tie = False
  for bar in inc.bars:
    for e in bar:
      if e.kind != "note" or e.tie or after_tie or rng.random() >= p:
        after_tie = e.kind == "note" and e.tie
        continue
      shape = shapes[rng.integers(len(shapes))]
      added = []
      for up in shape:
        c = Event("note", e.value, e.dots, e.diatonic + up)
        c.alter = alters[c.step]
        if chromatic and rng.random() < chromatic:
          c.alter = int(rng.choice([a for a in (-1, 0, 1) if abs(a - c.alter) == 1]))
        if c.diatonic <= hi and c.token() in vocab:
          added.append(c)
      e.chord, e.fermata = tuple(added), False
  return inc


# Rhythms of second voices (weights over (value, dots)): mostly slower than a melody, as
# an alto under a soprano or a bass under a tenor; the second style moves in eighths.
VOICE_STYLES = (
    {("half", 0): 4, ("quarter", 0): 5, ("whole", 0): 1, ("half", 1): 1, ("eighth", 0): 1},
    {("quarter", 0): 4, ("eighth", 0): 5, ("quarter", 1): 1, ("half", 0): 1,
     ("sixteenth", 0): 0.5},
)


def add_voices(inc: Incipit, rng: np.random.Generator, p: float,
               place_rests: bool = True) -> Incipit:
  """With chance `p`, gives bars of `inc` (each with chance 0.5-1) a second voice with its
  own rhythm below the first (`Incipit.voices`, `voice2` tokens): each of its notes lies a
  step to a sixth below the lowest first-voice note it sounds against, moving by steps; a
  note that would fall more than two ledger lines below the staff is a rest, as are some
  others (an alto that enters late); some bars take the first voice's rhythm, as chorale
  voices do. No ties, chords or grace notes in second voices. `place_rests`: second-voice
  rests are drawn where `_rest_loc` puts them, and a bar whose rest has no room there keeps
  one voice (False: Verovio places them; the draws of `piano_voices2` and before). In
  place; returns `inc`."""
  if rng.random() >= p:
    return inc
  vocab = tk.vocabulary()
  bar_length = bar_length_of(inc.meter)
  bottom, lo, _ = _staff_range(inc.clef)
  alters = tk.key_alters(inc.key)
  share = rng.uniform(0.5, 1.0)
  rest_p = rng.uniform(0.0, 0.15)
  style = VOICE_STYLES[int(rng.random() < 0.35)]
  same_rhythm = rng.choice([0.0, 0.3, 0.8])  # chance a bar's voices move together (chorales)
  if bar_length <= Fraction(3, 2):
    style = VOICE_STYLES[1]
  pos = None
  for k, bar in enumerate(inc.bars):
    if rng.random() >= share:
      continue
    first = [(t, t + _length(e.value, e.dots), e) for t, e in zip(onsets(bar), bar)
             if e.kind == "note"]
    voice, t = [], Fraction(0)
    rhythm = ([(e.value, e.dots) for e in bar if e.kind != "grace"]
              if rng.random() < same_rhythm else _fill_bar(rng, bar_length, style))
    for value, dots in rhythm:
      end = t + _length(value, dots)
      above = [e.diatonic for a, b, e in first if a < end and t < b]
      top = min(above) - 1 if above else None  # strictly below the first voice
      if pos is None:
        pos = (top if top is not None else lo + 8) - int(rng.integers(1, 5))
      d = pos + int(rng.choice([-2, -1, -1, 0, 1, 1, 2]))
      if top is not None and d > top:
        d = top - int(rng.integers(0, 3))
      note = Event("note", value, dots, d, alters[_STEPS[d % 7]])
      if rng.random() < 0.04:
        note.alter = int(rng.choice([a for a in (-1, 0, 1) if abs(a - note.alter) == 1]))
      if note.token() not in vocab:
        note.alter = alters[note.step]
      if d < lo or rng.random() < rest_p or note.token() not in vocab:
        voice.append(Event("rest", value, dots,
                           loc=_rest_loc(bottom, above) if place_rests else None))
      else:
        voice.append(note)
        pos = d
      t = end
    if not (place_rests and any(e.kind == "rest" and e.loc is None for e in voice)):
      inc.voices[k] = voice
  return inc


# Steps from a second-voice rest's centre to the first-voice note above it (no glyph touches:
# counted on 60 Leipzig systems), and the lowest it may sit under the bottom line (1.5 spaces:
# its ink then stays in the crop in all five fonts).
REST_GAP, REST_FLOOR = 5, 3


def _rest_loc(bottom: int, above: list[int]) -> int | None:
  """Where a second-voice rest is drawn on a staff whose bottom line is `bottom` (diatonic,
  as `Event.diatonic`): `REST_GAP` steps under the lowest first-voice note it sounds against
  (`above`), at most on the staff's second line, and None where that would fall more than
  `REST_FLOOR` steps under the bottom line. Left to itself Verovio
  pushes such rests clear of the notes, a third of them out of the staff's crop
  (`staff.MARGIN` spaces under the bottom line): the label then names a rest the reader
  cannot see (docs/music.md)."""
  loc = min([bottom + 2] + [d - REST_GAP for d in above])
  return loc if loc >= bottom - REST_FLOOR else None


# Keyboard textures (`add_texture`) and their weights: the figures that fill accompaniments.
TEXTURES = {"alberti": 3, "broken": 3, "stride": 2, "block": 2, "octaves": 1}
# Scale degrees of a bar's harmony (0 = the tonic) and their weights: I, V, IV, vi, ii.
_DEGREES = {0: 4, 4: 3, 3: 2, 5: 1, 1: 1}


def _beat(bar_length: Fraction, meter: str) -> tuple[str, int]:
  """The (value, dots) of a meter's beat: dotted quarters in compound eighths, halves in
  C/, 2/2 and 3/2, quarters otherwise."""
  _, count, unit, _ = METERS[meter]
  if unit == 8 and count % 3 == 0:
    return ("quarter", 1)
  if unit == 2:
    return ("half", 0)
  return ("quarter", 0) if bar_length >= 1 else ("eighth", 0)


def _texture_bar(rng, kind: str, root: int, bar_length: Fraction, meter: str,
                 lo: int, hi: int, alters: dict, vocab) -> list[Event] | None:
  """One bar of keyboard figure `kind` on the triad whose root is `root` (diatonic), or
  None where a note would leave the staff's range or the vocabulary."""
  def note(value, dots, d, chord=()):
    if not lo <= d <= hi or any(not lo <= d + c <= hi for c in chord):
      return None
    e = Event("note", value, dots, d, alters[_STEPS[d % 7]])
    e.chord = tuple(Event("note", value, dots, d + c, alters[_STEPS[(d + c) % 7]])
                    for c in chord)
    return e if all(x.token() in vocab for x in (e,) + e.chord) else None

  if kind in ("alberti", "broken"):
    value = "sixteenth" if bar_length < 1 or (bar_length <= 3 and rng.random() < 0.4) \
        else "eighth"
    figure = ((0, 4, 2, 4) if kind == "alberti" else
              ((0, 2, 4, 7), (0, 2, 4, 7, 4, 2), (0, 4, 7, 9), (7, 4, 2, 0))[rng.integers(4)])
    n = int(bar_length / tk.DURATIONS[value])
    events = [note(value, 0, root + figure[i % len(figure)]) for i in range(n)]
  else:
    beat = _beat(bar_length, meter)
    n = int(bar_length / _length(*beat))
    if n * _length(*beat) != bar_length:  # 5/4 and the like: a beat of quarters
      beat, n = ("quarter", 0), int(bar_length / tk.DURATIONS["quarter"])
    triad = ((2, 4), (2, 4, 7), (4, 7), (2, 5))[rng.integers(4)]
    events = []
    for i in range(n):
      if kind == "block":
        events.append(note(*beat, root, triad))
      elif kind == "octaves":
        events.append(note(*beat, root - 7 if root - 7 >= lo else root, (7,)))
      else:  # stride: a low bass (an octave on strong beats), then chords above it
        low = root - 7 if root - 7 >= lo else root
        bass = root + 4 - 7 if i % 4 == 2 and root + 4 - 7 >= lo else low
        strong = i == 0 if n == 3 else i % 2 == 0  # a waltz: one bass, two chords
        events.append(note(*beat, bass, (7,) if rng.random() < 0.5 else ()) if strong
                      else note(*beat, root + 2, triad[:2]))
  return None if any(e is None for e in events) else events


def add_texture(inc: Incipit, rng: np.random.Generator, p: float) -> set[int]:
  """With chance `p`, fills bars of `inc` (each with chance 0.6-1) with one keyboard figure
  (TEXTURES: Alberti basses, broken chords up or down, stride bass and chord, block chords,
  octave basses) on a harmony drawn for each bar (I, V, IV, vi, ii of the key), all notes in
  the key, within two ledger lines of the staff. A bar where the figure would leave the
  range keeps its notes. Ties into a filled bar are dropped. In place; returns the indices
  of the filled bars."""
  if rng.random() >= p:
    return set()
  vocab = tk.vocabulary()
  bar_length = bar_length_of(inc.meter)
  bottom, lo, hi = _staff_range(inc.clef)
  alters = tk.key_alters(inc.key)
  tonic = _STEPS.index(inc.key[0])
  kind = _choose(rng, TEXTURES)
  share = rng.uniform(0.6, 1.0)
  filled = set()
  for k in range(len(inc.bars)):
    if rng.random() >= share:
      continue
    degree = (tonic + _choose(rng, _DEGREES)) % 7
    root = bottom + int(rng.integers(-1, 4))  # near the staff's lower lines
    root += (degree - root) % 7 - (7 if (degree - root) % 7 > 3 else 0)
    bar = _texture_bar(rng, kind, root, bar_length, inc.meter, lo, hi, alters, vocab)
    if bar is None:
      continue
    if k and inc.bars[k - 1] and inc.bars[k - 1][-1].tie:
      inc.bars[k - 1][-1].tie = False
    inc.bars[k] = bar
    filled.add(k)
  if filled and rng.random() < 0.8:
    inc.beamed = True
  return filled


@dataclasses.dataclass(frozen=True)
class Mark:
  """A performance marking of a bar (`add_markings`): 'dynam' (text: the dynamic),
  'hairpin' (text: 'cres' or 'dim'), 'slur' or 'pedal', from the note at onset `start` (in
  quarters from the bar's start) to the one at `end` (hairpins and slurs)."""
  kind: str
  start: Fraction
  end: Fraction | None = None
  text: str = ""
  place: str = ""  # 'above' or 'below' the staff (dynamics, hairpins)


ARTICS = {"stacc": 6, "acc": 2, "ten": 1.5, "marc": 0.5, "stacciss": 0.5}
DYNAMICS = ("pp", "p", "mp", "mf", "f", "ff", "sf", "fp", "sfz")


def add_markings(inc: Incipit, rng: np.random.Generator, p: float) -> Incipit:
  """With chance `p`, the performance markings real scores print and no token names:
  articulations on notes (staccato most), dynamics, hairpins, slurs (never between two notes
  of one pitch, which would look like a tie) and, on bass staves, pedal marks, each at a
  rate drawn for the staff. The tokens do not change: a recognizer learns to look past the
  marks (a staccato dot is no augmentation dot, a slur no tie). In place; returns `inc`."""
  if rng.random() >= p:
    return inc
  artic_p, slur_p = rng.uniform(0, 0.35), rng.uniform(0, 0.6)
  dynam_p, hairpin_p = rng.uniform(0, 0.4), rng.uniform(0, 0.3)
  pedal = inc.clef.startswith("F") and rng.random() < 0.3
  place = "below" if inc.clef.startswith("G") or rng.random() < 0.5 else "above"
  for k, bar in enumerate(inc.bars):
    notes = [(t, e) for t, e in zip(onsets(bar), bar) if e.kind == "note"]
    for _, e in notes:
      if rng.random() < artic_p:
        e.artic = _choose(rng, ARTICS)
    marks = []
    if notes and rng.random() < dynam_p:
      t = notes[int(rng.integers(len(notes)))][0]
      marks.append(Mark("dynam", t, text=str(rng.choice(DYNAMICS)), place=place))
    if len(notes) >= 2 and rng.random() < hairpin_p:
      i = int(rng.integers(len(notes) - 1))
      j = int(rng.integers(i + 1, len(notes)))
      form = "cres" if rng.random() < 0.5 else "dim"
      marks.append(Mark("hairpin", notes[i][0], notes[j][0], form, place))
    if len(notes) >= 2 and rng.random() < slur_p:
      i = int(rng.integers(len(notes) - 1))
      j = min(len(notes) - 1, i + int(rng.integers(1, 4)))
      if notes[i][1].diatonic != notes[j][1].diatonic:
        marks.append(Mark("slur", notes[i][0], notes[j][0]))
    if pedal and rng.random() < 0.5:
      marks.append(Mark("pedal", Fraction(0)))
    if marks:
      inc.marks[k] = marks
  return inc


def add_pickup(staves: list[Incipit], rng: np.random.Generator) -> Fraction:
  """Makes the first bar of a system a pickup, as pieces often begin: each staff keeps the
  part of its first bar from an onset its staves' first voices share in the bar's second
  half (drawn among them) to the barline, its second voice there where one starts at that
  onset (else the bar keeps one voice), and no markings. Returns the pickup's length in
  quarters (0: the staves share no such onset, and the bar stays whole). In place."""
  bar_length = bar_length_of(staves[0].meter)

  def starts(events):  # onset -> index of the first event (grace notes included) there
    out = {}
    for i, (t, e) in enumerate(zip(onsets(events), events)):
      out.setdefault(t, i)
    return out

  shared = set.intersection(*(set(starts(inc.bars[0])) for inc in staves))
  cuts = sorted(t for t in shared if 2 * t >= bar_length)
  if not cuts:
    return Fraction(0)
  cut = cuts[int(rng.integers(len(cuts)))]
  for inc in staves:
    inc.bars[0] = inc.bars[0][starts(inc.bars[0])[cut]:]
    second = inc.voices.pop(0, None)
    if second and cut in starts(second):
      inc.voices[0] = second[starts(second)[cut]:]
    inc.marks.pop(0, None)
  return bar_length - cut


# A clef change's new clef, by the staff's clef: piano staves swap treble and bass.
CLEF_SWAPS = {"G2": "F4", "F4": "G2"}


def _inside_places(inc: Incipit) -> list[tuple[int, int]]:
  """(bar, event) where a clef change can be drawn inside a bar of one voice: before an
  unbeamed note or rest of the first voice that is not its bar's first, follows no grace
  note and no tie."""
  beat = beat_of(inc.meter)
  out = []
  for k, bar in enumerate(inc.bars):
    if k in inc.voices:
      continue
    beamed = {i for group in beam_groups(bar, beat) for i in group}
    out += [(k, i) for i in range(1, len(bar)) if i not in beamed and bar[i].kind != "grace"
            and bar[i - 1].kind != "grace" and not bar[i - 1].tie]
  return out


def add_clef_change(inc: Incipit, rng: np.random.Generator,
                    inside_p: float = 0.0) -> int | None:
  """Changes the clef of a piano staff (`CLEF_SWAPS`) at a barline no tie crosses, or with
  chance `inside_p` inside a bar of one voice (`_inside_places`), and with chance 0.4 back
  at a later barline, as a hand moves into the other's register. The notes after the change
  keep their places on the staff and are renamed for the new clef (a twelfth,
  `_staff_range`), in the key; a note the vocabulary lacks becomes a rest of its value, a
  grace note or chord note it lacks is left out. Call it after whatever draws notes (chords,
  voices, texture, a pickup: it renames theirs). Returns the bar the clef changes at or in
  (`inc.clef_at` says where inside it), None where it does not change (a one-bar staff, or
  one tied across every barline). In place."""
  if inc.clef not in CLEF_SWAPS:
    return None
  inside = _inside_places(inc) if inside_p and rng.random() < inside_p else []
  free = [k for k in range(1, len(inc.bars)) if not any(e.tie for e in inc.bars[k - 1][-1:])]
  if not free and not inside:
    return None
  first = 0  # the first event of bar `start` the new clef names
  if inside:
    start, first = inside[int(rng.integers(len(inside)))]
  else:
    start = free[int(rng.integers(len(free)))]
  later = [k for k in free if k > start + 1]
  end = later[int(rng.integers(len(later)))] if later and rng.random() < 0.4 else len(inc.bars)
  new = CLEF_SWAPS[inc.clef]
  shift = _staff_range(new)[0] - _staff_range(inc.clef)[0]
  vocab = tk.vocabulary()
  alters = tk.key_alters(inc.key)

  def moved(e: Event) -> Event | None:
    if e.kind == "rest":
      return dataclasses.replace(e, loc=None if e.loc is None else e.loc + shift)
    d = e.diatonic + shift
    off = e.alter - alters[e.step]
    out = dataclasses.replace(e, diatonic=d, alter=int(np.clip(alters[_STEPS[d % 7]] + off,
                                                                -1, 1)), chord=())
    if out.token() not in vocab:
      out.alter = alters[out.step]
    if out.token() not in vocab:
      return None if e.kind == "grace" else Event("rest", e.value, e.dots)
    if e.kind == "note" and e.chord:
      out.chord = tuple(c for c in (moved(c) for c in e.chord) if c is not None
                        and c.kind == "note")
    return out

  for k in range(start, end):
    for events in [inc.bars[k]] + ([inc.voices[k]] if k in inc.voices else []):
      at = first if k == start else 0
      events[at:] = [m for m in (moved(e) for e in events[at:]) if m is not None]
  inc.clef_changes[start] = new
  if first:
    inc.clef_at[start] = first
  if end < len(inc.bars):
    inc.clef_changes[end] = inc.clef
  return start


# How the barlines of a system are drawn (`add_barline_styles`), MEI @right -> weight: inside
# a system, and ending its last bar (a piece's or a section's end).
INNER_BARLINES = {"single": 0.85, "dbl": 0.07, "rptend": 0.05, "rptboth": 0.03}
LAST_BARLINES = {"single": 0.2, "end": 0.4, "rptend": 0.25, "dbl": 0.15}


def add_barline_styles(staves: list[Incipit], rng: np.random.Generator) -> None:
  """Draws the barlines of a system the way pieces mark their sections: double barlines,
  repeat signs (end, both ways, and with chance 0.25 one opening the first bar) and final
  barlines, shared by the system's staves (barlines run through the system). The tokens do
  not change: each barline stays one `barline`, an opening repeat sign none. In place."""
  n = len(staves[0].bars)
  styles = {k: _choose(rng, INNER_BARLINES) for k in range(n - 1)}
  styles[n - 1] = _choose(rng, LAST_BARLINES)
  repeat_start = bool(rng.random() < 0.25)
  for inc in staves:
    inc.barline_styles = {k: v for k, v in styles.items() if v != "single"}
    inc.repeat_start = repeat_start


def add_voices_and_markings(staves: list[Incipit], rng: np.random.Generator,
                            voice_p: float, marks_p: float, texture_p: float = 0.0,
                            place_rests: bool = True) -> None:
  """`add_texture` on each staff of a system (chance `texture_p` for the lowest, a quarter
  of it above), `add_voices` on each (not in bars a figure fills: it is the staff's one
  voice; `place_rests` as there), then `add_markings` on each (a chance of 0 draws
  nothing). In place."""
  filled = [add_texture(inc, rng, texture_p if n == len(staves) - 1 else texture_p / 4)
            for n, inc in enumerate(staves)] if texture_p else [set()] * len(staves)
  if voice_p:
    for inc, bars in zip(staves, filled):
      add_voices(inc, rng, voice_p, place_rests)
      for k in bars:
        inc.voices.pop(k, None)
  if marks_p:
    for inc in staves:
      add_markings(inc, rng, marks_p)


def add_piece_features(staves: list[Incipit], rng: np.random.Generator, pickup_p: float = 0.0,
                       clef_p: float = 0.0, barline_p: float = 0.0,
                       clef_inside_p: float = 0.0) -> None:
  """What pieces add to a generated system, each with its chance: a pickup (`add_pickup`),
  a clef change in each staff (`add_clef_change`; inside a bar with chance
  `clef_inside_p`), styled barlines (`add_barline_styles`). A chance of 0 draws nothing
  from `rng`. Call it after `add_voices_and_markings`. In place."""
  if pickup_p and rng.random() < pickup_p:
    add_pickup(staves, rng)
  for inc in staves if clef_p else ():
    if rng.random() < clef_p:
      add_clef_change(inc, rng, clef_inside_p)
  if barline_p and rng.random() < barline_p:
    add_barline_styles(staves, rng)


def bar_length_of(meter: str) -> Fraction:
  """A bar of `meter` (a METERS key), in quarters."""
  _, count, unit, _ = METERS[meter]
  return Fraction(4 * count, unit)


def beat_of(meter: str) -> Fraction:
  """The beat beams group by, in quarters: a dotted quarter in compound meters (6/8, 9/8,
  12/8), else a quarter."""
  _, count, unit, _ = METERS[meter]
  return Fraction(3, 2) if unit == 8 and count % 3 == 0 and count > 3 else Fraction(1)


def beam_groups(bar: list[Event], beat: Fraction) -> list[list[int]]:
  """Runs of >= 2 consecutive flagged notes inside one beat (indices into `bar`)."""
  groups, run, t = [], [], Fraction(0)
  for i, e in enumerate(bar):
    if e.kind == "grace":  # a grace note ends a beam group
      if len(run) >= 2:
        groups.append([j for j, _ in run])
      run = []
      continue
    length = _length(e.value, e.dots)
    flagged = e.kind == "note" and tk.DURATIONS[e.value] <= Fraction(1, 2)
    start_beat, end_beat = t // beat, (t + length - Fraction(1, 1000)) // beat
    if flagged and start_beat == end_beat and (not run or t // beat == run[0][1]):
      run.append((i, start_beat))
    else:
      if len(run) >= 2:
        groups.append([j for j, _ in run])
      run = [(i, start_beat)] if flagged and start_beat == end_beat else []
    t += length
  if len(run) >= 2:
    groups.append([j for j, _ in run])
  return groups


def _mei_head(inc: Incipit, staves: int = 1) -> str:
  _, count, unit, sym = METERS[inc.meter]
  meter = f'meter.count="{count}" meter.unit="{unit}"' + (f' meter.sym="{sym}"' if sym else "")
  group = ' symbol="brace" bar.thru="true"' if staves > 1 else ""
  return ('<?xml version="1.0" encoding="UTF-8"?>'
          '<mei xmlns="http://www.music-encoding.org/ns/mei" meiversion="4.0.0"><music><body>'
          f'<mdiv><score><scoreDef key.sig="{_mei_key(inc.key)}" {meter}><staffGrp{group}>')


def _staff_def(inc: Incipit, n: int) -> str:
  return f'<staffDef n="{n}" lines="5" clef.shape="{inc.clef[0]}" clef.line="{inc.clef[1]}"/>'


def _layers(inc: Incipit) -> list[list[str]]:
  """The MEI layer contents of each bar of the incipit: one, or two where the bar has a
  second voice (a leading multirest is a bar). Accidentals are shown as one reader of both
  voices meets the notes, left to right (`Incipit.merged`)."""
  beat = beat_of(inc.meter)
  key = tk.key_alters(inc.key)
  out = [[f'<multiRest num="{inc.multirest}"/>']] if inc.multirest else []
  tied = {1: False, 2: False}  # the voice's previous note is tied to its next
  for k, bar in enumerate(inc.bars):
    shown: dict[tuple[str, int], int] = {}
    items = {}  # id(event) -> its MEI
    for v, e in inc.merged(k):
      dur = VALUES[e.value]
      attrs = f'dur="{dur}"' + (f' dots="{e.dots}"' if e.dots else "")
      if e.fermata:
        attrs += ' fermata="above"'
      if e.artic:
        attrs += f' artic="{e.artic}"'
      if e.kind == "rest":
        if e.loc is not None:
          attrs += f' ploc="{_STEPS[e.loc % 7].lower()}" oloc="{e.loc // 7}"'
        items[id(e)] = f"<rest {attrs}/>"
        tied[v] = False
        continue
      if e.chord:  # the chord's notes: pitch and displayed accidental each
        notes = ""
        for c in (e,) + e.chord:
          current = shown.get((c.step, c.octave), key[c.step])
          accid = f' accid="{_MEI_ACCID[c.alter]}"' if c.alter != current else ""
          shown[(c.step, c.octave)] = c.alter
          notes += f'<note pname="{c.step.lower()}" oct="{c.octave}"{accid}/>'
        items[id(e)] = f"<chord {attrs}>{notes}</chord>"
        tied[v] = False
        continue
      attrs += f' pname="{e.step.lower()}" oct="{e.octave}"'
      current = shown.get((e.step, e.octave), key[e.step])
      if e.alter != current and not (tied[v] and e.kind == "note"):
        attrs += f' accid="{_MEI_ACCID[e.alter]}"'
      shown[(e.step, e.octave)] = e.alter
      if e.kind == "grace":
        attrs += ' grace="unacc"' if e.value == "eighth" else ' grace="acc"'
      else:
        tie = ("m" if e.tie else "t") if tied[v] else ("i" if e.tie else "")
        if tie:
          attrs += f' tie="{tie}"'
        tied[v] = e.tie
      items[id(e)] = f"<note {attrs}/>"
    layers = []
    for events in [bar] + ([inc.voices[k]] if k in inc.voices else []):
      layer = [items[id(e)] for e in events]
      if k in inc.clef_at and events is bar:  # a change inside the bar (never in a beam)
        clef = inc.clef_changes[k]
        layer[inc.clef_at[k]] = f'<clef shape="{clef[0]}" line="{clef[1]}"/>' + layer[
            inc.clef_at[k]]
      if inc.beamed:
        for group in reversed(beam_groups(events, beat)):
          first, last = group[0], group[-1]
          layer[first:last + 1] = ["<beam>" + "".join(layer[first:last + 1]) + "</beam>"]
      layers.append("".join(layer))
    if k + 1 in inc.clef_changes and k + 1 not in inc.clef_at:  # before the barline
      clef = inc.clef_changes[k + 1]
      layers[0] += f'<clef shape="{clef[0]}" line="{clef[1]}"/>'
    out.append(layers)
  return out


def _staff_xml(n: int, layers: list[str]) -> str:
  return f'<staff n="{n}">' + "".join(
      f'<layer n="{j + 1}">{body}</layer>' for j, body in enumerate(layers)) + "</staff>"


_MEI_TAIL = "</section></score></mdiv></body></music></mei>"


def _control(mark: Mark, n: int, unit: int) -> str:
  """One marking as an MEI control event on staff `n` (tstamps in the meter's `unit`s)."""
  def tstamp(t: Fraction) -> str:  # MEI beats: 1 + the onset in the meter's units
    return f"{1 + float(t) * unit / 4:g}"

  if mark.kind == "dynam":
    attrs, text = f'tstamp="{tstamp(mark.start)}" place="{mark.place}"', mark.text
  elif mark.kind == "hairpin":
    attrs, text = (f'form="{mark.text}" tstamp="{tstamp(mark.start)}" '
                   f'tstamp2="0m+{tstamp(mark.end)}" place="{mark.place}"'), ""
  elif mark.kind == "slur":
    attrs, text = f'tstamp="{tstamp(mark.start)}" tstamp2="0m+{tstamp(mark.end)}"', ""
  else:  # pedal
    attrs, text = f'tstamp="{tstamp(mark.start)}" dir="down"', ""
  return f'<{mark.kind} staff="{n}" {attrs}>{text}</{mark.kind}>'


def _controls(inc: Incipit, n: int) -> list[str]:
  """The performance markings of each bar as MEI control events on staff `n` (aligned with
  `_layers`: a leading multirest is a bar without any)."""
  unit = METERS[inc.meter][2]
  return [""] * bool(inc.multirest) + ["".join(
      _control(mark, n, unit) for mark in inc.marks.get(k, ())) for k in range(len(inc.bars))]


def to_mei(inc: Incipit) -> str:
  return (_mei_head(inc) + _staff_def(inc, 1) + "</staffGrp></scoreDef><section>"
          + "".join(f'<measure right="single">{_staff_xml(1, layers)}{controls}</measure>'
                    for layers, controls in zip(_layers(inc), _controls(inc, 1))) + _MEI_TAIL)


def system_mei(staves: list[Incipit]) -> str:
  """Incipits of equal key, meter and bar count (no multirests) as one system: their staves
  joined by a brace and barlines drawn through the system, top staff first."""
  bars = [_layers(inc) for inc in staves]
  if len({len(b) for b in bars}) != 1 or any(inc.multirest for inc in staves):
    raise ValueError("the staves of a system need equal bar counts and no multirests")
  controls = [_controls(inc, n + 1) for n, inc in enumerate(staves)]
  return (_mei_head(staves[0], len(staves))
          + "".join(_staff_def(inc, n + 1) for n, inc in enumerate(staves))
          + "</staffGrp></scoreDef><section>"
          + "".join(_measure(staves[0], k) + "".join(
              _staff_xml(n + 1, b[k]) for n, b in enumerate(bars))
              + "".join(c[k] for c in controls) + "</measure>" for k in range(len(bars[0])))
          + _MEI_TAIL)


def _measure(inc: Incipit, k: int) -> str:
  """The opening tag of bar `k`'s measure, its barlines drawn as `inc` says."""
  left = ' left="rptstart"' if k == 0 and inc.repeat_start else ""
  return f'<measure{left} right="{inc.barline_styles.get(k, "single")}">'
