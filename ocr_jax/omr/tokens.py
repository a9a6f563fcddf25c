"""The PrIMuS semantic token language: validation against the vocabulary, and parsing.

Grammar (third_party/primus/README in the shared reference, summarised):
  clef-<G2|C1|...>  keySignature-<key>M  timeSignature-<N/D|C|C/>  barline  tie
  note-<Step><#|b|##|bb|><octave>_<duration><.|..|><_fermata>   (sounding pitch)
  gracenote-...  (same as note)   rest-<duration><dots><_fermata>   multirest-<bars>
Extension for piano music (not in PrIMuS): `chord` between two notes strikes the second with
the first (`note-C4_quarter chord note-E4_quarter chord note-G4_quarter`, lowest first; the
chord lasts as long as its first note). `voice2` before a note, grace note or rest puts it
(and the notes chorded to it) in the staff's second voice, which keeps its own clock from each
barline: two voices with their own rhythms on one staff (stems up: the first voice, unmarked;
stems down: the second). Tokens stay in the order the eye meets them, left to right; events of
both voices struck together are written first voice first (`note-E5_half voice2
note-C5_quarter`). A bar's length is its first voice's.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import re
from fractions import Fraction

VOCABULARY = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "third_party", "primus", "vocabulary_semantic.txt")

DURATIONS = {  # in quarter notes
    "quadruple_whole": Fraction(16), "double_whole": Fraction(8), "whole": Fraction(4),
    "half": Fraction(2), "quarter": Fraction(1), "eighth": Fraction(1, 2),
    "sixteenth": Fraction(1, 4), "thirty_second": Fraction(1, 8),
    "sixty_fourth": Fraction(1, 16), "hundred_twenty_eighth": Fraction(1, 32),
}
DOTS = {"": Fraction(1), ".": Fraction(3, 2), "..": Fraction(7, 4)}
STEPS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
ALTERS = {"": 0, "#": 1, "##": 2, "b": -1, "bb": -2}
# major key (as PrIMuS names it) -> sharps (> 0) or flats (< 0) in its signature
KEYS = {"C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5, "F#": 6, "C#": 7, "F": -1,
        "Bb": -2, "Eb": -3, "Ab": -4, "Db": -5, "Gb": -6}
_SHARPS, _FLATS = "FCGDAEB", "BEADGCF"

_DUR = "|".join(sorted(DURATIONS, key=len, reverse=True))
_NOTE = re.compile(rf"^(note|gracenote)-([A-G])(##|#|bb|b|)(-?\d+)_({_DUR})(\.\.|\.|)(_fermata)?$")
_REST = re.compile(rf"^rest-({_DUR})(\.\.|\.|)(_fermata)?$")


class TokenError(ValueError):
  """A malformed or unknown music token; the message names it and its position."""


@dataclasses.dataclass(frozen=True)
class Note:
  pitch: int  # MIDI number of the sounding pitch
  duration: Fraction  # notated, in quarter notes
  fermata: bool = False
  grace: bool = False
  name: str = ""


@dataclasses.dataclass(frozen=True)
class Rest:
  duration: Fraction
  fermata: bool = False


@dataclasses.dataclass(frozen=True)
class MultiRest:
  bars: int


@dataclasses.dataclass(frozen=True)
class Clef:
  name: str


@dataclasses.dataclass(frozen=True)
class Key:
  name: str  # e.g. 'Eb' (major keys, as PrIMuS writes them)


@dataclasses.dataclass(frozen=True)
class Time:
  numerator: int
  denominator: int
  symbol: str = ""  # 'C' (common time) or 'C/' (cut time)

  @property
  def bar_length(self) -> Fraction:
    return Fraction(4 * self.numerator, self.denominator)


@dataclasses.dataclass(frozen=True)
class Barline:
  pass


@dataclasses.dataclass(frozen=True)
class Tie:
  pass


@dataclasses.dataclass(frozen=True)
class Chord:
  """The next note sounds with the previous one (the chord extension, module doc)."""


@dataclasses.dataclass(frozen=True)
class Voice:
  """The next note or rest belongs to the staff's second voice (module doc)."""


@functools.lru_cache(maxsize=None)
def key_alters(key: str) -> dict[str, int]:
  """The alteration (+1 sharp, -1 flat, 0) the key signature of major key `key` gives each
  step letter (one shared dict per key: do not modify it)."""
  n = KEYS[key]
  alters = {s: 0 for s in STEPS}
  for s in (_SHARPS[:n] if n > 0 else _FLATS[:-n]):
    alters[s] = 1 if n > 0 else -1
  return alters


@functools.lru_cache(maxsize=1)
def vocabulary() -> frozenset[str]:
  with open(VOCABULARY, encoding="utf-8") as f:
    return frozenset(line.strip() for line in f if line.strip())


