"""Piano figures: generated two-staff systems and pages of them, engraved in a held-out font.

  python launch/evaluate_piano.py [--model=WORKDIR] [--systems=60] [--pages=15] [--font=Leipzig]
      [--seed=20261205] [--timed=10] [--chord_p=0] [--voice_p=0] [--marks_p=0]
      [--texture_p=0] [--pickup_p=0] [--clef_p=0] [--clef_inside_p=0] [--barline_p=0]
      [--verovio_rests] [--engraver=verovio] [--staves=2]
      [--edits=0] [--save_readings=FILE] [--from_readings=FILE]

Draws `--systems` systems (a treble and a bass staff of one key, meter and bar count, joined
by a brace, `omr/synth.system_mei`) and `--pages` pages of 3-5 such systems, engraves them with
Verovio in `--font` (Leipzig: no training image uses it) with random engraving settings, and
reads them as `ocr-jax omr` does (staves found, grouped into systems, read in one batch,
parts aligned bar by bar). Reports note-F1 (pitch equal, onset within 50 ms at 120 bpm = 48
ticks, one-to-one) against the reference tokens timed the same way, the staff token error
rate (SER), systems found right, and seconds per system and per page (one image at a time,
median, after a first pass over the same images has compiled their shape buckets).
`--chord_p`: each note becomes a chord of 2-4 notes with this chance (`synth.add_chords`;
0: one note at a time). `--voice_p`: each staff has second voices in some bars with this
chance (`synth.add_voices`, the `voice2` token; read by a model whose charset has it).
`--marks_p`: each staff carries performance markings (articulations, dynamics, hairpins,
slurs, pedal; `synth.add_markings`) with this chance. `--texture_p`: the bass staff is
filled with a keyboard figure (Alberti, broken chords, stride, block chords, octave basses;
`synth.add_texture`) in most of its bars with this chance, the treble with a quarter of it.
`--pickup_p`: a system (on a page, its first system only: a piece's first bar) begins with
a pickup with this chance (`synth.add_pickup`; of the training draws only `piano_voices4`
has them). `--clef_p`: each staff of a system changes clef (treble to bass or back) at a
barline with this chance, and with chance 0.4 changes back later (`synth.add_clef_change`:
the notes keep their places and are named for the new clef, as a hand crossing into the
other's register); `--clef_inside_p`: such a change falls inside a bar of one voice with
this chance (before a note or rest, as music changes clef mid-bar). `--barline_p`: a system
draws double, final and repeat barlines with this chance (`synth.add_barline_styles`;
tokens unchanged). Second-voice rests are drawn
inside their staff's crop (`synth.add_voices`); `--verovio_rests` leaves them where Verovio
puts them, a third outside the crop, as the draws before 2026-12-07.
`--engraver abcm2ps`: the same kind of music written as ABC and engraved by abcm2ps at
150-300 dpi (`omr/abc.py`; needs `apt-get install abcm2ps ghostscript`), an engraver no
training image comes from (`--font` is then unused); a development set, not a test set.
`--staves 1`: one-staff melodies as the released music splits draw them (multirests, any
clef), pages of 3-5 of them, read by the melody model; `--chord_p` is then unused.
`--edits N`: per set, the token error of staves with and without a second voice, and the N
most common token edits (a run of tokens deleted, inserted or replaced), where to look first.
`--save_readings FILE` keeps what was read (JSON: per image the reference tokens and the
staves, tokens and systems read); `--from_readings FILE` scores such a file again without
drawing or reading anything (the drawing arguments are the file's; no timing): a change to
the reader (`omr/events.py`, `omr/align.py`) is then measured in seconds on the same readings.
"""
import argparse
import collections
import dataclasses
import difflib
import itertools
import json
import os
import platform
import statistics
import time

