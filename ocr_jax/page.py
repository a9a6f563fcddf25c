"""Page layout for reading whole pages: even out the light, deskew, find the text lines,
reading order.

    layout = page.segment(grey)   # Layout(angle, flattened deskewed grey, lines)
    for box in layout.boxes: ...  # (x0, y0, x1, y1) in the deskewed page, top first
    images = page.crops(layout)   # one straightened line image each

1. `flatten` divides the page by its paper brightness (a grey closing of the page at a few
   percent of its size), so shading, a gradient of light or a shadow leave paper white and
   ink dark; what is much darker than the paper over large areas (the table or the scanner
   lid past the page's edge, a photograph) becomes paper.
2. `estimate_skew` finds the one rotation that levels the text best (+-MAX_SKEW degrees).
3. `find_text_lines` joins each line's glyphs into a band (ink closed horizontally over about
   a glyph's height, so letters and words join and lines do not), fits each band's centre
   line, cuts bands that hold two touching lines, and joins bands of one line split by a wide
   gap. Each line keeps its own slope, so lines that the page's single rotation does not level
   (a photographed page's keystone, a curled scan) are still cut one by one, and `crops`
   straightens each along its slope.
Handles one column of text (book pages, letters, single-column articles): a multi-column page
is read across the columns, row by row; tables and figures are not recognised as such. Pure
numpy, scipy.ndimage and Pillow (no JAX), so it is cheap to test.
"""
from __future__ import annotations

import dataclasses

import numpy as np
from PIL import Image
from PIL import ImageFilter
from scipy import ndimage

MAX_SKEW = 5.0  # degrees searched either way
# The paper brightness is estimated on blocks of 1/BLOCKS of the page's shorter side, closed
# over 5 blocks: larger than any glyph of body text, smaller than the page's shading.
BLOCKS = 60
# Where the estimated paper is darker than this fraction of the page's bright paper, it is
# not paper (the table, a lid, a photograph) and is blanked; so is a rim around a sharp edge
# of brightness: neighbouring blocks whose paper differs by this factor. A shadow on the
# page is gradual and stays (page.png of scikit-image: its darkest corner with text is 0.32
# of the bright paper, at most 1.22 apart across 3 blocks).
NOT_PAPER = 0.3
EDGE = 1.8


@dataclasses.dataclass
class Line:
  """A text line in the deskewed page: columns [x0, x1), and at the middle column rows
  [top, bottom); the line rises `slope` rows per column (negative: up to the right)."""
  x0: int
  x1: int
  top: float
  bottom: float
  slope: float = 0.0

  @property
  def box(self) -> tuple[int, int, int, int]:
    drift = abs(self.slope) * (self.x1 - self.x0) / 2
    return (self.x0, int(np.floor(self.top - drift)), self.x1,
            int(np.ceil(self.bottom + drift)))


@dataclasses.dataclass
class Layout:
  angle: float  # the page was rotated by this many degrees (counter-clockwise) to deskew it
  grey: np.ndarray  # the deskewed (and flattened) page, uint8[H, W]
  lines: list[Line]  # reading order

  @property
  def boxes(self) -> list[tuple[int, int, int, int]]:
    """(x0, y0, x1, y1) of each line (its bounding box, if it slopes), reading order."""
    return [l.box for l in self.lines]

  @classmethod
  def whole(cls, grey: np.ndarray) -> Layout:
    """The whole image as one line."""
    return cls(0.0, grey, [Line(0, grey.shape[1], 0, grey.shape[0])])


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


