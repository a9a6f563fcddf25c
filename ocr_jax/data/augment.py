"""Online augmentation: a fresh random distortion of every training line at every step.

The synthetic builders bake their degradations in at preparation, so without this a line
looks the same on every pass; the music model then fits its four training fonts (train
SER ~0.5 %) far better than it reads a held-out one (docs/music.md). These operations vary
what a font varies (glyph width and spacing, stroke weight, local proportions) and what a
scanner varies (blur, ink level, noise, position), on the prepared line (float32[H, w, 1],
ink ~1, paper 0), in the loader thread: measured 0.55 ms per 32-px text line and ~1.2 ms
per 64-px staff (docs/training.md).

Randomness is a pure function of (seed, step, example index): a resumed run sees exactly the
distortions an uninterrupted one would have, on any number of processes.
Config (`config.data.augment`): `p` is the chance each operation is applied (0 = off, the
default); every magnitude set to 0 drops its operation, which makes ablations one override.
"""
from __future__ import annotations

import ml_collections
import numpy as np
from PIL import Image

from ocr_jax.data import preprocess

OPERATIONS = ("recrop", "lowres", "stretch", "warp", "stroke", "blur", "gamma", "noise", "shift")


def default_config() -> ml_collections.ConfigDict:
  return ml_collections.ConfigDict({
      "p": 0.0,          # chance that each operation below is applied; 0 turns all off
      "recrop": 0.0,     # margins around the ink redrawn in [0, r] ink heights (0 = off)
      "flush": 0.0,      # share of those recrops cut flush with the ink above and below
      "lowres": 0,       # seen at a line height in [lowres, H) px, maybe bitonal (0 = off)
      "stretch": 0.15,   # horizontal scale in [1 - s, 1 + s]
      "warp": 1.5,       # smooth horizontal displacement of up to this many px
      "stroke": 0.8,     # blend of a 1-px dilation (bolder) or erosion (lighter)
      "blur": 0.25,      # weight of each neighbour in a 3-tap blur
      "gamma": 0.4,      # ink-level gamma in exp([-g, g])
      "noise": 0.06,     # Gaussian noise sigma (ink scale 0..1)
      "shift": 1,        # vertical shift of up to this many px
  })


def enabled(cfg) -> bool:
  return cfg is not None and float(cfg.get("p", 0.0)) > 0


def rng_for(seed: int, step: int, index: int) -> np.random.Generator:
  return np.random.default_rng([int(seed), int(step), int(index), 0xA06])


def _resize_width(x: np.ndarray, width: int) -> np.ndarray:
  img = Image.fromarray(x[:, :, 0], mode="F").resize((width, x.shape[0]), Image.BILINEAR)
  return np.asarray(img, np.float32)[:, :, None]


def _warp(x: np.ndarray, amplitude: float, rng) -> np.ndarray:
  """Resamples columns at j + d(j), d a sum of two random low-frequency sines."""
  w = x.shape[1]
  j = np.arange(w, dtype=np.float32)
  d = np.zeros(w, np.float32)
  for _ in range(2):
    period = rng.uniform(20, 120)
    d += rng.uniform(-amplitude, amplitude) / 2 * np.sin(2 * np.pi * j / period +
                                                         rng.uniform(0, 2 * np.pi))
  src = np.clip(j + d, 0, w - 1)
  lo = np.floor(src).astype(np.int32)
  hi = np.minimum(lo + 1, w - 1)
  frac = (src - lo)[None, :, None]
  return x[:, lo] * (1 - frac) + x[:, hi] * frac


def _shifted(x: np.ndarray, axis: int) -> np.ndarray:
  out = np.zeros_like(x)
  if axis == 0:
    out[1:] = x[:-1]
  else:
    out[:, 1:] = x[:, :-1]
  return out


