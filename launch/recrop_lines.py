r"""Re-cuts the lines of labelled folders the way other segmenters cut them, for developing
`preprocess.fit_margins` and the `recrop` augmentation away from the test sets.

  python launch/recrop_lines.py /tmp/dev/clean /tmp/dev/degraded

For each folder (line images + labels.tsv) writes three beside it: `<folder>_tight` (margins
of 0.02 ink heights all round: flush with the ink), `<folder>_loose` (1.2 ink heights above
and below, 2 at the sides) and `<folder>_random` (0-1.5 above and below, 0-2 at the sides,
drawn per line). The ink box is simply where the line is darker than the midpoint of its 1st
and 90th percentiles (not preprocess.ink_box, the method under study); added margins take
the 90th-percentile grey. Deterministic (--seed).
"""
from __future__ import annotations

import argparse
import os

import numpy as np
from PIL import Image

from ocr_jax.data import testsets


def _cut(grey: np.ndarray, margins) -> np.ndarray:
  lo, paper = np.percentile(grey, [1, 90])
  ink = grey < (lo + paper) / 2
  rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
  y0, y1, x0, x1 = rows[0], rows[-1], cols[0], cols[-1]
  h = y1 - y0 + 1
  top, bottom, left, right = (int(round(m * h)) for m in margins)
  big = np.pad(grey, ((3 * h, 3 * h), (3 * h, 3 * h)), constant_values=int(paper))
  return big[y0 + 3 * h - top:y1 + 3 * h + 1 + bottom, x0 + 3 * h - left:x1 + 3 * h + 1 + right]


def recrop_folder(src: str, seed: int) -> None:
  rng = np.random.default_rng(seed)
  kinds = {"tight": [], "loose": [], "random": []}
  for name, text in testsets.read_labels(src):
    grey = np.asarray(Image.open(os.path.join(src, name)).convert("L"))
    kinds["tight"].append((name, text, _cut(grey, (0.02,) * 4)))
    kinds["loose"].append((name, text, _cut(grey, (1.2, 1.2, 2, 2))))
    kinds["random"].append((name, text, _cut(grey, (*rng.uniform(0, 1.5, 2),
                                                    *rng.uniform(0, 2, 2)))))
  for kind, items in kinds.items():
    out = f"{os.path.normpath(src)}_{kind}"
    os.makedirs(out, exist_ok=True)
    for name, _, grey in items:
      Image.fromarray(grey).save(os.path.join(out, name))
    testsets.write_labels(out, [(name, text) for name, text, _ in items])


def main(argv=None) -> None:
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("folders", nargs="+")
  parser.add_argument("--seed", type=int, default=1)
  args = parser.parse_args(argv)
  for folder in args.folders:
    recrop_folder(folder, args.seed)


if __name__ == "__main__":
  main()
