"""Staff finding: five-line staves in a staff or page image, and the crop the recognizer reads.

    staves = staff.find_staves(grey)          # top to bottom
    crops = [staff.crop(grey, s) for s in staves]

A staff line is a run of rows whose ink covers a good part of the page's width (measured against
each column's own paper level); five such lines at near-equal spacing make a staff. The crop is
the same for training images and for reading: `margin` staff spaces above the top line and below
the bottom line (room for two ledger lines, stems, fermatas and multirest numbers), and the
staff's own horizontal extent plus half a space. Training jitters that margin so small detection
errors at read time stay inside what the model saw. Pages are deskewed first (up to +-5 degrees,
`page.estimate_skew`). When no staff is found in an image shaped like a staff crop (at least
`WIDE` times as wide as high) that still shows the trace of one (`staff_like`: three to five
thin lines across it, centred, at multiples of one spacing: a blurred single-staff scan whose
lines merge), the whole image is read as one staff, marked `found=False`; any other
image with no staff (a text line or page, a photo, noise, a blank) is an error, "no music staff
found", unless `force` reads a wide inked image whole anyway. Pure numpy + Pillow, no JAX.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ocr_jax import page as page_lib

MARGIN = 3.5  # staff spaces kept above the top line and below the bottom line
WIDE = 2.5  # width / height from which an image with no staff found is read as one staff


NO_STAFF = "no music staff found"


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


def _ink(grey: np.ndarray, fraction: float) -> np.ndarray:
  """Ink mask: darker than the column's paper level (its 80th percentile, so uneven light
  does not read as ink) by `fraction` of the ink-paper contrast, summed with the row below (a
  line thinner than a pixel is anti-aliased over two rows)."""
  g = grey.astype(np.float32)
  dark = np.clip(np.percentile(g, 80, axis=0)[None, :] - g, 0, None)
  contrast = max(float(np.percentile(dark, 99.5)), 40.0)
  return dark + np.concatenate([dark[1:], np.zeros_like(dark[:1])]) > fraction * contrast


def staff_like(grey: np.ndarray) -> bool:
  """Whether a staff-crop-shaped image in which `find_staves` found nothing still shows a
  staff: 3-5 thin (<= 5 rows) bands of ink across >= 90 % of the width (ink at a 0.15 or at
  a 0.4 fraction of the contrast), their middle within a fifth of the height of the image's
  middle, spaced at whole multiples (<= 4 in all) of the smallest gap, >= 3 rows. Chosen
  2026-12-05 on the 15 `omr_synth` validation staves where no staff is found (blurred lines
  merged, or lines erased by ink dropout) against 1,852 wide text lines of the English and
  Korean dev sets: 8 of 15 pass and no text line; then 6 of the 14 such test staves (Leipzig)
  and none of 1,127 wide lines of the English test sets."""
  for fraction in (0.15, 0.4):
    bands = page_lib.runs(_ink(grey, fraction).mean(axis=1) >= 0.9)
    if not 3 <= len(bands) <= 5 or any(b - a > 5 for a, b in bands):
      continue
    centres = np.array([(a + b - 1) / 2 for a, b in bands])
    if abs((centres[0] + centres[-1]) / 2 - grey.shape[0] / 2) > 0.2 * grey.shape[0]:
      continue
    gaps = np.diff(centres)
    steps = gaps / gaps.min()
    if (gaps.min() >= 3 and np.all(np.abs(steps - np.round(steps)) < 0.25)
        and np.round(steps).sum() <= 4):
      return True
  return False


def find_staves(grey: np.ndarray, min_coverage: float = 0.55) -> list[Staff]:
  """Five-line staves of a (deskewed) image, top first.

  Each column's paper level is its 80th percentile (so uneven light does not read as ink);
  a pixel is ink when it is darker than that by a fifth of the ink-paper contrast, summed
  with the row below (a line thinner than a pixel is anti-aliased over two rows). A staff
  line is a peak of ink coverage reaching `min_coverage` of the strongest row nearby; five
  of them at near-equal spacing make a staff."""
  mask = _ink(grey, 0.2)
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
    lines.append((r + (0.5 * (lo - hi) / bend if bend < 0 else 0.0), a, b + 1, c[r]))

  def staff_at(i):  # lines[i:i + 5] as a Staff, or None
    group = lines[i:i + 5]
    centres = np.array([g_[0] for g_ in group])
    gaps = np.diff(centres)
    if len(group) < 5 or not (gaps.min() >= 3 and gaps.max() <= 1.4 * gaps.min()):
      return None
    # Horizontal extent: columns where most of the five lines have ink.
    votes = sum(mask[a:b].any(axis=0) for _, a, b, _ in group)
    cols = np.flatnonzero(votes >= 4)
    if not cols.size:
      return None
    return Staff(tuple(float(c) for c in centres), int(cols[0]), int(cols[-1]) + 1)

  staves, i = [], 0
  while i + 5 <= len(lines):
    if staff_at(i) is None:
      i += 1
      continue
    # Ledger lines far above or below a staff are spaced like its lines: of the five-line
    # groups that overlap this one, the staff is the one whose weakest line is strongest.
    best = max((j for j in range(i, min(i + 5, len(lines) - 4)) if staff_at(j) is not None),
               key=lambda j: min(line[3] for line in lines[j:j + 5]))
    staves.append(staff_at(best))
    i = best + 5
  return staves


def systems(grey: np.ndarray, staves: list[Staff]) -> list[list[int]]:
  """The staves (indices, top first) grouped into systems: two neighbours belong to one
  system when ink joins them at their left end (a system barline or a brace): in the columns
  from 3 staff spaces left of the staves' start to 2 spaces right of it (a brace counts as
  the start; the barline follows it), ink in >= 90 % of the rows between the upper staff's
  bottom line and the lower one's top line. A staff no such line joins is a system of its
  own (a melody, a part)."""
  return _systems(_ink(grey, 0.2), staves)[0]


def _systems(mask: np.ndarray, staves: list[Staff]) -> tuple[list[list[int]], list[int]]:
  """`systems`, and per system the rightmost column of the ink that joins its staves (the
  system barline, or the brace where no straight line is found; -1 for one staff)."""
  if not staves:
    return [], []
  groups, joints = [[0]], [-1]
  for i in range(1, len(staves)):
    a, b = staves[i - 1], staves[i]
    space = (a.space + b.space) / 2
    top, bottom = int(np.ceil(a.lines[-1])) + 1, int(np.floor(b.lines[0]))
    x0 = min(a.x0, b.x0)
    left, right = max(int(x0 - 3 * space), 0), int(x0 + 2 * space) + 1
    gap = mask[top:bottom, left:right]
    if bottom > top and gap.any(axis=1).mean() >= 0.9:
      columns = gap.mean(axis=0)
      straight = np.flatnonzero(columns >= 0.9)
      joint = left + int(straight[-1] if straight.size else np.flatnonzero(columns)[-1])
      groups[-1].append(i)
      joints[-1] = max(joints[-1], joint)
    else:
      groups.append([i])
      joints.append(-1)
  return groups, joints


def past_system_lines(grey: np.ndarray, staves: list[Staff], groups=None, joints=None
                      ) -> tuple[list[Staff], np.ndarray]:
  """Staves of a multi-staff system start right of the brace and system barline that join
  them, which are painted paper (a training staff has neither: read, they turn into a
  barline and hide the clef). `groups, joints` as `_systems` gives them (found if None)."""
  if groups is None:
    groups, joints = _systems(_ink(grey, 0.2), staves)
  if max(joints, default=-1) < 0:
    return list(staves), grey
  grey, staves = grey.copy(), list(staves)
  paper = int(np.median(grey))
  for group, joint in zip(groups, joints):
    if joint < 0:
      continue
    first, last = staves[group[0]], staves[group[-1]]
    top = max(int(first.lines[0] - (MARGIN + 1) * first.space), 0)
    bottom = int(last.lines[-1] + (MARGIN + 1) * last.space) + 1
    grey[top:bottom, :joint + 2] = paper
    for i in group:
      staves[i] = dataclasses.replace(staves[i], x0=max(staves[i].x0, joint + 2))
  return staves, grey


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


def staff_crops(grey: np.ndarray, deskew: bool = True, force: bool = False
                ) -> tuple[float, list[Staff], list[np.ndarray]]:
  """(deskew angle, staves, crops) of a staff or page image; StaffError if none is found
  (`force`: a wide inked image is read whole even when it is not `staff_like`)."""
  return layout(grey, deskew, force)[:3]


def layout(grey: np.ndarray, deskew: bool = True, force: bool = False
           ) -> tuple[float, list[Staff], list[np.ndarray], list[list[int]]]:
  """`staff_crops` and the staves' `systems`."""
  angle = page_lib.estimate_skew(grey) if deskew else 0.0
  straight = page_lib.rotate(grey, angle)
  staves = find_staves(straight)
  if staves:
    groups = [[0]]
    if len(staves) > 1:  # a system needs two staves: one staff skips the second ink mask
      groups, joints = _systems(_ink(straight, 0.2), staves)
      staves, straight = past_system_lines(straight, staves, groups, joints)
    return angle, staves, [crop(straight, s) for s in staves], groups
  h, w = straight.shape
  paper = float(np.median(straight))
  if (w >= WIDE * h and paper - float(np.percentile(straight, 1)) >= 40
      and (force or staff_like(straight))):
    space = h / (4 + 2 * MARGIN)  # the geometry of a staff crop
    lines = tuple(h / 2 + (i - 2) * space for i in range(5))
    return angle, [Staff(lines, 0, w, found=False)], [straight], [[0]]
  raise StaffError(NO_STAFF)
