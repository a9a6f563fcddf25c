"""Reading printed music into MIDI with the text recognizer's code.

    reader = music.load()                           # the released music model
    for path, got in zip(paths, music.read_files(reader, paths)):
      ...                                           # a Reading, or the error for that file
    music.write_midi(reading, "out.mid")

A staff or page image is deskewed and split into five-line staves (`omr/staff.py`), grouped
into systems (staves joined by a system barline or a brace), and every staff of every image
is read in one batched pass of the recognizer (PrIMuS semantic tokens). The staves at one
position in their systems make a part (a piano's right hand, left hand; a melody's lines);
a part's staves are timed one after the other, and the parts sound together, aligned bar by
bar in every system (`omr/align.align_systems`): one MIDI file, a track per part.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ocr_jax.data import preprocess
from ocr_jax.omr import align
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
  systems: list[list[int]] | None = None  # staff indices per system (None: one staff each)

  def system_list(self) -> list[list[int]]:
    return self.systems or [[i] for i in range(len(self.staves))]


@dataclasses.dataclass
class Performance:
  """The timed music of a Reading: one Score per part on a shared clock (`align_systems`)."""
  parts: list[events.Score]
  warnings: list[str]

  @property
  def notes(self) -> list[events.NoteEvent]:
    return [n for p in self.parts for n in p.notes]

  @property
  def bars_checked(self) -> int:
    return sum(p.bars_checked for p in self.parts)

  @property
  def bars_off_meter(self) -> int:
    return sum(p.bars_off_meter for p in self.parts)

  def bars_off(self, reading: Reading) -> dict[int, list[int]]:
    """Staff index -> its bars (numbered from 1 in that staff) read not to fill the meter:
    where a user should look first."""
    out = {}
    for p, part in enumerate(self.parts):
      staves = [system[p] for system in reading.system_list() if p < len(system)]
      firsts = [1 + sum(b <= t for b in part.barlines) for t in part.breaks[1:]]
      firsts = [1] + firsts + [1 << 30]
      for m, i in enumerate(staves):
        out[i] = [n - firsts[m] + 1 for n in part.bars_off if firsts[m] <= n < firsts[m + 1]]
    return out


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


class Readers:
  """The released melody model, and the released piano model for the staves of systems of
  two or more staves (loaded on the first such staff): what `ocr-jax omr` reads with when
  no model is named. The piano model (`music_piano`) reads chords; the melody model
  (`music_synth`) reads one-staff melodies with fewer token errors (docs/music.md)."""

  def __init__(self, decoder: str = "music", **kwargs):
    from ocr_jax import released  # pylint: disable=g-import-not-at-top
    self.melody = load(None, decoder, **kwargs)
    self._piano = None
    self._load_piano = lambda: load(released.PIANO_MODEL, decoder, **kwargs)

  @property
  def piano(self):
    if self._piano is None:
      self._piano = self._load_piano()
    return self._piano


def read_images(recognizer, greys, force: bool = False) -> list:
  """Images -> a Reading each, or the StaffError/ImageError that stopped that image. The
  staves of all images are read in one batched pass per model (`recognizer` reads all, or
  a `Readers` sends the staves of multi-staff systems to its piano model). `force`: a wide
  image with no staff found is read whole (`omr/staff.py`) instead of being an error."""
  melody = recognizer.melody if isinstance(recognizer, Readers) else recognizer
  found, crops, piano = [], [], []
  for grey in greys:
    try:
      angle, staves, images, systems = staff_lib.layout(preprocess.dark_on_light(grey),
                                                        force=force)
      images = [melody.check_line(image) for image in images]
    except (staff_lib.StaffError, preprocess.ImageError) as e:
      found.append(e)
      continue
    found.append((angle, staves, systems, len(crops)))
    in_systems = {i for system in systems if len(system) > 1 for i in system}
    piano += [i in in_systems for i in range(len(images))]
    crops.extend(images)
  results = [None] * len(crops)
  routes = [(melody, [i for i, p in enumerate(piano) if not p or melody is recognizer])]
  if isinstance(recognizer, Readers) and any(piano):
    routes.append((recognizer.piano, [i for i, p in enumerate(piano) if p]))
  for reader, which in routes:
    if which:
      for i, r in zip(which, reader.read_arrays([crops[i] for i in which], checked=True)):
        results[i] = (staff_tokens(reader, r.text), r.confidence)
  out = []
  for item in found:
    if isinstance(item, Exception):
      out.append(item)
      continue
    angle, staves, systems, first = item
    out.append(Reading(angle, [
        StaffReading((s.x0, int(s.lines[0]), s.x1, int(s.lines[-1])), tokens, confidence,
                     s.found)
        for s, (tokens, confidence) in zip(staves, results[first:first + len(staves)])],
        systems))
  return out


def staff_tokens(reader, text: str) -> list[str]:
  """What `reader` read on a staff -> tokens naming every note by its sounding pitch: a model
  trained with `config.data.clef_names = 'opening'` names the notes after a clef change as
  the staff's first clef names their places (omr/tokens.clef_change_names)."""
  tokens = text.split()
  if getattr(reader, "clef_names", "") == "opening":
    tokens = tk.clef_change_names(tokens, to_opening=False)
  return tokens


