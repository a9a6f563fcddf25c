"""Evaluates a checkpoint on a split of its own dataset, overall and per font.

  python launch/evaluate.py --model=/tmp/ocr_default [--split=validation] [--errors=10]

Reads the images through the same Recognizer as `ocr-jax read` (batched, bucketed), so the
figures are those a user gets. Prints a Markdown table and a JSON line. `--export=DIR` also
writes the split's lines to DIR as PNGs with a labels.tsv, a folder that `ocr_jax.compare`
reads.
"""
import argparse
import collections
import json
import os
import random

from PIL import Image


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--model", required=True, help="training workdir")
  parser.add_argument("--split", default="validation", help="the dataset split to read")
  parser.add_argument("--data_dir", default="", help="tfds data dir (default: the config's)")
  parser.add_argument("--builder_config", default="",
                      help="another config of the model's dataset, e.g. english_print for "
                           "longer, more degraded lines (default: the model's own)")
  parser.add_argument("--errors", type=int, default=0, help="print this many sample errors")
  parser.add_argument("--export", default="", help="also write the split here as PNGs + "
                      "labels.tsv")
  parser.add_argument("--fit_margins", choices=("model", "on", "off"), default="model",
                      help="read through preprocess.fit_margins: as the model's config says, "
                           "or force it on or off")
  args = parser.parse_args()

  from ocr_jax import inference, metrics  # pylint: disable=g-import-not-at-top
  from ocr_jax.data import pipeline  # pylint: disable=g-import-not-at-top
  rec = inference.Recognizer.from_checkpoint(
      args.model, fit_margins={"model": None, "on": True, "off": False}[args.fit_margins])
  data_config = rec.config.data
  if args.data_dir:
    data_config.data_dir = args.data_dir
  if args.builder_config:
    data_config.builder_config = args.builder_config
  pipeline.prepare(data_config)  # a no-op when it is there; e.g. another --builder_config
  source = pipeline.get_builder(data_config).as_data_source()[args.split]
  examples = [source[i] for i in range(len(source))]
  if args.export:
    _export(examples, args.export)
  results = rec.read_arrays([ex["image"][:, :, 0] for ex in examples])
  groups = collections.defaultdict(lambda: ([], []))
  errors = []
  for ex, r in zip(examples, results):
    text = ex["text"].decode()
    font = ex["font"].decode() if "font" in ex else "all"
    groups[font][0].append(text)
    groups[font][1].append(r.text)
    if text != r.text:
      errors.append((font, text, r.text))
  unknown = [(t, rec.charset.unknown_symbols(t)) for t in (e[1] for e in errors)]
  unknown = [(t, u) for t, u in unknown if u]
  if unknown:  # never silently dropped: counted as errors, and said here
    symbols = "".join(sorted(set().union(*(u for _, u in unknown))))
    print(f"warning: {len(unknown)} reference line(s) hold symbols the model's charset lacks "
          f"(scored as errors): {symbols[:100]!r}, e.g. {unknown[0][0][:60]!r}")
  refs = [t for g in groups.values() for t in g[0]]
  hyps = [h for g in groups.values() for h in g[1]]
  overall = metrics.text_metrics(refs, hyps)
  print(f"{args.model} at step {rec.step}, {data_config.name}/{data_config.builder_config}"
        f" {args.split}\n")
  print("| font | lines | CER | WER | line accuracy |\n|---|---:|---:|---:|---:|")
  for font, (r, h) in sorted(groups.items()):
    m = metrics.text_metrics(r, h)
    print(f"| {font} | {len(r)} | {100 * m['cer']:.2f} % | {100 * m['wer']:.2f} % | "
          f"{100 * m['line_accuracy']:.1f} % |")
  print(f"| **all** | {len(refs)} | {100 * overall['cer']:.2f} % | "
        f"{100 * overall['wer']:.2f} % | {100 * overall['line_accuracy']:.1f} % |")
  for font, ref, hyp in random.Random(0).sample(errors, min(args.errors, len(errors))):
    print(f"  {font}: {ref!r} -> {hyp!r}")
  print(json.dumps({"model": args.model, "step": rec.step, "split": args.split, **overall}))


def _export(examples, out: str):
  """The lines as out/NNNNN.png (as stored: dark ink on light paper) and out/labels.tsv."""
  from ocr_jax.data import testsets  # pylint: disable=g-import-not-at-top
  os.makedirs(out, exist_ok=True)
  rows = []
  for i, ex in enumerate(examples):
    rows.append((f"{i:05d}.png", ex["text"].decode()))
    Image.fromarray(ex["image"][:, :, 0]).save(os.path.join(out, rows[-1][0]))
  testsets.write_labels(out, rows)
  print(f"wrote {len(rows)} lines to {out}")


if __name__ == "__main__":
  main()