def _paper_blocks(grey: np.ndarray) -> tuple[np.ndarray, int]:
  """(uint8 paper brightness per block, block size): the 90th percentile of each block of
  BLOCKS-th of the shorter side (paper, even among glyphs), closed (max then min) over 5
  blocks so that larger ink (headings, bold words) counts as paper too."""
  h, w = grey.shape
  b = max(2, int(round(min(h, w) / BLOCKS)))
  hh, ww = -(-h // b) * b, -(-w // b) * b
  g = np.pad(grey, ((0, hh - h), (0, ww - w)), mode="edge")
  blocks = g.reshape(hh // b, b, ww // b, b).transpose(0, 2, 1, 3).reshape(hh // b, ww // b, -1)
  raw = Image.fromarray(np.percentile(blocks, 90, axis=-1).astype(np.uint8))
  return np.asarray(raw.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.MinFilter(5))), b


def _upsample(small: np.ndarray, b: int, shape, resample) -> np.ndarray:
  h, w = shape
  up = Image.fromarray(small).resize((small.shape[1] * b, small.shape[0] * b), resample)
  return np.asarray(up)[:h, :w]


def flatten(grey: np.ndarray) -> np.ndarray:
  """uint8[H, W]: the page divided by its paper brightness (`_paper_blocks`, smoothed and
  scaled back up), so paper is white everywhere. Blanked (made white), with a block around:
  where the paper is darker than NOT_PAPER of the page's bright paper (division would make
  its noise look like ink: the table past the page, a photograph), and either side of a
  sharp edge of brightness (the page's edge on a table or under a lid, where the smoothed
  estimate leaves a dark rim). A wedge of table narrower than a block stays dark;
  `find_text_lines` drops it."""
  small, b = _paper_blocks(grey)
  level = small.astype(np.float32)
  img = Image.fromarray(small)
  high = np.asarray(img.filter(ImageFilter.MaxFilter(3)), np.float32)
  low = np.asarray(img.filter(ImageFilter.MinFilter(3)), np.float32)
  blank = (level < NOT_PAPER * np.percentile(level, 90)) | (high > EDGE * np.maximum(low, 1))
  if blank.any():
    blank = ndimage.binary_dilation(blank, structure=np.ones((3, 3)))
  smooth = np.asarray(img.filter(ImageFilter.BoxBlur(1)))
  bg = _upsample(smooth, b, grey.shape, Image.BILINEAR).astype(np.float32)
  flat = np.clip(grey.astype(np.float32) / np.maximum(bg, 1.0) * 255.0, 0, 255)
  flat[_upsample(blank.astype(np.uint8), b, grey.shape, Image.NEAREST) > 0] = 255
  return flat.astype(np.uint8)


def ink_mask(grey: np.ndarray) -> np.ndarray:
  """bool[H, W], True on ink (darker than the Otsu threshold, and clearly darker than paper)."""
  t = otsu_threshold(grey)
  paper = float(np.median(grey))
  return grey < min(t, paper - 30)


def _profile_score(mask: Image.Image, angle: float) -> float:
  """Sharpness of the row profile of a 0/255 ink image rotated by `angle`."""
  img = mask.rotate(angle, resample=Image.NEAREST, expand=True, fillcolor=0)
  rows = np.asarray(img).sum(axis=1, dtype=np.int64).astype(np.float64)
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
  mask = Image.fromarray(mask.astype(np.uint8) * 255)
  best = max(np.arange(-max_skew, max_skew + 1e-6, 0.5), key=lambda a: _profile_score(mask, a))
  fine = np.arange(best - 0.5, best + 0.5 + 1e-6, 0.1)
  return float(max(fine, key=lambda a: _profile_score(mask, a)))


def rotate(grey: np.ndarray, angle: float) -> np.ndarray:
  if abs(angle) < 1e-3:
    return grey
  paper = int(np.median(grey))
  return np.asarray(Image.fromarray(grey).rotate(angle, resample=Image.BILINEAR, expand=True,
                                                 fillcolor=paper))


def close_rows(mask: np.ndarray, reach: int) -> np.ndarray:
  """`ndimage.binary_closing(mask, structure=np.ones((1, reach)))`, bit for bit, as a running
  max then min along the rows (cost independent of `reach`: ~8x faster on a page)."""
  grown = ndimage.maximum_filter1d(mask.view(np.uint8), reach, axis=1, mode="constant",
                                   origin=-(1 - reach % 2))  # even lengths: scipy's origin
  return ndimage.minimum_filter1d(grown, reach, axis=1, mode="constant").view(bool)


def find_text_lines(grey: np.ndarray) -> list[Line]:
  """Text lines of a deskewed one-column page (best flattened first), top to bottom.

  Ink is split into connected glyphs; left out are specks (under 3 px or 4 pixels), shapes
  taller than a quarter of the image and 4 median glyphs (rules down the page, pictures) or
  wider than half of it and 20 glyphs (rules across), and on a page (over 6 glyphs high)
  shapes along the image's border longer than 2.5 glyphs (the table past the page's edge).
  Glyphs closed horizontally over 1.6 times their median height join into bands, one per
  line or part of a line; the median height of the bands at least 0.3 as wide as the widest
  is the line height. A band's slope is the least-squares line through its columns'
  centres of ink; its rows are where its ink lies about that line. A band taller than 1.6
  line heights is cut at its emptiest rows into as many lines as its height holds;
  bands whose centre lines meet (one line split by a wide gap) are joined; bands lower than
  0.35 of a line height (a row of dots, an underline) are dropped. Each line gets a margin of
  a fifth of its height above and below (never past its neighbours' ink) and half its height
  left and right."""
  mask = ink_mask(grey)
  h, w = mask.shape
  labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
  if n == 0:
    return []
  objects = ndimage.find_objects(labels)
  heights = np.array([o[0].stop - o[0].start for o in objects])
  widths = np.array([o[1].stop - o[1].start for o in objects])
  areas = np.bincount(labels.ravel(), minlength=n + 1)[1:]
  glyph = (heights >= 3) & (areas >= 4)
  starts = np.array([[o[0].start, o[1].start] for o in objects])
  stops = np.array([[o[0].stop, o[1].stop] for o in objects])
  touch_y = (starts[:, 0] == 0) | (stops[:, 0] == h)  # the top or bottom border
  touch_x = (starts[:, 1] == 0) | (stops[:, 1] == w)
  inner = glyph & ~touch_y & ~touch_x
  if not glyph.any():
    return []
  glyph_height = float(np.median(heights[inner if inner.any() else glyph]))
  glyph &= heights <= max(0.25 * h, 4 * glyph_height)  # a rule down the page, a picture
  glyph &= widths <= max(0.5 * w, 20 * glyph_height)  # a rule across it
  if h > 6 * glyph_height:  # a page, not a line: its border is not the text's
    # Along the border, a shape longer than 2.5 glyphs is the table or a lid past the page
    # (a wedge too narrow for `flatten` to blank), not text cut by the border.
    glyph &= ~(touch_y & (widths > 2.5 * glyph_height))
    glyph &= ~(touch_x & (heights > 2.5 * glyph_height))
  keep = np.concatenate([[False], glyph])[labels]
  reach = max(3, int(round(1.6 * glyph_height)))
  bands, m = ndimage.label(close_rows(keep, reach) | keep)
  ys, xs = np.nonzero(keep)
  owner = bands[ys, xs]
  order = np.argsort(owner, kind="stable")
  ys, xs, owner = ys[order], xs[order], owner[order]
  bounds = np.searchsorted(owner, np.arange(1, m + 2))
  parts = [_fit(xs[a:b], ys[a:b]) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
  if not parts:
    return []
  spans = np.array([np.ptp(p[0]) for p in parts])
  median = float(np.median([p[3] - p[2] for p, span in zip(parts, spans)
                            if span >= 0.3 * spans.max()]))  # of lines, not dots or commas
  split = []
  for p in parts:
    split.extend(_cut(p, median) if p[3] - p[2] > 1.6 * median else [p])
  lines = _join(split, median)
  lines = [l for l in lines if l[3] - l[2] >= 0.35 * median]
  lines.sort(key=lambda l: _at(l, w / 2, 0))
  out = []
  for i, band in enumerate(lines):
    xs_, _, top, bottom, _, slope, _ = band
    pad = 0.2 * (bottom - top)
    x_pad = int(round(0.5 * (bottom - top)))
    x0, x1 = max(0, int(xs_.min()) - x_pad), min(w, int(xs_.max()) + 1 + x_pad)
    x = (x0 + x1) / 2
    centre = _at(band, x, 0)
    above = _at(lines[i - 1], x, 3) + 1 if i > 0 else -np.inf  # neighbours' ink here
    below = _at(lines[i + 1], x, 2) - 1 if i + 1 < len(lines) else np.inf
    out.append(Line(x0, x1, min(centre + top, max(centre + top - pad, above)),
                    max(centre + bottom, min(centre + bottom + pad, below)), slope))
  return out


# A band is (xs, ys of its ink, top, bottom, base, slope, mid): its centre line passes row
# `base` at column `mid` (the mean column of its ink) and rises `slope` rows per column; top
# and bottom are its ink's offsets from that line (0.5th and 99.5th percentiles, robust to a
# few stray pixels).
def _fit(xs: np.ndarray, ys: np.ndarray):
  mid = float(xs.mean())
  slope = 0.0
  if np.ptp(xs) >= 8:
    cols, inv = np.unique(xs, return_inverse=True)
    centre = np.bincount(inv, weights=ys) / np.bincount(inv)
    slope = float(np.polyfit(cols - mid, centre, 1)[0])
  slope = float(np.clip(slope, -0.1, 0.1))  # at most ~6 degrees off the page's skew
  return _band(xs, ys, slope, mid)


def _band(xs, ys, slope, mid):
  base = float(np.median(ys - slope * (xs - mid)))
  off = ys - slope * (xs - mid) - base
  top, bottom = np.percentile(off, [0.5, 99.5])
  return (xs, ys, float(top), float(bottom) + 1, base, slope, mid)


def _at(band, x: float, which: int) -> float:
  """Row of a band's centre line (which=0), top (2) or bottom (3) edge at column x."""
  xs_, ys_, top, bottom, base, slope, mid = band
  row = base + slope * (x - mid)
  return row + (top if which == 2 else bottom if which == 3 else 0.0)


def _cut(band, median: float):
  """Splits a band holding k touching lines at the k-1 emptiest rows near the expected cuts."""
  xs, ys, top, bottom, base, slope, mid = band
  size = int(np.ceil(bottom - top)) + 1
  off = np.clip(np.round(ys - slope * (xs - mid) - base - top).astype(int), 0, size - 1)
  profile = np.convolve(np.bincount(off, minlength=size), np.ones(3) / 3, mode="same")
  k = max(2, int(round((bottom - top) / median)))
  step = len(profile) / k
  cuts = []
  for j in range(1, k):
    lo, hi = int(j * step - 0.3 * step), int(j * step + 0.3 * step) + 1
    cuts.append(lo + int(np.argmin(profile[lo:hi])))
  which = np.searchsorted(np.array(cuts), off, side="right")
  return [_band(xs[which == j], ys[which == j], slope, mid) for j in range(k)
          if np.any(which == j)]


def _join(bands, median: float):
  """Joins bands whose centre lines pass within half a line height of each other at the
  column between them (the words of one line on either side of a wide gap)."""
  bands = sorted(bands, key=lambda b: b[0].min())
  lines = []
  for b in bands:
    for i, l in enumerate(lines):
      x = (l[0].max() + b[0].min()) / 2
      if abs(_at(l, x, 0) - _at(b, x, 0)) < 0.5 * median:
        lines[i] = _fit(np.concatenate([l[0], b[0]]), np.concatenate([l[1], b[1]]))
        break
    else:
      lines.append(b)
  return lines


def runs(flags: np.ndarray) -> list[tuple[int, int]]:
  """[start, stop) of each run of True."""
  padded = np.concatenate([[False], flags, [False]])
  edges = np.flatnonzero(padded[1:] != padded[:-1])
  return list(zip(edges[::2], edges[1::2]))


def find_lines(grey: np.ndarray) -> list[tuple[int, int, int, int]]:
  """Line boxes of a level one-column page by its row profile alone: runs of rows with ink,
  split at paper rows; specks and rules (runs much thinner than the median line) are
  dropped; each box gets a margin of a fifth of its height, never past the neighbouring
  lines' ink. Cheap, and blind to lines that slope or touch; `read --layout auto` uses it to
  tell a page (two or more lines) from a line image (where the neighbours' strokes cut at
  its edges are not lines), `segment` uses `find_text_lines`."""
  mask = ink_mask(grey)
  h, w = mask.shape
  # A row is text if it has more ink than isolated specks give.
  row_ink = mask.sum(axis=1)
  flags = row_ink > max(2, 0.002 * w)
  spans = runs(flags)
  if not spans:
    return []
  heights = np.array([b - a for a, b in spans])
  tall = heights[heights >= max(3, 0.5 * heights.max())]  # text lines, not specks
  median = float(np.median(tall if tall.size else heights))
  # Merge fragments of one line (dots of i and j, accents) separated by a tiny gap.
  merged: list[list[int]] = []
  for a, b in spans:
    small = b - a < 0.5 * median or merged and merged[-1][1] - merged[-1][0] < 0.5 * median
    if merged and a - merged[-1][1] < 0.15 * median and small:
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


def looks_like_page(grey: np.ndarray, flat: np.ndarray | None = None) -> bool:
  """Whether an image holds lines of text (a page) rather than one line: two or more lines
  by the row profile (`find_lines`), or two or more by `find_text_lines` on the flattened
  image with the image at least 4 lines high (90th percentile of their heights), so that a
  line image showing its neighbours' strokes at its edges stays one line. On the test sets
  of ocr_jax.data.testsets: 0 of 400 clean and 3 of 400 degraded line images, and 24 of 24
  pages (12 of them photographed) are taken for pages. `flat`: flatten(grey), if the caller
  has it."""
  if len(find_lines(grey)) >= 2:
    return True
  lines = find_text_lines(flatten(grey) if flat is None else flat)
  return len(lines) >= 2 and 4 * np.percentile([l.bottom - l.top for l in lines],
                                               90) <= grey.shape[0]


def segment(grey: np.ndarray, deskew: bool = True, flat: np.ndarray | None = None) -> Layout:
  """`flat`: flatten(grey), if the caller has it."""
  flat = flatten(grey) if flat is None else flat
  angle = estimate_skew(flat) if deskew else 0.0
  straight = rotate(flat, angle)
  return Layout(angle, straight, find_text_lines(straight))


def crop(grey: np.ndarray, line: Line) -> np.ndarray:
  """uint8 image of a line, straightened: column x is sampled (linear in y) along the line's
  slope, so a sloping line comes out level; rows off the page read as paper."""
  h, w = grey.shape
  if line.slope == 0.0 and float(line.top).is_integer() and float(line.bottom).is_integer():
    return grey[max(0, int(line.top)):int(line.bottom), line.x0:line.x1]
  mid = (line.x0 + line.x1) / 2
  cols = np.arange(line.x0, line.x1)
  rows = np.arange(int(np.floor(line.top)), int(np.ceil(line.bottom)))
  y = rows[:, None] + line.slope * (cols[None, :] - mid)
  y0 = np.floor(y).astype(int)
  frac = (y - y0).astype(np.float32)
  padded = np.pad(grey, ((1, 1), (0, 0)), constant_values=255).astype(np.float32)
  a = padded[np.clip(y0 + 1, 0, h + 1), cols[None, :]]
  b = padded[np.clip(y0 + 2, 0, h + 1), cols[None, :]]
  return np.clip(np.round(a * (1 - frac) + b * frac), 0, 255).astype(np.uint8)


def crops(layout: Layout) -> list[np.ndarray]:
  return [crop(layout.grey, l) for l in layout.lines]


def layout_of(grey: np.ndarray, layout: str = "auto") -> Layout:
  """The lines to read in an image. layout: 'line' = the whole image is one line; 'page' =
  flatten, deskew and split into lines; 'auto' = split when the image shows two or more
  lines of text (looks_like_page), else read it as one line."""
  whole = Layout.whole(grey)
  if layout == "line":
    return whole
  if layout not in ("auto", "page"):
    raise ValueError(f"unknown layout {layout!r} (auto, line, page)")
  flat = flatten(grey)  # once, for both the decision and the layout
  if layout == "page" or looks_like_page(grey, flat):
    return segment(grey, flat=flat)
  return whole


def read_layouts(greys, layout: str, check_line, read_lines):
  """Images (lines or pages) -> per image, (Layout, [a reading per line, in reading order])
  or the ImageError that stopped it. Light text on a dark ground is inverted first
  (preprocess.dark_on_light); every line passes `check_line` (which may raise ImageError);
  the lines of all images are read in one call of `read_lines(lines, checked=True)`, so
  they share batches. Any recognizer (JAX or ONNX) reads pages through this."""
  from ocr_jax.data import preprocess  # pylint: disable=g-import-not-at-top
  found, lines = [], []
  for g in greys:
    try:
      lay = layout_of(preprocess.dark_on_light(g), layout)
      line_images = [check_line(c) for c in crops(lay)]
      found.append((lay, len(lines), len(lines) + len(line_images)))
      lines.extend(line_images)
    except preprocess.ImageError as e:
      found.append(e)
  results = read_lines(lines, checked=True) if lines else []
  return [f if isinstance(f, Exception) else (f[0], results[f[1]:f[2]]) for f in found]
