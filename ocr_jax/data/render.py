"""Synthetic printed text lines: bundled fonts and text, Pillow rendering, print/scan degradations.

Everything here is deterministic given a `numpy.random.Generator`, so a tfds builder that seeds
one per example produces the same dataset on every machine.
"""
from __future__ import annotations

import copy
import functools
import gzip
import io
import os
import string
import unicodedata

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from ocr_jax.data import preprocess

THIRD_PARTY = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "third_party")
FONT_DIR = os.path.join(THIRD_PARTY, "fonts")
TEXT_DIR = os.path.join(THIRD_PARTY, "text")

# Font families are split so that validation measures reading of faces never seen in training:
# Century Schoolbook (C059), URW Gothic, DejaVu Serif and FreeMono appear only in validation.
TRAIN_FONTS = (
    "LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf", "LiberationSans-Italic.ttf",
    "LiberationSans-BoldItalic.ttf", "LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf",
    "LiberationSerif-Italic.ttf", "LiberationSerif-BoldItalic.ttf", "LiberationMono-Regular.ttf",
    "LiberationMono-Bold.ttf", "NimbusRoman-Regular.otf", "NimbusRoman-Italic.otf",
    "NimbusSans-Regular.otf", "NimbusSans-Bold.otf", "NimbusSansNarrow-Regular.otf",
    "NimbusMonoPS-Regular.otf", "P052-Roman.otf", "P052-Italic.otf", "URWBookman-Light.otf",
    "URWBookman-DemiItalic.otf", "DejaVuSans.ttf", "DejaVuSans-Oblique.ttf",
    "DejaVuSansMono-Bold.ttf", "DejaVuSansCondensed-Bold.ttf", "FreeSansBold.ttf",
    "Go-Regular.ttf", "Go-Bold-Italic.ttf", "Go-Mono.ttf", "Go-Smallcaps.ttf",
    "Cantarell-Regular.otf", "Cantarell-Bold.otf", "Caladea-Regular.ttf", "Caladea-Italic.ttf",
    "EBGaramond08-Regular.otf", "EBGaramond08-Italic.otf", "LinLibertine_R.otf",
    "LinBiolinum_R.otf", "GenBasR.ttf", "GenBasI.ttf", "Inconsolata.otf",
    "NotoMono-Regular.ttf", "OpenSans-Regular.ttf", "OpenSans-Italic.ttf",
    "OpenSans-CondBold.ttf", "Roboto-Regular.ttf", "RobotoCondensed-Bold.ttf",
    "Quicksand-Regular.ttf", "Quicksand-Bold.ttf", "Comfortaa-Regular.ttf",
    "LeagueSpartan-Regular.otf", "LeagueSpartan-Bold.otf",
)
# 15 more training faces (synth_text 1.4.0; builder configs with `more_faces`): a typewriter,
# thin and plain monos, geometric, grotesque and humanist sans, old-style serifs.
MORE_TRAIN_FONTS = (
    "CourierPrime-Regular.otf", "CourierPrime-Italic.otf", "Inter-Regular.otf",
    "Inter-Italic.otf", "JetBrainsMono-Light.ttf", "Jura-Regular.otf", "Manrope-Regular.ttf",
    "Karla-Regular.otf", "GoudyBookletter1911.otf", "LindenHill.otf", "LindenHill-Italic.otf",
    "AnonymousPro-Regular.ttf", "B612-Regular.otf", "Cabin-Regular.otf", "Cabin-Italic.otf",
)
# 16 more training faces read from Debian's font packages at data-preparation time (not
# bundled; builder configs with `system_faces`): apt-get install fonts-adf-accanthis
# fonts-adf-berenis fonts-adf-libris fonts-adf-romande fonts-adf-tribun fonts-adf-universalis
# fonts-adf-verana fonts-freefont-otf fonts-sil-andika fonts-hack fonts-junicode. None is a
# validation, test or development face (devsets.DEV_FONTS).
SYSTEM_FONT_PACKAGES = ("fonts-adf-accanthis fonts-adf-berenis fonts-adf-libris "
                        "fonts-adf-romande fonts-adf-tribun fonts-adf-universalis "
                        "fonts-adf-verana fonts-freefont-otf fonts-sil-andika fonts-hack "
                        "fonts-junicode")
_ADF = "/usr/share/fonts/truetype/adf/"
SYSTEM_TRAIN_FONTS = (
    _ADF + "AccanthisADFStd-Regular.otf", _ADF + "AccanthisADFStd-Italic.otf",
    _ADF + "BerenisADFPro-Regular.otf", _ADF + "LibrisADFStd-Regular.otf",
    _ADF + "RomandeADFStd-Regular.otf", _ADF + "RomandeADFStd-Italic.otf",
    _ADF + "TribunADFStd-Regular.otf", _ADF + "TribunADFStd-Italic.otf",
    _ADF + "UniversalisADFStd-Regular.otf", _ADF + "Verana-Regular.otf",
    "/usr/share/fonts/opentype/freefont/FreeSerif.otf",
    "/usr/share/fonts/opentype/freefont/FreeSerifItalic.otf",
    "/usr/share/fonts/opentype/freefont/FreeSans.otf",
    "/usr/share/fonts/truetype/andika/Andika-Regular.ttf",
    "/usr/share/fonts/truetype/hack/Hack-Regular.ttf",
    "/usr/share/fonts/opentype/junicode/JunicodeTwoBeta-Regular.otf",
)


