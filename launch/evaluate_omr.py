"""Music figures of a checkpoint: symbol error rate, exact sequences, note F1, time per staff.

  python launch/evaluate_omr.py [--model=WORKDIR] [--split=test] [--limit=0] [--timed=50]
      [--decoder=music|beam|greedy] [--bar_weight=4] [--key_weight=1] [--pickup_weight=1]
      [--beam_width=8] [--by_kind] [--frames=0] [--force] [--builder_config=NAME]

Reads every staff of a split of the model's dataset (`omr_synth` test = the held-out font
Leipzig) through the same path as `ocr-jax omr` (staff found in the image, cropped, read in
batches) and decoded as `ocr-jax omr` decodes (default: CTC beam search with the music prior
of `omr/prior.py`; its weights were chosen on the validation split, never on test), then:
  SER   token edit distance / reference tokens (micro-averaged), and the exact-sequence rate;
  notes the MIDI notes our tokens produce against those of the reference tokens (same
        converter, `omr/events.py`): a note matches when pitch and onset are equal; micro
        P/R/F1. Our notes are timed as `ocr-jax omr` writes them (bars kept on the meter's
        grid, `resync_bars`); the reference as written. `F1, no resync` times ours as written
        too, so one misread duration moves every later note of the staff;
  time  median seconds to read ONE staff image (find staff + crop + recognize, batch of 1)
        after warm-up, over `--timed` staves; and staves/s when the whole split is batched.
  --by_kind  per token kind (the part before '-': note, multirest, ...): staves where it
        appears (in the reference or the reading), staves whose tokens of that kind all read
        right (in order), and the notes (missed + spurious) of the other staves, i.e. what
        errors involving that kind cost.
  --frames=K  for the first K staves read wrong: the frames (of how many) where the greedy
        path emits a symbol, with the symbol, its probability and the next two candidates.
Prints a Markdown table and a JSON line.
"""
import argparse
import collections
import json
import os
import platform
import statistics
import time

import numpy as np


def _kind(token: str) -> str:
  return token.split("-")[0]


def tally_kinds(kinds, ref: list[str], hyp: list[str], notes_lost: int) -> None:
  """Adds one staff to `kinds` (kind -> Counter): for every token kind in the reference or
  the reading, the staff counts as having it, as read right if that kind's tokens agree in
  order, and else adds `notes_lost` (the staff's missed + spurious notes) to that kind."""
  for kind in {_kind(t) for t in ref + hyp}:
    k = kinds[kind]
    k["staves"] += 1
    if [t for t in ref if _kind(t) == kind] == [t for t in hyp if _kind(t) == kind]:
      k["right"] += 1
    else:
      k["notes_lost"] += notes_lost


