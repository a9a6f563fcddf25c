"""`digit_strings`: strings of real handwritten digits, a non-text alphabet end to end.

The digits are scikit-learn's `load_digits()` (1,797 real 8x8 handwritten digits from the
UCI Optical Recognition of Handwritten Digits set, shipped inside the scikit-learn wheel).
They are split once, by a fixed seed, into 80 % training digits and 20 % held-out digits;
training strings use only training digits and validation strings only held-out ones, so
validation accuracy measures reading digits never seen in training. Each string has 3-10
digits, each digit scaled to 20-32 px, with random gaps (touching digits included),
vertical jitter, blur and noise.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow_datasets as tfds
from PIL import Image, ImageFilter

from ocr_jax.data import preprocess

HELD_OUT_FRACTION = 0.2


@dataclasses.dataclass
class DigitStringsConfig(tfds.core.BuilderConfig):
  num_train: int = 20_000
  num_validation: int = 1_000
  height: int = 32
  min_len: int = 3
  max_len: int = 10
  seed: int = 0


def digit_split(seed: int = 0):
  """(images float[N, 8, 8] in 0..1, labels[N], train indices, held-out indices)."""
  from sklearn.datasets import load_digits  # pylint: disable=g-import-not-at-top
  d = load_digits()
  order = np.random.default_rng(seed).permutation(len(d.target))
  cut = int(len(order) * (1 - HELD_OUT_FRACTION))
  return d.images / 16.0, d.target, np.sort(order[:cut]), np.sort(order[cut:])


def render_string(images, labels, pool, rng, cfg: DigitStringsConfig):
  """One string from digit indices in `pool`: (uint8[height, W] dark ink on light, text)."""
  n = int(rng.integers(cfg.min_len, cfg.max_len + 1))
  picks = rng.choice(pool, size=n)
  h = cfg.height
  pieces, text = [], ""
  for i in picks:
    size = int(rng.integers(20, h + 1))
    glyph = Image.fromarray((images[i] * 255).astype(np.uint8)).resize(
        (size, size), Image.BILINEAR)
    canvas = np.zeros((h, size), np.float32)
    top = int(rng.integers(0, h - size + 1))
    canvas[top:top + size] = np.asarray(glyph, np.float32) / 255
    gap = int(rng.integers(-3, 7))  # negative: digits touch or overlap
    pieces.append((canvas, gap))
    text += str(int(labels[i]))
  width = sum(c.shape[1] + g for c, g in pieces) + 8
  ink = np.zeros((h, max(width, 16)), np.float32)
  x = 4
  for canvas, gap in pieces:
    w = canvas.shape[1]
    ink[:, x:x + w] = np.maximum(ink[:, x:x + w], canvas[:, :max(0, ink.shape[1] - x)])
    x = max(0, x + w + gap)
  ink = ink[:, :max(x + 4, 16)]
  paper = 255 - ink * float(rng.uniform(150, 255))
  img = Image.fromarray(np.clip(paper, 0, 255).astype(np.uint8))
  if rng.random() < 0.5:
    img = img.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.2, 1.0))))
  arr = np.asarray(img, np.float32) + rng.normal(0, rng.uniform(0, 12), (h, img.width))
  return np.clip(arr, 0, 255).astype(np.uint8), text


class DigitStrings(tfds.core.GeneratorBasedBuilder):
  """Strings of real handwritten digits; validation digits never appear in training."""

  VERSION = tfds.core.Version("1.0.0")
  BUILDER_CONFIGS = [
      DigitStringsConfig(name="default", description="20k train / 1k validation strings."),
      DigitStringsConfig(name="quick", description="For tests.", num_train=300,
                         num_validation=60),
  ]
  DEFAULT_CONFIG_NAME = "default"

  def _info(self) -> tfds.core.DatasetInfo:
    return tfds.core.DatasetInfo(
        builder=self,
        description=__doc__,
        features=preprocess.line_features(self.builder_config.height),
        supervised_keys=("image", "text"),
        license="Digits: UCI Optical Recognition of Handwritten Digits (CC BY 4.0), via "
                "scikit-learn (BSD-3-Clause).",
    )

  def _split_generators(self, dl_manager):
    del dl_manager
    cfg = self.builder_config
    images, labels, train_idx, held_idx = digit_split(cfg.seed)
    return {"train": self._generate_examples(images, labels, train_idx, cfg.num_train, 0),
            "validation": self._generate_examples(images, labels, held_idx,
                                                  cfg.num_validation, 1)}

  def _generate_examples(self, images, labels, pool, num, stream):
    cfg = self.builder_config
    for i in range(num):
      rng = np.random.default_rng([cfg.seed, stream, i])
      arr, text = render_string(images, labels, pool, rng, cfg)
      yield i, {"image": preprocess.encode_png(arr), "text": text}