# 33 more faces from Debian packages (builder configs with `wide_faces`), chosen for what the
# development sets showed: true italics (Latin Modern's and TeX Gyre's italics read worst),
# bold and condensed cuts, a Times-like serif (Doulos), a Century, Didot and Garamond, old-style
# figures (Prociono) and monos. Left out on purpose: fonts-cmu (Computer Modern: Latin Modern's
# twin, a development face), fonts-liberation2 (twins of croscore's Tinos/Arimo/Cousine),
# fonts-noto-* (Noto Serif and Sans are test faces), DejaVu Serif's cuts (validation),
# Dustismo (its 1 is its l) and OSP-DIN (lacks # $ & * _).
WIDE_FONT_PACKAGES = ("fonts-ebgaramond fonts-linuxlibertine fonts-century-catalogue "
                      "fonts-sil-doulos fonts-sil-gentiumplus fonts-gfs-artemisia "
                      "fonts-gfs-didot fonts-prociono fonts-averia-serif-gwf "
                      "fonts-averia-sans-gwf fonts-clear-sans fonts-roboto-unhinted "
                      "fonts-dejavu-extra fonts-mononoki fonts-firacode")
_OT, _TT = "/usr/share/fonts/opentype/", "/usr/share/fonts/truetype/"
WIDE_TRAIN_FONTS = (
    _OT + "ebgaramond/EBGaramond12-Regular.otf", _OT + "ebgaramond/EBGaramond12-Italic.otf",
    _OT + "ebgaramond/EBGaramond12-Bold.otf", _OT + "linux-libertine/LinLibertine_RI.otf",
    _OT + "linux-libertine/LinLibertine_RB.otf", _OT + "linux-libertine/LinLibertine_RBI.otf",
    _OT + "linux-libertine/LinBiolinum_RI.otf", _OT + "linux-libertine/LinBiolinum_RB.otf",
    _TT + "fonts-century-catalogue/Century-Catalogue.ttf", _TT + "doulos/DoulosSIL-Regular.ttf",
    _TT + "gentiumplus/GentiumBookPlus-Regular.ttf",
    _TT + "gentiumplus/GentiumBookPlus-Italic.ttf", _TT + "gentiumplus/GentiumPlus-BoldItalic.ttf",
    _OT + "artemisia/GFSArtemisia.otf", _OT + "artemisia/GFSArtemisiaIt.otf",
    _OT + "didot/GFSDidot.otf", _OT + "didot/GFSDidotItalic.otf",
    _OT + "fonts-prociono/Prociono.otf", _TT + "averia-gwf/AveriaSerifGWF-Regular.ttf",
    _TT + "averia-gwf/AveriaSerifGWF-Italic.ttf", _TT + "averia-gwf/AveriaSansGWF-Regular.ttf",
    _TT + "clear-sans/ClearSans-Regular.ttf", _TT + "clear-sans/ClearSans-Italic.ttf",
    _TT + "clear-sans/ClearSans-Bold.ttf", _TT + "roboto/unhinted/RobotoCondensed-Italic.ttf",
    _TT + "roboto/unhinted/RobotoTTF/Roboto-Italic.ttf",
    _TT + "roboto/unhinted/RobotoTTF/Roboto-Light.ttf", _TT + "dejavu/DejaVuSans-BoldOblique.ttf",
    _TT + "dejavu/DejaVuSansCondensed-Oblique.ttf", _TT + "mononoki/mononoki-Regular.ttf",
    _TT + "mononoki/mononoki-Italic.ttf", _TT + "firacode/FiraCode-Regular.ttf",
    _TT + "dejavu/DejaVuSansMono-Oblique.ttf",
)


def check_system_fonts(wide: bool = False) -> None:
  """Raises FileNotFoundError naming the Debian packages when a system face is missing
  (SYSTEM_TRAIN_FONTS, and WIDE_TRAIN_FONTS where `wide`)."""
  for faces, packages in ((SYSTEM_TRAIN_FONTS, SYSTEM_FONT_PACKAGES),
                          (WIDE_TRAIN_FONTS if wide else (), WIDE_FONT_PACKAGES)):
    missing = [f for f in faces if not os.path.exists(f)]
    if missing:
      raise FileNotFoundError(f"{len(missing)} training faces missing (e.g. {missing[0]}); "
                              f"apt-get install {packages}")


VALIDATION_FONTS = (
    "C059-Roman.otf", "C059-Italic.otf", "URWGothic-Book.otf", "URWGothic-DemiOblique.otf",
    "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "FreeMono.ttf", "FreeMonoBold.ttf",
)
# Faces no training or validation split uses: only the English-print test sets
# (ocr_jax/data/testsets.py) are rendered in them.
TEST_FONTS = (
    "CharisSIL-Regular.ttf", "CharisSIL-Italic.ttf", "Carlito-Regular.ttf", "Carlito-Bold.ttf",
    "Lato-Regular.ttf", "Lato-Italic.ttf", "NotoSerif-Regular.ttf", "NotoSans-Regular.ttf",
)
PROSE_FILES = ("kjv.txt.gz", "jargon.txt.gz")
# The last tenth of every prose file is kept for validation text.
VALIDATION_TEXT_FRACTION = 0.1


def text_file(name: str) -> list[str]:
  """The paragraphs (lines) of a bundled text file, third_party/text/NAME."""
  with gzip.open(os.path.join(TEXT_DIR, name), "rt", encoding="utf-8") as f:
    return f.read().splitlines()


def split_part(paragraphs: list[str], split: str) -> list[str]:
  """The training part of a text's paragraphs, or its last tenth for 'validation'."""
  cut = int(len(paragraphs) * (1 - VALIDATION_TEXT_FRACTION))
  return paragraphs[:cut] if split == "train" else paragraphs[cut:]


def _split_texts(names: tuple[str, ...], split: str, extra: tuple[str, ...]) -> list[str]:
  """The `split` part of each bundled text file in `names`, then (for 'train' only) the
  training part of each `extra` file: validation text is the same with or without `extra`."""
  paragraphs = []
  for name in names + (extra if split == "train" else ()):
    paragraphs.extend(split_part(text_file(name), split))
  return paragraphs


@functools.lru_cache(maxsize=None)
def load_prose(split: str, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
  """Paragraphs of the bundled public-domain prose for a split ('train' or 'validation'),
  plus the training part of each `extra` file (technical prose, third_party/text/README:
  builder configs that name it)."""
  return tuple(p.translate(_TO_ASCII) for p in _split_texts(PROSE_FILES, split, extra))


# Typographic quotes and dashes of the technical prose, as the ASCII charset writes them.
_TO_ASCII = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                           "\u2013": "-", "\u2014": "--"})


