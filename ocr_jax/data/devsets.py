"""Development sets that share nothing with training but the alphabet: the sets to steer by.

  apt-get install ghostscript fonts-texgyre fonts-lmodern fonts-croscore fonts-paratype \
      fonts-adf-baskervald fonts-adf-gillius fonts-roboto-slab fonts-oldstandard fonts-stix
  python -m ocr_jax.data.devsets --out /tmp/ocr_devsets [--lines 300]

Training lines come from `render.py`: Pillow draws one line of KJV or Jargon File prose with
FreeType in a bundled face, then degrades and resizes that line. Every part of that is
replaced here, the way documents reach a reader in the world:
- typesetting: whole pages of PostScript set in points (wrapped, justified with stretched
  spaces, hyphenated, headings, page numbers), rasterised by **Ghostscript** at a document
  resolution (100-400 dpi), with its own glyph scan conversion and anti-aliasing (or none).
  Ghostscript is chosen because it is what prints and rasterises most PDFs and PostScript,
  and it shares no code with Pillow's text drawing;
- faces: 22 faces from Debian packages that no training or validation split reads (TeX Gyre,
  Latin Modern, Croscore, PT, ADF Baskervald and Gillius, Roboto Slab, Old Standard, STIX),
  among them metric twins of training faces (Tinos, TeX Gyre Termes for Times), as real
  documents have them;
- text: SciPy's documentation (`third_party/text/scipy_docs.txt.gz`): technical writing with
  citations, numbers, units and formulas in words, with both typographic and typewriter
  quotes and dashes; plus headings in capitals, page numbers and lines of x-height letters
  only (no ascenders, no descenders);
- print and scan: the whole page is blurred (ink spread), textured, skewed and curled by a
  displacement field (scipy.ndimage), then thresholded to a bitonal scan or kept grey and
  JPEG-compressed; camera pages are lit unevenly, blurred and noisy;
- cropping: each line is cut from the page by a segmenter of its own (the ink inside the
  line's band, as a projection-profile segmenter finds it): flush with the ink, with a little
  paper, or with the neighbouring lines' ascenders and descenders leaking in.

Five sets, each with labels.tsv (`filename<TAB>text`) and sizes.tsv (`filename<TAB>type size
in px`, the em square at the scan's resolution: `compare` reports CER per size band):

  clean/    anti-aliased grey at 150-400 dpi, 8-12 pt, loose crops
  scanned/  printed and scanned at 200-400 dpi: bitonal (two thirds) or grey + JPEG; broken
            or touching glyphs, speckle, skew, curl
  small/    6-9 pt at 100-200 dpi (x-heights of 4-9 px), grey and bitonal
  tight/    grey and bitonal scans cut flush with the ink, a third of them with the
            neighbouring lines' strokes leaking in
  camera/   pages as a phone sees them: uneven light, low contrast, blur, noise, JPEG

Never train or tune a training choice on these; steer by them. Deterministic for the same
arguments, fonts and Ghostscript.
"""
from __future__ import annotations

import argparse
import functools
import gzip
import io
import os
import shutil
import subprocess
import tempfile

import numpy as np
from PIL import Image

from ocr_jax.data import render
from ocr_jax.data import testsets

SEED = 20261205
TEXT_FILE = os.path.join(render.TEXT_DIR, "scipy_docs.txt.gz")
APT_PACKAGES = ("ghostscript fonts-texgyre fonts-lmodern fonts-croscore fonts-paratype "
                "fonts-adf-baskervald fonts-adf-gillius fonts-roboto-slab fonts-oldstandard "
                "fonts-stix")
