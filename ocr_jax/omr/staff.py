"""Staff finding: five-line staves in a staff or page image, and the crop the recognizer reads.

    staves = staff.find_staves(grey)          # top to bottom
    crops = [staff.crop(grey, s) for s in staves]

A staff line is a run of rows whose ink covers a good part of the page's width (measured against
each column's own paper level); five such lines at near-equal spacing make a staff. The crop is
the same for training images and for reading: `margin` staff spaces above the top line and below
the bottom line (room for two ledger lines, stems, fermatas and multirest numbers), and the
staff's own horizontal extent plus half a space. Training jitters that margin so small detection
errors at read time stay inside what the model saw. Pages are deskewed first (up to +-5 degrees,
`page.estimate_skew`). When no staff is found in an image shaped like one staff (at least `WIDE`
times as wide as high, with ink on it: a blurred, faint or bent single-staff scan), the whole
image is read as one staff, marked `found=False`; a page or a blank image with no staff is an
error. Pure numpy + Pillow, no JAX.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ocr_jax import page as page_lib

MARGIN = 3.5  # staff spaces kept above the top line and below the bottom line
WIDE = 2.5  # width / height from which an image with no staff found is read as one staff


class StaffError(ValueError):
  """An image in which no five-line staff could be found."""


@dataclasses.dataclass(frozen=True)
class Staff:
  lines: tuple[float, ...]  # the five line centres (rows), top first
  x0: int
  x1: int
  found: bool = True  # False: no staff found; the whole single-staff image stands for one

  @property
  def space(self) -> float:
    return (self.lines[-1] - self.lines[0]) / 4


def find_staves(grey: np.ndarray, min_coverage: float = 0.55) -> list[Staff]:
  """Five-line staves of a (deskewed) image, top first.

  Each column's paper level is its 80th percentile (so uneven light does not read as ink);
  a pixel is ink when it is darker than that by a fifth of the ink-paper contrast, summed
  with the row below (a line thinner than a pixel is anti-aliased over two rows). A staff
  line is a peak of ink coverage reaching `min_coverage` of the strongest row nearby; five
  of them at near-equal spacing make a staff."""
  g = grey.astype(np.float32)
  paper = np.percentile(g, 80, axis=0)[None, :]
  dark = np.clip(paper - g, 0, None)
  contrast = max(float(np.percentile(dark, 99.5)), 40.0)
  dark2 = dark + np.concatenate([dark[1:], np.zeros_like(dark[:1])])
  mask = dark2 > 0.2 * contrast
  coverage = mask.mean(axis=1)
  if coverage.max(initial=0) < 0.05:
    return []
  # Line centres: coverage peaks (blurred lines at ~6 px a space touch their neighbours, so
  # a threshold alone would merge them); a dip of < 10 % between two peaks is one line.
  c = np.convolve(coverage, [0.25, 0.5, 0.25], mode="same")
  # Compared with the strongest row nearby (staves of a page differ in length).
  win = max(10, len(c) // 20)
  nearby = np.lib.stride_tricks.sliding_window_view(np.pad(c, win), 2 * win + 1).max(axis=1)
  level = np.maximum(min_coverage * nearby, 0.05)
  peaks = [r for r in range(len(c)) if c[r] >= level[r] and (r == 0 or c[r] > c[r - 1])
           and c[r] >= c[min(r + 1, len(c) - 1)]]
  merged: list[int] = []
  for r in peaks:
    if merged and c[merged[-1]:r + 1].min() > 0.9 * min(c[merged[-1]], c[r]):
      if c[r] > c[merged[-1]]:
        merged[-1] = r
      continue
    merged.append(r)
  lines = []  # (centre, first row, end row of the line's ink)
  for r in merged:
    a = b = r
    while a > 0 and coverage[a - 1] >= level[r]:
      a -= 1
    while b + 1 < len(coverage) and coverage[b + 1] >= level[r]:
      b += 1
    # Sub-row centre: the vertex of the parabola through the peak and its neighbours.
    lo, hi = c[max(r - 1, 0)], c[min(r + 1, len(c) - 1)]
    bend = lo - 2 * c[r] + hi
    lines.append((r + (0.5 * (lo - hi) / bend if bend < 0 else 0.0), a, b + 1))
  staves, i = [], 0
  while i + 5 <= len(lines):
    group = lines[i:i + 5]
    centres = np.array([g_[0] for g_ in group])
    gaps = np.diff(centres)
    if gaps.min() >= 3 and gaps.max() <= 1.4 * gaps.min():
      # Horizontal extent: columns where most of the five lines have ink.
      votes = sum(mask[a:b].any(axis=0) for _, a, b in group)
      cols = np.flatnonzero(votes >= 4)
      if cols.size:
        staves.append(Staff(tuple(float(c) for c in centres), int(cols[0]),
                            int(cols[-1]) + 1))
        i += 5
        continue
    i += 1
  return staves


def crop(grey: np.ndarray, s: Staff, margin: float = MARGIN, top_margin: float | None = None,
         bottom_margin: float | None = None, side_margin: float = 0.5) -> np.ndarray:
  """The staff's crop; rows or columns outside the image are paper."""
  space = s.space
  top = int(round(s.lines[0] - (margin if top_margin is None else top_margin) * space))
  bottom = int(round(s.lines[-1] + (margin if bottom_margin is None else bottom_margin) * space))
  left = int(round(s.x0 - side_margin * space))
  right = int(round(s.x1 + side_margin * space))
  h, w = grey.shape
  paper = int(np.median(grey))
  out = np.full((bottom - top, right - left), paper, np.uint8)
  y0, y1, x0, x1 = max(top, 0), min(bottom, h), max(left, 0), min(right, w)
  if y1 > y0 and x1 > x0:
    out[y0 - top:y1 - top, x0 - left:x1 - left] = grey[y0:y1, x0:x1]
  return out


def staff_crops(grey: np.ndarray, deskew: bool = True) -> tuple[float, list[Staff],
                                                                 list[np.ndarray]]:
  """(deskew angle, staves, crops) of a staff or page image; StaffError if none is found."""
  angle = page_lib.estimate_skew(grey) if deskew else 0.0
  straight = page_lib.rotate(grey, angle)
  staves = find_staves(straight)
  if staves:
    return angle, staves, [crop(straight, s) for s in staves]
  h, w = straight.shape
  paper = float(np.median(straight))
  if w >= WIDE * h and paper - float(np.percentile(straight, 1)) >= 40:
    space = h / (4 + 2 * MARGIN)  # the geometry of a staff crop
    lines = tuple(h / 2 + (i - 2) * space for i in range(5))
    return angle, [Staff(lines, 0, w, found=False)], [straight]
  raise StaffError("no five-line staff found")