import numpy as np


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--model", default="", help="a training workdir or released model "
                      "(default: as ocr-jax omr reads, music_piano for systems)")
  parser.add_argument("--systems", type=int, default=60)
  parser.add_argument("--pages", type=int, default=15)
  parser.add_argument("--font", default="Leipzig")
  parser.add_argument("--seed", type=int, default=20261205)
  parser.add_argument("--timed", type=int, default=10, help="images timed one at a time")
  parser.add_argument("--chord_p", type=float, default=0.0, help="chance of a chord per note")
  parser.add_argument("--voice_p", type=float, default=0.0,
                      help="chance that a staff has second voices")
  parser.add_argument("--marks_p", type=float, default=0.0,
                      help="chance that a staff carries performance markings")
  parser.add_argument("--texture_p", type=float, default=0.0,
                      help="chance that the bass staff is filled with a keyboard figure")
  parser.add_argument("--pickup_p", type=float, default=0.0,
                      help="chance that a system (a page's first) begins with a pickup")
  parser.add_argument("--clef_p", type=float, default=0.0,
                      help="chance that a staff of a system changes clef at a barline")
  parser.add_argument("--clef_inside_p", type=float, default=0.0,
                      help="chance that a clef change falls inside a bar of one voice")
  parser.add_argument("--barline_p", type=float, default=0.0,
                      help="chance that a system draws double, final and repeat barlines")
  parser.add_argument("--verovio_rests", action="store_true",
                      help="second-voice rests where Verovio puts them, a third outside their "
                      "staff's crop (the draws measured before 2026-12-07)")
  parser.add_argument("--engraver", default="verovio", choices=("verovio", "abcm2ps"))
  parser.add_argument("--staves", type=int, default=2, choices=(1, 2),
                      help="1: one-staff melodies (synth.random_incipit) instead of systems")
  parser.add_argument("--edits", type=int, default=0, help="print the N most common token edits")
  parser.add_argument("--save_readings", default="", help="write what was read to this JSON")
  parser.add_argument("--from_readings", default="",
                      help="score the readings of this JSON (--save_readings) again")
  args = parser.parse_args()
  saved = None
  if args.from_readings:
    with open(args.from_readings, encoding="utf-8") as f:
      saved = json.load(f)
    args = argparse.Namespace(**dict(vars(args), **saved["args"], timed=0, save_readings="",
                                     from_readings=args.from_readings))

  from ocr_jax import metrics, music  # pylint: disable=g-import-not-at-top
  from ocr_jax.omr import abc, align, engrave, midi, synth  # pylint: disable=g-import-not-at-top
  from ocr_jax.omr import tokens as tk  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(args.seed)

  def system(first: bool = True):
    if args.staves == 1:
      inc = synth.random_incipit(rng)
      if args.marks_p:
        synth.add_markings(inc, rng, args.marks_p)
      if args.engraver == "abcm2ps":
        return [inc.tokens()], abc.engrave_random([inc], rng)
      return [inc.tokens()], engrave.engrave(inc.mei(), args.font, engrave.random_options(rng))
    upper, lower = synth.piano_pair(rng, int(rng.integers(2, 6)))
    if args.chord_p:
      synth.add_chords(upper, rng, args.chord_p)
      synth.add_chords(lower, rng, args.chord_p)
    synth.add_voices_and_markings([upper, lower], rng, args.voice_p, args.marks_p,
                                  args.texture_p, not args.verovio_rests)
    synth.add_piece_features([upper, lower], rng, args.pickup_p if first else 0.0,
                             args.clef_p, args.barline_p, args.clef_inside_p)
    if args.engraver == "abcm2ps":
      return [upper.tokens(), lower.tokens()], abc.engrave_random([upper, lower], rng)
    options = dict(engrave.random_options(rng), **engrave.SYSTEM)
    return [upper.tokens(), lower.tokens()], engrave.engrave(
        synth.system_mei([upper, lower]), args.font, options)

  def page(n):
    drawn = [system(m == 0) for m in range(n)]
    width = max(g.shape[1] for _, g in drawn)
    rows = [np.pad(g, ((0, 20), (0, width - g.shape[1])), constant_values=255)
            for _, g in drawn]
    return [t for t, _ in drawn], np.concatenate(rows)

  if saved:
    sets = {name: [(item["reference"], None) for item in items]
            for name, items in saved["sets"].items()}
  else:
    sets = {"system": [([t], g) for t, g in (system() for _ in range(args.systems))],
            "page": [page(int(rng.integers(3, 6))) for _ in range(args.pages)]}
    reader = music.load(args.model) if args.model else music.Readers()
  keep = {"args": {k: v for k, v in vars(args).items() if k not in (
      "timed", "edits", "save_readings", "from_readings")}, "sets": {}}
  font = "abcm2ps" if args.engraver == "abcm2ps" else args.font
  out = {"font": font, "model": args.model or "released", "chord_p": args.chord_p,
         "voice_p": args.voice_p, "marks_p": args.marks_p, "texture_p": args.texture_p,
         "pickup_p": args.pickup_p, "clef_p": args.clef_p, "barline_p": args.barline_p,
         "clef_inside_p": args.clef_inside_p,
         "verovio_rests": args.verovio_rests, "staves": args.staves,
         "machine": f"{platform.machine()}, {os.cpu_count()} cpus"}
  edit_counts = {name: collections.Counter() for name in sets}
  for name, items in sets.items():
    greys = [g for _, g in items]
    readings = ([_reading(item["reading"]) for item in saved["sets"][name]] if saved
                else music.read_images(reader, greys))
    if args.save_readings:
      keep["sets"][name] = [{"reference": ref, "reading": _saved(got)}
                            for (ref, _), got in zip(items, readings)]
    hits = n_ref = n_hyp = edits = n_tokens = right = 0
    for (ref_systems, _), got in zip(items, readings):
      reference, _ = align.align_systems([[tk.parse(t) for t in s] for s in ref_systems])
      ref_notes = midi.score_notes(reference)
      ref_staves = [t for s in ref_systems for t in s]
      n_tokens += sum(len(t) for t in ref_staves)
      n_ref += len(ref_notes)
      if isinstance(got, Exception):
        edits += sum(len(t) for t in ref_staves)
        continue
      k = args.staves
      right += got.system_list() == [list(range(k * m, k * m + k))
                                     for m in range(len(ref_systems))]
      hyp_staves = [s.tokens for s in got.staves]
      if args.edits:
        tally_edits(edit_counts[name], ref_staves, hyp_staves)
      edits += metrics.edit_distance([t for s in ref_staves for t in s + ["|"]],
                                     [t for s in hyp_staves for t in s + ["|"]])
      try:
        hyp = midi.score_notes(music.perform(got).parts)
      except tk.TokenError:
        hyp = []
      n_hyp += len(hyp)
      hits += midi.note_matches(ref_notes, hyp, tolerance=48)
    p, r = hits / max(n_hyp, 1), hits / max(n_ref, 1)
    for g in greys[:args.timed]:  # warm-up: compile the shape buckets the timed reads use
      music.read_images(reader, [g])
    timed = []
    for g in greys[:args.timed]:
      start = time.perf_counter()
      music.perform(music.read_images(reader, [g])[0])
      timed.append(time.perf_counter() - start)
    out[name] = {"images": len(items), "note_precision": p, "note_recall": r,
                 "note_f1": 2 * p * r / (p + r) if p + r else 0.0, "ser": edits / n_tokens,
                 "systems_found_right": right,
                 "median_seconds": statistics.median(timed) if timed else None}
  print("| set | images | note P | note R | note F1 | SER | systems found right | s/image |")
  print("|---|---:|---:|---:|---:|---:|---:|---:|")
  for name in sets:
    f = out[name]
    print(f"| {name} ({font}, chord_p {args.chord_p}, voice_p {args.voice_p}, marks_p "
          f"{args.marks_p}{f', texture_p {args.texture_p}' if args.texture_p else ''}"
          f"{f', pickup_p {args.pickup_p}' if args.pickup_p else ''}"
          f"{f', clef_p {args.clef_p}' if args.clef_p else ''}"
          f"{f', clef_inside_p {args.clef_inside_p}' if args.clef_inside_p else ''}"
          f"{f', barline_p {args.barline_p}' if args.barline_p else ''}) | "
          f"{f['images']} | "
          f"{f['note_precision']:.4f} | "
          f"{f['note_recall']:.4f} | {f['note_f1']:.4f} | {100 * f['ser']:.2f} % | "
          f"{f['systems_found_right']} / {f['images']} | "
          f"{'-' if f['median_seconds'] is None else format(f['median_seconds'], '.3f')} |")
  if args.edits:
    for name, counts in edit_counts.items():
      print_edits(name, counts, args.edits)
  if args.save_readings:
    with open(args.save_readings, "w", encoding="utf-8") as f:
      json.dump(keep, f, default=lambda o: o.item())  # numpy scalars
  print(json.dumps(out))