_GYRE = "/usr/share/texmf/fonts/opentype/public/tex-gyre/"
_LM = "/usr/share/texmf/fonts/opentype/public/lm/"
DEV_FONTS = (
    _GYRE + "texgyretermes-regular.otf", _GYRE + "texgyretermes-italic.otf",
    _GYRE + "texgyreheros-regular.otf", _GYRE + "texgyrepagella-regular.otf",
    _GYRE + "texgyrebonum-regular.otf", _LM + "lmroman10-regular.otf",
    _LM + "lmroman10-italic.otf", _LM + "lmsans10-regular.otf", _LM + "lmmono10-regular.otf",
    "/usr/share/fonts/truetype/croscore/Tinos-Regular.ttf",
    "/usr/share/fonts/truetype/croscore/Tinos-Bold.ttf",
    "/usr/share/fonts/truetype/croscore/Arimo-Regular.ttf",
    "/usr/share/fonts/truetype/croscore/Cousine-Regular.ttf",
    "/usr/share/fonts/truetype/paratype/PTF55F.ttf",  # PT Serif
    "/usr/share/fonts/truetype/paratype/PTS55F.ttf",  # PT Sans
    "/usr/share/fonts/truetype/adf/BaskervaldADFStd.otf",
    "/usr/share/fonts/truetype/adf/BaskervaldADFStd-Italic.otf",
    "/usr/share/fonts/truetype/adf/GilliusADF-Regular.otf",
    "/usr/share/fonts/opentype/roboto/slab/RobotoSlab-Regular.otf",
    "/usr/share/fonts/truetype/fonts-oldstandard/OldStandard-Regular.ttf",
    "/usr/share/fonts/opentype/stix/STIXGeneral-Regular.otf",
    "/usr/share/fonts/opentype/stix/STIXGeneral-Italic.otf",
)
# Characters drawn by glyph name (PostScript's StandardEncoding maps ' and ` to curly quotes).
GLYPH_NAMES = {"'": "quotesingle", "`": "grave", "\u2018": "quoteleft", "\u2019": "quoteright",
               "\u201c": "quotedblleft", "\u201d": "quotedblright", "\u2013": "endash",
               "\u2014": "emdash"}
XHEIGHT_LETTERS = set("acemnorsuvwxz")
SIZE_BANDS = ((0, 12), (13, 20), (21, 32), (33, 10_000))


class DevSetError(RuntimeError):
  """What building the development sets needs is missing; the message says what to install."""


def check_requirements() -> None:
  missing = [p for p in DEV_FONTS if not os.path.exists(p)]
  if shutil.which("gs") is None or missing:
    what = ("Ghostscript (gs)" if shutil.which("gs") is None else "") + (
        f"{len(missing)} fonts, e.g. {missing[0]}" if missing else "")
    raise DevSetError(f"missing {what}; apt-get install {APT_PACKAGES}")


class Face:
  """A font file's PostScript name and metrics (fontTools), for setting text in points."""

  def __init__(self, path: str):
    from fontTools.ttLib import TTFont  # pylint: disable=g-import-not-at-top
    font = TTFont(path, lazy=True)
    self.path = path
    self.ps_name = font["name"].getDebugName(6)
    self.upem = font["head"].unitsPerEm
    self.cmap = font.getBestCmap()
    self.advance = {name: adv for name, (adv, _) in font["hmtx"].metrics.items()}
    os2 = font["OS/2"]
    self.ascent = font["hhea"].ascent / self.upem
    self.descent = -font["hhea"].descent / self.upem
    self.x_height = (getattr(os2, "sxHeight", 0) or 0.45 * self.upem) / self.upem

  def covers(self, text: str) -> bool:
    return all(ord(c) in self.cmap for c in text)

  def width(self, text: str, size: float) -> float:
    """Width in points of `text` set at `size` points (no kerning, as PostScript's show)."""
    return sum(self.advance[self.cmap[ord(c)]] for c in text) * size / self.upem


@functools.lru_cache(maxsize=None)
def face(path: str) -> Face:
  return Face(path)


@functools.lru_cache(maxsize=None)
def load_text() -> tuple[str, ...]:
  with gzip.open(TEXT_FILE, "rt", encoding="utf-8") as f:
    return tuple(l for l in f.read().splitlines() if l.strip())


def typographic(text: str, rng) -> str:
  """Typewriter quotes and dashes to typographic ones, as a typesetter would (half the pages)."""
  out, double_open = [], True
  for i, c in enumerate(text):
    prev = text[i - 1] if i else " "
    if c == '"':
      out.append("\u201c" if double_open else "\u201d")
      double_open = not double_open
    elif c == "'":
      out.append("\u2018" if prev in " ([" else "\u2019")
    elif c == "-" and prev == " " and text[i + 1:i + 2] == " ":
      out.append("\u2014" if rng.random() < 0.5 else "\u2013")
    else:
      out.append(c)
  return "".join(out)


