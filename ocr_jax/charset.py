"""The one mapping between text (or music tokens) and class ids, saved with every checkpoint.

Class 0 is the CTC blank; symbol i of the charset is class i + 1.

A token charset may spell numbers: with `spelled=("multirest-",)`, the token `multirest-12`
is the three classes `multirest-`, `1`, `2` (each a symbol of the charset), and decoding joins
them back. A model then reads a count digit by digit, as it is printed, instead of learning
one class per count (most of which it sees a handful of times); any count can be read.
"""
from __future__ import annotations

import dataclasses
import string

PRINTABLE_ASCII = "".join(chr(c) for c in range(32, 127))
assert set(PRINTABLE_ASCII) == set(string.printable) - set("\t\n\r\x0b\x0c")

BLANK_ID = 0
DIGITS = "0123456789"
# The `korean_print` charset: printable ASCII, the 2,350 KS X 1001 syllables, the 51
# compatibility jamo (ㄱ-ㅣ) and ㆍ, and the marks of Korean print: typographic quotes and
# dashes, middle dots, corner and angle brackets, reference marks, arrows, units, circled
# numbers. Look-alikes are written one way (~ for ∼ and ～, · for ․ ‧ ⋅ ∙ ･, 「」 for ｢｣;
# `KOREAN_FOLD`), as labels and the comparison's normalisation both do.
HANGUL_JAMO = "".join(chr(c) for c in range(0x3131, 0x3164)) + "\u318d"
KOREAN_SYMBOLS = ("\u2018\u2019\u201c\u201d\u2013\u2014\u00b7\u2026\u203b\u300c\u300d"
                  "\u300e\u300f\u3008\u3009\u300a\u300b\u3010\u3011\u3001\u3002"
                  "\u2192\u2190\u2191\u2193\u00b0\u00b1\u00d7\u00f7\u2103\u338e"
                  "\u338f\u339c\u339d\u339e\u33a1\u20a9\u00a9\u00ae\u2122\u2022"
                  "\u25cb\u25cf\u25a1\u25a0\u25b3\u25b2\u25c7\u25c6\u2606\u2605"
                  + "".join(chr(c) for c in range(0x2460, 0x246f)))
KOREAN_FOLD = str.maketrans({"\u223c": "~", "\uff5e": "~", "\u2024": "\u00b7",
                             "\u2027": "\u00b7", "\u22c5": "\u00b7", "\u2219": "\u00b7",
                             "\uff65": "\u00b7", "\uff62": "\u300c", "\uff63": "\u300d",
                             "\u00a0": " ", "\u3000": " "})


class UnknownSymbolError(ValueError):
  """A label holds a symbol that the charset does not know."""


