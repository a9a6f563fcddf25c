"""Reading printed music into MIDI with the text recognizer's code.

    reader = music.load()                           # the released music model
    for path, got in zip(paths, music.read_files(reader, paths)):
      ...                                           # a Reading, or the error for that file
    music.write_midi(reading.staves, "out.mid")

A staff or page image is deskewed and split into five-line staves (`omr/staff.py`), every
staff of every image is read in one batched pass of the recognizer (PrIMuS semantic tokens),
and the staves' tokens, in order, become one score and one MIDI file (`omr/`).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ocr_jax.data import preprocess
from ocr_jax.omr import events
from ocr_jax.omr import midi
from ocr_jax.omr import staff as staff_lib
from ocr_jax.omr import tokens as tk


@dataclasses.dataclass
class StaffReading:
  box: tuple[int, int, int, int]  # (x0, y0, x1, y1) of the staff lines in the deskewed image
  tokens: list[str]
  confidence: float
  found: bool = True  # False: no staff lines were found; the whole image was read as a staff


@dataclasses.dataclass
class Reading:
  angle: float  # deskew rotation applied to the image (degrees)
  staves: list[StaffReading]


def load(model_dir: str | None = None, decoder: str = "music", **kwargs):
  """The recognizer of `model_dir` (a workdir, a released model's name, or an exported
  .onnx file, read with onnxruntime and without JAX), or of the released music model; by
  default it decodes by beam search with the music prior (`omr/prior.py`); `kwargs` go to
  the recognizer."""
  from ocr_jax import released  # pylint: disable=g-import-not-at-top
  if model_dir and model_dir.lower().endswith(".onnx"):
    from ocr_jax import onnx_reader  # pylint: disable=g-import-not-at-top
    return onnx_reader.OnnxRecognizer.from_file(model_dir, decoder=decoder, **kwargs)
  from ocr_jax import inference  # pylint: disable=g-import-not-at-top  (imports JAX)
  return inference.Recognizer.from_checkpoint(
      released.resolve(model_dir or released.MUSIC_MODEL), decoder=decoder, **kwargs)


def read_images(recognizer, greys) -> list:
  """Images -> a Reading each, or the StaffError/ImageError that stopped that image. The
  staves of all images are read in one batched pass."""
  found, crops = [], []
  for grey in greys:
    try:
      angle, staves, images = staff_lib.staff_crops(preprocess.dark_on_light(grey))
      images = [recognizer.check_line(image) for image in images]
    except (staff_lib.StaffError, preprocess.ImageError) as e:
      found.append(e)
      continue
    found.append((angle, staves, len(crops)))
    crops.extend(images)
  results = recognizer.read_arrays(crops, checked=True) if crops else []
  out = []
  for item in found:
    if isinstance(item, Exception):
      out.append(item)
      continue
    angle, staves, first = item
    out.append(Reading(angle, [
        StaffReading((s.x0, int(s.lines[0]), s.x1, int(s.lines[-1])), r.text.split(),
                     r.confidence, s.found)
        for s, r in zip(staves, results[first:first + len(staves)])]))
  return out


def read_files(recognizer, paths: list[str]) -> list:
  """Paths -> a Reading or the error for each path; a bad file never stops the others."""
  greys = preprocess.load_images(paths)
  good = [i for i, g in enumerate(greys) if not isinstance(g, Exception)]
  for i, reading in zip(good, read_images(recognizer, [greys[i] for i in good])):
    greys[i] = reading
  return greys


def score_of(staves: list[StaffReading], where: str = "",
             resync_bars: bool = True) -> events.Score:
  """The staves' tokens, one after the other, as one timed score; by default bars that were
  read not to fill their meter are put back on its grid (`omr/events.py`)."""
  tokens = [t for s in staves for t in s.tokens]
  return events.score_from_tokens(tokens, where, resync_bars)


def write_midi(staves: list[StaffReading], path: str, bpm: float = midi.DEFAULT_BPM,
               resync_bars: bool = True) -> events.Score:
  """Writes the staves as one MIDI file; returns the score written."""
  score = score_of(staves, path, resync_bars)
  midi.write(score, path, bpm)
  return score


def note_counts(reference_tokens, predicted_tokens) -> tuple[int, int, int, int]:
  """(matched, matched as read, reference, predicted) notes of two token sequences, compared
  as the MIDI notes they produce (pitch and onset must match). The reference is timed as
  written; the prediction as `write_midi` times it (bars resynced, `omr/events.py`) and, for
  the second count, as read. Resync moves onsets only, so the predicted count is one."""
  ref = midi.score_notes(events.score_from_tokens(reference_tokens))
  objects = tk.parse(predicted_tokens)
  hyp = midi.score_notes(events.to_score(objects, resync_bars=True))
  as_read = midi.score_notes(events.to_score(objects))
  return (midi.note_matches(ref, hyp), midi.note_matches(ref, as_read), len(ref), len(hyp))


def page_image(staff_images, gap: int = 24) -> np.ndarray:
  """Staff images stacked top to bottom on one page (for tests and demos)."""
  width = max(im.shape[1] for im in staff_images) + 2 * gap
  rows = [np.full((gap, width), 255, np.uint8)]
  for im in staff_images:
    row = np.full((im.shape[0], width), 255, np.uint8)
    row[:, gap:gap + im.shape[1]] = im
    rows += [row, np.full((gap, width), 255, np.uint8)]
  return np.concatenate(rows)
