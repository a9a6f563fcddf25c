"""Image preprocessing shared by training and inference, so a model sees the same pixels in both.

load_image (any file Pillow reads) -> to_grey -> resize_to_height -> normalize -> pad_to_width.
Pixels are inverted (ink ~1, paper ~0) so that zero padding looks like empty paper.
"""
from __future__ import annotations

import io
import os
import warnings

import numpy as np
from PIL import Image, ImageOps

# Refuse images whose decoded size could exhaust memory (a decompression bomb or a 30000 x
# 30000 scan handed to a line reader). Pillow's own guard only warns below 2x its limit.
MAX_PIXELS = 64_000_000
MAX_FILE_BYTES = 256 * 1024 * 1024
MIN_SIDE = 4  # a line image needs a few pixels of height and width to hold any text


IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp",
                    ".pgm", ".ppm", ".pbm", ".pnm")


def line_features(height: int, **extra):
  """The tfds features of a line-image dataset: a PNG line image of `height` px (the pipeline
  reads widths from the PNG header) and its text, plus any `extra` features."""
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  return tfds.features.FeaturesDict({
      "image": tfds.features.Image(shape=(height, None, 1), encoding_format="png"),
      "text": tfds.features.Text(), **extra})


def encode_png(grey: np.ndarray) -> bytes:
  """uint8[H, W] -> PNG bytes (fast compression: datasets are written once, read often)."""
  buf = io.BytesIO()
  Image.fromarray(grey).save(buf, format="PNG", compress_level=1)
  return buf.getvalue()


class ImageError(ValueError):
  """An input file that cannot be read as an image; the message names the problem."""


# Luminance weights (ITU-R 601, as Pillow's convert("L")), and how much more colour variance
# the image's main colour axis must hold than the luminance axis before the axis replaces
# luminance (to_grey). A grey image stored as RGB scores 1.35 (its variance lies on the grey
# axis, which luminance's weights do not follow exactly), so it keeps its luminance.
LUMA = np.array([0.299, 0.587, 0.114])
COLOUR_AXIS_GAIN = 1.5