# ------------------------------------------------------------------------------------------
# Text.
# ------------------------------------------------------------------------------------------
_PUNCT = string.punctuation
_WORDS_FALLBACK = ("the", "and", "of", "to", "in")


def _prose_window(rng, paragraphs, max_chars: int) -> str:
  para = paragraphs[rng.integers(len(paragraphs))]
  words = para.split()
  start = rng.integers(len(words))
  target = int(rng.integers(1, max_chars + 1))
  out = words[start]
  for w in words[start + 1:]:
    if len(out) + 1 + len(w) > target:
      break
    out += " " + w
  return out[:max_chars]


def _number(rng) -> str:
  kind = rng.integers(6)
  if kind == 0:
    return str(rng.integers(0, 10 ** rng.integers(1, 7)))
  if kind == 1:
    return f"{rng.integers(0, 100000):,}.{rng.integers(0, 100):02d}"
  if kind == 2:
    return f"{rng.integers(1, 13):02d}/{rng.integers(1, 32):02d}/{rng.integers(1600, 2100)}"
  if kind == 3:
    return f"{rng.integers(0, 24)}:{rng.integers(0, 60):02d}"
  if kind == 4:
    return rng.choice(["$", "#", "-", "+", "~", "("]) + str(rng.integers(0, 1000))
  return f"{rng.integers(0, 100)}{rng.choice(['%', ')', '.', '', 'th', 'kg', '^2'])}"


def _random_chars(rng, max_chars: int) -> str:
  pool = string.ascii_letters + string.digits + _PUNCT + "   "
  n = int(rng.integers(1, min(12, max_chars) + 1))
  return "".join(rng.choice(list(pool), n)).strip() or rng.choice(list(_PUNCT))


def _mixed(rng, paragraphs, max_chars: int) -> str:
  """Prose words interleaved with numbers and punctuation, like references and prices."""
  words = paragraphs[rng.integers(len(paragraphs))].split() or list(_WORDS_FALLBACK)
  parts = []
  for _ in range(int(rng.integers(1, 5))):
    r = rng.random()
    if r < 0.45:
      parts.append(words[rng.integers(len(words))])
    elif r < 0.8:
      parts.append(_number(rng))
    else:
      w = words[rng.integers(len(words))]
      left, right = rng.choice(['"', "'", "(", "[", "{", "<", "*", "_", "`"]), None
      right = {"(": ")", "[": "]", "{": "}", "<": ">"}.get(left, left)
      parts.append(left + w + right + rng.choice(["", ",", ";", ":", "!", "?", ".", "|"]))
  sep = rng.choice([" ", " ", " ", " - ", ", ", "/", " = ", " & ", "@", "\\"])
  return sep.join(parts)[:max_chars].strip() or _number(rng)


def sample_text(rng: np.random.Generator, split: str, max_chars: int,
                extra: tuple[str, ...] = ()) -> str:
  """One line of text: mostly prose windows, plus strings that cover digits and punctuation
  (`extra`: more training prose files, see load_prose)."""
  paragraphs = load_prose(split, tuple(extra))
  r = rng.random()
  if r < 0.7:
    text = _prose_window(rng, paragraphs, max_chars)
  elif r < 0.85:
    text = _mixed(rng, paragraphs, max_chars)
  elif r < 0.93:
    text = _number(rng)
  else:
    text = _random_chars(rng, max_chars)
  if rng.random() < 0.05:
    text = text.upper()
  return text.strip()[:max_chars].strip() or "."


@functools.lru_cache(maxsize=None)
def font_chars(font_name: str) -> frozenset:
  """The characters a face has glyphs for (a collection's first face)."""
  from fontTools.ttLib import TTFont  # pylint: disable=g-import-not-at-top
  path = os.path.join(FONT_DIR, font_name)
  font = TTFont(path, lazy=True, fontNumber=0 if path.endswith(".ttc") else -1)
  return frozenset(chr(c) for c in font.getBestCmap())


def _covers(font_name: str, chars: str) -> bool:
  return set(chars) <= font_chars(font_name)


def typeset(text: str, font_name: str) -> str:
  """The glyphs a typesetter prints for an ASCII line: curly quotes (opening after a space or
  bracket, closing elsewhere, so apostrophes close) and en or em dashes for a spaced
  hyphen and for '--'. The label stays the ASCII text: the charset reads typographic marks as
  their ASCII forms, as compare's normalisation does."""
  quotes = _covers(font_name, "\u2018\u2019\u201c\u201d")
  dashes = _covers(font_name, "\u2013\u2014")
  out = []
  for i, c in enumerate(text):
    before = text[i - 1] if i else " "
    opening = before in " ([{<" or before in "\u2018\u201c"
    if quotes and c == "'":
      out.append("\u2018" if opening else "\u2019")
    elif quotes and c == '"':
      out.append("\u201c" if opening else "\u201d")
    elif dashes and c == "-" and before == " " and text[i + 1:i + 2] == " ":
      out.append("\u2013")
    else:
      out.append(c)
  drawn = "".join(out)
  return drawn.replace("--", "\u2014") if dashes else drawn


# Letters that stay within the x-height (no ascender, descender or dot).
XHEIGHT_LETTERS = frozenset("acemnorsuvwxz")


@functools.lru_cache(maxsize=None)
def _xheight_words(split: str, extra: tuple[str, ...]) -> tuple[str, ...]:
  words = {w for p in load_prose(split, extra) for w in p.split()}
  return tuple(sorted(w for w in words if set(w.rstrip(".,;:")) <= XHEIGHT_LETTERS
                      and len(w.rstrip(".,;:")) >= 2))