# ------------------------------------------------------------------------------------------
# Typesetting: paragraphs -> lines in points -> PostScript -> Ghostscript.
# ------------------------------------------------------------------------------------------
def wrap(words, fc: Face, size: float, width: float, rng, hyphenate: bool):
  """Greedy line breaking in points, with hyphenation of long words at the line end."""
  lines, cur = [], []
  space = fc.width(" ", size)
  cur_w = 0.0
  for w in words:
    ww = fc.width(w, size)
    if not cur or cur_w + space + ww <= width:
      cur_w = ww if not cur else cur_w + space + ww
      cur.append(w)
      continue
    if hyphenate and len(w) >= 7 and w.isalpha() and rng.random() < 0.6:
      for cut in range(len(w) - 3, 2, -1):
        head = w[:cut] + "-"
        if cur_w + space + fc.width(head, size) <= width:
          cur.append(head)
          w, ww = w[cut:], fc.width(w[cut:], size)
          break
    lines.append(" ".join(cur))
    cur, cur_w = [w], ww
  if cur:
    lines.append(" ".join(cur))
  return lines


def _ps_string(text: str) -> str:
  return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def ps_line(text: str, fc: Face, x: float, y: float, extra_space: float) -> str:
  """PostScript that sets `text` at (x, y): strings with widthshow (stretched spaces for
  justified lines), quotes and dashes by glyph name."""
  ops, run = [f"{x:.2f} {y:.2f} moveto"], []
  for c in text + "\0":
    if c in GLYPH_NAMES or c == "\0":
      if run:
        ops.append(f"{extra_space:.3f} 0 32 {_ps_string(''.join(run))} widthshow")
        run = []
      if c != "\0":
        ops.append(f"/{fc.cmap[ord(c)]} glyphshow")
    else:
      run.append(c)
  return " ".join(ops)


def rasterise(ps: str, fontmap: dict, dpi: int, antialias: bool) -> np.ndarray:
  """Runs Ghostscript on a PostScript page -> uint8[H, W] grey."""
  with tempfile.TemporaryDirectory() as tmp:
    with open(os.path.join(tmp, "Fontmap"), "w", encoding="ascii") as f:
      for name, path in fontmap.items():
        f.write(f"/{name} ({path}) ;\n")
    with open(os.path.join(tmp, "page.ps"), "w", encoding="latin-1") as f:
      f.write(ps)
    out = os.path.join(tmp, "page.png")
    alpha = 4 if antialias else 1
    subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", f"-sFONTMAP={tmp}/Fontmap",
                    "-sDEVICE=pnggray", f"-r{dpi}", f"-dTextAlphaBits={alpha}",
                    f"-dGraphicsAlphaBits={alpha}", f"-sOutputFile={out}", "page.ps"],
                   cwd=tmp, check=True, capture_output=True, timeout=120)
    return np.asarray(Image.open(out).convert("L"))


def typeset_page(rng, fc: Face, size: float, dpi: int, antialias: bool):
  """A page of technical prose -> (grey page, [(text, (x0, baseline, x1) in px)], em in px)."""
  paras = load_text()
  col = float(rng.uniform(180, 470))  # column width, points
  margin = 36.0
  leading = size * float(rng.uniform(1.12, 1.45))
  justify = rng.random() < 0.6
  quotes = rng.random() < 0.5
  lines = []  # (text, justified?)
  heading = " ".join(paras[rng.integers(len(paras))].split()[:int(rng.integers(2, 7))])
  heading = heading.strip(".,;:")
  if rng.random() < 0.5:
    heading = heading.upper()
  if rng.random() < 0.3:
    heading = f"{int(rng.integers(1, 12))}.{int(rng.integers(1, 9))} {heading}"
  lines.append((heading, False))
  while len(lines) < 26:
    text = paras[rng.integers(len(paras))]
    if quotes:
      text = typographic(text, rng)
    words = [w for w in text.split() if fc.covers(w)]
    wrapped = wrap(words, fc, size, col, rng, hyphenate=rng.random() < 0.7)
    lines += [(l, justify and n < len(wrapped) - 1) for n, l in enumerate(wrapped)]
    if rng.random() < 0.35:  # a line of x-height letters only: no ascenders or descenders
      pool = sorted({w for w in " ".join(paras[rng.integers(len(paras))]
                                         for _ in range(40)).split()
                     if set(w.strip(".,;:")) <= XHEIGHT_LETTERS and len(w.strip(".,;:")) > 1})
      if pool:
        lines.append((" ".join(rng.choice(pool, int(rng.integers(1, 6)))), False))
  lines = lines[:int(rng.integers(14, 27))]
  lines.append((str(int(rng.integers(1, 400))), False))  # the page number
  height = 2 * margin + leading * (len(lines) + 1)
  width = col + 2 * margin
  ps = [f"%!PS\n<< /PageSize [{width:.2f} {height:.2f}] >> setpagedevice",
        f"/{fc.ps_name} findfont {size:.3f} scalefont setfont"]
  placed = []
  scale = dpi / 72.0
  for n, (text, justified) in enumerate(lines):
    y = height - margin - leading * (n + 1)
    w = fc.width(text, size)
    extra = (col - w) / max(text.count(" "), 1) if justified and text.count(" ") else 0.0
    x = margin if n < len(lines) - 1 else margin + (col - w) / 2  # page number centred
    ps.append(ps_line(text, fc, x, y, extra))
    x1 = x + (col if extra else w)
    placed.append((text.replace("\u00a0", " "), (x * scale, (height - y) * scale, x1 * scale)))
  ps.append("showpage")
  page = rasterise("\n".join(ps) + "\n", {fc.ps_name: fc.path}, dpi, antialias)
  return page, placed, size * scale


