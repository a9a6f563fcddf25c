"""Korean development sets that share nothing with training but the charset: steer by them.

  apt-get install fonts-nanum fonts-nanum-extra fonts-lexi-saebom fonts-woowa-bm \
      fonts-wqy-microhei fonts-naver-d2coding
  pip install skia-python
  python -m ocr_jax.data.devsets_korean --out /tmp/ocr_devsets_ko [--lines 300]

Training lines (`synth_text/korean_print`) are drawn by Pillow, one line at a time, from the
GIMP manual's Korean text in 32 Debian faces. Here every part differs:
- rasteriser: **Skia** (skia-python), Chrome's and Android's graphics library, with its own
  glyph scan conversion, gamma, subpixel positioning and hinting modes (none to full) and
  aliased text now and then; chosen because Korean screens, PDFs in browsers and phones draw
  text with it, and it shares no drawing code with Pillow;
- faces: NanumBarunGothic (three weights), Lexi Saebom, BM Hanna Pro, WenQuanYi Micro Hei and
  D2Coding: Debian faces that no training or validation split reads (the Un, Baekmuk and Noto
  CJK faces are test-only for everyone and not used here either);
- text: the Korean constitution and ten National Assembly bills (`korean_law_dev.txt.gz`):
  legal prose, article numbers, dates, circled numbers, middle dots;
- documents: pages typeset in points (wrapped at word boundaries, justified, headings, page
  numbers) at 150-300 dpi, then 40 % printed and scanned (bitonal or grey + JPEG, ink spread,
  skew, curl) or photographed (devsets.py's page effects), cut by devsets.py's segmenter
  (loose, tight, or with the neighbouring lines leaking in);
- scenes: short phrases as signs, covers and screens show them: colour on colour, gradient or
  noise grounds, outlines, drop shadows, perspective, blur, sensor noise and JPEG; kept in
  colour (the readers turn them grey as they read).

Two sets, each with labels.tsv and sizes.tsv (the em square in px, for `compare`'s bands):

  document/  lines of typeset pages, 60 % clean grey, 40 % scanned or photographed
  scene/     scene-text crops in colour

Never train or tune a training choice on these. Deterministic for the same arguments, fonts
and Skia.
"""
from __future__ import annotations

import functools
import gzip
import os

import numpy as np
from PIL import Image

from ocr_jax.data import devsets
from ocr_jax.data import render

SEED = 20261205
TEXT_FILE = os.path.join(render.TEXT_DIR, "korean_law_dev.txt.gz")
APT_PACKAGES = ("fonts-nanum fonts-nanum-extra fonts-lexi-saebom fonts-woowa-bm "
                "fonts-wqy-microhei fonts-naver-d2coding")
DEV_FONTS = (
    "/usr/share/fonts/truetype/nanum/NanumBarunGothic.ttf",
    "/usr/share/fonts/truetype/nanum/NanumBarunGothicBold.ttf",
    "/usr/share/fonts/truetype/nanum/NanumBarunGothicLight.ttf",
    "/usr/share/fonts/truetype/lexi/LexiSaebomR.ttf",
    "/usr/share/fonts/truetype/woowa-bm/BMHANNAPro.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/naver-d2coding/D2Coding-Ver1.3.2-20180524-all.ttc",
)
SETS = ("document", "scene")


def check_requirements() -> None:
  try:
    import skia  # pylint: disable=g-import-not-at-top,unused-import
  except ImportError as e:
    raise devsets.DevSetError("missing skia-python; pip install skia-python") from e
  missing = [p for p in DEV_FONTS if not os.path.exists(p)]
  if missing:
    raise devsets.DevSetError(f"missing {len(missing)} fonts, e.g. {missing[0]}; "
                              f"apt-get install {APT_PACKAGES}")


@functools.lru_cache(maxsize=None)
def load_text() -> tuple[str, ...]:
  with gzip.open(TEXT_FILE, "rt", encoding="utf-8") as f:
    return tuple(l for l in f.read().splitlines() if l.strip())


@functools.lru_cache(maxsize=None)
def typeface(path: str):
  import skia  # pylint: disable=g-import-not-at-top
  return skia.Typeface.MakeFromFile(path, 0)


def skia_font(path: str, px: float, rng, antialias: bool = True):
  """A Skia font at `px` with a drawn hinting mode, subpixel positioning, and aliased or
  anti-aliased edges."""
  import skia  # pylint: disable=g-import-not-at-top
  font = skia.Font(typeface(path), px)
  hinting = (skia.FontHinting.kNone, skia.FontHinting.kSlight, skia.FontHinting.kNormal,
             skia.FontHinting.kFull)
  font.setHinting(hinting[int(rng.integers(4))])
  font.setSubpixel(bool(rng.random() < 0.7))
  font.setEdging(skia.Font.Edging.kAntiAlias if antialias else skia.Font.Edging.kAlias)
  return font


def covered(font, text: str) -> bool:
  """Whether the face has a glyph for every character but the space."""
  return all(g != 0 for g, c in zip(font.textToGlyphs(text), text) if c != " ")