def sample_xheight(rng: np.random.Generator, split: str, max_chars: int,
                   extra: tuple[str, ...] = ()) -> str:
  """A line of words in x-height letters alone ('summer is over.'): cut tight, such a line
  looks like capitals, unless a reader learns the x-height's stroke weight and shapes."""
  words = _xheight_words(split, tuple(extra))
  out = words[rng.integers(len(words))]
  for _ in range(int(rng.integers(0, 6))):
    w = words[rng.integers(len(words))]
    if len(out) + 1 + len(w) > max_chars:
      break
    out += " " + w
  return out


RULE_CHARS = "=-_*~#+."


def sample_rule(rng: np.random.Generator, max_chars: int) -> str:
  """A table or section rule of technical text ('===== =========', '----------'): one to
  four runs of one character, a space apart (wider gaps are the `justify` option's). Such a
  line has no letters to tell its height by: cut flush, its bars fill the crop."""
  char = RULE_CHARS[rng.integers(len(RULE_CHARS))]
  runs = [char * int(rng.integers(2, 25)) for _ in range(int(rng.integers(1, 5)))]
  out = runs[0]
  for run in runs[1:]:
    if len(out) + 1 + len(run) > max_chars:
      break
    out += " " + run
  return out[:max_chars]


# Korean: the 2,350 Hangul syllables of KS X 1001 (the common set), in Nanum faces; the
# NanumSquareRound family is held out for validation.
KOREAN_TRAIN_FONTS = ("NanumSquareR.ttf", "NanumSquareB.ttf", "NanumMyeongjo.ttf")
KOREAN_VALIDATION_FONTS = ("NanumSquareRoundR.ttf",)
KOREAN_PUNCT = ".,?!-()'\"%"


@functools.lru_cache(maxsize=1)
def hangul_2350() -> str:
  """The KS X 1001 Hangul syllables, decoded from their EUC-KR code points (0xB0A1-0xC8FE)."""
  out = []
  for hi in range(0xB0, 0xC9):
    for lo in range(0xA1, 0xFF):
      try:
        out.append(bytes([hi, lo]).decode("euc-kr"))
      except UnicodeDecodeError:
        pass
  return "".join(out)


def sample_korean(rng: np.random.Generator, max_syllables: int) -> str:
  """Words of 1-4 syllables drawn uniformly from the 2,350 (every class seen equally often),
  with some numbers and punctuation. No Korean corpus is bundled, so no word statistics."""
  syllables = hangul_2350()
  words, n = [], 0
  target = int(rng.integers(2, max_syllables + 1))
  while n < target:
    r = rng.random()
    if r < 0.85:
      k = int(min(rng.integers(1, 5), target - n))
      word = "".join(syllables[i] for i in rng.integers(len(syllables), size=k))
      if rng.random() < 0.1:
        word += KOREAN_PUNCT[rng.integers(4)]
    else:
      word = str(rng.integers(0, 10 ** int(rng.integers(1, 5))))
      k = len(word)
    words.append(word)
    n += k
  return " ".join(words)


# Korean print (`synth_text/korean_print`): faces read from Debian's packages at
# data-preparation time, Korean prose with English words, numbers and the marks of Korean
# print. Held out: NanumSquareRound validates; NanumBarunGothic, Lexi Saebom, BM Hanna Pro,
# WenQuanYi Micro Hei and D2Coding only build the development sets (devsets_korean.py); Un,
# Baekmuk and Noto CJK faces are test-only for everyone and used nowhere here.
KOREAN_FONT_PACKAGES = ("fonts-nanum fonts-nanum-extra fonts-nanum-eco fonts-alee "
                        "fonts-lexi-gulim fonts-woowa-bm fonts-wqy-zenhei hunspell-ko")
_NANUM = "/usr/share/fonts/truetype/nanum/"
_BM = "/usr/share/fonts/truetype/woowa-bm/"
_ALEE = "/usr/share/fonts/truetype/alee/"
KOREAN_PRINT_TRAIN_FONTS = tuple(
    [_NANUM + f + ".ttf" for f in (
        "NanumGothic", "NanumGothicBold", "NanumGothicLight", "NanumGothicExtraBold",
        "NanumMyeongjo", "NanumMyeongjoBold", "NanumMyeongjoExtraBold", "NanumSquareR",
        "NanumSquareB", "NanumSquareL", "NanumSquareEB", "NanumGothicCoding",
        "NanumGothicEcoR", "NanumMyeongjoEcoR", "NanumMyeongjoEcoBold", "NanumBarunpenR",
        "NanumBarunpenB", "NanumPen", "NanumBrush")]
    + [_ALEE + f + ".ttf" for f in ("Bandal", "Bangwool", "Eunjin", "EunjinNakseo")]
    + ["/usr/share/fonts/truetype/lexi/LexiGulim.ttf",
       "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"]
    + [_BM + f + ".ttf" for f in (
        "BMDOHYEON_ttf", "BMEULJIROTTF", "BMEuljiro10yearslater", "BMEuljirooraeorae",
        "BMHANNAAir_ttf", "BMHANNA_11yrs_ttf", "BMJUA_ttf", "BMKIRANGHAERANG-TTF",
        "BMYEONSUNG_ttf")])
KOREAN_PRINT_VALIDATION_FONTS = (_NANUM + "NanumSquareRoundR.ttf",
                                 _NANUM + "NanumSquareRoundB.ttf")
KOREAN_PROSE = "gimp_help_ko.txt.gz"
# The language model's (charlm.py); training lines only in configs that name it as extra.
KOREAN_LM_PROSE = "libreoffice_help_ko.txt.gz"
HUNSPELL_KO = "/usr/share/hunspell/ko.dic"


def check_korean_fonts() -> None:
  """Raises FileNotFoundError naming the Debian packages when a face or the word list lacks."""
  missing = [f for f in KOREAN_PRINT_TRAIN_FONTS + KOREAN_PRINT_VALIDATION_FONTS + (
      HUNSPELL_KO,) if not os.path.exists(f)]
  if missing:
    raise FileNotFoundError(f"{len(missing)} Korean faces or files missing (e.g. "
                            f"{missing[0]}); apt-get install {KOREAN_FONT_PACKAGES}")