# ------------------------------------------------------------------------------------------
# Print, scan and camera effects on whole pages (float: 0 ink .. 1 paper).
# ------------------------------------------------------------------------------------------
def warp_field(shape, rng, max_skew_deg: float, curl_px: float):
  """(inverse map for ndimage.map_coordinates, forward map of points) of a skew about the
  page centre plus a curl that lifts the page's sides."""
  h, w = shape
  theta = np.deg2rad(rng.uniform(-max_skew_deg, max_skew_deg))
  curl = rng.uniform(-curl_px, curl_px)
  cy, cx = h / 2, w / 2
  c, s = np.cos(theta), np.sin(theta)

  def forward(y, x):  # page point -> image point
    yy, xx = y - cy, x - cx
    return cy + s * xx + c * yy + curl * (xx / (w / 2)) ** 2, cx + c * xx - s * yy

  def inverse():
    yo, xo = np.mgrid[0:h, 0:w].astype(np.float32)
    yy = yo - cy - curl * ((xo - cx) / (w / 2)) ** 2
    xx = xo - cx
    return np.stack([cy - s * xx + c * yy, cx + c * xx + s * yy])

  return inverse, forward


def print_and_scan(page: np.ndarray, rng, bitonal: bool, factor: int):
  """A page rendered at `factor` x the scan resolution -> (scanned page at the scan
  resolution, forward map of render-resolution points to scan pixels)."""
  from scipy import ndimage  # pylint: disable=g-import-not-at-top
  a = page.astype(np.float32) / 255.0
  a = ndimage.gaussian_filter(a, rng.uniform(0.3, 1.0) * factor)  # ink spread, optics
  texture = ndimage.gaussian_filter(rng.normal(0, 1, a.shape).astype(np.float32), factor)
  a = a + texture * rng.uniform(0.02, 0.12)
  inverse, forward = warp_field(a.shape, rng, 0.6, rng.uniform(0, 2.5) * factor)
  a = ndimage.map_coordinates(a, inverse(), order=1, mode="constant", cval=1.0)
  h, w = (a.shape[0] // factor) * factor, (a.shape[1] // factor) * factor
  a = a[:h, :w].reshape(h // factor, factor, w // factor, factor).mean((1, 3))
  if bitonal:
    # A low threshold keeps only the cores of strokes (broken glyphs), a high one lets
    # spread ink join them (touching glyphs).
    out = np.where(a < rng.uniform(0.35, 0.7), 0, 255).astype(np.uint8)
    speckle = rng.random(out.shape) < rng.uniform(0, 4e-4)
    out[speckle] = 255 - out[speckle]
  else:
    paper, ink = rng.uniform(200, 250), rng.uniform(0, 60)
    out = np.clip(ink + (paper - ink) * a + rng.normal(0, rng.uniform(1, 6), a.shape), 0, 255)
    out = jpeg(out.astype(np.uint8), int(rng.integers(45, 92)))
  return out, lambda y, x: tuple(v / factor for v in forward(y, x))


def photograph_page(page: np.ndarray, rng):
  """A grey page as a phone camera sees it: skew and curl, low contrast, uneven light and a
  shadow, blur, noise and JPEG. Returns (image, forward map)."""
  from scipy import ndimage  # pylint: disable=g-import-not-at-top
  a = page.astype(np.float32) / 255.0
  inverse, forward = warp_field(a.shape, rng, 1.2, rng.uniform(0, 4))
  a = ndimage.map_coordinates(a, inverse(), order=1, mode="nearest")
  a = ndimage.gaussian_filter(a, rng.uniform(0.4, 1.3))
  h, w = a.shape
  yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
  theta = rng.uniform(0, 2 * np.pi)
  ramp = xx * np.cos(theta) + yy * np.sin(theta)
  ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1.0)
  light = 1.0 - rng.uniform(0.15, 0.5) * ramp
  paper, ink = rng.uniform(150, 235), rng.uniform(20, 110)
  out = (ink + (paper - ink) * a) * light + rng.normal(0, rng.uniform(2, 8), a.shape)
  return jpeg(np.clip(out, 0, 255).astype(np.uint8), int(rng.integers(35, 85))), forward


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
  """A grey (H, W) or colour (H, W, 3) image through JPEG at `quality`, same shape back."""
  buf = io.BytesIO()
  Image.fromarray(image).save(buf, "JPEG", quality=quality)
  return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert(
      "L" if image.ndim == 2 else "RGB"))