def read_files(recognizer, paths: list[str], force: bool = False) -> list:
  """Paths -> a Reading or the error for each path; a bad file never stops the others."""
  greys = preprocess.load_images(paths)
  good = [i for i, g in enumerate(greys) if not isinstance(g, Exception)]
  for i, reading in zip(good, read_images(recognizer, [greys[i] for i in good], force)):
    greys[i] = reading
  return greys


def perform(reading: Reading, where: str = "", resync_bars: bool = True) -> Performance:
  """A Reading's staves as parts sounding together (module doc); by default bars that were
  read not to fill their meter are put back on its grid (`omr/events.py`, `omr/align.py`).
  Systems with fewer staves than the most crowded one leave the lower parts silent (and are
  named in a warning). A `chord` mark the recognizer put where no chord can be is left out. Raises
  TokenError naming the system and staff of a bad token."""
  systems = reading.system_list()
  parts = max((len(s) for s in systems), default=0)
  warnings = []
  objects = []
  for m, system in enumerate(systems):
    if len(system) != parts:
      warnings.append(f"{where + ': ' if where else ''}system {m + 1} has {len(system)} of "
                      f"{parts} staves; the parts below it rest there")
    objects.append([tk.parse(tk.drop_stray_marks(reading.staves[i].tokens),
                             _staff_name(where, m, p, parts))
                    for p, i in enumerate(system)] + [[]] * (parts - len(system)))
  scores, more = align.align_systems(objects, resync_bars, where)
  return Performance(scores, warnings + more)


def _staff_name(where: str, system: int, part: int, parts: int) -> str:
  place = f"system {system + 1} staff {part + 1}" if parts > 1 else f"staff {system + 1}"
  return f"{where} {place}".strip()


def write_midi(reading: Reading, path: str, bpm: float = midi.DEFAULT_BPM,
               resync_bars: bool = True) -> Performance:
  """Writes the Reading as one MIDI file (a track per part); returns what was written."""
  performance = perform(reading, path, resync_bars)
  midi.write_parts(performance.parts, path, bpm)
  return performance


def note_counts(reference_tokens, predicted_tokens) -> tuple[int, int, int, int]:
  """(matched, matched as read, reference, predicted) notes of two token sequences, compared
  as the MIDI notes they produce (pitch and onset must match). The reference is timed as
  written; the prediction as `write_midi` times it (bars resynced, `omr/events.py`) and, for
  the second count, as read. Resync moves onsets only, so the predicted count is one."""
  ref = midi.score_notes(events.score_from_tokens(reference_tokens))
  objects = tk.parse(tk.drop_stray_marks(list(predicted_tokens)))
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