@functools.lru_cache(maxsize=None)
def korean_prose(split: str, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
  """Paragraphs of the GIMP manual's Korean text (its last tenth is validation text), plus
  the training part of each `extra` file for 'train' (builder configs that name one)."""
  return tuple(_split_texts((KOREAN_PROSE,), split, extra))


def korean_lm_prose() -> tuple[str, ...]:
  """Paragraphs of LibreOffice's Korean help: more Korean for the character language model
  of the Korean release (korean_print draws its lines from the GIMP manual alone)."""
  return tuple(text_file(KOREAN_LM_PROSE))


@functools.lru_cache(maxsize=1)
def korean_words() -> tuple[str, ...]:
  """Hunspell's Korean word list (Debian hunspell-ko), words of KS X 1001 syllables only:
  the vocabulary of the whole language, where the prose holds one manual's."""
  known = set(hangul_2350())
  with open(HUNSPELL_KO, encoding="utf-8") as f:
    words = {unicodedata.normalize("NFC", line.split("/")[0].strip())  # stored decomposed
             for line in f.readlines()[1:]}
  return tuple(sorted(w for w in words if w and set(w) <= known))


_KO_UNITS = ("%", "kg", "cm", "mm", "km", "m", "g", "MB", "GB", "px", "dpi", "\u338f",
             "\u339d", "\u339c", "\u339e", "\u33a1", "\u2103", "\u00b0", "\uc6d0", "\uac1c",
             "\uba85", "\ubc88", "\ub144", "\uc6d4", "\uc77c", "\uc2dc", "\ubd84", "\ucd08",
             "\ud68c", "\uce35", "\ud638", "\uc7a5", "\uc138")
_KO_BRACKETS = ("()", "[]", "\u300c\u300d", "\u300e\u300f", "\u3008\u3009",
                "\u300a\u300b", "\u3010\u3011", "\u2018\u2019", "\u201c\u201d", '""',
                "''", "<>")


def _korean_number(rng) -> str:
  kind = rng.integers(6)
  if kind == 0:
    year, month, day = rng.integers(1950, 2031), rng.integers(1, 13), rng.integers(1, 32)
    return f"{year}\ub144 {month}\uc6d4 {day}\uc77c"
  if kind == 1:
    return f"{rng.integers(1950, 2031)}.{rng.integers(1, 13)}.{rng.integers(1, 32)}."
  if kind == 2:
    return f"0{rng.integers(2, 100)}-{rng.integers(100, 10000)}-{rng.integers(1000, 10000)}"
  if kind == 3:
    return f"\u20a9{rng.integers(100, 10 ** 7):,}" if rng.random() < 0.3 else (
        f"{rng.integers(100, 10 ** 7):,}\uc6d0")
  if kind == 4:
    return f"\uc81c{rng.integers(1, 200)}\uc870" + (
        f"\uc81c{rng.integers(1, 10)}\ud56d" if rng.random() < 0.5 else "")
  return f"{rng.integers(0, 1000)}{_KO_UNITS[rng.integers(len(_KO_UNITS))]}"


def _korean_mixed(rng, paragraphs, max_chars: int) -> str:
  """Korean words beside English words, numbers with units, brackets and marks, as signs,
  prices, references and product names have them."""
  words = paragraphs[rng.integers(len(paragraphs))].split()
  english = load_prose("train")
  parts = []
  for _ in range(int(rng.integers(2, 6))):
    r = rng.random()
    if r < 0.4:
      parts.append(words[rng.integers(len(words))])
    elif r < 0.6:
      eng = english[rng.integers(len(english))].split() or list(_WORDS_FALLBACK)
      w = eng[rng.integers(len(eng))]
      parts.append(w.upper() if rng.random() < 0.3 else w)
    elif r < 0.8:
      parts.append(_korean_number(rng))
    else:
      pair = _KO_BRACKETS[rng.integers(len(_KO_BRACKETS))]
      parts.append(pair[0] + words[rng.integers(len(words))] + pair[1])
  lead = rng.choice(["", "", "", "\u203b ", "\u2022 ", "- ", "\u25cb ", "\u25a0 ", "1. ",
                     chr(0x2460 + int(rng.integers(15))) + " ", "\u3131. "])
  sep = rng.choice([" ", " ", " ", " \u00b7 ", ", ", " / ", " - ", " \u2192 ", "\u00b7"])
  return (lead + sep.join(parts))[:max_chars].strip()


def sample_korean_print(rng: np.random.Generator, split: str, max_chars: int,
                        extra: tuple[str, ...] = ()) -> str:
  """One line of Korean print: prose windows of the manual (and `extra` texts: 55 %), prose
  mixed with English words, numbers, brackets and marks (20 %), words of the Hunspell list
  (15 %: the whole language's syllables), and uniform syllables (10 %: every one of the
  2,350 seen)."""
  paragraphs = korean_prose(split, extra)
  r = rng.random()
  if r < 0.55:
    text = _prose_window(rng, paragraphs, max_chars)
  elif r < 0.75:
    text = _korean_mixed(rng, paragraphs, max_chars)
  elif r < 0.9:
    words = korean_words()
    text = " ".join(words[i] for i in rng.integers(len(words), size=int(rng.integers(1, 7))))
    if rng.random() < 0.3:
      text += KOREAN_PUNCT[rng.integers(4)]
  else:
    text = sample_korean(rng, max(2, max_chars // 2))
  return text.strip()[:max_chars].strip() or "\uac00"


_CIRCLED = "".join(chr(0x2460 + i) for i in range(15))  # ① .. ⑮


def official_marks(rng: np.random.Generator, text: str, max_chars: int) -> str:
  """`text` with the marks of Korean official print that prose rarely has: a circled clause
  numeral set solid before a word ('①헌법개정안은') or a range of them ('① ~ ③'), a run of
  words joined into a list by the interpunct ('시장ㆍ군수ㆍ구청장'), a leader of dashes or
  dots after a word (forms, contents pages); each with its own chance, at least one."""
  words = text.split()
  names = ("numeral", "list", "leader")
  kinds = [k for k in names if rng.random() < 0.5] or [names[int(rng.integers(3))]]
  if "list" in kinds and len(words) >= 2:
    n = int(rng.integers(2, min(4, len(words)) + 1))
    i = int(rng.integers(len(words) - n + 1))
    dot = "\u318d" if rng.random() < 0.7 else "\u00b7"
    words[i:i + n] = [dot.join(words[i:i + n])]
  if "leader" in kinds:
    i = int(rng.integers(len(words)))
    leader = str(rng.choice(["-", "-", ".", "\u00b7"])) * int(rng.integers(4, 21))
    words[i] += leader if rng.random() < 0.6 else " " + leader
  if "numeral" in kinds:
    a = int(rng.integers(len(_CIRCLED)))
    if rng.random() < 0.75:
      words.insert(0, _CIRCLED[a] + words.pop(0) if words else _CIRCLED[a])
    else:
      b = min(len(_CIRCLED) - 1, a + int(rng.integers(1, 5)))
      words.insert(int(rng.integers(len(words) + 1)), f"{_CIRCLED[a]} ~ {_CIRCLED[b]}")
  return " ".join(words)[:max_chars].strip() or text


def widen_gaps(rng: np.random.Generator, text: str) -> str:
  """The line as justified type draws it: every word gap 2-4 spaces wide (the label keeps
  one space; CTC reads a wide gap as one)."""
  return text.replace(" ", " " * int(rng.integers(2, 5)))


# ------------------------------------------------------------------------------------------
# Scene text: colour on colour (signs, covers, screens), for the `scene` profile.
# ------------------------------------------------------------------------------------------
def _luminance(c) -> float:
  return float(preprocess.LUMA @ np.asarray(c, np.float64))  # the readers' weights


def _colour_pair(rng, hue: bool = False) -> tuple[tuple, tuple]:
  """A text and a ground colour whose luminances differ by at least 70 of 255; with `hue`,
  colours that differ by hue more than by brightness instead (luminances under 70 apart,
  colours at least 150 apart in RGB: red on green, blue on purple)."""
  while True:
    a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    apart = abs(_luminance(a) - _luminance(b)) >= 70
    if apart != hue and (not hue or np.linalg.norm(a.astype(float) - b) >= 150):
      return tuple(int(v) for v in a), tuple(int(v) for v in b)


def _ground(size: tuple[int, int], colour, rng, ink=None) -> Image.Image:
  """A ground of `colour`: flat, a gradient to another colour, or a blotchy texture. Given
  the `ink` colour, half the gradients run to any colour at least 120 from the ink in RGB
  (pink to cyan behind blue): the strong gradients of posters and slides."""
  w, h = size
  base = np.broadcast_to(np.asarray(colour, np.float32), (h, w, 3)).copy()
  r = rng.random()
  if r < 0.35:
    other = np.asarray(colour, np.float32) + rng.normal(0, 45, 3)
    if ink is not None and rng.random() < 0.5:  # drawn only when asked (byte-identical)
      other = rng.integers(0, 256, 3).astype(np.float32)
      while np.linalg.norm(other - np.asarray(ink, np.float32)) < 120:
        other = rng.integers(0, 256, 3).astype(np.float32)
    t = np.linspace(0, 1, w)[None, :, None] if rng.random() < 0.6 else np.linspace(
        0, 1, h)[:, None, None]
    base = base * (1 - t) + other * t
  elif r < 0.65:
    coarse = rng.normal(0, rng.uniform(8, 30), (max(2, h // 8), max(2, w // 8), 3))
    base += np.asarray(Image.fromarray(np.clip(coarse + 128, 0, 255).astype(np.uint8)).resize(
        (w, h), Image.BICUBIC), np.float32) - 128
  return Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))


def _perspective(img: Image.Image, rng, fill) -> Image.Image:
  """A mild perspective view: each corner moved by up to 6 % of the height and 2 % of the
  width."""
  w, h = img.size
  d = lambda s: float(rng.uniform(-s, s))
  src = [(d(0.02 * w), d(0.06 * h)), (w + d(0.02 * w), d(0.06 * h)),
         (w + d(0.02 * w), h + d(0.06 * h)), (d(0.02 * w), h + d(0.06 * h))]
  dst = [(0, 0), (w, 0), (w, h), (0, h)]
  a = []
  for (x, y), (u, v) in zip(dst, src):
    a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
    a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
  coeffs = np.linalg.solve(np.asarray(a, np.float64), np.asarray(src, np.float64).reshape(8))
  return img.transform((w, h), Image.PERSPECTIVE, tuple(coeffs), Image.BILINEAR,
                       fillcolor=fill)


def render_scene(text: str, font_name: str, rng, *, height: int = 32,
                 hue: float = 0.0) -> tuple:
  """A scene-text line: coloured text on a coloured, gradient or textured ground, with an
  outline or a drop shadow now and then, a mild perspective and blur; returned in grey, dark
  on light as the readers see it (preprocess.dark_on_light), with its reference for
  `legibility` (the same geometry, black on white).

  `hue` > 0 draws that share of lines in colours that differ by hue more than by brightness
  (`_colour_pair`), lets half the gradients run to any colour, and turns every line grey the
  way the readers turn colour images grey (preprocess.to_grey: the main colour axis where
  luminance would lose the text) rather than by luminance alone."""
  size = int(rng.integers(int(height * 0.9), int(height * 1.8) + 1))
  font = _font(font_name, size)
  ink, paper = _colour_pair(rng, hue=hue > 0 and rng.random() < hue)
  stroke = int(rng.integers(1, max(2, size // 12) + 1)) if rng.random() < 0.2 else 0
  ascent, descent = font.getmetrics()
  x0, _, x1, _ = font.getbbox(text, stroke_width=stroke)
  pad = [int(rng.uniform(0.05, 0.5) * size) + stroke for _ in range(4)]
  width = max(int(np.ceil(max(font.getlength(text), x1))) - min(0, x0), 1) + 2 * stroke
  box = (pad[0] + width + pad[1], pad[2] + ascent + descent + pad[3] + 2 * stroke)
  origin = (pad[0] - min(0, x0) + stroke, pad[2] + stroke)
  img = _ground(box, paper, rng, ink if hue > 0 else None)
  draw = ImageDraw.Draw(img)
  if rng.random() < 0.2:  # drop shadow
    shadow = Image.new("L", box, 0)
    off = int(rng.integers(1, max(2, size // 10) + 1))
    ImageDraw.Draw(shadow).text((origin[0] + off, origin[1] + off), text, font=font, fill=255)
    shadow = shadow.filter(ImageFilter.GaussianBlur(rng.uniform(0, 1.5)))
    dark = tuple(int(c * 0.3) for c in paper)
    img.paste(Image.new("RGB", box, dark), mask=shadow)
  outline = tuple(int(v) for v in rng.integers(0, 256, 3))
  draw.text(origin, text, font=font, fill=ink, stroke_width=stroke, stroke_fill=outline)
  reference = Image.new("L", box, 255)
  ImageDraw.Draw(reference).text(origin, text, font=font, fill=0)
  if rng.random() < 0.6:
    seed = int(rng.integers(2 ** 31))
    img = _perspective(img, np.random.default_rng(seed), paper)
    reference = _perspective(reference, np.random.default_rng(seed), 255)
  if rng.random() < 0.4:
    radius = rng.uniform(0.3, 1.5)
    img = img.filter(ImageFilter.GaussianBlur(radius))
    reference = reference.filter(ImageFilter.GaussianBlur(radius))
  stretch = rng.uniform(0.85, 1.2)
  width = max(1, int(round(img.width * height / img.height * stretch)))
  grey = Image.fromarray(preprocess.to_grey(img)) if hue > 0 else img.convert("L")
  grey = np.asarray(grey.resize((width, height), Image.BILINEAR))
  reference = np.asarray(reference.resize((width, height), Image.BILINEAR))
  return preprocess.dark_on_light(finish(grey, rng)), reference


# ------------------------------------------------------------------------------------------
# Rendering and degradation.
# ------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=512)
def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
  """A bundled face by file name, or a system face by absolute path, at `size` px."""
  return ImageFont.truetype(os.path.join(FONT_DIR, name), size)


def render_clean(text: str, font_name: str, size: int, rng, *, ink: int = 0,
                 paper: int = 255) -> Image.Image:
  """Renders `text` on a line box whose height follows the font's ascent and descent."""
  font = _font(font_name, size)
  ascent, descent = font.getmetrics()
  top = int(rng.uniform(0.02, 0.25) * size)
  bottom = int(rng.uniform(0.02, 0.25) * size)
  left = int(rng.uniform(0.05, 0.6) * size)
  right = int(rng.uniform(0.05, 0.6) * size)
  # Italic faces overhang their advance width; measure the ink box too.
  x0, _, x1, _ = font.getbbox(text)
  width = max(int(np.ceil(max(font.getlength(text), x1))) - min(0, x0), 1)
  img = Image.new("L", (left + width + right, top + ascent + descent + bottom), paper)
  ImageDraw.Draw(img).text((left - min(0, x0), top), text, font=font, fill=ink)
  return img


def degrade(img: Image.Image, rng, *, paper: int, size: int) -> Image.Image:
  """Print and scan effects at render resolution: rotation, ink spread or erosion, blur."""
  if rng.random() < 0.5:
    img = img.rotate(rng.normal(0, 0.7), resample=Image.BILINEAR, expand=False,
                     fillcolor=paper)
  r = rng.random()
  if r < 0.12:
    img = img.filter(ImageFilter.MinFilter(3))  # heavier ink (dark text on light paper)
  elif r < 0.2 and size >= 40:
    img = img.filter(ImageFilter.MaxFilter(3))  # thinner, broken strokes (big type only)
  if rng.random() < 0.5:
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 1.2)))
  return img


def finish(arr: np.ndarray, rng) -> np.ndarray:
  """Sensor and file effects at target resolution: noise, speckle, JPEG, binarisation."""
  arr = arr.astype(np.float32)
  if rng.random() < 0.6:
    arr += rng.normal(0, rng.uniform(2, 14), arr.shape)
  if rng.random() < 0.15:
    speckle = rng.random(arr.shape) < rng.uniform(0.001, 0.01)
    arr[speckle] = rng.choice([0.0, 255.0])
  arr = np.clip(arr, 0, 255).astype(np.uint8)
  r = rng.random()
  if r < 0.3:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=int(rng.integers(25, 90)))
    arr = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("L"))
  elif r < 0.45:
    threshold = (int(arr.min()) + int(arr.max())) / 2 + rng.normal(0, 12)
    arr = np.where(arr > threshold, 255, 0).astype(np.uint8)
  return arr


def neighbour_strokes(img: Image.Image, font_name: str, size: int, rng, *, ink: int,
                      paper: int) -> Image.Image:
  """Bits of the lines above and below that a page segmenter leaves in a line crop: the
  descenders of the previous line at the top, the ascenders of the next at the bottom."""
  font = _font(font_name, size)
  draw = ImageDraw.Draw(img)
  ascent, descent = font.getmetrics()
  filler = "".join(rng.choice(
      list("gjpqy,;()|[]bdfhklt'\"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ "), 200))
  if rng.random() < 0.5:  # previous line's descenders, cut at the top edge
    draw.text((int(rng.integers(-size, size)), -ascent - int(rng.uniform(0.0, 0.3) * descent)),
              filler, font=font, fill=ink)
  else:  # next line's ascenders, cut at the bottom edge
    draw.text((int(rng.integers(-size, size)),
               img.height - int(rng.uniform(0.05, 0.25) * ascent) - (ascent - size * 0.72)),
              filler, font=font, fill=ink)
  return img


def scan_effects(img: Image.Image, rng, *, paper: int) -> Image.Image:
  """Print-in-the-wild effects at render resolution (the `print` profile): ink that bleeds
  into touching glyphs or drops out into broken ones, a binarised 300 dpi scan, uneven light."""
  r = rng.random()
  if r < 0.15:
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.4)))
    arr = np.asarray(img, np.float32)
    cut = paper - (paper - arr.min()) * rng.uniform(0.25, 0.45)  # low threshold: ink bleeds
    img = Image.fromarray(np.where(arr < cut, arr.min(), paper).astype(np.uint8))
  elif r < 0.3:
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.2)))
    arr = np.asarray(img, np.float32)
    cut = arr.min() + (paper - arr.min()) * rng.uniform(0.2, 0.35)  # high: strokes break
    img = Image.fromarray(np.where(arr < cut, arr.min(), paper).astype(np.uint8))
  if rng.random() < 0.2:  # uneven illumination (camera, curled page)
    arr = np.asarray(img, np.float32)
    h, w = arr.shape
    ramp = np.linspace(0, 1, w)[None, :] if rng.random() < 0.7 else np.linspace(0, 1, h)[:, None]
    if rng.random() < 0.5:
      ramp = ramp[..., ::-1] if ramp.shape[0] == 1 else ramp[::-1]
    arr = arr * (1 - rng.uniform(0.1, 0.45) * ramp)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
  return img


