"""A music prior for CTC beam search over PrIMuS semantic tokens (the music 'language model').

The recognizer sees glyphs; two facts of notation it can only learn from far-apart context are
checked here instead, as log-score penalties added while the beam search extends a prefix
(`decoding.beam_search(..., scorer=MusicPrior())`):

- Bars fill their meter: a bar whose notes and rests run past the time signature costs
  `bar_weight` when it does; a bar that ends short at a barline costs it too, except the first
  bar, which may be a pickup and costs only `pickup_weight` (real incipits often start with
  one; our synthetic ones never do, so this weight is set by hand, not tuned). The last bar
  may stop short (incipits are cut). Bars with a multirest, and everything before a time
  signature, are not checked. A second voice's notes and rests (`voice2`) run on their own
  clock from the barline and cost `bar_weight` too when they run past the meter.
- Notes follow the key: a note's alteration is expected to be the key signature's for its
  step, or the accidental an earlier note of the same bar set on that step and octave, or the
  tied note's when it continues a tie. Any other alteration costs `key_weight`.

Both are soft: real music has pickups, cut bars and accidentals; the weights say how much
image evidence outweighs them (chosen on the validation split of training fonts, see
`launch/evaluate_omr.py --decoder`). No JAX here.
"""
from __future__ import annotations

import dataclasses
from fractions import Fraction
import re
import typing

from ocr_jax.omr import tokens as tk

_NAME = re.compile(r"([A-G])(##|#|bb|b|)(-?\d+)")
_NO_KEY = tk.key_alters("C")
# Times are counted in ticks of 1/384 quarter (ints add and compare several times faster than
# Fractions): every notated value, dotted or double-dotted, and every meter's bar is a whole
# number of them (384 = 128 x 3: a 2/3 bar would be too); any other value stays a Fraction.
TICKS = 384


def _ticks(quarters: Fraction) -> int | Fraction:
  t = quarters * TICKS
  return int(t) if t.denominator == 1 else t


class _State(typing.NamedTuple):
  """A prefix's position in the music. A NamedTuple: the beam search makes one per candidate
  token of every frame, and `_replace` costs a quarter of what `dataclasses.replace` does."""
  bar_length: int | None = None  # ticks; None until a time signature
  bar_time: int = 0  # ticks
  barlines: int = 0
  multirest: bool = False  # the current bar holds a multirest
  key: dict = _NO_KEY  # step -> alteration (never changed in place)
  accidentals: tuple = ()  # ((step, octave, alter), ...) set earlier in this bar
  tie: bool = False  # the previous token is a tie
  last_note: tuple | None = None  # (step, octave, alter)
  chord: bool = False  # the previous token is `chord`: the next note takes no time
  voice2: bool = False  # the previous token is `voice2`: the next note or rest is the
  # second voice's
  voice2_time: int = 0  # the second voice's time in the bar