# ------------------------------------------------------------------------------------------
# Cutting lines out of pages, as a segmenter that sees only the ink does.
# ------------------------------------------------------------------------------------------
def cut_line(img: np.ndarray, forward, x0, base, x1, em_page, em, rng, style: str):
  """The crop of one line: the ink inside the line's band (from an ascender above the
  baseline to a descender below, mapped through the page's warp), then margins by `style`:
  'tight' flush with the ink, 'loose' 0-0.6 em of paper, 'leak' 0.2-0.5 em above or below
  whatever lies there (the neighbours' strokes). None when the band holds no ink. Page
  coordinates and `em_page` are in the rendered page's pixels, `em` in the image's."""
  # The band's outline at 9 points along the line: a curled page bends it between its ends.
  outline = [forward(base + dy * em_page, x) for dy in (-0.95, 0.3)
             for x in np.linspace(x0 - 0.3 * em_page, x1 + 0.3 * em_page, 9)]
  ys, xs = [c[0] for c in outline], [c[1] for c in outline]
  h, w = img.shape
  r0, r1 = max(0, int(min(ys))), min(h, int(np.ceil(max(ys))) + 1)
  c0, c1 = max(0, int(min(xs))), min(w, int(np.ceil(max(xs))) + 1)
  band = img[r0:r1, c0:c1]
  if band.size == 0:
    return None
  lo, hi = np.percentile(band, (1, 90))
  dark = band < (lo + hi) / 2
  if hi - lo < 30 or not dark.any():
    return None
  rows, cols = np.flatnonzero(dark.any(1)), np.flatnonzero(dark.any(0))
  top, bottom, left, right = r0 + rows[0], r0 + rows[-1], c0 + cols[0], c0 + cols[-1]
  if style == "tight":
    m = (0, 0, 0, 0)
  elif style == "loose":
    m = tuple(int(round(v * em)) for v in rng.uniform(0, 0.6, 4))
  else:
    m = [int(round(v * em)) for v in rng.uniform(0, 0.15, 4)]
    m[int(rng.integers(2))] = int(round(rng.uniform(0.2, 0.5) * em))
  return img[max(0, top - m[0]):bottom + m[1] + 1, max(0, left - m[2]):right + m[3] + 1]


SETS = {
    # name: (dpi choices, point sizes, kinds of page)
    "clean": ((150, 200, 300, 400), (8.0, 12.0), ("grey",)),
    "scanned": ((200, 300, 400), (8.0, 12.0), ("bitonal", "bitonal", "scan_grey")),
    "small": ((100, 150, 200), (6.0, 9.0), ("grey", "bitonal", "scan_grey")),
    "tight": ((150, 200, 300), (8.0, 12.0), ("grey", "bitonal", "scan_grey")),
    "camera": ((150, 200, 250), (8.0, 12.0), ("camera",)),
}