def _recrop(x: np.ndarray, amount: float, rng, max_width: int | None,
            flush: float = 0.0) -> np.ndarray:
  """The line cut anew around its ink (preprocess.ink_box), each margin drawn from
  [0, amount] ink heights (flush with the ink at 0, as other segmenters cut lines), then
  brought back to the line height; a `flush` share of the cuts have no margin above and
  below at all (a tight segmenter's crop of 'summer' or of a '=====' rule is its x-height
  or its bars alone). Unchanged where no ink is found or the result would be wider than
  max_width."""
  grey = np.round((1.0 - np.clip(x[:, :, 0], 0, 1)) * 255).astype(np.uint8)
  found = preprocess.ink_box(grey)
  if found is None:
    return x
  (top, bottom, _, _), _, _ = found
  ink_h = bottom - top + 1
  margins = [int(round(m)) for m in rng.uniform(0, amount, 4) * ink_h]
  if flush > 0 and rng.random() < flush:  # drawn only where asked: other runs unchanged
    margins[0] = margins[1] = 0
  margins = tuple(margins)
  grey = preprocess.set_margins(grey, found, margins)
  h = x.shape[0]
  width = max(4, int(round(grey.shape[1] * h / grey.shape[0])))
  if max_width is not None and width > max(max_width, x.shape[1]):
    return x
  return preprocess.normalize(np.asarray(Image.fromarray(grey).resize((width, h),
                                                                     Image.BILINEAR)))


def _lowres(x: np.ndarray, min_height: int, rng) -> np.ndarray:
  """The line as small type or a low-resolution scan shows it: area-averaged down to a
  height in [min_height, H) px, thresholded to black and white half the time (a bitonal scan
  at that resolution), then brought back to H px with the bilinear resize that reading uses
  (preprocess.resize_to_height)."""
  h, w = x.shape[:2]
  if min_height >= h:
    return x
  small_h = int(rng.integers(min_height, h))
  small_w = max(2, int(round(w * small_h / h)))
  small = np.asarray(Image.fromarray(x[:, :, 0], mode="F").resize((small_w, small_h),
                                                                   Image.BOX), np.float32)
  if rng.random() < 0.5:
    small = (small > rng.uniform(0.3, 0.65)).astype(np.float32)
  back = Image.fromarray(small, mode="F").resize((w, h), Image.BILINEAR)
  return np.asarray(back, np.float32)[:, :, None]


def augment_line(x: np.ndarray, cfg, rng: np.random.Generator,
                 max_width: int | None = None) -> np.ndarray:
  """float32[H, w, 1] -> float32[H, w', 1] with w' <= max_width (if given)."""
  p = float(cfg.p)
  x = x.astype(np.float32, copy=True)
  if cfg.get("recrop") and rng.random() < p:
    x = _recrop(x, cfg.recrop, rng, max_width, cfg.get("flush", 0.0))
  if cfg.get("lowres") and rng.random() < p:
    x = _lowres(x, int(cfg.lowres), rng)
  w = x.shape[1]
  if cfg.stretch and rng.random() < p:
    scale = rng.uniform(1 - cfg.stretch, 1 + cfg.stretch)
    new_w = max(4, int(round(w * scale)))
    if max_width is not None:
      new_w = min(new_w, max(w, max_width))
    if new_w != w:
      x = _resize_width(x, new_w)
  if cfg.warp and rng.random() < p:
    x = _warp(x, cfg.warp, rng)
  if cfg.stroke and rng.random() < p:
    a = rng.uniform(0.3, 1.0) * cfg.stroke
    s = _shifted(x, axis=int(rng.integers(2)))
    if rng.random() < 0.5:  # bolder
      x = (1 - a) * x + a * np.maximum(x, s)
    else:  # lighter (the shifted copy's empty edge would erase a border; keep it)
      s[0], s[:, 0] = x[0], x[:, 0]
      x = (1 - a) * x + a * np.minimum(x, s)
  if cfg.blur and rng.random() < p:
    a = rng.uniform(0.3, 1.0) * cfg.blur
    xp = np.pad(x, ((1, 1), (0, 0), (0, 0)), mode="edge")  # 3-tap blur down, then across
    x = a * xp[:-2] + (1 - 2 * a) * xp[1:-1] + a * xp[2:]
    xp = np.pad(x, ((0, 0), (1, 1), (0, 0)), mode="edge")
    x = a * xp[:, :-2] + (1 - 2 * a) * xp[:, 1:-1] + a * xp[:, 2:]
  if cfg.gamma and rng.random() < p:
    x = np.clip(x, 0, 1) ** np.exp(rng.uniform(-cfg.gamma, cfg.gamma))
  if cfg.shift and rng.random() < p:
    dy = int(rng.integers(-cfg.shift, cfg.shift + 1))
    if dy:
      x = np.roll(x, dy, axis=0)
      if dy > 0:
        x[:dy] = 0
      else:
        x[dy:] = 0
  if cfg.noise and rng.random() < p:
    x = x + rng.normal(0, rng.uniform(0.3, 1.0) * cfg.noise, x.shape).astype(np.float32)
  return np.clip(x, 0.0, 1.0).astype(np.float32)
