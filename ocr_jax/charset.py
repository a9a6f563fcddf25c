"""The one mapping between text (or music tokens) and class ids, saved with every checkpoint.

Class 0 is the CTC blank; symbol i of the charset is class i + 1.
"""
from __future__ import annotations

import dataclasses
import string

PRINTABLE_ASCII = "".join(chr(c) for c in range(32, 127))
assert set(PRINTABLE_ASCII) == set(string.printable) - set("\t\n\r\x0b\x0c")

BLANK_ID = 0


class UnknownSymbolError(ValueError):
  """A label holds a symbol that the charset does not know."""


@dataclasses.dataclass(frozen=True)
class Charset:
  """An ordered set of symbols: characters (`separator=''`) or tokens (`separator=' '`)."""
  symbols: tuple[str, ...]
  separator: str = ""

  def __post_init__(self):
    if len(set(self.symbols)) != len(self.symbols):
      raise ValueError("charset has duplicate symbols")
    object.__setattr__(self, "_index", {s: i + 1 for i, s in enumerate(self.symbols)})

  @classmethod
  def from_string(cls, chars: str) -> Charset:
    return cls(tuple(chars))

  @property
  def num_classes(self) -> int:
    """Number of output classes, blank included."""
    return len(self.symbols) + 1

  def split(self, text: str) -> list[str]:
    return list(text) if not self.separator else text.split()

  def encode(self, text: str) -> list[int]:
    """Text -> class ids; raises UnknownSymbolError naming the symbol and its position."""
    ids = []
    for pos, sym in enumerate(self.split(text)):
      if sym not in self._index:
        raise UnknownSymbolError(
            f"symbol {sym!r} at position {pos} of {text[:60]!r} is not in the charset")
      ids.append(self._index[sym])
    return ids

  def unknown_symbols(self, text: str) -> set[str]:
    return {s for s in self.split(text) if s not in self._index}

  def decode(self, ids) -> str:
    """Class ids (blank-free, already collapsed) -> text."""
    return self.separator.join(self.symbols[int(i) - 1] for i in ids if int(i) != BLANK_ID)

  def decode_one(self, i: int) -> str:
    """One class id -> its symbol ('' for the blank)."""
    return "" if int(i) == BLANK_ID else self.symbols[int(i) - 1]

  def to_json(self) -> dict:
    return {"symbols": list(self.symbols), "separator": self.separator}

  @classmethod
  def from_json(cls, d: dict) -> Charset:
    return cls(tuple(d["symbols"]), d.get("separator", ""))


def get_charset(name: str) -> Charset:
  if name == "printable_ascii":
    return Charset.from_string(PRINTABLE_ASCII)
  if name == "korean":  # 2,350 KS X 1001 syllables, digits, punctuation, space
    from ocr_jax.data import render  # pylint: disable=g-import-not-at-top
    return Charset.from_string(" 0123456789" + render.KOREAN_PUNCT + render.hangul_2350())
  if name == "primus_semantic":  # the 1,781 PrIMuS semantic music tokens
    from ocr_jax.omr import tokens  # pylint: disable=g-import-not-at-top
    return Charset(tuple(sorted(tokens.vocabulary())), separator=" ")
  if name == "digits":
    return Charset.from_string("0123456789")
  raise ValueError(f"unknown charset {name!r}")
