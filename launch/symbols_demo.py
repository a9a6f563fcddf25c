"""A non-text alphabet through the folder path: 16 arrow and shape glyphs, end to end.

  python launch/symbols_demo.py --out=/tmp/symbols_demo [--steps=400]

Writes a folder dataset (labels.tsv + train.txt/validation.txt) of strings of 3-12 symbols
from ARROWS_AND_SHAPES rendered (with the usual print/scan augmentation) in three bundled
DejaVu Sans faces, trains `configs/folder.py` on it (charset derived from the labels), and
prints the validation metrics. Validation strings are new random sequences in the same faces.
"""
import argparse
import json
import os

import numpy as np

from finetune_demo import train_on_folder  # the sibling script (launch/ is on sys.path)

ARROWS_AND_SHAPES = "←↑→↓⇒⇐■□▲△●○◆◇★☆"
FONTS = ("DejaVuSans.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSansCondensed-Bold.ttf")


def _symbols(rng) -> str:
  k = int(rng.integers(3, 13))
  text = "".join(ARROWS_AND_SHAPES[j] for j in rng.integers(len(ARROWS_AND_SHAPES), size=k))
  if rng.random() < 0.3 and k > 4:
    cut = int(rng.integers(2, k - 1))
    text = text[:cut] + " " + text[cut:]
  return text


def write_dataset(folder: str, num_train: int = 1500, num_val: int = 200) -> None:
  from ocr_jax.data import folder as folder_lib, render  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(0)
  splits = {}
  for split, n in (("train", num_train), ("validation", num_val)):
    texts = [_symbols(rng) for _ in range(n)]
    splits[split] = [(f"{split}_{i:05d}.png",
                      render.render_line(t, FONTS[i % len(FONTS)], rng, height=32), t)
                     for i, t in enumerate(texts)]
  folder_lib.write_folder(folder, splits)


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--out", required=True)
  parser.add_argument("--steps", type=int, default=400)
  args = parser.parse_args()
  folder = os.path.join(args.out, "data")
  if not os.path.exists(os.path.join(folder, "labels.tsv")):
    write_dataset(folder)
  result = train_on_folder(os.path.join(args.out, "run"), folder, args.steps,
                           eval_every=args.steps)  # no intermediate evaluation
  print(json.dumps(result, indent=1))


if __name__ == "__main__":
  main()
