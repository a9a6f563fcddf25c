"""Fine-tuning vs training from scratch on a small in-house set with new characters.

  python launch/finetune_demo.py --base=/tmp/ocr_default --out=/tmp/ft_demo [--steps=400]

1. Writes a folder dataset (labels.tsv + train.txt/validation.txt) of 2,000 training and 300
   validation lines: prose with accented French/German/Spanish words (characters the base
   model's printable-ASCII charset lacks), rendered with augmentation in the four font
   families the base model never saw (C059, URW Gothic, DejaVu Serif, FreeMono); validation
   lines use the held-out part of the prose.
2. Trains `configs/folder.py` on it twice for the same steps: from scratch, and with
   `--config.init_from=<base>`; prints both validation CERs (also as JSON in OUT/result.json).
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Words with diacritics (a hand-made list); they replace some words of the English prose.
ACCENTED = (
    "café", "naïve", "über", "señor", "crème", "déjà", "Zürich", "façade", "año", "rôle",
    "smörgås", "Ångström", "garçon", "Müller", "straße", "mañana", "élève", "hôtel", "forêt",
    "Köln", "Málaga", "fiancée", "résumé", "piñata", "Gödel", "São", "Ærø", "coöperate",
    "naïveté", "jalapeño", "Dvořák", "Brontë", "Noël", "Renée", "Chloë", "Zoë", "Schrödinger",
    "Fußball", "Bücher", "où", "là", "très", "être", "ça", "más", "niño", "España", "Ålesund",
    "øl", "blåbær", "über-", "Gärtner", "Hände", "Öl", "Ärger", "canapé", "entrée", "soufflé",
)


def _texts(rng, split: str, n: int, max_chars: int = 32):
  from ocr_jax.data import render  # pylint: disable=g-import-not-at-top
  paragraphs = [p for p in render.load_prose(split) if len(p) > max_chars]
  out = []
  while len(out) < n:
    p = paragraphs[rng.integers(len(paragraphs))]
    start = rng.integers(0, len(p) - max_chars)
    words = p[start:start + max_chars].split()[1:-1] or ["text"]
    for k in range(len(words)):
      if rng.random() < 0.3:
        words[k] = ACCENTED[rng.integers(len(ACCENTED))]
    text = " ".join(words)
    while len(text) > max_chars and " " in text:
      text = text.rsplit(" ", 1)[0]
    if text.strip():
      out.append(text[:max_chars])
  return out


def write_dataset(folder: str, num_train: int = 2000, num_val: int = 300) -> None:
  from ocr_jax.data import folder as folder_lib, render  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(0)
  splits = {}
  for split, n in (("train", num_train), ("validation", num_val)):
    splits[split] = [
        (f"{split}_{i:05d}.png", render.render_line(
            text, render.VALIDATION_FONTS[i % len(render.VALIDATION_FONTS)], rng, height=32),
         text) for i, text in enumerate(_texts(rng, split, n))]
  folder_lib.write_folder(folder, splits)


def train_on_folder(workdir: str, folder: str, steps: int, extra=(),
                    eval_every: int = 0) -> dict:
  """Runs configs/folder.py on `folder` (also used by symbols_demo.py); its final metrics."""
  cmd = [sys.executable, "-m", "ocr_jax.main", "--config=configs/folder.py",
         f"--workdir={workdir}", f"--config.data.folder={folder}",
         f"--config.num_train_steps={steps}",
         f"--config.eval_every_steps={eval_every or steps // 2}",
         f"--config.optimizer.warmup_steps={max(1, steps // 20)}", *extra]
  print("$", " ".join(cmd), file=sys.stderr, flush=True)
  subprocess.run(cmd, cwd=REPO, check=True)
  with open(os.path.join(workdir, "final_metrics.json")) as f:
    return json.load(f)


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--base", required=True, help="workdir of the model to start from")
  parser.add_argument("--out", required=True)
  parser.add_argument("--steps", type=int, default=400)
  args = parser.parse_args()
  folder = os.path.join(args.out, "data")
  if not os.path.exists(os.path.join(folder, "labels.tsv")):
    write_dataset(folder)
  scratch = train_on_folder(os.path.join(args.out, "scratch"), folder, args.steps)
  tuned = train_on_folder(os.path.join(args.out, "finetuned"), folder, args.steps,
                          [f"--config.init_from={os.path.abspath(args.base)}"])
  result = {"steps": args.steps, "base": args.base,
            "scratch": {k: scratch[k] for k in ("cer", "wer", "line_accuracy", "num_lines")},
            "finetuned": {k: tuned[k] for k in ("cer", "wer", "line_accuracy", "num_lines")}}
  with open(os.path.join(args.out, "result.json"), "w") as f:
    json.dump(result, f, indent=1)
  print(json.dumps(result, indent=1))


if __name__ == "__main__":
  main()