@dataclasses.dataclass
class MusicPrior:
  """Scores token prefixes for `decoding.beam_search` (see the module doc)."""
  bar_weight: float = 4.0
  key_weight: float = 1.0
  pickup_weight: float = 1.0
  max_cache: int = 200_000

  def __post_init__(self):
    # class id -> (parsed token or None if unparseable, (step, octave, alter) of a note,
    # ticks of a note, a rest or a meter's bar)
    self._objects: dict[int, tuple] = {}
    self._states: dict[tuple, _State] = {(): _State()}

  def _object(self, k: int, id_to_char) -> tuple:
    """Parsed once per class id: the beam search asks for every candidate of every frame."""
    if k not in self._objects:
      name = id_to_char(k)
      if name.endswith("-"):  # a prefix the charset spells (e.g. `multirest-`): digits follow
        name += "1"
      try:
        obj = tk.parse_token(name)
      except tk.TokenError:
        obj = None
      where = ticks = None
      if isinstance(obj, tk.Note):
        step, alter, octave = _NAME.fullmatch(obj.name).groups()
        where = (step, octave, tk.ALTERS[alter])
      if isinstance(obj, (tk.Note, tk.Rest)):
        ticks = _ticks(obj.duration)
      elif isinstance(obj, tk.Time):
        ticks = _ticks(obj.bar_length)
      self._objects[k] = (obj, where, ticks)
    return self._objects[k]

  def _state(self, prefix: tuple, id_to_char) -> _State:
    state = self._states.get(prefix)
    if state is not None:
      return state
    if len(self._states) > self.max_cache:
      self._states = {(): _State()}
    state = self._state(prefix[:-1], id_to_char)
    state, _ = self._apply(state, *self._object(prefix[-1], id_to_char))
    self._states[prefix] = state
    return state

  def _overrun(self, s: _State, start: int, end: int) -> float:
    """The cost of a note or rest that takes its voice from `start` to `end` in the bar of
    `s`: paid once, when the voice first runs past the meter."""
    if s.bar_length is None or s.multirest or not start <= s.bar_length < end:
      return 0.0
    return self.bar_weight

  def _advance(self, s: _State, duration: int, cost: float) -> tuple[_State, float]:
    """A note or rest of `duration` ticks in its voice: the first voice's runs the bar (and may
    overrun it); the second voice's may not overrun it either."""
    if s.voice2:
      time = s.voice2_time + duration
      return s._replace(voice2_time=time, voice2=False, tie=False, chord=False), (
          cost + self._overrun(s, s.voice2_time, time))
    time = s.bar_time + duration
    return s._replace(bar_time=time, tie=False, chord=False), (
        cost + self._overrun(s, s.bar_time, time))

  def _apply(self, s: _State, obj, note=None, ticks=None) -> tuple[_State, float]:
    """The state after one token (`note`: its (step, octave, alter) if a note; `ticks`: a
    note's, a rest's or a meter's bar's length) and the penalty it costs."""
    if isinstance(obj, tk.Barline):
      cost = 0.0
      if s.bar_length is not None and not s.multirest and 0 < s.bar_time < s.bar_length:
        cost = self.bar_weight if s.barlines else self.pickup_weight
      # A tie (and the tied note) reaches across the barline; accidentals do not.
      return s._replace(bar_time=0, barlines=s.barlines + 1, multirest=False,
                        accidentals=(), voice2_time=0), cost
    if isinstance(obj, tk.Note):
      step, octave, alter = note
      expected = s.key[step]
      for st, octv, a in s.accidentals:
        if st == step and octv == octave:
          expected = a
      if s.tie and s.last_note is not None and s.last_note[:2] == (step, octave):
        expected = s.last_note[2]
      cost = self.key_weight if alter != expected else 0.0
      accidentals = s.accidentals
      if alter != expected or any(st == step and o == octave for st, o, _ in accidentals):
        accidentals = tuple(x for x in accidentals if x[:2] != (step, octave))
        accidentals += ((step, octave, alter),)
      s = s._replace(accidentals=accidentals, last_note=(step, octave, alter))
      if obj.grace or s.chord:
        return s._replace(tie=False, chord=False, voice2=False), cost
      return self._advance(s, ticks, cost)
    if isinstance(obj, tk.Rest):
      return self._advance(s, ticks, 0.0)
    if isinstance(obj, tk.MultiRest):
      return s._replace(multirest=True, tie=False), 0.0
    if isinstance(obj, tk.Tie):
      return s._replace(tie=True), 0.0
    if isinstance(obj, tk.Chord):
      return s._replace(chord=True), 0.0
    if isinstance(obj, tk.Voice):
      return s._replace(voice2=True), 0.0
    if isinstance(obj, tk.Time):
      return s._replace(bar_length=ticks, bar_time=0, tie=False), 0.0
    if isinstance(obj, tk.Key):
      return s._replace(key=tk.key_alters(obj.name), tie=False), 0.0
    return s._replace(tie=False), 0.0  # clefs, unparseable ids

  def extend(self, prefix: tuple, k: int, id_to_char) -> float:
    state = self._state(prefix, id_to_char)
    new, cost = self._apply(state, *self._object(k, id_to_char))
    if len(self._states) <= self.max_cache:
      self._states.setdefault(prefix + (k,), new)
    return -cost

  def finish(self, prefix: tuple, id_to_char) -> float:
    return 0.0  # the last bar may stop short; one that ran over has paid already

  def penalty(self, tokens) -> float:
    """The total penalty of a whole token sequence (for tests and diagnostics)."""
    names = list(tokens)
    ids = tuple(range(len(names)))
    prior = MusicPrior(self.bar_weight, self.key_weight, self.pickup_weight)
    return sum(-prior.extend(ids[:i], i, names.__getitem__) for i in range(len(ids)))
