"""The `ocr-jax` command (also `python -m ocr_jax.cli`).

  ocr-jax read line.png | page.png [more | folder/ ...] [--json] [--model WORKDIR]
              [--layout auto|line|page] [--decoder greedy|beam|words|lm]
  ocr-jax omr staff.png | page.png [more | folder/ ...] [-o out.mid | -o DIR] [--tokens]
              [--json] [--model WORKDIR] [--bpm 120] [--force] [--musicxml out.musicxml]
  ocr-jax tokens2midi staff.semantic [more.semantic ...] [-o out.mid] [--bpm 120]
  ocr-jax export --model english_print --out model.onnx [--quantize int8]

Prints `path<TAB>text<TAB>confidence` per line image and the text lines of a page (or, with
--json, one JSON object per image: deskew angle, line boxes in the deskewed page, text,
per-line and per-character confidences). A file that cannot be read gives one line
`error: PATH: problem` on stderr and the run goes on; the exit status is 1 if any file
failed, 2 if nothing could be read. `read` and `omr` keep the programs they compile (one per
batch shape) under ~/.cache/ocr_jax/xla for the next run; OCR_JAX_COMPILE_CACHE=DIR picks
another folder, OCR_JAX_COMPILE_CACHE=off turns that off (parallel.use_compilation_cache).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from ocr_jax import released
from ocr_jax.data import preprocess


def expand_paths(inputs: list[str]) -> tuple[list[str], list[str]]:
  """(image paths, `error: ...` lines for inputs that do not exist): preprocess.expand_paths."""
  paths, missing = preprocess.expand_paths(inputs)
  return paths, [f"error: {m}: no such file or directory" for m in missing]


def load_recognizer(args):
  """The recognizer named by --model/--decoder, or None after printing why it cannot load.
  A `.onnx` model (ocr-jax export) reads with onnxruntime alone, without importing JAX."""
  from ocr_jax import decoding  # pylint: disable=g-import-not-at-top
  model = released.resolve(args.model)
  try:
    options = {"decoder": args.decoder, "beam_width": args.beam_width}
    if args.words_trust is not None:
      options["words_trust"] = args.words_trust
    if args.max_density is not None:
      options["max_density"] = args.max_density
    options.update(decoding.decoder_files(
        args.decoder, os.path.dirname(model) if is_onnx(model) else model, args.words))
    if is_onnx(model):
      from ocr_jax import onnx_reader  # pylint: disable=g-import-not-at-top
      return onnx_reader.OnnxRecognizer.from_file(model, **options)
    from ocr_jax import inference  # pylint: disable=g-import-not-at-top  (slow import)
    return inference.Recognizer.from_checkpoint(model, **options)
  except (OSError, ValueError, KeyError) as e:
    print(f"error: {args.model}: {e}" if is_onnx(model) else
          f"error: {args.model}: cannot load model ({e})", file=sys.stderr)
    return None


def is_onnx(model: str) -> bool:
  return model.lower().endswith(".onnx")


def cmd_export(args) -> int:
  """A trained model -> one ONNX file (and an int8 one with --quantize int8)."""
  from ocr_jax import export  # pylint: disable=g-import-not-at-top  (imports JAX and onnx)
  try:
    written = export.export(args.model, args.out, args.quantize)
  except ImportError as e:
    print(f"error: export needs the `export` extra ({e}): pip install -e '.[export]'",
          file=sys.stderr)
    return 2
  except (OSError, ValueError, KeyError) as e:
    print(f"error: {args.model}: cannot export ({e})", file=sys.stderr)
    return 2
  for path in written:
    print(f"{path}\t{os.path.getsize(path)} bytes")
  return 0


def _print_result(path: str, layout, results, args, many: bool) -> None:
  if args.json:
    print(json.dumps({
        "path": path, "deskew_degrees": round(layout.angle, 2),
        "lines": [{"box": list(box), "text": r.text, "confidence": round(r.confidence, 4),
                   "char_confidences": [round(c, 4) for c in r.char_confidences]}
                  for box, r in zip(layout.boxes, results)]}))
  elif layout.boxes == [(0, 0, layout.grey.shape[1], layout.grey.shape[0])]:  # a line image
    print(f"{path}\t{results[0].text}\t{results[0].confidence:.3f}")
  elif args.with_path:
    for r in results:
      print(f"{path}\t{r.text}")
  else:
    if many:
      print(f"==> {path} <==")
    for r in results:
      print(r.text)


def cmd_read(args) -> int:
  paths, errors = expand_paths(args.inputs)
  for e in errors:
    print(e, file=sys.stderr)
  if not paths:
    if not errors:  # a missing path has had its line; an empty folder gets this one
      print(f"error: {' '.join(args.inputs)}: no image files to read", file=sys.stderr)
    return 2
  recognizer = load_recognizer(args)
  if recognizer is None:
    return 2
  failed = len(errors)
  for start in range(0, len(paths), args.chunk):
    chunk = paths[start:start + args.chunk]
    greys = preprocess.load_images(chunk)
    good = [i for i, g in enumerate(greys) if not isinstance(g, Exception)]
    outs = dict(zip(good, recognizer.read_layouts([greys[i] for i in good], args.layout)))
    for i, path in enumerate(chunk):
      out = outs.get(i, greys[i])
      if isinstance(out, Exception):
        print(f"error: {path}: {out}", file=sys.stderr)
        failed += 1
      else:
        _print_result(path, *out, args, many=len(paths) > 1)
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


def _musicxml_path(option: str | None, path: str) -> str | None:
  """Where --musicxml writes an input's MusicXML: the file named (one input) or STEM.musicxml
  in the folder named."""
  if not option:
    return None
  if os.path.isdir(option):
    return os.path.join(option, os.path.splitext(os.path.basename(path))[0] + ".musicxml")
  return option  # one input (cmd_omr refuses a file name for several)


def cmd_omr(args) -> int:
  """Staff or page images -> one MIDI file each (staves found, read in order, joined)."""
  from ocr_jax import music  # pylint: disable=g-import-not-at-top  (slow import)
  paths, errors = expand_paths(args.inputs)
  for e in errors:
    print(e, file=sys.stderr)
  out_dir = args.output if args.output and os.path.isdir(args.output) else None
  if args.output and not out_dir and len(paths) + len(errors) > 1:
    print("error: with several inputs, -o must be an existing folder", file=sys.stderr)
    return 2
  if args.musicxml and not os.path.isdir(args.musicxml) and len(paths) + len(errors) > 1:
    print("error: with several inputs, --musicxml must be an existing folder", file=sys.stderr)
    return 2
  try:
    reader = (music.load(args.model, decoder=args.decoder) if args.model
              else music.Readers(decoder=args.decoder))
  except (OSError, ValueError, KeyError) as e:
    print(f"error: {args.model or 'released music model'}: cannot load model ({e})",
          file=sys.stderr)
    return 2
  failed = len(errors)
  for start in range(0, len(paths), args.chunk):
    chunk = paths[start:start + args.chunk]
    for path, got in zip(chunk, music.read_files(reader, chunk, args.force)):
      stem = os.path.splitext(os.path.basename(path))[0] + ".mid"
      out = (os.path.join(out_dir, stem) if out_dir else args.output or
             os.path.join(os.path.dirname(path), stem))
      try:
        if isinstance(got, Exception):
          raise got
        score = music.write_midi(got, out, bpm=args.bpm, resync_bars=not args.no_resync)
        xml = _musicxml_path(args.musicxml, path)
        if xml:
          from ocr_jax.omr import musicxml  # pylint: disable=g-import-not-at-top
          musicxml.write(score.parts, xml)
      except (OSError, ValueError) as e:  # ImageError, StaffError, TokenError are ValueErrors
        print(f"error: {path}: {e}", file=sys.stderr)
        failed += 1
        continue
      except ImportError as e:
        print(f"error: {path}: --musicxml needs music21 (pip install 'ocr_jax[musicxml]'): "
              f"{e}", file=sys.stderr)
        return 2
      if not all(s.found for s in got.staves):
        print(f"warning: {path}: no five-line staff found; read the whole image as one staff",
              file=sys.stderr)
      for warning in score.warnings:
        print(f"warning: {warning}", file=sys.stderr)
      systems = got.system_list()
      if args.json:
        bars_off = score.bars_off(got)
        print(json.dumps({
            "path": path, "midi": out, "musicxml": xml, "deskew_degrees": round(got.angle, 2),
            "notes": len(score.notes), "bars_checked": score.bars_checked,
            "bars_off_meter": score.bars_off_meter, "warnings": score.warnings,
            "systems": [{"staves": system, "box": [
                min(got.staves[i].box[0] for i in system),
                got.staves[system[0]].box[1],
                max(got.staves[i].box[2] for i in system),
                got.staves[system[-1]].box[3]]} for system in systems],
            "staves": [{"system": next(m for m, sy in enumerate(systems) if i in sy) + 1,
                        "box": list(s.box), "tokens": s.tokens,
                        "confidence": round(s.confidence, 4), "staff_found": s.found,
                        "bars_off_meter": bars_off.get(i, [])}
                       for i, s in enumerate(got.staves)]}))
        continue
      if args.tokens:
        for m, system in enumerate(systems):
          for p, i in enumerate(system):
            where = f"system {m + 1} staff {p + 1}" if len(system) > 1 else f"staff {i + 1}"
            print(f"{path}\t{where}\t{' '.join(got.staves[i].tokens)}")
      off = (f", {score.bars_off_meter} of {score.bars_checked} bars read not to fill the "
             f"meter" if score.bars_off_meter else "")
      print(f"{path}\t{out}\t{len(got.staves)} staves in {len(systems)} "
            f"system{'s' * (len(systems) != 1)}, {len(score.notes)} notes{off}")
    sys.stdout.flush()
  if failed == len(paths) + len(errors):
    return 2
  return 1 if failed else 0


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(prog="ocr-jax", description=__doc__.split("\n")[0])
  sub = parser.add_subparsers(dest="command", required=True)
  read = sub.add_parser("read", help="read text lines from images")
  read.add_argument("inputs", nargs="+", help="line images or folders of them")
  read.add_argument("--model", default=released.ENGLISH_MODEL,
                    help="a training workdir (or its checkpoints/ folder) or a released "
                    "model's name (" + ", ".join(released.names()) + ") or an exported "
                    ".onnx file (read with onnxruntime, without JAX); default: english_print")
  read.add_argument("--layout", choices=("auto", "line", "page"), default="auto",
                    help="page: deskew and split into lines; line: the image is one line; "
                    "auto (default): page if two or more lines are found")
  read.add_argument("--decoder", choices=("greedy", "beam", "words", "lm"), default="greedy",
                    help="greedy, CTC prefix beam search, beam search rescored by a word "
                    "list (--words, default MODEL/words.txt), or by the model's character "
                    "language model (lm: MODEL/charlm.json.gz; more accurate, slower)")
  read.add_argument("--beam_width", type=int, default=8,
                    help="hypotheses kept per frame by --decoder beam, words, lm (default 8)")
  read.add_argument("--words", help="word list (one word a line) for --decoder words")
  read.add_argument("--words_trust", type=float, default=None,
                    help="--decoder words keeps a line's greedy reading when all its words "
                    "are listed and every character is this confident (default "
                    "inference.WORDS_TRUST, 0.5; above 1 beam-searches every line)")
  read.add_argument("--max_density", type=float, default=None,
                    help="a line read at more characters a frame than this is read again, "
                    "drawn wider (default preprocess.MAX_DENSITY, 0.45; 0: every line once, "
                    "faster)")
  read.add_argument("--chunk", type=int, default=64, help="images loaded and read together")
  read.add_argument("--json", action="store_true",
                    help="one JSON object per image: lines with boxes, text, confidences")
  read.add_argument("--with_path", action="store_true",
                    help="print each line of a page as path<TAB>text (default: the page's "
                    "lines as text, under a '==> path <==' header when several files are "
                    "read)")
  read.set_defaults(func=cmd_read)
  omr = sub.add_parser("omr", help="read printed music (staff or page images) into MIDI")
  omr.add_argument("inputs", nargs="+", help="staff or page images, or folders of them")
  omr.add_argument("-o", "--output", help="the MIDI file (one input), or an existing folder; "
                   "default: X.mid beside each X.png")
  omr.add_argument("--model", default="", help="a training workdir or a released model's "
                   "name, reading every staff; default: music_synth, and music_piano for the "
                   "staves of systems of two or more staves")
  omr.add_argument("--tokens", action="store_true",
                   help="also print each staff's recognized PrIMuS tokens")
  omr.add_argument("--json", action="store_true",
                   help="one JSON object per image: staff boxes, tokens, confidences")
  omr.add_argument("--decoder", choices=("music", "beam", "greedy"), default="music",
                   help="music (default): CTC beam search with the music prior (bars fill "
                   "their meter, notes follow the key); beam: without it; greedy")
  omr.add_argument("--bpm", type=float, default=120.0, help="tempo (default 120)")
  omr.add_argument("--no_resync", action="store_true",
                   help="time every bar as read (default: a bar read not to fill its meter is "
                   "put back on the meter's grid, so one misread duration does not shift the "
                   "rest of the piece)")
  omr.add_argument("--musicxml", metavar="PATH",
                   help="also write MusicXML (.musicxml, or .mxl compressed) to PATH, or "
                   "STEM.musicxml in the folder PATH (needs music21: the musicxml extra)")
  omr.add_argument("--force", action="store_true",
                   help="read a wide image in which no music staff is found whole, as one "
                   "staff (default: an error, and no MIDI file)")
  omr.add_argument("--chunk", type=int, default=32, help="images loaded and read together")
  omr.set_defaults(func=cmd_omr)
  exp = sub.add_parser("export", help="write a trained model as one ONNX file that reads "
                       "without JAX (onnxruntime)")
  exp.add_argument("--model", default="english_print",
                   help="a training workdir or a released model's name (default english_print)")
  exp.add_argument("--out", required=True, help="the .onnx file to write")
  exp.add_argument("--format", choices=("onnx",), default="onnx", help="only ONNX so far")
  exp.add_argument("--quantize", choices=("int8",), default=None,
                   help="also write OUT.int8.onnx (onnxruntime's dynamic int8 quantisation)")
  exp.set_defaults(func=cmd_export)
  t2m = sub.add_parser("tokens2midi", help="PrIMuS semantic token files -> MIDI files")
  t2m.add_argument("inputs", nargs="+", help="files of TAB- or space-separated tokens")
  t2m.add_argument("-o", "--output", help="output path (one input only)")
  t2m.add_argument("--bpm", type=float, default=120.0, help="tempo (default 120)")
  t2m.set_defaults(func=cmd_tokens2midi)
  args = parser.parse_args(argv)
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
  if args.command in ("read", "omr") and not is_onnx(args.model or ""):
    from ocr_jax import parallel  # pylint: disable=g-import-not-at-top  (imports jax)
    parallel.use_host_cores()  # one CPU device per core: see its docstring
    parallel.use_compilation_cache()  # compiled shapes kept for the next run
  return args.func(args)


if __name__ == "__main__":
  sys.exit(main())
