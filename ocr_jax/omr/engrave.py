"""Engraving: MEI -> Verovio SVG -> resvg raster -> the staff crop a recognizer reads.

Verovio (PyPI) lays the music out with one of its SMuFL fonts and random engraving settings
(spacing, line and stem widths, scale); resvg-py rasterises the SVG. The staff is then found
and cropped exactly as `ocr-jax omr` crops staves at read time (`staff.crop`, with a jittered
margin), and scan and camera effects from the text renderer are applied around that. No JAX.
"""
from __future__ import annotations

import functools
import io

import numpy as np
from PIL import Image

from ocr_jax.data import preprocess
from ocr_jax.data import render
from ocr_jax.omr import staff as staff_lib

FONTS = ("Leipzig", "Bravura", "Gootville", "Leland", "Petaluma")


class EngraveError(RuntimeError):
  """Verovio could not lay out an MEI document."""


@functools.lru_cache(maxsize=1)
def _toolkit():
  import verovio  # pylint: disable=g-import-not-at-top
  verovio.enableLog(verovio.LOG_OFF)
  return verovio.toolkit()


def engrave(mei: str, font: str, options: dict | None = None) -> np.ndarray:
  """MEI text -> uint8[H, W] grey image of the whole (one-system) page."""
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
  return np.asarray(Image.open(io.BytesIO(bytes(png))).convert("L"))


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
  grey = engrave(mei, font, random_options(rng) if augment else None)
  staves = staff_lib.find_staves(grey)
  if len(staves) != 1:
    raise EngraveError(f"expected one staff in the engraving, found {len(staves)}")
  s = staves[0]
  if not augment:
    return preprocess.resize_to_height(staff_lib.crop(grey, s), height)
  paper = int(rng.integers(170, 256))
  ink = int(rng.integers(0, max(1, paper - 110)))
  img = Image.fromarray((ink + grey.astype(np.float32) / 255 * (paper - ink)).astype(np.uint8))
  img = render.scan_effects(img, rng, paper=paper)
  img = render.degrade(img, rng, paper=paper, size=int(4 * s.space))
  jitter = lambda: staff_lib.MARGIN + rng.uniform(-0.4, 0.4)  # noqa: E731
  arr = staff_lib.crop(np.asarray(img), s, top_margin=jitter(), bottom_margin=jitter(),
                       side_margin=rng.uniform(0.1, 1.5))
  stretch = rng.uniform(0.9, 1.15)
  width = max(4, int(round(arr.shape[1] * height / arr.shape[0] * stretch)))
  arr = np.asarray(Image.fromarray(arr).resize((width, height), Image.BILINEAR))
  return render.finish(arr, rng)