def print_frames(reader, crop) -> None:
  """The frames where the greedy path of `crop` emits a symbol (see --frames)."""
  log_probs = reader.frame_log_probs(crop)
  best = log_probs.argmax(-1)
  name = lambda k: reader.charset.decode_one(k) or "blank"  # noqa: E731
  for t in range(len(best)):
    if best[t] == 0 or (t and best[t] == best[t - 1]):
      continue
    top = log_probs[t].argsort()[::-1][:3]
    print(f"  frame {t}/{len(best)}: " + ", ".join(
        f"{name(k)} {float(np.exp(log_probs[t, k])):.2f}" for k in top))


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--model", default="", help="training workdir (default: released)")
  parser.add_argument("--split", default="test", help="the dataset split to read")
  parser.add_argument("--data_dir", default="", help="tfds data dir (default: the config's)")
  parser.add_argument("--builder_config", default="",
                      help="the dataset's builder config (default: the model's; e.g. 'more' "
                      "to read a piano model on the one-staff melodies)")
  parser.add_argument("--limit", type=int, default=0, help="first N staves only (0 = all)")
  parser.add_argument("--timed", type=int, default=50, help="staves timed one at a time")
  parser.add_argument("--errors", type=int, default=0, help="print this many sample errors")
  parser.add_argument("--decoder", default="music", choices=("music", "beam", "greedy"),
                      help="as ocr-jax omr --decoder")
  parser.add_argument("--bar_weight", type=float, default=None, help="music prior weight")
  parser.add_argument("--key_weight", type=float, default=None, help="music prior weight")
  parser.add_argument("--pickup_weight", type=float, default=None, help="music prior weight")
  parser.add_argument("--beam_width", type=int, default=8, help="beam search width")
  parser.add_argument("--force", action="store_true",
                      help="as ocr-jax omr --force: read an image with no staff found whole")
  parser.add_argument("--by_kind", action="store_true", help="errors per token kind")
  parser.add_argument("--frames", type=int, default=0,
                      help="print the emitting frames of this many wrongly read staves")
  args = parser.parse_args()

  from ocr_jax import metrics, music  # pylint: disable=g-import-not-at-top
  from ocr_jax.data import pipeline  # pylint: disable=g-import-not-at-top
  from ocr_jax.omr import prior  # pylint: disable=g-import-not-at-top
  from ocr_jax.omr import staff as staff_lib  # pylint: disable=g-import-not-at-top
  weights = {k: getattr(args, k) for k in ("bar_weight", "key_weight", "pickup_weight")
             if getattr(args, k) is not None}
  reader = music.load(args.model or None, decoder=args.decoder, beam_width=args.beam_width,
                      music_prior=prior.MusicPrior(**weights))
  data_config = reader.config.data
  if args.data_dir:
    data_config.data_dir = args.data_dir
  if args.builder_config:
    data_config.builder_config = args.builder_config
  pipeline.prepare(data_config)
  source = pipeline.get_builder(data_config).as_data_source()[args.split]
  n = len(source) if not args.limit else min(args.limit, len(source))
  examples = [source[i] for i in range(n)]
  greys = [ex["image"][:, :, 0] for ex in examples]
  refs = [ex["text"].decode().split() for ex in examples]
  fonts = [ex["font"].decode() if "font" in ex else "all" for ex in examples]

  for g in greys[:3]:  # warm-up: compile the shapes the timed reads use
    music.read_images(reader, [g], args.force)
  single = []
  for g in greys[:args.timed]:
    start = time.perf_counter()
    music.read_images(reader, [g], args.force)
    single.append(time.perf_counter() - start)
  start = time.perf_counter()
  readings = music.read_images(reader, greys, args.force)
  batched = time.perf_counter() - start

  groups = collections.defaultdict(lambda: collections.Counter())
  errors, failed = [], 0
  kinds = collections.defaultdict(collections.Counter)
  for ref, font, got in zip(refs, fonts, readings):
    if isinstance(got, Exception) or len(got.staves) != 1:
      failed += 1
      hyp = [] if isinstance(got, Exception) else [t for s in got.staves for t in s.tokens]
    else:
      hyp = got.staves[0].tokens
    c = groups[font]
    c["edits"] += metrics.edit_distance(ref, hyp)
    c["tokens"] += len(ref)
    c["exact"] += ref == hyp
    c["staves"] += 1
    matched, matched_as_read, n_ref, n_hyp = music.note_counts(ref, hyp)
    c["matched"] += matched
    c["matched_as_read"] += matched_as_read
    c["ref_notes"] += n_ref
    c["hyp_notes"] += n_hyp
    if ref != hyp:
      errors.append((font, " ".join(ref), " ".join(hyp)))
    tally_kinds(kinds, ref, hyp, n_ref + n_hyp - 2 * matched)

  def figures(c):
    p = c["matched"] / max(c["hyp_notes"], 1)
    r = c["matched"] / max(c["ref_notes"], 1)
    return {"staves": c["staves"], "ser": c["edits"] / max(c["tokens"], 1),
            "exact_sequence_rate": c["exact"] / max(c["staves"], 1), "note_precision": p,
            "note_recall": r, "note_f1": 2 * p * r / (p + r) if p + r else 0.0,
            "note_f1_no_resync": 2 * c["matched_as_read"] / max(c["hyp_notes"] + c["ref_notes"], 1)}

  total = sum(groups.values(), collections.Counter())
  overall = figures(total)
  decoder = args.decoder
  if decoder == "music":
    p = reader.scorer
    decoder += (f" (bar_weight {p.bar_weight}, key_weight {p.key_weight}, "
                f"pickup_weight {p.pickup_weight})")
  print(f"{args.model or 'released music model'} at step {reader.step}, "
        f"{data_config.name}/{data_config.builder_config} {args.split}, decoder {decoder}\n")
  print("| font | staves | SER | exact sequences | note P | note R | note F1 | F1, no resync |")
  print("|---|---:|---:|---:|---:|---:|---:|---:|")
  for font, c in sorted(groups.items()) + [("all", total)]:
    f = figures(c)
    print(f"| {font} | {f['staves']} | {100 * f['ser']:.2f} % | "
          f"{100 * f['exact_sequence_rate']:.1f} % | {f['note_precision']:.4f} | "
          f"{f['note_recall']:.4f} | {f['note_f1']:.4f} | {f['note_f1_no_resync']:.4f} |")
  per_staff = statistics.median(single) if single else None
  timed = f"median {per_staff:.4f} s per staff" if per_staff is not None else "not timed"
  print(f"\none staff at a time: {timed} over {len(single)} "
        f"(find staff + crop + recognize, batch of 1, after warm-up); whole split batched: "
        f"{n / batched:.1f} staves/s; staves where not exactly one staff was found: {failed}")
  if args.by_kind:
    print("\n| token kind | staves with it | all read right | notes lost where not |")
    print("|---|---:|---:|---:|")
    for kind, k in sorted(kinds.items(), key=lambda kv: -kv[1]["notes_lost"]):
      print(f"| {kind} | {k['staves']} | {k['right']} | {k['notes_lost']} |")
  for font, ref, hyp in errors[:args.errors]:
    print(f"\n[{font}]\n  ref: {ref}\n  hyp: {hyp}")
  wrong = [i for i, (ref, got) in enumerate(zip(refs, readings))
           if args.frames and not isinstance(got, Exception) and len(got.staves) == 1
           and got.staves[0].tokens != ref]
  for i in wrong[:args.frames]:
    print(f"\nstaff {i} ref: {' '.join(refs[i])}")
    print_frames(reader, staff_lib.staff_crops(greys[i])[2][0])
  print(json.dumps({"model": args.model or "released", "step": reader.step,
                    "split": args.split, "decoder": decoder, **overall,
                    "seconds_per_staff": per_staff,
                    "batched_staves_per_s": n / batched, "staff_not_found": failed,
                    "machine": f"{platform.machine()}, {os.cpu_count()} cpus"}))


if __name__ == "__main__":
  main()