def _snapshot(surface) -> np.ndarray:
  import skia  # pylint: disable=g-import-not-at-top
  return surface.makeImageSnapshot().toarray(colorType=skia.kRGBA_8888_ColorType)[..., :3]


# ------------------------------------------------------------------------------------------
# Documents.
# ------------------------------------------------------------------------------------------
def wrap(words, font, width: float) -> list[list[str]]:
  lines, line = [], []
  for w in words:
    if line and font.measureText(" ".join(line + [w])) > width:
      lines.append(line)
      line = []
    line.append(w)
  return lines + ([line] if line else [])


def typeset_page(rng, path: str, size_pt: float, dpi: int, antialias: bool):
  """A page of legal prose set by Skia -> (grey page, [(text, (x0, baseline, x1))], em px)."""
  import skia  # pylint: disable=g-import-not-at-top
  scale = dpi / 72.0
  em = size_pt * scale
  font = skia_font(path, em, rng, antialias)
  paras = load_text()
  col = float(rng.uniform(200, 420)) * scale
  margin = 36.0 * scale
  leading = em * float(rng.uniform(1.35, 1.8))  # Korean sets looser than Latin
  justify = rng.random() < 0.6
  lines = [([p for p in paras[rng.integers(len(paras))].split()][:int(rng.integers(1, 6))],
            False)]  # a heading
  while len(lines) < 22:
    start = int(rng.integers(len(paras)))
    words = [w for p in paras[start:start + 4] for w in p.split() if covered(font, w)]
    wrapped = wrap(words, font, col)
    lines += [(l, justify and n < len(wrapped) - 1) for n, l in enumerate(wrapped)]
  lines = lines[:int(rng.integers(10, 23))]
  lines.append(([f"- {int(rng.integers(1, 300))} -"], False))  # the page number
  width, height = int(col + 2 * margin), int(2 * margin + leading * (len(lines) + 1))
  surface = skia.Surface(width, height)
  canvas = surface.getCanvas()
  canvas.clear(skia.ColorWHITE)
  paint = skia.Paint(Color=skia.ColorBLACK, AntiAlias=antialias)
  space = font.measureText(" ")
  placed = []
  for n, (words, justified) in enumerate(lines):
    if not words:
      continue
    base = margin + leading * (n + 1)
    widths = [font.measureText(w) for w in words]
    gap = space
    if justified and len(words) > 1:
      gap = (col - sum(widths)) / (len(words) - 1)
    x = margin if n < len(lines) - 1 else margin + (col - sum(widths) - space) / 2
    x0 = x
    for w, ww in zip(words, widths):
      canvas.drawString(w, x, base, font, paint)
      x += ww + gap
    placed.append((" ".join(words), (x0, base, x - gap)))
  grey = _snapshot(surface).mean(-1).astype(np.uint8)
  return grey, placed, em


def make_document(out: str, num: int, seed: int) -> int:
  folder = os.path.join(out, "document")
  os.makedirs(folder, exist_ok=True)
  rows, sizes, page_no = [], [], 0
  while len(rows) < num:
    rng = np.random.default_rng([seed, 0, page_no])
    path = DEV_FONTS[page_no % len(DEV_FONTS)]
    dpi = int(rng.choice((150, 200, 250, 300)))
    size = float(rng.uniform(9.0, 12.0))
    kind = str(rng.choice(["grey"] * 6 + ["bitonal", "scan_grey", "scan_grey", "camera"]))
    factor = 2 if kind in ("bitonal", "scan_grey") else 1
    page, placed, em = typeset_page(rng, path, size, dpi * factor, rng.random() < 0.9)
    if factor == 2:
      img, forward = devsets.print_and_scan(page, rng, kind == "bitonal", factor)
    elif kind == "camera":
      img, forward = devsets.photograph_page(page, rng)
    else:
      img, forward = page, lambda y, x: (y, x)
    for n, (text, (x0, base, x1)) in enumerate(placed):
      if len(rows) >= num:
        break
      style = "loose" if rng.random() < 0.6 else str(rng.choice(["tight", "leak"]))
      crop = devsets.cut_line(img, forward, x0, base, x1, em, em / factor, rng, style)
      if crop is None or min(crop.shape) < 4:
        continue
      file = f"document_{page_no:03d}_{n:02d}.png"
      Image.fromarray(crop).save(os.path.join(folder, file))
      rows.append((file, text))
      sizes.append((file, f"{em / factor:.1f}"))
    page_no += 1
  devsets.write_set(folder, rows, sizes)
  return len(rows)


# ------------------------------------------------------------------------------------------
# Scenes.
# ------------------------------------------------------------------------------------------
def _colour(rng, against=None):
  """A colour (skia int); with `against`, one whose luminance differs by at least 60."""
  import skia  # pylint: disable=g-import-not-at-top
  while True:
    c = rng.integers(0, 256, 3)
    lum = 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]
    if against is None or abs(lum - against[1]) >= 60:
      return skia.Color(*(int(v) for v in c)), lum


