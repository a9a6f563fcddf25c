"""The `ocr-jax` command (also `python -m ocr_jax.cli`).

  ocr-jax read --model WORKDIR line.png [more.png | folder/ ...] [--json]
  ocr-jax tokens2midi staff.semantic [more.semantic ...] [-o out.mid] [--bpm 120]

Prints `path<TAB>text<TAB>confidence` per image (or JSON lines with per-character
confidences). A file that cannot be read gives one line `error: PATH: problem` on stderr and
the run goes on; the exit status is 1 if any file failed, 2 if nothing could be read.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from ocr_jax.data import preprocess


def expand_paths(inputs: list[str]) -> tuple[list[str], list[str]]:
  """Files and folders (their image files, sorted) -> (paths, errors for missing inputs)."""
  paths, errors = [], []
  for item in inputs:
    if os.path.isdir(item):
      names = sorted(n for n in os.listdir(item) if n.lower().endswith(preprocess.IMAGE_EXTENSIONS))
      paths.extend(os.path.join(item, n) for n in names)
    elif os.path.exists(item):
      paths.append(item)
    else:
      errors.append(f"error: {item}: no such file or directory")
  return paths, errors


def cmd_read(args) -> int:
  paths, errors = expand_paths(args.inputs)
  for e in errors:
    print(e, file=sys.stderr)
  if not paths:
    print("error: no image files to read", file=sys.stderr)
    return 2
  from ocr_jax import inference  # pylint: disable=g-import-not-at-top  (slow import)
  try:
    recognizer = inference.Recognizer.from_checkpoint(args.model)
  except (FileNotFoundError, ValueError, KeyError) as e:
    print(f"error: {args.model}: cannot load model ({e})", file=sys.stderr)
    return 2
  failed = len(errors)
  for path, result in zip(paths, recognizer.read_files(paths)):
    if isinstance(result, Exception):
      print(f"error: {path}: {result}", file=sys.stderr)
      failed += 1
    elif args.json:
      print(json.dumps({"path": path, "text": result.text,
                        "confidence": round(result.confidence, 4),
                        "char_confidences": [round(c, 4) for c in result.char_confidences]}))
    else:
      print(f"{path}\t{result.text}\t{result.confidence:.3f}")
  sys.stdout.flush()
  if failed == len(paths) + len(errors):
    return 2
  return 1 if failed else 0


def cmd_tokens2midi(args) -> int:
  """PrIMuS semantic token files -> one MIDI file each (or one combined with -o)."""
  from ocr_jax.omr import events, midi, tokens  # pylint: disable=g-import-not-at-top
  if args.output and len(args.inputs) > 1:
    print("error: -o takes a single input; without it each X.semantic becomes X.mid",
          file=sys.stderr)
    return 2
  failed = 0
  for path in args.inputs:
    out = args.output or os.path.splitext(path)[0] + ".mid"
    try:
      with open(path, encoding="utf-8") as f:
        score = events.score_from_tokens(f.read(), path)
      if not score.notes and not score.length:
        raise tokens.TokenError(f"{path}: no music tokens")
      midi.write(score, out, bpm=args.bpm)
    except (OSError, UnicodeDecodeError, tokens.TokenError) as e:
      message = str(e) if str(e).startswith(path) else f"{path}: {e}"
      print(f"error: {message}", file=sys.stderr)
      failed += 1
      continue
    print(f"{path}\t{out}\t{len(score.notes)} notes")
  if failed == len(args.inputs):
    return 2
  return 1 if failed else 0


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(prog="ocr-jax", description=__doc__.split("\n")[0])
  sub = parser.add_subparsers(dest="command", required=True)
  read = sub.add_parser("read", help="read text lines from images")
  read.add_argument("inputs", nargs="+", help="line images or folders of them")
  read.add_argument("--model", required=True,
                    help="a training workdir (or its checkpoints/ folder)")
  read.add_argument("--json", action="store_true", help="JSON lines with confidences")
  read.set_defaults(func=cmd_read)
  t2m = sub.add_parser("tokens2midi", help="PrIMuS semantic token files -> MIDI files")
  t2m.add_argument("inputs", nargs="+", help="files of TAB- or space-separated tokens")
  t2m.add_argument("-o", "--output", help="output path (one input only)")
  t2m.add_argument("--bpm", type=float, default=120.0, help="tempo (default 120)")
  t2m.set_defaults(func=cmd_tokens2midi)
  args = parser.parse_args(argv)
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
  return args.func(args)


if __name__ == "__main__":
  sys.exit(main())