def to_grey(img: Image.Image) -> np.ndarray:
  """Any Pillow image (1, L, P, RGB(A), LA, CMYK, I;16, I, F) -> uint8[H, W], paper light.

  Colour images become their luminance unless the text stands out by hue more than by
  brightness (signs, coloured slides: red on green, purple on violet), where luminance would
  lose the contrast; those are projected on their main colour axis instead (colour_axis),
  and their ground flattened (flatten_ground: across a gradient from one hue to another the
  text can lie above the ground's projection at one end and below it at the other)."""
  if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
    arr = np.asarray(img, dtype=np.float64)
    lo, hi = float(arr.min()), float(arr.max())
    arr = (arr - lo) / (hi - lo) * 255 if hi > lo else np.full_like(arr, 255)
    return arr.astype(np.uint8)
  if img.mode == "P":
    img = img.convert("RGBA")
  if img.mode in ("RGBA", "LA", "PA"):
    background = Image.new("RGBA", img.size, (255, 255, 255, 255))
    img = Image.alpha_composite(background, img.convert("RGBA"))
  if img.mode in ("1", "L"):
    return np.asarray(img.convert("L"))
  rgb = np.asarray(img.convert("RGB"))
  axis = colour_axis(rgb)
  if axis is None:
    return np.asarray(img.convert("L"))
  grey = rgb[..., 0] * np.float32(axis[0])
  grey += rgb[..., 1] * np.float32(axis[1])
  grey += rgb[..., 2] * np.float32(axis[2])
  lo, hi = np.percentile(grey[::max(1, grey.shape[0] // 512), ::max(1, grey.shape[1] // 512)],
                         (0.5, 99.5))
  grey -= lo
  grey *= 255.0 / max(hi - lo, 1e-3)
  return flatten_ground(np.clip(grey, 0, 255).astype(np.uint8))


def flatten_ground(grey: np.ndarray) -> np.ndarray:
  """uint8[H, W] -> how far each pixel lies from its local ground, stretched and inverted
  (ink dark, ground white), whichever side of the ground the ink lies on. The ground is the
  median of a window one image height tall and two wide, taken on a copy shrunk to about 16
  rows (a line's ground; a page's is about its global median)."""
  from scipy import ndimage  # pylint: disable=g-import-not-at-top
  f = grey.astype(np.float32)
  step = max(1, f.shape[0] // 16)
  small = f[::step, ::step]
  rows = small.shape[0]
  ground = ndimage.median_filter(small, size=(max(3, rows), max(3, 2 * rows)), mode="nearest")
  ground = np.asarray(Image.fromarray(ground).resize((f.shape[1], f.shape[0]), Image.BILINEAR))
  distance = np.abs(f - ground)
  sub = max(1, int(np.sqrt(f.size / 262144)))
  (hi,) = np.percentile(distance[::sub, ::sub], (99.5,))
  return (255 - np.clip(distance * (255.0 / max(float(hi), 1.0)), 0, 255)).astype(np.uint8)


def colour_axis(rgb: np.ndarray):
  """uint8[H, W, 3] -> the unit RGB direction of its largest colour variance (oriented with
  luminance, so dark stays dark where luminance shows any contrast), or None when that axis
  holds less than COLOUR_AXIS_GAIN times the variance along the luminance axis: then
  luminance shows the content as well as any projection would."""
  step = max(1, int(np.sqrt(rgb.shape[0] * rgb.shape[1] / 65536)))
  sample = rgb[::step, ::step].reshape(-1, 3).astype(np.float64)
  if len(sample) < 2:
    return None
  cov = np.cov(sample, rowvar=False)
  values, vectors = np.linalg.eigh(cov)
  luma = LUMA / np.linalg.norm(LUMA)
  if values[-1] <= COLOUR_AXIS_GAIN * float(luma @ cov @ luma):
    return None
  axis = vectors[:, -1]
  return -axis if axis @ LUMA < 0 else axis


def load_image(path: str) -> np.ndarray:
  """Reads an image file as uint8[H, W]; raises ImageError with a one-line reason."""
  try:
    size = os.path.getsize(path)
  except OSError as e:
    raise ImageError(f"cannot open: {e.strerror or e}") from None
  if size == 0:
    raise ImageError("empty file (0 bytes)")
  if size > MAX_FILE_BYTES:
    raise ImageError(f"file too large ({size} bytes > {MAX_FILE_BYTES})")
  try:
    with warnings.catch_warnings():
      warnings.simplefilter("error", Image.DecompressionBombWarning)
      with Image.open(path) as img:
        if img.width * img.height > MAX_PIXELS:
          raise ImageError(f"image too large ({img.width}x{img.height} pixels)")
        img.seek(0)  # first frame of an animation
        img = ImageOps.exif_transpose(img)
        img.load()
        grey = to_grey(img)
  except ImageError:
    raise
  except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
    raise ImageError(f"refused as a decompression bomb ({e})") from None
  except Image.UnidentifiedImageError:
    raise ImageError("not an image Pillow can identify") from None
  except (OSError, SyntaxError, ValueError, EOFError) as e:
    raise ImageError(f"corrupt or truncated image ({e})") from None
  if grey.ndim != 2 or min(grey.shape) < MIN_SIDE:
    raise ImageError(f"image too small to hold text ({grey.shape[-1]}x{grey.shape[0]} px; "
                     f"need >= {MIN_SIDE} px each way)" if grey.ndim == 2 else
                     f"unusable image shape {grey.shape}")
  return grey


def expand_paths(inputs) -> tuple[list[str], list[str]]:
  """Files and folders -> (image paths: files as given, each folder's image files sorted by
  name; the inputs that do not exist)."""
  paths, missing = [], []
  for item in map(os.fspath, inputs):
    if os.path.isdir(item):
      names = sorted(n for n in os.listdir(item) if n.lower().endswith(IMAGE_EXTENSIONS))
      paths.extend(os.path.join(item, n) for n in names)
    elif os.path.exists(item):
      paths.append(item)
    else:
      missing.append(item)
  return paths, missing


def load_images(paths) -> list:
  """Paths -> uint8[H, W] or the ImageError for each path (batch commands go on past it)."""
  out = []
  for path in paths:
    try:
      out.append(load_image(path))
    except ImageError as e:
      out.append(e)
  return out


def dark_on_light(grey: np.ndarray) -> np.ndarray:
  """The image with dark marks on a light ground, as every model here reads: light text on
  a dark ground (slides, signs, screens in dark mode, negatives) is inverted. The ground is
  the median of the border pixels (mostly paper, even in a crop flush with the ink); the
  image is inverted when that ground is dark and its content lies on the lighter side."""
  border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
  (ground,) = grey_quantiles(border, (0.5,))
  lo, hi = grey_quantiles(grey, (0.02, 0.98))
  if ground < 128 and hi - ground > max(ground - lo, MIN_CONTRAST):
    return 255 - grey
  return grey


def resize_to_height(grey: np.ndarray, height: int, min_width: int = 4,
                     stretch: float = 1.0) -> np.ndarray:
  """uint8[h, w] -> uint8[height, w * height / h], keeping the aspect ratio (or drawn
  `stretch` times as wide)."""
  h, w = grey.shape
  if h == height and stretch == 1.0:
    return grey if w >= min_width else np.pad(grey, ((0, 0), (0, min_width - w)),
                                               constant_values=255)
  new_w = max(min_width, int(round(w * height / h * stretch)))
  return np.asarray(Image.fromarray(grey).resize((new_w, height), Image.BILINEAR))


def normalize(grey: np.ndarray) -> np.ndarray:
  """uint8[H, W] (dark ink on light paper) -> float32[H, W, 1] with ink ~1 and paper ~0."""
  return (1.0 - grey.astype(np.float32) / 255.0)[:, :, None]


# Image columns a CTC frame spans in the narrowest-framed model here (features'
# width_reduction 4): the data builders and the training batches keep a line at least
# this many columns a frame its label needs.
COLUMNS_PER_FRAME = 4


def ctc_frames_needed(text: str) -> int:
  """The fewest frames a CTC reader can emit `text` in: one a symbol, plus a blank between
  each pair of equal neighbours ('====' needs 7)."""
  repeats = sum(a == b for a, b in zip(text, text[1:]))
  return len(text) + repeats


def bucket_width(width: int, buckets, step: int = 64) -> int:
  """Smallest bucket >= width; past the last bucket, round up to a multiple of `step`."""
  for b in buckets:
    if width <= b:
      return int(b)
  return int(-(-width // step) * step)


def pad_to_width(x: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
  """float32[H, w, C] -> (float32[H, width, C], paddings float32[width], 1 = padding)."""
  w = x.shape[1]
  if w > width:
    raise ValueError(f"image width {w} exceeds bucket width {width}")
  padded = np.zeros((x.shape[0], width, x.shape[2]), np.float32)
  padded[:, :w] = x
  paddings = np.ones((width,), np.float32)
  paddings[:w] = 0.0
  return padded, paddings


def batch_lines(lines, width: int, size: int | None = None):
  """Prepared lines float32[H, w, 1] -> (images float32[size, H, width, 1], paddings
  float32[size, width]); rows past len(lines) are empty paper, all padding."""
  size = len(lines) if size is None else size
  images = np.zeros((size, lines[0].shape[0], width, lines[0].shape[2]), np.float32)
  paddings = np.ones((size, width), np.float32)
  for row, x in enumerate(lines):
    images[row], paddings[row] = pad_to_width(x, width)
  return images, paddings


def check_line_width(grey: np.ndarray, height: int, max_width: int) -> None:
  """Raises ImageError if a line would be wider than `max_width` px at `height` px."""
  h, w = grey.shape
  if round(w * height / h) > max_width:
    raise ImageError(f"line too wide: {w}x{h} px becomes more than {max_width} px at height "
                     f"{height}")


# Margins around a line's ink, in ink heights: (low, target, high) above and below, then left
# and right. `fit_margins` sets a margin outside (low, high) to its target. From the synthetic
# training lines (`python launch/margin_stats.py` at 9a0885e, 600 lines of both profiles):
# targets ~the medians, highs ~the 99th percentiles, the horizontal low ~the 10th
# percentile. The vertical low is 0 (never pad above or below): padding lines that a
# neighbour's strokes, a shadow or capitals make flush with an edge cost more than it won
# on tight crops (docs/english.md, "Line crops from other segmenters").
TEXT_MARGINS = ((0.0, 0.3, 0.9), (0.15, 0.4, 1.2))
MIN_CONTRAST = 40  # grey levels between paper and ink below which no ink box is sought


def grey_quantiles(grey: np.ndarray, qs) -> list[int]:
  """Quantiles (0-1) of uint8 values by their histogram (~4x faster than np.percentile on
  line-sized images); each the lowest level reaching its share."""
  counts = np.cumsum(np.bincount(grey.ravel(), minlength=256))
  return [int(np.searchsorted(counts, q * counts[-1])) for q in qs]


def ink_box(grey: np.ndarray):
  """((top, bottom, left, right) rows and columns of the line's ink, inclusive; the ink
  threshold; the paper's grey), or None when the image shows no clear ink (ink_shapes)."""
  found = ink_shapes(grey)
  if found is None:
    return None
  shapes, threshold, paper = found
  return _bounds(shapes), threshold, paper


def _bounds(shapes: np.ndarray) -> tuple[int, int, int, int]:
  """(top, bottom, left, right) around int[N, 4] shapes of the same order."""
  return (int(shapes[:, 0].min()), int(shapes[:, 1].max()),
          int(shapes[:, 2].min()), int(shapes[:, 3].max()))


def ink_shapes(grey: np.ndarray):
  """(int[N, 4] (top, bottom, left, right) of each shape of the line's ink, inclusive; the
  ink threshold; the paper's grey), or None when the image shows no clear ink. Ink is darker
  than the midpoint of the 1st and 90th percentiles (the paper). Shapes smaller than 2 % of
  the largest (noise, dust) do not count, nor do strokes of the neighbouring lines cut by the
  top or bottom edge (see below)."""
  from scipy import ndimage  # pylint: disable=g-import-not-at-top
  ink_level, paper = grey_quantiles(grey, (0.01, 0.9))
  if paper - ink_level < MIN_CONTRAST:
    return None
  threshold = (ink_level + paper) // 2
  dark = grey < threshold  # >= 1 % of the pixels: those at or below ink_level
  rows, cols = np.flatnonzero(dark.any(1)), np.flatnonzero(dark.any(0))
  r0, c0 = rows[0], cols[0]  # label only the rectangle holding ink (~25 % faster)
  labels, _ = ndimage.label(dark[r0:rows[-1] + 1, c0:cols[-1] + 1], structure=np.ones((3, 3)))
  sizes = np.bincount(labels.ravel())[1:]
  shapes = np.array([(s[0].start + r0, s[0].stop - 1 + r0, s[1].start + c0, s[1].stop - 1 + c0)
                     for s in ndimage.find_objects(labels)]).reshape(-1, 4)
  shapes = shapes[sizes >= max(3, 0.02 * sizes.max(initial=0))]
  if not len(shapes):
    return None
  # Shapes cut by the top or bottom edge and less than 0.6 times as tall as the line's
  # typical shape (the median height of those not cut) are strokes of the neighbouring lines
  # that a page segmenter left in the crop.
  heights = shapes[:, 1] - shapes[:, 0] + 1
  cut = (shapes[:, 0] == 0) | (shapes[:, 1] == grey.shape[0] - 1)
  typical = np.median(heights[~cut] if (~cut).any() else heights)
  return shapes[~cut | (heights >= 0.6 * typical)], threshold, paper


def fit_margins(grey: np.ndarray, margins=TEXT_MARGINS) -> np.ndarray:
  """uint8[H, W] line crop -> the same line with each margin around its ink (`ink_box`)
  outside its range cut or padded to its target: `margins` = ((low, target, high) above
  and below, (low, target, high) left and right), in ink heights; padding takes the paper
  grey along that edge. A crop inside the ranges comes back unchanged, as does an image
  without clear ink. Recognizers trained on synthetic lines read crops made elsewhere
  (flush with the ink, or with a line's height of paper around it) through this."""
  found = ink_box(grey)
  if found is None:
    return grey
  (top, bottom, left, right), _, _ = found
  ink_h = bottom - top + 1
  h, w = grey.shape
  vertical, horizontal = margins

  def fit(have, low, target, high):
    return have if low * ink_h <= have <= high * ink_h else int(round(target * ink_h))

  have = (top, h - 1 - bottom, left, w - 1 - right)
  new = [fit(have[0], *vertical), fit(have[1], *vertical),
         fit(have[2], *horizontal), fit(have[3], *horizontal)]
  if right - left + 1 < 4 * ink_h:  # a word or two, maybe without ascenders and descenders:
    new[0], new[1] = max(new[0], have[0]), max(new[1], have[1])  # its ink box may be the
    # x-height alone, and cutting to it would blow the letters up
  new = tuple(new)
  if new == have:
    return grey
  return set_margins(grey, found, new)


def set_margins(grey: np.ndarray, found, new) -> np.ndarray:
  """The crop of `grey` with margins `new` = (top, bottom, left, right) px around the ink box
  of `found` (what ink_box returned for it): cut where smaller than now, padded with the
  paper grey along that edge where larger."""
  (top, bottom, left, right), threshold, paper = found
  h, w = grey.shape
  have = (top, h - 1 - bottom, left, w - 1 - right)
  kept = [min(a, b) for a, b in zip(have, new)]  # of each margin, what stays of the crop
  src = grey[top - kept[0]:bottom + kept[1] + 1, left - kept[2]:right + kept[3] + 1]

  def edge_paper(strip):
    light = strip[strip >= threshold]
    return int(np.median(light)) if light.size else paper

  values = ((edge_paper(src[0]), edge_paper(src[-1])),
            (edge_paper(src[:, 0]), edge_paper(src[:, -1])))
  pads = [b - a for a, b in zip(kept, new)]
  return np.pad(src, ((pads[0], pads[1]), (pads[2], pads[3])), constant_values=values)


def check_line(grey: np.ndarray, height: int, max_width: int, margins=None) -> np.ndarray:
  """A line image as every reader (JAX or ONNX) reads it: light text on a dark ground
  inverted (dark_on_light), its margins fitted (fit_margins) when `margins` are given;
  raises ImageError if it would be wider than `max_width` at `height`."""
  grey = dark_on_light(grey)
  if margins is not None:
    grey = fit_margins(grey, margins)
  check_line_width(grey, height, max_width)
  return grey


def prepare_line(grey: np.ndarray, height: int, stretch: float = 1.0) -> np.ndarray:
  """The whole per-image path before batching: height normalisation (the line `stretch`
  times as wide where asked) and inversion."""
  return normalize(resize_to_height(grey, height, stretch=stretch))


# A line read at more than MAX_DENSITY characters a CTC frame is read again, drawn wider, at
# WIDER_DENSITY (at most MAX_STRETCH times as wide). Type set tighter than the training lines
# (english_print_tech: median 0.32, 90th percentile 0.42 characters a frame) leaves CTC too
# few frames for narrow and doubled letters ('ll', 'fi', 'tt'). 0.4 is near that 90th
# percentile; re-reading from 0.45 rather than 0.4 costs 40 % less time for nearly the same
# accuracy (docs/devsets.md, "Dense lines").
MAX_DENSITY = 0.45
WIDER_DENSITY = 0.4
MAX_STRETCH = 1.6


# A line whose ink shows no ascender or descender (its median shape as tall as all its ink:
# 'was', 'corner runs', '312', 'THE END') holds x-height letters or capitals and digits, and
# cut tight the two look alike: the reader took 'source' for 'SOuICe'. With `x_height`,
# read_lines reads such a line again, if its reading is less confident than X_HEIGHT_TRUST,
# with paper above and below as if its ink were the x-height of a training line (ascender or
# descender room plus the 0.3 margin: about 1.1 x-heights each side in common faces), and
# keeps the more confident reading (docs/devsets.md, "Lines without ascenders"). Every line
# that gained on the development sets had been read below 0.82; the trust spares the second
# reading of nearly half the flat lines (26 of 46 on `clean` are read again).
FLAT_LINE = 0.85  # median shape height over ink height from which a line counts as flat
X_HEIGHT_PAD = 1.1  # paper above and below a flat line's ink, in ink heights
GLYPH_WIDTH = 3.0  # wider median shapes are no glyphs (an underline joining a whole line)
X_HEIGHT_TRUST = 0.9  # readings at least this confident are kept without a second look


def x_height_variant(grey: np.ndarray) -> np.ndarray | None:
  """A flat line (no ascender or descender shows, its shapes glyph-sized) with paper added
  above and below as if its ink were x-height letters; None for other lines and lines
  without clear ink."""
  found = ink_shapes(grey)
  if found is None:
    return None
  shapes, threshold, paper = found
  top, bottom, left, right = _bounds(shapes)
  ink_h = bottom - top + 1
  if (ink_h < 6 or np.median(shapes[:, 1] - shapes[:, 0] + 1) < FLAT_LINE * ink_h
      or np.median(shapes[:, 3] - shapes[:, 2] + 1) > GLYPH_WIDTH * ink_h):
    return None
  pad = int(round(X_HEIGHT_PAD * ink_h))
  return set_margins(grey, ((top, bottom, left, right), threshold, paper),
                     (pad, pad, left, grey.shape[1] - 1 - right))


def read_lines(greys: list[np.ndarray], height: int, read_prepared, width_reduction: int = 4,
               max_density: float = MAX_DENSITY, x_height: bool = False) -> list:
  """Checked line images -> `read_prepared`'s results (objects with a `.text` and a
  `.confidence`), in order. Every line is prepared (prepare_line) and read; with `x_height`
  a flat line read less confidently than X_HEIGHT_TRUST is read again as x-height letters
  (x_height_variant) and the more confident reading kept; then a line read at more than
  `max_density` characters a frame (`width_reduction` px of the prepared line) is read
  again, drawn wider, at min(WIDER_DENSITY, max_density), and that reading kept (0: off).
  Both readers (JAX and ONNX) read through here."""
  greys = list(greys)
  lines = [prepare_line(g, height) for g in greys]
  results = read_prepared(lines)
  if x_height:
    variants = {i: v for i, r in enumerate(results) if r.confidence < X_HEIGHT_TRUST
                and (v := x_height_variant(greys[i])) is not None}
    alternatives = [prepare_line(v, height) for v in variants.values()]
    again = read_prepared(alternatives) if alternatives else []
    for (i, variant), line, result in zip(variants.items(), alternatives, again):
      if result.confidence > results[i].confidence:
        greys[i], lines[i], results[i] = variant, line, result
  if max_density > 0:
    stretch, wider_density = {}, min(WIDER_DENSITY, max_density)
    for i, (line, result) in enumerate(zip(lines, results)):
      density = len(result.text) * width_reduction / line.shape[1]
      if density > max_density:
        stretch[i] = min(density / wider_density, MAX_STRETCH)
    if stretch:
      wider = read_prepared([prepare_line(greys[i], height, s) for i, s in stretch.items()])
      for i, result in zip(stretch, wider):
        results[i] = result
  return results


def _render_range(args):
  render_example, cfg, split, start, stop = args
  return [(f"{split}_{i}", render_example(cfg, split, i)) for i in range(start, stop)]


def render_in_processes(render_example, cfg, split: str, num: int, chunk: int,
                        num_workers: int = 0):
  """Yields (f"{split}_{i}", render_example(cfg, split, i)) for i < num, in order, rendered in
  chunks of `chunk` by `num_workers` processes (0 = one per core). `render_example` must be a
  module-level function (it is pickled). The synthetic builders prepare this way."""
  import multiprocessing  # pylint: disable=g-import-not-at-top
  chunks = [(render_example, cfg, split, s, min(s + chunk, num)) for s in range(0, num, chunk)]
  workers = num_workers or multiprocessing.cpu_count()
  if workers <= 1 or len(chunks) <= 1:
    for c in chunks:
      yield from _render_range(c)
    return
  # spawn, not fork: the parent may already run JAX's threads.
  with multiprocessing.get_context("spawn").Pool(workers) as pool:
    for examples in pool.imap(_render_range, chunks):
      yield from examples