def make_set(out: str, name: str, num: int, seed: int) -> int:
  """Writes `num` lines of set `name` under out/name; returns the number written."""
  dpis, (pt_lo, pt_hi), kinds = SETS[name]
  folder = os.path.join(out, name)
  os.makedirs(folder, exist_ok=True)
  rows, sizes = [], []
  page_no = 0
  while len(rows) < num:
    rng = np.random.default_rng([seed, list(SETS).index(name), page_no])
    fc = face(DEV_FONTS[(page_no * 7 + list(SETS).index(name)) % len(DEV_FONTS)])
    dpi, kind = int(rng.choice(dpis)), str(rng.choice(kinds))
    size = float(rng.uniform(pt_lo, pt_hi))
    if kind in ("bitonal", "scan_grey"):
      factor = 2
      page, placed, em = typeset_page(rng, fc, size, dpi * factor, antialias=True)
      img, forward = print_and_scan(page, rng, kind == "bitonal", factor)
      em /= factor
    elif kind == "camera":
      page, placed, em = typeset_page(rng, fc, size, dpi, antialias=True)
      img, forward = photograph_page(page, rng)
    else:
      page, placed, em = typeset_page(rng, fc, size, dpi, antialias=rng.random() < 0.85)
      img, forward = page, lambda y, x: (y, x)
    for n, (text, (x0, base, x1)) in enumerate(placed):
      if len(rows) >= num:
        break
      style = ("tight" if rng.random() < 0.67 else "leak") if name == "tight" else (
          "loose" if rng.random() < 0.6 else str(rng.choice(["tight", "leak"])))
      em_page = em * factor if kind in ("bitonal", "scan_grey") else em
      crop = cut_line(img, forward, x0, base, x1, em_page, em, rng, style)
      if crop is None or min(crop.shape) < 4:
        continue
      file = f"{name}_{page_no:03d}_{n:02d}.png"
      Image.fromarray(crop).save(os.path.join(folder, file))
      rows.append((file, text))
      sizes.append((file, f"{em:.1f}"))
    page_no += 1
  write_set(folder, rows, sizes)
  return len(rows)


def write_set(folder: str, rows, sizes) -> None:
  """labels.tsv ([(file, text)]) and sizes.tsv ([(file, type size in px as text)])."""
  testsets.write_labels(folder, rows)
  with open(os.path.join(folder, "sizes.tsv"), "w", encoding="utf-8") as f:
    f.writelines(f"{a}\t{b}\n" for a, b in sizes)


def read_sizes(folder: str) -> dict[str, float]:
  """sizes.tsv of a folder -> {filename: type size in px}; {} when the folder has none."""
  path = os.path.join(folder, "sizes.tsv")
  if not os.path.exists(path):
    return {}
  with open(path, encoding="utf-8") as f:
    return {a: float(b) for a, b in (l.rstrip("\n").split("\t") for l in f if l.strip())}


def size_band(px: float) -> str:
  for lo, hi in SIZE_BANDS:
    if round(px) <= hi:
      return f"<= {hi} px" if lo == 0 else (f"{lo}-{hi} px" if hi < 10_000 else f"> {lo - 1} px")
  raise AssertionError(px)


def run(argv, doc: str, names, make, check, seed: int) -> int:
  """The command line of a development-set builder: `make(out, name, lines, seed)` writes a
  set and returns its number of lines; `check()` raises DevSetError naming what to install."""
  parser = argparse.ArgumentParser(description=doc.split("\n")[0])
  parser.add_argument("--out", required=True, help="folder to write the sets under")
  parser.add_argument("--lines", type=int, default=300, help="lines per set")
  parser.add_argument("--sets", default=",".join(names), help="comma-separated: " + ",".join(names))
  parser.add_argument("--seed", type=int, default=seed,
                      help="another seed draws other pages (the published figures use the default)")
  args = parser.parse_args(argv)
  try:
    check()
  except DevSetError as e:
    print(f"error: {e}")
    return 2
  for name in args.sets.split(","):
    n = make(args.out, name, args.lines, args.seed)
    print(f"wrote {n} lines to {os.path.join(args.out, name)}")
  return 0


def main(argv=None) -> int:
  return run(argv, __doc__, SETS, make_set, check_requirements, SEED)


if __name__ == "__main__":
  raise SystemExit(main())
