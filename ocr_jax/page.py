"""Page layout for reading whole pages: binarise, deskew, split into text lines, reading order.

    layout = page.segment(grey)            # Layout(angle, deskewed grey, line boxes)
    for box in layout.boxes: ...           # (x0, y0, x1, y1) in the deskewed page, top first

Handles one column of horizontal text (book pages, letters, single-column articles) skewed by
up to +-MAX_SKEW degrees, with lines separated by at least one row of paper after deskewing.
It does not find columns, tables or figures: a multi-column page is read across the columns,
row by row. Pure numpy + Pillow (no JAX), so it is cheap to test.
"""
from __future__ import annotations

import dataclasses

import numpy as np
from PIL import Image

MAX_SKEW = 5.0  # degrees searched either way


@dataclasses.dataclass
class Layout:
  angle: float  # the page was rotated by this many degrees (counter-clockwise) to deskew it
  grey: np.ndarray  # the deskewed page, uint8[H, W]
  boxes: list[tuple[int, int, int, int]]  # text lines (x0, y0, x1, y1), reading order


def otsu_threshold(grey: np.ndarray) -> float:
  """The grey level that best separates ink from paper (Otsu's method)."""
  hist = np.bincount(grey.ravel(), minlength=256).astype(np.float64)
  total = hist.sum()
  levels = np.arange(256)
  w0 = np.cumsum(hist)
  m0 = np.cumsum(hist * levels)
  w1 = total - w0
  mean0 = m0 / np.maximum(w0, 1)
  mean1 = (m0[-1] - m0) / np.maximum(w1, 1)
  between = w0 * w1 * (mean0 - mean1) ** 2
  return float(np.argmax(between))


def ink_mask(grey: np.ndarray) -> np.ndarray:
  """bool[H, W], True on ink (darker than the Otsu threshold, and clearly darker than paper)."""
  t = otsu_threshold(grey)
  paper = float(np.median(grey))
  return grey < min(t, paper - 30)


def _profile_score(mask: np.ndarray, angle: float) -> float:
  img = Image.fromarray(mask.astype(np.uint8) * 255).rotate(angle, resample=Image.NEAREST,
                                                            expand=True, fillcolor=0)
  rows = np.asarray(img, np.float64).sum(axis=1)
  return float(np.sum(np.diff(rows) ** 2))  # sharp line/gap transitions when level


def estimate_skew(grey: np.ndarray, max_skew: float = MAX_SKEW) -> float:
  """The rotation (degrees, counter-clockwise) that makes text lines horizontal: the angle
  whose horizontal ink profile has the sharpest transitions, coarse then fine search on a
  page downsampled to <= 1000 px."""
  mask = ink_mask(grey)
  scale = max(1, int(np.ceil(max(mask.shape) / 1000)))
  if scale > 1:
    h, w = (mask.shape[0] // scale) * scale, (mask.shape[1] // scale) * scale
    mask = mask[:h, :w].reshape(h // scale, scale, w // scale, scale).max(axis=(1, 3))
  if mask.sum() == 0:
    return 0.0
  best = max(np.arange(-max_skew, max_skew + 1e-6, 0.5), key=lambda a: _profile_score(mask, a))
  fine = np.arange(best - 0.5, best + 0.5 + 1e-6, 0.1)
  return float(max(fine, key=lambda a: _profile_score(mask, a)))


def rotate(grey: np.ndarray, angle: float) -> np.ndarray:
  if abs(angle) < 1e-3:
    return grey
  paper = int(np.median(grey))
  return np.asarray(Image.fromarray(grey).rotate(angle, resample=Image.BILINEAR, expand=True,
                                                 fillcolor=paper))


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
  """[start, stop) of each run of True."""
  padded = np.concatenate([[False], flags, [False]])
  edges = np.flatnonzero(padded[1:] != padded[:-1])
  return list(zip(edges[::2], edges[1::2]))


def find_lines(grey: np.ndarray) -> list[tuple[int, int, int, int]]:
  """Line boxes of a deskewed one-column page: runs of rows with ink, split at paper rows;
  specks and rules (runs much thinner than the median line) are dropped; each box gets a
  margin of a fifth of its height, never past the neighbouring lines' ink."""
  mask = ink_mask(grey)
  h, w = mask.shape
  # A row is text if it has more ink than isolated specks give.
  row_ink = mask.sum(axis=1)
  flags = row_ink > max(2, 0.002 * w)
  runs = _runs(flags)
  if not runs:
    return []
  heights = np.array([b - a for a, b in runs])
  tall = heights[heights >= max(3, 0.5 * heights.max())]  # text lines, not specks
  median = float(np.median(tall if tall.size else heights))
  # Merge fragments of one line (dots of i and j, accents) separated by a tiny gap.
  merged: list[list[int]] = []
  for a, b in runs:
    if merged and a - merged[-1][1] < 0.15 * median and (b - a < 0.5 * median or
                                                          merged[-1][1] - merged[-1][0] < 0.5 * median):
      merged[-1][1] = b
    else:
      merged.append([a, b])
  boxes = []
  for i, (a, b) in enumerate(merged):
    if b - a < 0.35 * median:
      continue  # a speck, an underline, a stray rule
    cols = np.flatnonzero(mask[a:b].sum(axis=0) > 0)
    if cols.size == 0:
      continue
    pad = int(round(0.2 * (b - a)))
    top = max(0, a - pad, merged[i - 1][1] + 1 if i > 0 else 0)
    bottom = min(h, b + pad, merged[i + 1][0] - 1 if i + 1 < len(merged) else h)
    x_pad = int(round(0.5 * (b - a)))
    boxes.append((max(0, int(cols[0]) - x_pad), int(top), min(w, int(cols[-1]) + 1 + x_pad),
                  int(bottom)))
  return boxes


def segment(grey: np.ndarray, deskew: bool = True) -> Layout:
  angle = estimate_skew(grey) if deskew else 0.0
  straight = rotate(grey, angle)
  return Layout(angle, straight, find_lines(straight))


def crops(layout: Layout) -> list[np.ndarray]:
  return [layout.grey[y0:y1, x0:x1] for x0, y0, x1, y1 in layout.boxes]
