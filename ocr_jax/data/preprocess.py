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


def to_grey(img: Image.Image) -> np.ndarray:
  """Any Pillow image (1, L, P, RGB(A), LA, CMYK, I;16, I, F) -> uint8[H, W], paper light."""
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
  return np.asarray(img.convert("L"))


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


def load_images(paths) -> list:
  """Paths -> uint8[H, W] or the ImageError for each path (batch commands go on past it)."""
  out = []
  for path in paths:
    try:
      out.append(load_image(path))
    except ImageError as e:
      out.append(e)
  return out


def resize_to_height(grey: np.ndarray, height: int, min_width: int = 4) -> np.ndarray:
  """uint8[h, w] -> uint8[height, w * height / h], keeping the aspect ratio."""
  h, w = grey.shape
  if h == height:
    return grey if w >= min_width else np.pad(grey, ((0, 0), (0, min_width - w)),
                                               constant_values=255)
  new_w = max(min_width, int(round(w * height / h)))
  return np.asarray(Image.fromarray(grey).resize((new_w, height), Image.BILINEAR))


def normalize(grey: np.ndarray) -> np.ndarray:
  """uint8[H, W] (dark ink on light paper) -> float32[H, W, 1] with ink ~1 and paper ~0."""
  return (1.0 - grey.astype(np.float32) / 255.0)[:, :, None]


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


def prepare_line(grey: np.ndarray, height: int) -> np.ndarray:
  """The whole per-image path before batching: height normalisation and inversion."""
  return normalize(resize_to_height(grey, height))


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