# A degraded line is kept only if its ink still stands out of the paper: the 30th percentile
# of the pixels where the undegraded text has ink must lie this many times the paper's noise
# (MAD sigma, plus 4 grey levels) below the paper's median. Chosen by eye on the first 1,000
# english_print validation lines: the 22 (2.2 %) it rejects are thin faces whose strokes the
# thresholds broke into dots, all-black binarisations and ink lost in noise, all but three
# (faint or broken, still readable) unreadable to a person; the lines just above it are
# faint but readable (docs/training.md, "Illegible lines").
MIN_LEGIBILITY = 1.3
MAX_DRAWS = 8


def legibility(arr: np.ndarray, reference: np.ndarray) -> float:
  """How far the ink of a degraded line `arr` stands out of its paper, in noise units:
  (paper median - 30th percentile of the ink pixels) / (paper noise sigma + 4). Ink is where
  `reference` (the same line without its photometric degradations, same geometry) lies more
  than 30 % of its grey range below its paper, paper where it lies within 10 % of it. Lines
  whose reference shows no ink (under 16 grey levels of range) count as legible."""
  ref = reference.astype(np.float32)
  lo, hi = float(ref.min()), float(ref.max())
  if hi - lo < 16:
    return float("inf")
  ink, paper = ref < hi - 0.3 * (hi - lo), ref > hi - 0.1 * (hi - lo)
  a = np.clip(arr, 0, 255).astype(np.uint8)
  (level,) = preprocess.grey_quantiles(a[paper], (0.5,))
  (spread,) = preprocess.grey_quantiles(
      np.abs(a[paper].astype(np.int16) - level).astype(np.uint8), (0.5,))
  (ink_level,) = preprocess.grey_quantiles(a[ink], (0.3,))
  return (level - ink_level) / (1.4826 * spread + 4.0)


