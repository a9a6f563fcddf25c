"""One call to read text or music, as Tesseract's image_to_string or docTR's ocr_predictor.

  import ocr_jax
  for reading in ocr_jax.read_text(["line.png", "scans/"]):   # files, folders, arrays, PIL
    print(reading.source, reading.text)
  score = ocr_jax.read_music("staff.png")[0]
  score.write_midi("staff.mid")

`model` is a released model's name ("english_print", "music_synth") or a training workdir;
None takes the released one. Each (model, decoder) is loaded once per process and kept, so
later calls reuse its compiled programs (one per batch shape). An input that cannot be read
comes back as a result whose `error` says why; the others are read (nothing is raised for a
bad file). Lines of all inputs are read in shared batches.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Any, Iterable

import numpy as np

from ocr_jax import inference
from ocr_jax import music
from ocr_jax import released
from ocr_jax.data import preprocess
from ocr_jax.omr import midi


@dataclasses.dataclass
class Line:
  text: str
  confidence: float  # the least confident character's probability
  box: tuple[int, int, int, int]  # (x0, y0, x1, y1) in the deskewed image
  char_confidences: list[float]


@dataclasses.dataclass
class Reading:
  """What one image says: its lines in reading order (one for a line image)."""
  source: str  # the path, or "<image N>" for an array or PIL image
  lines: list[Line] = dataclasses.field(default_factory=list)
  angle: float = 0.0  # deskew rotation applied (degrees)
  error: str | None = None  # why the input could not be read (then `lines` is empty)

  @property
  def text(self) -> str:
    return "\n".join(line.text for line in self.lines)


@dataclasses.dataclass
class Score:
  """The music of one image: its staves' tokens, read top to bottom, grouped into systems
  whose staves sound together (`music.perform`)."""
  source: str
  staves: list[music.StaffReading] = dataclasses.field(default_factory=list)
  angle: float = 0.0
  error: str | None = None
  systems: list[list[int]] | None = None  # staff indices per system (None: one staff each)

  @property
  def tokens(self) -> list[str]:
    return [t for s in self.staves for t in s.tokens]

  def timed(self) -> music.Performance:
    """The timed notes of each part (omr/events.py), as write_midi times them."""
    return music.perform(self._reading(), self.source)

  def _reading(self) -> music.Reading:
    if self.error:
      raise ValueError(f"{self.source}: {self.error}")
    return music.Reading(self.angle, self.staves, self.systems)

  def write_midi(self, path: str, bpm: float = midi.DEFAULT_BPM) -> music.Performance:
    """Writes a standard MIDI file (a track per part); returns what was written. Raises
    ValueError for a score that could not be read (see `error`)."""
    return music.write_midi(self._reading(), path, bpm=bpm)

  def write_musicxml(self, path: str) -> music.Performance:
    """Writes MusicXML (.musicxml, or .mxl compressed; needs music21)."""
    from ocr_jax.omr import musicxml  # pylint: disable=g-import-not-at-top
    performance = music.perform(self._reading(), self.source)
    musicxml.write(performance.parts, path)
    return performance


_LOADED: dict[tuple, Any] = {}  # Recognizers, and music.Readers


def _recognizer(model: str, decoder: str) -> inference.Recognizer:
  """The recognizer of a model directory with a decoder, loaded on first use and kept."""
  key = (os.path.realpath(model), decoder)
  if key not in _LOADED:
    from ocr_jax import decoding  # pylint: disable=g-import-not-at-top
    # The word list or language model that ships beside a released model.
    files = decoding.decoder_files(decoder, model)
    _LOADED[key] = inference.Recognizer.from_checkpoint(model, decoder=decoder, **files)
  return _LOADED[key]


def _inputs(images) -> list[tuple[str, Any]]:
  """(source, uint8[H, W] grey or the ImageError) per input, folders expanded."""
  if isinstance(images, (str, os.PathLike, np.ndarray)) or hasattr(images, "getpixel"):
    images = [images]
  out = []
  for i, item in enumerate(images):
    if isinstance(item, (str, os.PathLike)):
      paths, missing = preprocess.expand_paths([item])
      out += [(m, preprocess.ImageError("no such file or directory")) for m in missing]
      out += list(zip(paths, preprocess.load_images(paths)))
    elif isinstance(item, np.ndarray):
      grey = item if item.ndim == 2 else preprocess.to_grey(_pil(item))
      out.append((f"<image {i}>", np.asarray(grey, np.uint8)))
    else:  # a PIL image
      out.append((f"<image {i}>", preprocess.to_grey(item)))
  return out


def _pil(array: np.ndarray):
  from PIL import Image  # pylint: disable=g-import-not-at-top
  return Image.fromarray(np.asarray(array, np.uint8))


def read_text(images: Any | Iterable[Any], model: str | None = None, layout: str = "auto",
              decoder: str = "greedy") -> list[Reading]:
  """Reads text lines or pages. `images`: one or a list of paths (files or folders), numpy
  arrays (grey or RGB uint8) or PIL images. `layout`: 'line' (each image is one line),
  'page' (deskew and split into lines), 'auto' (a page when two or more lines are found).
  `decoder`: 'greedy', 'beam', 'words' or 'lm' (the beam search rescored by the model's
  words.txt or charlm.json.gz). One Reading per image, in order."""
  recognizer = _recognizer(released.resolve(model or released.ENGLISH_MODEL), decoder)
  items = _inputs(images)
  good = [i for i, (_, g) in enumerate(items) if not isinstance(g, Exception)]
  outs = recognizer.read_layouts([items[i][1] for i in good], layout)
  readings = [Reading(source, error=str(g)) if isinstance(g, Exception) else None
              for source, g in items]
  for i, out in zip(good, outs):
    if isinstance(out, Exception):
      readings[i] = Reading(items[i][0], error=str(out))
      continue
    lay, results = out
    readings[i] = Reading(items[i][0], [
        Line(r.text, float(r.confidence), tuple(int(v) for v in box),
             [float(c) for c in r.char_confidences])
        for box, r in zip(lay.boxes, results)], float(lay.angle))
  return readings


def read_music(images: Any | Iterable[Any], model: str | None = None,
               decoder: str = "music") -> list[Score]:
  """Reads printed music: staff images or pages of staves (found, deskewed, grouped into
  systems, read top to bottom). One Score per image, in order; `score.write_midi(path)` and
  `score.write_musicxml(path)` write it. With no `model`, as `ocr-jax omr`: `music_synth`
  reads one-staff systems and `music_piano` the staves of piano systems (`music.Readers`)."""
  if model:
    recognizer = _recognizer(released.resolve(model), decoder)
  else:  # as ocr-jax omr: the melody model, the piano model for piano systems
    if ("readers", decoder) not in _LOADED:
      _LOADED[("readers", decoder)] = music.Readers(decoder)
    recognizer = _LOADED[("readers", decoder)]
  items = _inputs(images)
  good = [i for i, (_, g) in enumerate(items) if not isinstance(g, Exception)]
  outs = music.read_images(recognizer, [items[i][1] for i in good])
  scores = [Score(source, error=str(g)) if isinstance(g, Exception) else None
            for source, g in items]
  for i, out in zip(good, outs):
    scores[i] = (Score(items[i][0], error=str(out)) if isinstance(out, Exception) else
                 Score(items[i][0], out.staves, out.angle, systems=out.systems))
  return scores
