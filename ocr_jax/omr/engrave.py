"""Engraving: MEI -> Verovio SVG -> resvg raster -> the staff crop a recognizer reads.

Verovio (PyPI) lays the music out with one of its SMuFL fonts and random engraving settings
(spacing, line and stem widths, scale); resvg-py rasterises the SVG. The staff is then found
and cropped exactly as `ocr-jax omr` crops staves at read time (`staff.crop`, with a jittered
margin), and scan and camera effects that keep the staff lines are applied. No JAX.
"""
from __future__ import annotations

import functools
import io

import numpy as np
from PIL import Image, ImageFilter

from ocr_jax.data import preprocess
from ocr_jax.omr import staff as staff_lib

FONTS = ("Leipzig", "Bravura", "Gootville", "Leland", "Petaluma")
SYSTEM = {"pageMarginLeft": 60}  # options for a braced system: room for the brace


class EngraveError(RuntimeError):
  """Verovio could not lay out an MEI document."""


@functools.lru_cache(maxsize=1)
def _toolkit():
  import verovio  # pylint: disable=g-import-not-at-top
  verovio.enableLog(verovio.LOG_OFF)
  return verovio.toolkit()


def engrave(mei: str, font: str, options: dict | None = None, mode: str = "L") -> np.ndarray:
  """MEI text -> uint8[H, W] grey image of the whole (one-system) page (`mode` "RGB":
  uint8[H, W, 3], where MEI `@color` shows)."""
  import resvg_py  # pylint: disable=g-import-not-at-top
  tk = _toolkit()
  opts = {"font": font, "breaks": "none", "adjustPageWidth": True, "adjustPageHeight": True,
          "header": "none", "footer": "none", "scale": 40, "pageMarginLeft": 20,
          "pageMarginRight": 20, "pageMarginTop": 20, "pageMarginBottom": 20}
  opts.update(options or {})
  tk.resetOptions()
  tk.setOptions(opts)
  if not tk.loadData(mei):
    raise EngraveError("Verovio could not load the MEI")
  svg = tk.renderToSVG(1)
  png = resvg_py.svg_to_bytes(svg_string=svg, background="white")
  return np.asarray(Image.open(io.BytesIO(bytes(png))).convert(mode))


def random_options(rng: np.random.Generator) -> dict:
  return {"scale": int(rng.integers(34, 52)),
          "spacingLinear": float(rng.uniform(0.18, 0.35)),
          "spacingNonLinear": float(rng.uniform(0.5, 0.7)),
          "staffLineWidth": float(rng.uniform(0.15, 0.25)),
          "stemWidth": float(rng.uniform(0.15, 0.3)),
          "barLineWidth": float(rng.uniform(0.2, 0.45)),
          "ledgerLineThickness": float(rng.uniform(0.18, 0.3))}


def render_staff(mei: str, font: str, rng: np.random.Generator, *, height: int = 64,
                 augment: bool = True) -> np.ndarray:
  """An engraved one-staff incipit as the recognizer sees it: uint8[height, W]."""
  return render_staves(mei, font, rng, height=height, augment=augment)[0]


def render_staves(mei: str, font: str, rng: np.random.Generator, *, height: int = 64,
                  augment: bool = True, count: int = 1) -> list[np.ndarray]:
  """The `count` staves of an engraved system as the recognizer sees them, top first: the
  page degraded once, then each staff cropped as `ocr-jax omr` crops it (right of a system's
  brace and barline, `staff.layout`) with its own jittered margins and effects."""
  options = random_options(rng) if augment else {}
  if count > 1:
    options.update(SYSTEM)
  grey = engrave(mei, font, options or None)
  staves = staff_lib.find_staves(grey)
  if len(staves) != count:
    raise EngraveError(f"expected {count} staves in the engraving, found {len(staves)}")
  if count > 1:
    staves, grey = staff_lib.past_system_lines(grey, staves)
  if not augment:
    return [preprocess.resize_to_height(staff_lib.crop(grey, s), height) for s in staves]
  paper = int(rng.integers(170, 256))
  ink = int(rng.integers(0, max(1, paper - 110)))
  img = Image.fromarray((ink + grey.astype(np.float32) / 255 * (paper - ink)).astype(np.uint8))
  img = degrade(img, rng, paper=paper)
  out = []
  for s in staves:
    jitter = lambda: staff_lib.MARGIN + rng.uniform(-0.4, 0.4)  # noqa: E731
    arr = staff_lib.crop(np.asarray(img), s, top_margin=jitter(), bottom_margin=jitter(),
                         side_margin=rng.uniform(0.1, 1.5))
    stretch = rng.uniform(0.9, 1.15)
    width = max(4, int(round(arr.shape[1] * height / arr.shape[0] * stretch)))
    arr = np.asarray(Image.fromarray(arr).resize((width, height), Image.BILINEAR))
    out.append(finish(arr, rng))
  return out


def degrade(img: Image.Image, rng, *, paper: int) -> Image.Image:
  """Scan and photo effects at engraving resolution that keep staff lines (a staff line is
  a tenth of a staff space: the text renderer's stroke dropout and thinning erase it, and a
  staff without lines has no pitches): ink bleed, heavier ink, uneven light, a slight tilt,
  blur, binarisation."""
  if rng.random() < 0.15:  # ink bleed: blur, then a threshold close to paper
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.0)))
    arr = np.asarray(img, np.float32)
    cut = paper - (paper - arr.min()) * rng.uniform(0.15, 0.3)
    img = Image.fromarray(np.where(arr < cut, arr.min(), paper).astype(np.uint8))
  elif rng.random() < 0.1:
    img = img.filter(ImageFilter.MinFilter(3))
  if rng.random() < 0.2:  # uneven light
    arr = np.asarray(img, np.float32)
    ramp = np.linspace(0, 1, arr.shape[1])[None, :]
    arr = arr * (1 - rng.uniform(0.1, 0.4) * (ramp if rng.random() < 0.5 else ramp[:, ::-1]))
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
  if rng.random() < 0.4:
    img = img.rotate(rng.normal(0, 0.3), resample=Image.BILINEAR, fillcolor=paper)
  if rng.random() < 0.5:
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 0.9)))
  if rng.random() < 0.15:  # a binarised scan, thresholded near the paper: lines stay black
    arr = np.asarray(img, np.float32)
    lo, hi = float(np.percentile(arr, 1)), float(np.median(arr))
    img = Image.fromarray(np.where(arr > hi - (hi - lo) * rng.uniform(0.2, 0.3), hi,
                                   lo).astype(np.uint8))
  return img


def finish(arr: np.ndarray, rng) -> np.ndarray:
  """Sensor and file effects at the recognizer's resolution: noise, speckle, JPEG. (No
  binarisation here: at ~6 px a staff space a line shared by two rows would vanish.)"""
  arr = arr.astype(np.float32)
  if rng.random() < 0.5:
    arr += rng.normal(0, rng.uniform(2, 10), arr.shape)
  if rng.random() < 0.1:
    speckle = rng.random(arr.shape) < rng.uniform(0.0005, 0.004)
    arr[speckle] = rng.choice([0.0, 255.0])
  arr = np.clip(arr, 0, 255).astype(np.uint8)
  if rng.random() < 0.3:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=int(rng.integers(40, 90)))
    arr = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("L"))
  return arr
