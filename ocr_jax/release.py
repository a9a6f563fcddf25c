"""Turns a training run into a released model that ships with the package.

  python -m ocr_jax.release --workdir /tmp/ocr_english_print --out ocr_jax/released/english_print

Writes OUT/checkpoints/<step>/ (an orbax checkpoint of params and batch statistics only: the
optimizer state, twice the size of the params, is dropped; `meta` is the run's with
`released: true`) and, for a text model of ASCII, OUT/words.txt, the word list of the `words`
decoder: every word (a run of letters) seen at least `--min_count` times in the training prose,
lower-cased; and, for a model trained on synth_text, OUT/charlm.json.gz, the character
language model of the `lm` decoder (charlm.py), counted from the training prose of its lines
(for Korean also LibreOffice's Korean help). `--lm_only` (re)writes that file alone, for a
model released before it existed:

  python -m ocr_jax.release --lm_only --out ocr_jax/released/english_print

`inference.Recognizer.from_checkpoint(OUT)` loads it like any workdir.
"""
from __future__ import annotations

import argparse
import collections
import os
import re
import shutil

from ocr_jax import charlm
from ocr_jax import charset as charset_lib
from ocr_jax import checkpoints
from ocr_jax import model_state
from ocr_jax.data import render


def training_words(min_count: int = 2) -> list[str]:
  """Lower-cased words of the training part of the bundled prose, most frequent first."""
  counts = collections.Counter()
  for paragraph in render.load_prose("train"):
    counts.update(w.lower() for w in re.findall(r"[A-Za-z]+(?:'[A-Za-z]+)?", paragraph))
  return [w for w, c in counts.most_common() if c >= min_count]


# The character language model per kind of training text: n-gram order, the n-grams of order
# >= 3 kept (seen at least `min_count` times), the beam search's weight and the `lm`
# decoder's trust, chosen on the development sets (docs/devsets.md, "A language model").
# Hangul syllables carry more per character than letters, so the Korean model looks two
# characters back where the English one looks four, and keeps every trigram of its smaller
# text. English: searching only lines with a character under 0.5 confidence keeps the old
# symbol-soup test lines as they read (0.26 % CER; 0.39 % searching all) for most of the gain
# (dev clean 1.90 %; 1.76 % searching all); Korean lines are rarely all confident, and
# searching all of them gains 0.4 points more on the document set.
LM_SETTINGS = {"english": {"order": 5, "weight": 0.2, "trust": 0.5},
               "korean_print": {"order": 3, "min_count": 1, "weight": 0.1, "trust": 2.0}}


def lm_texts(config) -> tuple[str, list[str]]:
  """(language, paragraphs): the training prose of a synth_text model's lines."""
  from ocr_jax.data import synth_text  # pylint: disable=g-import-not-at-top  (imports tfds)
  if config.data.name != "synth_text":
    raise ValueError(f"no training prose known for data {config.data.name!r} (a character "
                     "language model is built for synth_text models)")
  builder = {c.name: c for c in synth_text.SynthText.BUILDER_CONFIGS}[config.data.builder_config]
  if builder.language == "korean_print":
    return builder.language, list(render.korean_prose("train") + render.korean_lm_prose())
  if builder.language != "english":
    raise ValueError(f"no language model settings for {builder.language!r} text")
  return builder.language, list(render.load_prose("train", builder.extra_prose))


def write_language_model(config, charset, out: str) -> charlm.CharLM:
  language, texts = lm_texts(config)
  lm = charlm.CharLM.build(texts, vocab_size=len(charset.symbols), **LM_SETTINGS[language])
  lm.save(os.path.join(out, charlm.LM_FILE))
  return lm


def release(workdir: str, out: str, step: int | None = None, min_count: int = 2) -> int:
  state, charset, config, step = model_state.load_run(workdir, step)
  mngr = checkpoints.manager(workdir, create=False)
  meta = dict(checkpoints.read_meta(mngr, step), released=True)
  mngr.close()
  if os.path.exists(os.path.join(out, "checkpoints")):
    shutil.rmtree(os.path.join(out, "checkpoints"))
  mngr = checkpoints.manager(out, max_to_keep=1)
  checkpoints.save(mngr, step, state.replace(opt_state=None), meta)
  mngr.wait_until_finished()
  mngr.close()
  # A text model of ASCII (music tokens have no word list, and the list is of the English
  # prose: a Korean model gets none, and its `words` decoder says so).
  if not charset.separator and set(charset.symbols) <= set(charset_lib.PRINTABLE_ASCII):
    with open(os.path.join(out, "words.txt"), "w", encoding="utf-8") as f:
      f.write("\n".join(training_words(min_count)) + "\n")
  if not charset.separator:
    try:
      write_language_model(config, charset, out)
    except ValueError as e:  # e.g. a folder of your own lines: no prose to count
      print(f"no {charlm.LM_FILE} (the lm decoder will say so): {e}")
  return step


def main(argv=None) -> None:
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--workdir", help="the training run to release")
  parser.add_argument("--lm_only", action="store_true",
                      help="only (re)write OUT/charlm.json.gz for the model released in OUT")
  parser.add_argument("--out", required=True,
                      help="the released model's folder (e.g. ocr_jax/released/NAME)")
  parser.add_argument("--step", type=int, default=None, help="default: the latest")
  parser.add_argument("--min_count", type=int, default=2,
                      help="words.txt keeps training words seen at least this often")
  args = parser.parse_args(argv)
  if args.lm_only:
    _, charset, config, _ = model_state.load_run(args.out)
    try:
      write_language_model(config, charset, args.out)
    except ValueError as e:
      raise SystemExit(f"error: {args.out}: {e}") from e
    size = os.path.getsize(os.path.join(args.out, charlm.LM_FILE))
    print(f"wrote {os.path.join(args.out, charlm.LM_FILE)} ({size / 1e6:.1f} MB)")
    return
  if not args.workdir:
    parser.error("--workdir is required (unless --lm_only)")
  step = release(args.workdir, args.out, args.step, args.min_count)
  size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(args.out) for f in fs)
  print(f"released step {step} of {args.workdir} to {args.out} ({size / 1e6:.1f} MB)")


if __name__ == "__main__":
  main()
