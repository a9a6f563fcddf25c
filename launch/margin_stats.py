r"""Margins around the ink of synthetic training lines, in ink heights (preprocess.ink_box):
the distribution that `preprocess.TEXT_MARGINS` is read from.

  python launch/margin_stats.py [--lines 600]

Prints, for the top, bottom, left and right margins and the ink's share of the line height,
the 1st, 5th, 10th, 50th, 90th, 95th and 99th percentiles over lines of both profiles
(default and print) in the training faces, at the training height (32 px).
"""
from __future__ import annotations

import argparse

import numpy as np

from ocr_jax.data import preprocess
from ocr_jax.data import render

QUANTILES = (1, 5, 10, 50, 90, 95, 99)


def main(argv=None) -> None:
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--lines", type=int, default=600)
  parser.add_argument("--seed", type=int, default=5)
  args = parser.parse_args(argv)
  rows = []
  for i in range(args.lines):
    rng = np.random.default_rng([args.seed, i])
    text = render.sample_text(rng, "train", 40)
    grey = render.render_line(text, render.TRAIN_FONTS[i % len(render.TRAIN_FONTS)], rng,
                              height=32, profile="print" if i % 2 else "default")
    found = preprocess.ink_box(grey)
    if found is None:
      continue
    (top, bottom, left, right), _, _ = found
    ink_h = bottom - top + 1
    h, w = grey.shape
    rows.append((top / ink_h, (h - 1 - bottom) / ink_h, left / ink_h, (w - 1 - right) / ink_h,
                 ink_h / h))
  stats = np.array(rows)
  print(f"{len(rows)} of {args.lines} lines with an ink box; percentiles {QUANTILES}")
  for j, name in enumerate(("top", "bottom", "left", "right", "ink height / line height")):
    print(f"{name:>24}: " + " ".join(f"{q:.2f}" for q in np.percentile(stats[:, j], QUANTILES)))


if __name__ == "__main__":
  main()