def parse_token(token: str):
  """One token -> its object; raises TokenError (without position) if malformed."""
  if token == "barline":
    return Barline()
  if token == "tie":
    return Tie()
  if token == "chord":
    return Chord()
  if token == "voice2":
    return Voice()
  kind, _, value = token.partition("-")
  if kind in ("note", "gracenote"):
    m = _NOTE.match(token)
    if not m:
      raise TokenError(f"malformed {kind} {token!r}")
    _, step, alter, octave, dur, dots, fermata = m.groups()
    pitch = 12 * (int(octave) + 1) + STEPS[step] + ALTERS[alter]
    if not 0 <= pitch <= 127:
      raise TokenError(f"pitch of {token!r} is outside MIDI's 0-127")
    return Note(pitch, DURATIONS[dur] * DOTS[dots], bool(fermata), kind == "gracenote",
                f"{step}{alter}{octave}")
  if kind == "rest":
    m = _REST.match(token)
    if not m:
      raise TokenError(f"malformed rest {token!r}")
    dur, dots, fermata = m.groups()
    return Rest(DURATIONS[dur] * DOTS[dots], bool(fermata))
  if kind == "multirest" and value.isdigit() and int(value) > 0:
    return MultiRest(int(value))
  if kind == "clef" and re.fullmatch(r"[GCF][1-5]", value):
    return Clef(value)
  if kind == "keySignature" and re.fullmatch(r"[A-G](#|b)?M", value):
    return Key(value[:-1])
  if kind == "timeSignature":
    if value == "C":
      return Time(4, 4, "C")
    if value == "C/":
      return Time(2, 2, "C/")
    m = re.fullmatch(r"(\d+)/(\d+)", value)
    if m and int(m.group(1)) > 0 and int(m.group(2)) in (1, 2, 4, 8, 16, 32, 64):
      return Time(int(m.group(1)), int(m.group(2)))
  raise TokenError(f"malformed token {token!r}")


_LETTERS = "CDEFGAB"
_CLEF_LINE = {"G": 4 * 7 + 4, "F": 3 * 7 + 3, "C": 4 * 7}  # G4, F3, C4 as diatonic numbers
_ALTER_NAMES = {v: k for k, v in ALTERS.items()}


def clef_bottom(clef: str) -> int:
  """The diatonic number (octave * 7 + step, C = 0) of the bottom staff line under `clef`
  ('G2': E4, 'F4': G2, 'C3': F3)."""
  return _CLEF_LINE[clef[0]] - 2 * (int(clef[1]) - 1)


def _renamed(token: str, shift: int, key: str) -> str:
  """A note or grace note token moved `shift` staff places, keeping the accidental it shows
  against `key` (a sharp the key gives stays the key's; a printed one stays printed); the
  token as it was where the vocabulary has no such note."""
  kind, step, alter, octave, dur, dots, fermata = _NOTE.match(token).groups()
  alters = key_alters(key)
  place = int(octave) * 7 + _LETTERS.index(step) + shift
  new = _LETTERS[place % 7]
  shown = ALTERS[alter] - alters[step]
  for a in (alters[new] + shown, alters[new]):
    out = f"{kind}-{new}{_ALTER_NAMES.get(a, '')}{place // 7}_{dur}{dots}{fermata or ''}"
    if a in _ALTER_NAMES and out in vocabulary():
      return out
  return token


def clef_change_names(tokens: list[str], to_opening: bool) -> list[str]:
  """Renames the notes a mid-staff clef change governs. `to_opening`: from their sounding
  names to the names the staff's first clef would give their places (what a recognizer sees
  without looking back to the clef in force: how `configs/omr_piano_clefs.py` is trained to
  read them); else back. A staff that keeps its clef is returned unchanged, so is every note
  where the first clef is in force again."""
  opening = current = None
  key, out = "C", []
  for t in tokens:
    if t.startswith("clef-") and re.fullmatch(r"clef-[GCF][1-5]", t):
      current = t[5:]
      opening = opening or current
    elif t.startswith("keySignature-") and t[13:-1] in KEYS:
      key = t[13:-1]
    elif current != opening and _NOTE.match(t):
      shift = clef_bottom(opening) - clef_bottom(current)
      t = _renamed(t, shift if to_opening else -shift, key)
    out.append(t)
  return out


def split_tokens(text: str) -> list[str]:
  """PrIMuS files separate tokens by TABs; spaces and newlines are accepted too."""
  return text.split()


_EVENTS = ("note-", "gracenote-", "rest-")


def drop_stray_marks(tokens: list[str]) -> list[str]:
  """A recognizer's tokens without the `chord` marks that do not stand between two notes and
  the `voice2` marks that stand before no note or rest (its best reading; `parse` rejects
  them in token files)."""
  return [t for i, t in enumerate(tokens) if (t != "chord" or (
      0 < i < len(tokens) - 1 and tokens[i - 1].startswith(("note-", "gracenote-"))
      and tokens[i + 1].startswith("note-"))) and (t != "voice2" or (
          i < len(tokens) - 1 and tokens[i + 1].startswith(_EVENTS)))]


def parse(tokens, where: str = "", check_vocabulary: bool = True) -> list:
  """Tokens (a list, or text) -> objects. The first bad token raises TokenError naming
  `where`, the token and its position (0-based)."""
  if isinstance(tokens, str):
    tokens = split_tokens(tokens)
  vocab = vocabulary() if check_vocabulary else None
  prefix = f"{where}: " if where else ""
  out = []
  for i, token in enumerate(tokens):
    try:
      obj = parse_token(token)
    except TokenError as e:
      raise TokenError(f"{prefix}token {i}: {e}") from None
    # Any count is a multirest (the vocabulary lists only the counts PrIMuS happens to hold).
    if (vocab is not None and token not in vocab
        and not isinstance(obj, (MultiRest, Chord, Voice))):
      raise TokenError(f"{prefix}token {i}: {token!r} is not in the PrIMuS semantic "
                       f"vocabulary")
    if isinstance(obj, Chord) and not (out and isinstance(out[-1], Note) and i + 1 < len(tokens)
                                       and tokens[i + 1].startswith("note-")):
      raise TokenError(f"{prefix}token {i}: 'chord' stands between two notes")
    if isinstance(obj, Voice) and not (i + 1 < len(tokens)
                                       and tokens[i + 1].startswith(_EVENTS)):
      raise TokenError(f"{prefix}token {i}: 'voice2' stands before a note or rest")
    out.append(obj)
  return out