def phrase(rng, paras) -> str:
  words = paras[rng.integers(len(paras))].split()
  start = int(rng.integers(len(words)))
  n = int(rng.integers(1, 5))
  return " ".join(words[start:start + n])[:18].strip()


def draw_scene(rng, path: str, text: str):
  """A scene-text crop in colour -> (uint8[h, w, 3], em px)."""
  import skia  # pylint: disable=g-import-not-at-top
  em = float(rng.uniform(18, 64))
  font = skia_font(path, em, rng)
  ground = _colour(rng)
  ink = _colour(rng, ground)
  pad = [float(rng.uniform(0.15, 0.6)) * em for _ in range(4)]
  metrics = font.getMetrics()
  width = int(pad[0] + font.measureText(text) + pad[1])
  height = int(pad[2] + metrics.fDescent - metrics.fAscent + pad[3])
  surface = skia.Surface(width, height)
  canvas = surface.getCanvas()
  r = rng.random()
  if r < 0.4:
    other = _colour(rng)
    if abs(other[1] - ink[1]) < 60:
      other = ground
    shader = skia.GradientShader.MakeLinear(
        [skia.Point(0, 0), skia.Point(width * rng.random(), height)], [ground[0], other[0]])
    canvas.drawPaint(skia.Paint(Shader=shader))
  else:
    canvas.clear(ground[0])
    if r < 0.7:
      noise = skia.PerlinNoiseShader.MakeFractalNoise(float(rng.uniform(0.01, 0.1)),
                                                      float(rng.uniform(0.01, 0.1)), 3, 0)
      canvas.drawPaint(skia.Paint(Shader=noise, Alphaf=float(rng.uniform(0.1, 0.45))))
  canvas.save()
  if rng.random() < 0.6:  # a mild perspective: the corners moved by up to 7 % of the height
    d = lambda s: float(rng.uniform(-s, s))
    src = [skia.Point(0, 0), skia.Point(width, 0), skia.Point(width, height),
           skia.Point(0, height)]
    dst = [skia.Point(p.x() + d(0.03 * width), p.y() + d(0.07 * height)) for p in src]
    matrix = skia.Matrix()
    matrix.setPolyToPoly(src, dst)
    canvas.concat(matrix)
  x, y = pad[0], pad[2] - metrics.fAscent
  if rng.random() < 0.25:  # drop shadow
    off = float(rng.uniform(1, max(1.5, em / 12)))
    shadow = skia.Paint(Color=skia.Color(0, 0, 0, int(rng.integers(90, 200))), AntiAlias=True,
                        MaskFilter=skia.MaskFilter.MakeBlur(skia.kNormal_BlurStyle,
                                                            float(rng.uniform(0.5, 3))))
    canvas.drawString(text, x + off, y + off, font, shadow)
  if rng.random() < 0.25:  # outline
    stroke = skia.Paint(Color=_colour(rng)[0], AntiAlias=True, Style=skia.Paint.kStroke_Style,
                        StrokeWidth=float(rng.uniform(1, max(1.5, em / 10))))
    canvas.drawString(text, x, y, font, stroke)
  canvas.drawString(text, x, y, font, skia.Paint(Color=ink[0], AntiAlias=True))
  canvas.restore()
  img = _snapshot(surface).astype(np.float32)
  if rng.random() < 0.4:
    from scipy import ndimage  # pylint: disable=g-import-not-at-top
    img = ndimage.gaussian_filter(img, (rng.uniform(0.4, 1.5),) * 2 + (0,))
  if rng.random() < 0.3:  # sensor noise
    img += rng.normal(0, rng.uniform(3, 12), img.shape)
  img = np.clip(img, 0, 255).astype(np.uint8)
  if rng.random() < 0.5:  # a photo's JPEG
    img = devsets.jpeg(img, int(rng.integers(40, 90)))
  return img, em


def make_scene(out: str, num: int, seed: int) -> int:
  folder = os.path.join(out, "scene")
  os.makedirs(folder, exist_ok=True)
  paras = load_text()
  rows, sizes = [], []
  n = 0
  while len(rows) < num:
    rng = np.random.default_rng([seed, 1, n])
    path = DEV_FONTS[n % len(DEV_FONTS)]
    n += 1
    text = phrase(rng, paras)
    if not text or not covered(skia_font(path, 32, rng), text):
      continue
    img, em = draw_scene(rng, path, text)
    file = f"scene_{n:04d}.png"
    Image.fromarray(img).save(os.path.join(folder, file))
    rows.append((file, text))
    sizes.append((file, f"{em:.1f}"))
  devsets.write_set(folder, rows, sizes)
  return len(rows)


def main(argv=None) -> int:
  makers = {"document": make_document, "scene": make_scene}
  return devsets.run(argv, __doc__, SETS, lambda out, name, n, seed: makers[name](out, n, seed),
                     check_requirements, SEED)


if __name__ == "__main__":
  raise SystemExit(main())