def render_line(text: str, font_name: str, rng: np.random.Generator, *, height: int = 32,
                augment: bool = True, profile: str = "default",
                scene_hue: float = 0.0) -> np.ndarray:
  """A text line as a uint8[height, W] grey image (dark ink on light paper). The `print`
  profile adds neighbouring lines' strokes and scan/camera effects (see `scan_effects`); the
  `scene` profile draws colour on colour (`render_scene`, with `scene_hue` as its `hue`).
  An augmented draw whose ink no longer stands out (`legibility` < MIN_LEGIBILITY) is drawn
  again, up to MAX_DRAWS times (then the most legible draw is kept); the check draws no
  random numbers, so a line legible at its first draw is the one earlier versions made."""
  best = None
  for _ in range(MAX_DRAWS if augment else 1):
    if profile == "scene" and augment:
      arr, reference = render_scene(text, font_name, rng, height=height, hue=scene_hue)
    else:
      arr, reference = _draw_line(text, font_name, rng, height, augment, profile)
    if not augment:
      return arr
    score = legibility(arr, reference)
    if score >= MIN_LEGIBILITY:
      return arr
    if best is None or score > best[0]:
      best = (score, arr)
  return best[1]


def _draw_line(text, font_name, rng, height, augment, profile):
  """One draw of `render_line`: the line and, when augmenting, its reference for
  `legibility` (the clean text through the same rotation, ink filter and blur draws, resized
  alike)."""
  size = int(rng.integers(int(height * 0.8), int(height * 1.6) + 1)) if augment else height
  paper = int(rng.integers(170, 256)) if augment else 255
  ink = int(rng.integers(0, max(1, paper - 110))) if augment else 0
  img = render_clean(text, font_name, size, rng, ink=ink, paper=paper)
  reference = img
  if augment and profile == "print":
    if rng.random() < 0.25:
      img = neighbour_strokes(img.copy(), font_name, size, rng, ink=ink, paper=paper)
    img = scan_effects(img, rng, paper=paper)
  if augment:
    reference = degrade(reference, copy.deepcopy(rng), paper=paper, size=size)  # same draws
    img = degrade(img, rng, paper=paper, size=size)
  stretch = rng.uniform(0.85, 1.2) if augment else 1.0
  width = max(1, int(round(img.width * height / img.height * stretch)))
  img = img.resize((width, height), Image.BILINEAR)
  arr = np.asarray(img)
  if not augment:
    return arr, None
  reference = np.asarray(reference.resize((width, height), Image.BILINEAR))
  return finish(arr, rng), reference
