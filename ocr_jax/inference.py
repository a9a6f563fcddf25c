"""Reading line images with a trained checkpoint: batched, compiled once per shape bucket.

    rec = Recognizer.from_checkpoint("/tmp/ocr_default")
    results = rec.read_files(["a.png", "b.jpg"])   # Result or preprocess.ImageError each

Lines are sorted by width and read 32 at a time, each batch padded to the next width on a
grid of 16 widths per octave (multiples of 16 px up to 512 px, of 32 px up to 1024, ...) and to
the next batch size in (1, 2, 4, 8, 16, 32), rounded up to a multiple of the local device
count (each batch is split over this host's devices, the parameters replicated), so the number
of compilations is bounded by the number of (width, batch) shapes seen, never by the number of
images, and little of the computation goes to padding (lines of similar width share a batch).
A batch is decoded while the devices compute the next.
"""
from __future__ import annotations

import dataclasses
import functools

import jax
import ml_collections
import numpy as np

from ocr_jax import charlm
from ocr_jax import charset as charset_lib
from ocr_jax import decoding
from ocr_jax import model_state
from ocr_jax import models
from ocr_jax import parallel
from ocr_jax.data import preprocess
from ocr_jax.omr import prior

BATCH_BUCKETS = (1, 2, 4, 8, 16, 32)
# 16 widths per octave read the test sets 1.07x as fast as 8 (docs/speed.md, "Reading faster, same
# model") with about as many compilations: a set's shapes are bounded by its batches.
WIDTHS_PER_OCTAVE = 16
MIN_WIDTH_STEP = 16  # a multiple of every model's width reduction (4; 8 with stride 2)
MAX_WIDTH = 8192
# The 'words' decoder keeps a line's greedy reading, without a beam search, when every word
# of it is in the word list and every character is at least this confident. Chosen on the
# english_print validation split (1,000 lines, released model): CER 3.329 % at 0.5 (a
# quarter of the lines beam-searched) against 3.349 % searching every line, 3.342 % at 0.7,
# 3.376 % at 0 (the word list alone). Above 1, every line is searched.
WORDS_TRUST = 0.5


@dataclasses.dataclass
class Result:
  text: str
  confidence: float
  char_confidences: list[float]


