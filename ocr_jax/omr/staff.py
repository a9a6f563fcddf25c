"""Staff finding: five-line staves in a staff or page image, and the crop the recognizer reads.

    staves = staff.find_staves(grey)          # top to bottom
    crops = [staff.crop(grey, s) for s in staves]

A staff line is a row whose longest run of ink spans a good part of the widest such run on
the page; five such lines at near-equal spacing make a staff. The crop is the same for
training images and for reading: `margin` staff spaces above the top line and below the bottom
line (room for two ledger lines, stems, fermatas and multirest numbers), and the staff's own
horizontal extent plus half a space. Training jitters that margin so small detection errors
at read time stay inside what the model saw. Pages are deskewed first (up to +-5 degrees,
`page.estimate_skew`). Pure numpy + Pillow, no JAX.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ocr_jax import page as page_lib

MARGIN = 3.5  # staff spaces kept above the top line and below the bottom line


class StaffError(ValueError):
  """An image in which no five-line staff could be found."""


@dataclasses.dataclass(frozen=True)
class Staff:
  lines: tuple[float, ...]  # the five line centres (rows), top first
  x0: int
  x1: int

  @property
  def space(self) -> float:
    return (self.lines[-1] - self.lines[0]) / 4


def _longest_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """Per row: length, start and stop of the longest run of True."""
  h, w = mask.shape
  padded = np.zeros((h, w + 2), bool)
  padded[:, 1:-1] = mask
  d = np.diff(padded.astype(np.int8), axis=1)
  length, start = np.zeros(h, np.int64), np.zeros(h, np.int64)
  rows_s, cols_s = np.nonzero(d == 1)
  _, cols_e = np.nonzero(d == -1)  # same row order: every run starts and ends in its row
  if rows_s.size:
    lens = cols_e - cols_s
    order = np.lexsort((lens, rows_s))  # per row, the longest run last
    last = np.r_[rows_s[order][1:] != rows_s[order][:-1], True]
    best = order[last]
    length[rows_s[best]] = lens[best]
    start[rows_s[best]] = cols_s[best]
  return length, start, start + length


def find_staves(grey: np.ndarray, min_fraction: float = 0.4) -> list[Staff]:
  """Five-line staves of a (deskewed) image, top first."""
  # A staff line thinner than a pixel is anti-aliased over two rows: sum each row's darkness
  # with the next one's (isolated noise makes short runs, which do not matter).
  paper = float(np.median(grey))
  ink = float(np.percentile(grey, 1))
  dark = np.clip(paper - grey.astype(np.float32), 0, None)
  dark2 = dark + np.concatenate([dark[1:], np.zeros_like(dark[:1])])
  mask = dark2 > 0.35 * max(paper - ink, 40)
  length, start, stop = _longest_runs(mask)
  if length.max(initial=0) < 20:
    return []
  flags = length >= max(20, min_fraction * length.max())
  lines = []  # (centre, start, stop, thickness)
  for a, b in page_lib._runs(flags):  # pylint: disable=protected-access
    lines.append(((a + b - 1) / 2, int(start[a:b].min()), int(stop[a:b].max()), b - a))
  staves, i = [], 0
  while i + 5 <= len(lines):
    group = lines[i:i + 5]
    centres = np.array([g[0] for g in group])
    gaps = np.diff(centres)
    thick = max(g[3] for g in group)
    if gaps.min() > 1.5 * thick and gaps.max() <= 1.35 * gaps.min():
      x0 = int(np.median([g[1] for g in group]))
      x1 = int(np.median([g[2] for g in group]))
      staves.append(Staff(tuple(float(c) for c in centres), x0, x1))
      i += 5
    else:
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
  angle = page_lib.estimate_skew(grey) if deskew and grey.shape[0] > 200 else 0.0
  straight = page_lib.rotate(grey, angle)
  staves = find_staves(straight)
  if not staves:
    raise StaffError("no five-line staff found")
  return angle, staves, [crop(straight, s) for s in staves]