def _saved(got) -> dict:
  """A reading (or the error reading raised) as JSON."""
  if isinstance(got, Exception):
    return {"error": f"{type(got).__name__}: {got}"}
  return dataclasses.asdict(got)


def _reading(saved: dict):
  """`_saved`'s inverse: a music.Reading, or the error it stood for."""
  from ocr_jax import music  # pylint: disable=g-import-not-at-top
  if "error" in saved:
    return RuntimeError(saved["error"])
  return music.Reading(saved["angle"], [music.StaffReading(**s) for s in saved["staves"]],
                       saved["systems"])


def tally_edits(counts: collections.Counter, ref_staves, hyp_staves) -> None:
  """Adds to `counts` the token edits turning each reference staff into the staff read in
  its place (difflib's opcodes: a run of tokens deleted, inserted or replaced; a staff not
  found is deleted whole, one found in excess inserted), and the tokens and edited tokens
  of staves with and without a second voice."""
  for ref, hyp in itertools.zip_longest(ref_staves, hyp_staves, fillvalue=[]):
    voiced = "with" if "voice2" in ref else "without"
    counts[("tokens", voiced)] += len(ref)
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, ref, hyp,
                                                      autojunk=False).get_opcodes():
      if op != "equal":
        counts[("edited", voiced)] += max(a2 - a1, b2 - b1)
        counts[(op, " ".join(ref[a1:a2]), " ".join(hyp[b1:b2]))] += 1


def print_edits(name: str, counts: collections.Counter, n: int) -> None:
  """Prints a set's token error with and without a second voice and its `n` commonest edits
  (`counts` from tally_edits)."""
  rates = ", ".join(f"{voiced} a second voice {100 * counts[('edited', voiced)] / t:.1f} % "
                    f"of {t}" for voiced in ("with", "without")
                    if (t := counts[("tokens", voiced)]))
  print(f"\n{name}: token edits per staff token, staves {rates}")
  print("| times | edit | reference | read |\n|---:|---|---|---|")
  edits = [(k, c) for k, c in counts.items() if k[0] in ("delete", "insert", "replace")]
  for (op, ref, hyp), c in sorted(edits, key=lambda kc: -kc[1])[:n]:
    print(f"| {c} | {op} | {ref or '-'} | {hyp or '-'} |")


if __name__ == "__main__":
  main()