class Recognizer:
  """A trained model plus everything needed to turn images into text."""

  DECODERS = ("greedy", "beam", "words", "lm", "music")

  def __init__(self, config: ml_collections.ConfigDict, charset: charset_lib.Charset,
               params, batch_stats, step: int = 0, *, decoder: str = "greedy",
               beam_width: int = 8, lexicon: decoding.Lexicon | None = None,
               music_prior: prior.MusicPrior | None = None,
               language_model: charlm.CharLM | None = None,
               words_trust: float = WORDS_TRUST, fit_margins: bool | None = None,
               max_density: float | None = None, x_height: bool | None = None):
    """`decoder`: 'greedy' (best class per frame), 'beam' (CTC prefix beam search of
    `beam_width`), 'words' (the same beam search rescored by `lexicon`, for the lines whose
    greedy reading is not all known words of confidence >= `words_trust`: see WORDS_TRUST),
    'lm' (the beam search rescored by `language_model`, a character n-gram model: charlm.py)
    or 'music' (rescored by `music_prior`, default MusicPrior(): bars fill their meter, notes
    follow the key; for models of PrIMuS semantic tokens). `fit_margins`: bring each line's
    margins into those of the synthetic print lines first (preprocess.fit_margins); None
    takes the model's `config.data.fit_margins` (off where the config lacks it).
    `max_density`: lines read denser than this many characters a frame are read again, wider
    (preprocess.read_lines; default preprocess.MAX_DENSITY for CTC models of text, 0 (off)
    for music and attention models). `x_height`: flat lines (no ascender or descender shows)
    read below preprocess.X_HEIGHT_TRUST confidence are read again as x-height letters
    (preprocess.read_lines; None: where margins are fitted, as for the English print models)."""
    self.config, self.charset, self.step = config, charset, step
    self.clef_names = config.data.get("clef_names", "")  # how its music labels name notes
    self.mesh = parallel.make_mesh(jax.local_devices())
    self.params, self.batch_stats = jax.device_put((params, batch_stats),
                                                   parallel.replicated(self.mesh))
    _, self.model, _, _ = model_state.build(config, charset)
    self.height = config.data.height
    if fit_margins is None:
      fit_margins = bool(config.data.get("fit_margins", False))
    self.margins = preprocess.TEXT_MARGINS if fit_margins else None
    if decoder not in self.DECODERS:
      raise ValueError(f"unknown decoder {decoder!r}; one of {self.DECODERS}")
    if decoder != "greedy" and not models.is_ctc(config.model):
      raise ValueError(f"decoder {decoder!r} needs a CTC model; this one has an attention "
                       "decoder (use 'greedy')")
    if decoder == "words" and lexicon is None:
      raise ValueError("decoder 'words' needs a lexicon (a word list)")
    if decoder == "lm" and language_model is None:
      raise ValueError("decoder 'lm' needs a character language model (charlm.CharLM)")
    music = charset_lib.is_music(config.charset)
    if decoder == "music" and not music:
      raise ValueError(f"decoder 'music' needs a model of PrIMuS semantic tokens; this one "
                       f"reads {config.charset!r}")
    self.decoder, self.beam_width, self.words_trust = decoder, beam_width, words_trust
    if max_density is None:
      max_density = preprocess.MAX_DENSITY if models.is_ctc(config.model) and not music else 0.0
    self.max_density = max_density
    self.x_height = self.margins is not None if x_height is None else x_height
    self.width_reduction = config.model.features.get("width_reduction", 4)
    self.scorer = {"words": lexicon, "lm": language_model}.get(decoder)
    if decoder == "music":
      self.scorer = music_prior or prior.MusicPrior()
    self._predict = jax.jit(functools.partial(
        model_state.predict_step if decoder == "greedy" else model_state.predict_log_probs,
        model=self.model))
    self._log_probs = self._predict if decoder != "greedy" else jax.jit(  # frame_log_probs
        functools.partial(model_state.predict_log_probs, model=self.model))

  @classmethod
  def from_checkpoint(cls, path: str, step: int | None = None, **kwargs) -> Recognizer:
    """Rebuilds the model from a workdir (or its checkpoints/ folder) alone; `kwargs` choose
    the decoder (see __init__)."""
    state, charset, config, step = model_state.load_run(path, step)
    return cls(config, charset, state.params, state.batch_stats, step, **kwargs)

  def _decode(self, out) -> list[decoding.Decoded]:
    if self.decoder == "greedy":
      return decoding.greedy_decode(*out, ctc=models.is_ctc(self.config.model))
    return decoding.decode_log_probs(*out, self.charset, self.decoder,
                                     beam_width=self.beam_width, scorer=self.scorer,
                                     words_trust=self.words_trust)

  @property
  def num_compiled_shapes(self) -> int:
    return self._predict._cache_size()  # pylint: disable=protected-access

  @staticmethod
  def _bucket(width: int) -> int:
    """The width a line of `width` pixels is padded to: the next point of a grid of
    WIDTHS_PER_OCTAVE widths per octave (at most 1/16 of padding past 256 px)."""
    step = max(MIN_WIDTH_STEP, (1 << (max(width, 1).bit_length() - 1)) // WIDTHS_PER_OCTAVE)
    return -(-width // step) * step

  def _run(self, fn, lines: list[np.ndarray], width: int, size: int):
    """`fn` on `lines` padded to `width` and to a batch of `size` rows (rounded up to a
    multiple of the device count), the rows split over the devices."""
    n = self.mesh.size
    images, paddings = preprocess.batch_lines(lines, width, -(-size // n) * n)
    images, paddings = jax.device_put((images, paddings), parallel.data_sharded(self.mesh))
    return fn(self.params, self.batch_stats, images, paddings)

  def check_line(self, grey: np.ndarray) -> np.ndarray:
    """A line image as it will be read (preprocess.check_line, at most MAX_WIDTH wide)."""
    return preprocess.check_line(grey, self.height, MAX_WIDTH, self.margins)

  def read_arrays(self, greys: list[np.ndarray], checked: bool = False) -> list[Result]:
    """uint8[H, W] grey images (dark text on light paper) -> one Result each, in order.
    `checked`: the images already went through check_line."""
    if not checked:
      greys = [self.check_line(g) for g in greys]
    return preprocess.read_lines(greys, self.height, self._read_prepared,
                                 self.width_reduction, self.max_density,
                                 x_height=self.x_height)

  def _read_prepared(self, lines: list[np.ndarray]) -> list[Result]:
    """Prepared lines (preprocess.prepare_line) -> one Result each, in order."""
    results: list[Result | None] = [None] * len(lines)
    by_width = sorted(range(len(lines)), key=lambda i: lines[i].shape[1])
    pending = []  # (rows, outputs): dispatched, still computing
    for start in range(0, len(by_width), BATCH_BUCKETS[-1]):
      chunk = by_width[start:start + BATCH_BUCKETS[-1]]
      width = self._bucket(lines[chunk[-1]].shape[1])  # the widest of the chunk
      size = next(b for b in BATCH_BUCKETS if b >= len(chunk))
      pending.append((chunk, self._run(self._predict, [lines[i] for i in chunk], width, size)))
      if len(pending) > 1:  # decode a batch while the devices compute the next
        self._collect(*pending.pop(0), results)
    for chunk, out in pending:
      self._collect(chunk, out, results)
    return results

  def _collect(self, rows: list[int], out, results: list) -> None:
    for row, d in zip(rows, self._decode(out)):
      text, confidences = self.charset.decode_with_confidences(d.ids, d.char_confidences)
      results[row] = Result(text, d.confidence, confidences)

  def frame_log_probs(self, grey: np.ndarray) -> np.ndarray:
    """float32[T, C] per-frame class log-probabilities of one line image, padding cut off
    (CTC models; for diagnostics: where the model emits what)."""
    x = preprocess.prepare_line(self.check_line(grey), self.height)
    log_probs, lengths = self._run(self._log_probs, [x], self._bucket(x.shape[1]), 1)
    return np.asarray(log_probs)[0, :int(lengths[0])]

  def read_files(self, paths: list[str], chunk: int = 256):
    """Paths -> a Result or an ImageError per path; a bad file never stops the others."""
    out = []
    for start in range(0, len(paths), chunk):
      items = []
      for path in paths[start:start + chunk]:
        try:
          items.append(self.check_line(preprocess.load_image(path)))
        except preprocess.ImageError as e:
          items.append(e)
      good = [i for i, x in enumerate(items) if not isinstance(x, Exception)]
      for i, result in zip(good, self.read_arrays([items[i] for i in good], checked=True)):
        items[i] = result
      out.extend(items)
    return out

  def read_layouts(self, greys: list[np.ndarray], layout: str = "auto"):
    """Images (lines or pages) -> per image, (page.Layout, [Result per line, in reading
    order]) or the ImageError that stopped it (page.read_layouts: the lines of all images
    are batched together)."""
    from ocr_jax import page  # pylint: disable=g-import-not-at-top
    return page.read_layouts(greys, layout, self.check_line, self.read_arrays)
