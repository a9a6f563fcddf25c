"""Reading with an exported ONNX recognizer (export.py): onnxruntime, numpy and Pillow only.

Nothing here imports JAX or Flax, so a device that cannot run JAX reads with the same
preprocessing (preprocess.py), page layout (page.py) and charset as the JAX reader:

  reader = OnnxRecognizer.from_file("english_print.onnx")
  reader.read_arrays([grey_line])[0].text

Lines are sorted by width and read in batches of up to 32, each padded to the next multiple
of 16 px (the graph takes any width), then decoded on the host by the JAX reader's own code
(decoding.decode_log_probs: greedy, beam, word-list or music-prior search) with
per-character confidences.
"""
from __future__ import annotations

import dataclasses
import json
import os

import numpy as np

from ocr_jax import charset as charset_lib
from ocr_jax import decoding
from ocr_jax.data import preprocess

METADATA_KEY = "ocr_jax"  # the model property export.py writes the reading metadata under
BATCH = 32
WIDTH_STEP = 16


class ModelFileError(ValueError):
  """The file is not an ocr_jax ONNX model; the message says why."""


@dataclasses.dataclass
class Result:
  text: str
  confidence: float
  char_confidences: list[float]


class OnnxRecognizer:
  """An exported recognizer: read_arrays / read_layouts / check_line as inference.Recognizer."""

  DECODERS = ("greedy", "beam", "words", "lm", "music")

  def __init__(self, session, meta: dict, path: str = "", *, decoder: str = "greedy",
               beam_width: int = 8, lexicon=None, music_prior=None, language_model=None,
               words_trust: float = 0.5, max_density: float | None = None,
               x_height: bool | None = None):
    """`decoder` and its options, `max_density` and `x_height`, as inference.Recognizer's:
    the network runs in onnxruntime, the searches on the host (decoding.decode_log_probs)."""
    self.session, self.path = session, path
    self.charset = charset_lib.Charset.from_json(meta["charset"])
    self.height = int(meta["height"])
    self.clef_names = meta.get("clef_names", "")  # how its music labels name notes
    self.max_width = int(meta.get("max_width", 8192))
    self.margins = preprocess.TEXT_MARGINS if meta.get("fit_margins") else None
    if decoder not in self.DECODERS:
      raise ValueError(f"unknown decoder {decoder!r}; one of {self.DECODERS}")
    if decoder == "words" and lexicon is None:
      raise ValueError("decoder 'words' needs a lexicon (a word list)")
    if decoder == "lm" and language_model is None:
      raise ValueError("decoder 'lm' needs a character language model (charlm.CharLM)")
    music = charset_lib.is_music(meta.get("charset_name", ""))
    if decoder == "music":
      if not music:
        raise ValueError("decoder 'music' needs a model of PrIMuS semantic tokens")
      if music_prior is None:
        from ocr_jax.omr import prior  # pylint: disable=g-import-not-at-top
        music_prior = prior.MusicPrior()
    self.decoder, self.beam_width, self.words_trust = decoder, beam_width, words_trust
    self.scorer = {"words": lexicon, "lm": language_model}.get(decoder, music_prior)
    if max_density is None:
      max_density = 0.0 if music else preprocess.MAX_DENSITY
    self.max_density = max_density
    self.x_height = self.margins is not None if x_height is None else x_height
    self.width_reduction = int(meta.get("width_reduction", 4))

  @classmethod
  def from_file(cls, path: str, threads: int = 0, **kwargs) -> OnnxRecognizer:
    """Loads an exported model; raises ModelFileError (one line) for a missing, truncated or
    non-ONNX file, or one whose metadata lacks what reading needs."""
    try:
      import onnxruntime as ort  # pylint: disable=g-import-not-at-top
    except ImportError as e:
      raise ModelFileError(f"onnxruntime is not installed ({e}); pip install onnxruntime") \
          from None
    if not os.path.isfile(path):
      raise ModelFileError("no such file")
    options = ort.SessionOptions()
    if threads:
      options.intra_op_num_threads = threads
    try:
      session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    except Exception as e:  # pylint: disable=broad-except  (onnxruntime raises its own types)
      first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
      raise ModelFileError(f"not a readable ONNX model ({first[:200]})") from None
    raw = session.get_modelmeta().custom_metadata_map.get(METADATA_KEY)
    try:
      meta = json.loads(raw) if raw else None
      if not meta or "charset" not in meta or "height" not in meta:
        raise ValueError
      charset_lib.Charset.from_json(meta["charset"])
    except (ValueError, KeyError, TypeError):
      raise ModelFileError("an ONNX model without ocr_jax metadata (charset, height); "
                           "export it with `ocr-jax export`") from None
    return cls(session, meta, path, **kwargs)

  def check_line(self, grey: np.ndarray) -> np.ndarray:
    return preprocess.check_line(grey, self.height, self.max_width, self.margins)

  def read_arrays(self, greys, checked: bool = False) -> list[Result]:
    if not checked:
      greys = [self.check_line(g) for g in greys]
    return preprocess.read_lines(greys, self.height, self._read_prepared,
                                 self.width_reduction, self.max_density,
                                 x_height=self.x_height)

  def _read_prepared(self, lines: list[np.ndarray]) -> list[Result]:
    results: list[Result | None] = [None] * len(lines)
    order = sorted(range(len(lines)), key=lambda i: lines[i].shape[1])
    for start in range(0, len(order), BATCH):
      rows = order[start:start + BATCH]
      width = -(-lines[rows[-1]].shape[1] // WIDTH_STEP) * WIDTH_STEP
      images, paddings = preprocess.batch_lines([lines[i] for i in rows], width)
      log_probs, lengths = self.session.run(
          None, {"image": images.transpose(0, 3, 1, 2), "paddings": paddings})
      decoded = decoding.decode_log_probs(
          log_probs, lengths, self.charset, self.decoder, beam_width=self.beam_width,
          scorer=self.scorer, words_trust=self.words_trust)
      for row, d in zip(rows, decoded):
        text, char_confs = self.charset.decode_with_confidences(d.ids, d.char_confidences)
        results[row] = Result(text, d.confidence, char_confs)
    return results

  def read_layouts(self, greys, layout: str = "auto"):
    from ocr_jax import page  # pylint: disable=g-import-not-at-top
    return page.read_layouts(greys, layout, self.check_line, self.read_arrays)