@dataclasses.dataclass(frozen=True)
class Charset:
  """An ordered set of symbols: characters (`separator=''`) or tokens (`separator=' '`)."""
  symbols: tuple[str, ...]
  separator: str = ""
  spelled: tuple[str, ...] = ()  # token prefixes whose number is spelled digit by digit

  def __post_init__(self):
    if len(set(self.symbols)) != len(self.symbols):
      raise ValueError("charset has duplicate symbols")
    object.__setattr__(self, "_index", {s: i + 1 for i, s in enumerate(self.symbols)})
    missing = [s for s in self.spelled + (tuple(DIGITS) if self.spelled else ())
               if s not in self._index]
    if missing:
      raise ValueError(f"a charset that spells numbers needs the symbols {missing}")

  @classmethod
  def from_string(cls, chars: str) -> Charset:
    return cls(tuple(chars))

  @property
  def num_classes(self) -> int:
    """Number of output classes, blank included."""
    return len(self.symbols) + 1

  def split(self, text: str) -> list[str]:
    return list(text) if not self.separator else text.split()

  def _spell(self, sym: str) -> list[str]:
    """The symbols that stand for one token: itself, or a spelled prefix and its digits."""
    for prefix in self.spelled:
      number = sym[len(prefix):]
      if sym.startswith(prefix) and number.isascii() and number.isdigit():
        return [prefix, *number]
    return [sym]

  def encode(self, text: str) -> list[int]:
    """Text -> class ids; raises UnknownSymbolError naming the symbol and its position."""
    ids = []
    for pos, sym in enumerate(self.split(text)):
      units = self._spell(sym) if self.spelled else (sym,)
      if any(u not in self._index for u in units):
        raise UnknownSymbolError(
            f"symbol {sym!r} at position {pos} of {text[:60]!r} is not in the charset")
      ids.extend(self._index[u] for u in units)
    return ids

  def unknown_symbols(self, text: str) -> set[str]:
    return {s for s in self.split(text) if any(u not in self._index for u in self._spell(s))}

  def decode(self, ids) -> str:
    """Class ids (blank-free, already collapsed) -> text."""
    if not self.spelled:
      return self.separator.join(self.symbols[int(i) - 1] for i in ids if int(i) != BLANK_ID)
    return self.decode_with_confidences(ids, [0.0] * len(ids))[0]

  def decode_with_confidences(self, ids, confidences) -> tuple[str, list[float]]:
    """Class ids (blank-free, already collapsed) and their confidences -> (text, a
    confidence per symbol of the text). A spelled number is joined to its prefix and has its
    least confident part's confidence; a prefix without digits, or digits without a prefix,
    are dropped (they name no token)."""
    pairs = [(self.symbols[int(i) - 1], float(c)) for i, c in zip(ids, confidences)
             if int(i) != BLANK_ID]
    if not self.spelled:
      return self.separator.join(s for s, _ in pairs), [c for _, c in pairs]
    out = []  # [token, confidence, is a spelled number]
    for sym, conf in pairs:
      if len(sym) == 1 and sym in DIGITS:
        if out and out[-1][2]:
          out[-1][0] += sym
          out[-1][1] = min(out[-1][1], conf)
        continue
      out.append([sym, conf, sym in self.spelled])
    out = [t for t in out if t[0] not in self.spelled]
    return self.separator.join(t[0] for t in out), [t[1] for t in out]

  def decode_one(self, i: int) -> str:
    """One class id -> its symbol ('' for the blank)."""
    return "" if int(i) == BLANK_ID else self.symbols[int(i) - 1]

  def to_json(self) -> dict:
    out = {"symbols": list(self.symbols), "separator": self.separator}
    if self.spelled:
      out["spelled"] = list(self.spelled)
    return out

  @classmethod
  def from_json(cls, d: dict) -> Charset:
    return cls(tuple(d["symbols"]), d.get("separator", ""), tuple(d.get("spelled", ())))


def is_music(name: str) -> bool:
  """Whether a charset name is one of PrIMuS semantic music tokens (the music decoder's)."""
  return str(name).startswith(("primus_semantic", "primus_piano"))


def get_charset(name: str) -> Charset:
  if name == "printable_ascii":
    return Charset.from_string(PRINTABLE_ASCII)
  if name == "korean":  # 2,350 KS X 1001 syllables, digits, punctuation, space
    from ocr_jax.data import render  # pylint: disable=g-import-not-at-top
    return Charset.from_string(" 0123456789" + render.KOREAN_PUNCT + render.hangul_2350())
  if name == "korean_print":  # Korean as it is printed (configs/korean_print.py)
    from ocr_jax.data import render  # pylint: disable=g-import-not-at-top
    return Charset.from_string(PRINTABLE_ASCII + render.hangul_2350() + HANGUL_JAMO
                               + KOREAN_SYMBOLS)
  if name == "primus_semantic":  # the 1,781 PrIMuS semantic music tokens
    from ocr_jax.omr import tokens  # pylint: disable=g-import-not-at-top
    return Charset(tuple(sorted(tokens.vocabulary())), separator=" ")
  if name == "primus_semantic_spelled":  # the same, multirest counts spelled digit by digit
    from ocr_jax.omr import tokens  # pylint: disable=g-import-not-at-top
    kept = sorted(t for t in tokens.vocabulary() if not t.startswith("multirest-"))
    return Charset(tuple(kept) + ("multirest-",) + tuple(DIGITS), separator=" ",
                   spelled=("multirest-",))
  if name == "primus_piano":  # primus_semantic_spelled + `chord` (omr/tokens.py)
    spelled = get_charset("primus_semantic_spelled")
    return Charset(spelled.symbols + ("chord",), separator=" ", spelled=spelled.spelled)
  if name == "primus_piano_voices":  # primus_piano + `voice2` (omr/tokens.py)
    piano = get_charset("primus_piano")
    return Charset(piano.symbols + ("voice2",), separator=" ", spelled=piano.spelled)
  if name == "digits":
    return Charset.from_string(DIGITS)
  raise ValueError(f"unknown charset {name!r}")
