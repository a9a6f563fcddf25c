"""`primus`: a manual-download tfds builder over PrIMuS or Camera-PrIMuS, as their archives lay
them out: one folder per incipit, `<id>/<id>.png` (Camera-PrIMuS: `<id>/<id>_distorted.jpg`)
beside `<id>/<id>.semantic` (tab-separated semantic tokens), at any depth under the manual dir.

  python -m ocr_jax.main --config=configs/omr_primus.py --workdir=DIR \
      --config.data.manual_dir=/path/to/Corpus

Each image is cropped around its staff exactly as `ocr-jax omr` crops staves at read time
(`omr/staff.py`) and resized to `height`, so a model trained here reads our crops, and the
token sequence is checked against the vocabulary. Incipits go to train / validation / test by
a hash of their id (90 / 5 / 5 %), stable when the corpus grows. A file that cannot be used
(unreadable image, no staff, malformed or unknown token, no image beside a .semantic file) is
skipped and listed, with its reason, in the dataset's metadata; training logs that list at
every start.
"""
from __future__ import annotations

import dataclasses
import os
import zlib

import numpy as np
import tensorflow_datasets as tfds
from absl import logging

from ocr_jax.data import preprocess

MANUAL_DOWNLOAD_INSTRUCTIONS = """\
Download PrIMuS or Camera-PrIMuS (https://grfia.dlsi.ua.es/primus/) and extract it; point
`--config.data.manual_dir` at the extracted folder (the one holding the <id>/ folders, at any
depth). Nothing is downloaded by this builder."""


@dataclasses.dataclass
class PrimusConfig(tfds.core.BuilderConfig):
  image_suffix: str = ".png"  # '_distorted.jpg' for Camera-PrIMuS
  height: int = 64
  validation_percent: int = 5
  test_percent: int = 5


def split_of(incipit_id: str, cfg: PrimusConfig) -> str:
  bucket = zlib.crc32(incipit_id.encode()) % 100
  if bucket < cfg.test_percent:
    return "test"
  if bucket < cfg.test_percent + cfg.validation_percent:
    return "validation"
  return "train"


def scan(manual_dir: str, cfg: PrimusConfig) -> tuple[dict, list[str]]:
  """{split: [(id, image path, tokens)]} and the problems found (one line each)."""
  from ocr_jax.omr import tokens as tk  # pylint: disable=g-import-not-at-top
  splits, problems = {"train": [], "validation": [], "test": []}, []
  for root, _, files in sorted(os.walk(manual_dir)):
    for name in sorted(files):
      if not name.endswith(".semantic"):
        continue
      incipit = name[:-len(".semantic")]
      path = os.path.join(root, name)
      image = os.path.join(root, incipit + cfg.image_suffix)
      try:
        with open(path, encoding="utf-8") as f:
          toks = tk.split_tokens(f.read())
        if not toks:
          raise tk.TokenError("no tokens")
        tk.parse(toks)
      except (UnicodeDecodeError, tk.TokenError) as e:
        problems.append(f"{path}: {e}")
        continue
      if not os.path.exists(image):
        problems.append(f"{path}: no image {os.path.basename(image)} beside it")
        continue
      splits[split_of(incipit, cfg)].append((incipit, image, " ".join(toks)))
  return splits, problems


def staff_image(path: str, height: int) -> np.ndarray:
  """The staff crop of a PrIMuS image at `height` (ImageError / StaffError when unusable)."""
  from ocr_jax.omr import staff  # pylint: disable=g-import-not-at-top
  grey = preprocess.load_image(path)
  staves = staff.find_staves(grey)
  if not staves:
    raise staff.StaffError("no five-line staff found")
  # One staff per PrIMuS image; if more are found, the widest is the incipit's.
  s = max(staves, key=lambda s: s.x1 - s.x0)
  return preprocess.resize_to_height(staff.crop(grey, s), height)


class Primus(tfds.core.GeneratorBasedBuilder):
  """PrIMuS / Camera-PrIMuS staves with semantic tokens (manual download)."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {"1.0.0": "First release."}
  MANUAL_DOWNLOAD_INSTRUCTIONS = MANUAL_DOWNLOAD_INSTRUCTIONS
  BUILDER_CONFIGS = [
      PrimusConfig(name="primus", description="PrIMuS: engraved PNG staves."),
      PrimusConfig(name="camera_primus", description="Camera-PrIMuS: the same incipits "
                   "photographed-looking (<id>_distorted.jpg).",
                   image_suffix="_distorted.jpg"),
  ]
  DEFAULT_CONFIG_NAME = "primus"

  def _info(self) -> tfds.core.DatasetInfo:
    return tfds.core.DatasetInfo(
        builder=self,
        description=__doc__,
        features=preprocess.line_features(self.builder_config.height,
                                          width=tfds.features.Scalar(np.int32)),
        supervised_keys=("image", "text"),
        homepage="https://grfia.dlsi.ua.es/primus/",
        metadata=tfds.core.MetadataDict(),
        license="PrIMuS: see its distribution (research use).",
    )

  def _split_generators(self, dl_manager):
    manual_dir = str(dl_manager.manual_dir)
    splits, problems = scan(manual_dir, self.builder_config)
    if not any(splits.values()):
      raise FileNotFoundError(f"{manual_dir}: no usable <id>/<id>.semantic + image pairs found"
                              + (f" ({len(problems)} problems, first: {problems[0]})"
                                 if problems else ""))
    self.info.metadata["skipped"] = problems
    # tfds cannot write an empty split (a corpus of a few incipits has no test split).
    return {name: self._generate_examples(items) for name, items in splits.items() if items}

  def _generate_examples(self, items):
    from ocr_jax.omr import staff  # pylint: disable=g-import-not-at-top
    for incipit, image, text in items:
      try:
        img = staff_image(image, self.builder_config.height)
      except (preprocess.ImageError, staff.StaffError) as e:
        message = f"{image}: {e}"
        logging.warning("skipped %s", message)
        self.info.metadata["skipped"] = list(self.info.metadata["skipped"]) + [message]
        continue
      yield incipit, {"image": preprocess.encode_png(img), "text": text,
                      "width": np.int32(img.shape[1])}
