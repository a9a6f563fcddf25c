"""`line_folder`: a tfds builder over a user's folder of labelled line images.

Two layouts are read:
  * `labels.tsv`: one `path<TAB>text` per line, paths relative to the folder (UTF-8);
  * tesstrain pairs: `name.png` (or .tif/.jpg/...) next to `name.gt.txt` holding the text.

Splits: if the folder has `train.txt` and `validation.txt` (one image path per line) they
decide; otherwise a line goes to validation when a hash of (seed, path) falls below
`val_fraction`, so the split is fixed by the seed and stable when files are added.

Every problem (non-UTF-8 label file, line without a TAB, empty or blank label, missing,
duplicate or undecodable image) is listed with its file and line number. `on_error='stop'`
refuses to prepare and lists them all; `'skip'` prepares without those lines, logs the count
and keeps the list in the dataset's metadata, which training reports again at every start.
Images are stored grey, resized to `height`, as PNG; the training charset (every character of
the training labels) is stored in the metadata too.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os

import tensorflow_datasets as tfds
from absl import logging
from PIL import Image

from ocr_jax.data import preprocess

class FolderDatasetError(ValueError):
  """The folder's labels or images have problems and on_error='stop'."""


@dataclasses.dataclass
class LineFolderConfig(tfds.core.BuilderConfig):
  folder: str = ""
  height: int = 32
  val_fraction: float = 0.1
  seed: int = 0
  on_error: str = "stop"  # or 'skip'


def config_for(folder: str, height: int = 32, val_fraction: float = 0.1, seed: int = 0,
               on_error: str = "stop") -> LineFolderConfig:
  """A builder config whose name changes when the folder's label files or options change,
  so a prepared copy is never reused for different data."""
  folder = os.path.abspath(os.path.expanduser(folder))
  if not os.path.isdir(folder):
    raise FolderDatasetError(f"{folder}: not a directory")
  if on_error not in ("stop", "skip"):
    raise ValueError(f"on_error must be 'stop' or 'skip', not {on_error!r}")
  h = hashlib.sha1(repr((folder, height, val_fraction, seed, on_error)).encode())
  for name in sorted(os.listdir(folder)):
    if name in ("labels.tsv", "train.txt", "validation.txt") or name.endswith(".gt.txt"):
      st = os.stat(os.path.join(folder, name))
      h.update(f"{name}:{st.st_size}:{st.st_mtime_ns}".encode())
  base = "".join(c if c.isalnum() else "_" for c in os.path.basename(folder))[:40] or "root"
  return LineFolderConfig(name=f"{base}_{h.hexdigest()[:10]}", folder=folder, height=height,
                          val_fraction=val_fraction, seed=seed, on_error=on_error,
                          description=f"Line images from {folder}")


def _decode_lines(path: str, problems: list[str]):
  """Yields (line number, text) of a UTF-8 text file; CRLF and a BOM are accepted."""
  with open(path, "rb") as f:
    raw = f.read()
  if raw.startswith(b"\xef\xbb\xbf"):
    raw = raw[3:]
  for number, line in enumerate(raw.split(b"\n"), 1):
    line = line[:-1] if line.endswith(b"\r") else line
    try:
      yield number, line.decode("utf-8")
    except UnicodeDecodeError as e:
      problems.append(f"{path}:{number}: not UTF-8 ({e.reason} at byte {e.start})")


def read_labels(folder: str) -> tuple[list[tuple[str, str, str]], list[str]]:
  """[(image path, text, where)] and the list of problems found in the label files."""
  problems, entries = [], []
  tsv = os.path.join(folder, "labels.tsv")
  if os.path.exists(tsv):
    for number, line in _decode_lines(tsv, problems):
      if not line.strip():
        continue  # blank lines (e.g. a trailing newline) carry nothing
      path, tab, text = line.partition("\t")
      if not tab:
        problems.append(f"{tsv}:{number}: no TAB between path and text")
        continue
      entries.append((os.path.join(folder, path), text, f"{tsv}:{number}"))
  else:
    for name in sorted(os.listdir(folder)):
      if not name.endswith(".gt.txt"):
        continue
      gt = os.path.join(folder, name)
      stem = gt[:-len(".gt.txt")]
      image = next((stem + e for e in preprocess.IMAGE_EXTENSIONS
                    if os.path.exists(stem + e)), None)
      lines = [t for _, t in _decode_lines(gt, problems)]
      text = "\n".join(lines).strip("\n")
      entries.append((image or stem + ".png", text, gt))
    if not entries:
      raise FolderDatasetError(f"{folder}: neither labels.tsv nor any *.gt.txt file")
  kept, seen = [], {}
  for path, text, where in entries:
    key = os.path.normpath(path)
    if key in seen:
      problems.append(f"{where}: duplicate image path {path!r} (first at {seen[key]})")
    elif not text.strip():
      problems.append(f"{where}: {'empty' if not text else 'blank (only spaces)'} label "
                      f"for {os.path.basename(path)!r}")
    elif "\n" in text:
      problems.append(f"{where}: label spans several lines")
    else:
      seen[key] = where
      kept.append((path, text, where))
  return kept, problems


def _split_of(folder: str, path: str, cfg: LineFolderConfig, lists) -> str | None:
  rel = os.path.relpath(path, folder)
  if lists is not None:
    return "train" if rel in lists["train"] else (
        "validation" if rel in lists["validation"] else None)
  digest = hashlib.sha1(f"{cfg.seed}:{rel}".encode()).digest()
  return "validation" if int.from_bytes(digest[:8], "big") / 2**64 < cfg.val_fraction \
      else "train"


def scan(cfg: LineFolderConfig):
  """Reads and checks everything: ({split: [(key, png, text)]}, problems)."""
  folder = cfg.folder
  entries, problems = read_labels(folder)
  lists = None
  if all(os.path.exists(os.path.join(folder, f"{s}.txt")) for s in ("train", "validation")):
    lists = {s: {os.path.normpath(t.strip()) for _, t in _decode_lines(
        os.path.join(folder, f"{s}.txt"), problems) if t.strip()}
             for s in ("train", "validation")}
  splits = {"train": [], "validation": []}
  for path, text, where in entries:
    split = _split_of(folder, path, cfg, lists)
    if split is None:
      continue  # listed in neither train.txt nor validation.txt
    try:
      grey = preprocess.resize_to_height(preprocess.load_image(path), cfg.height)
    except preprocess.ImageError as e:
      problems.append(f"{where}: {os.path.relpath(path, folder)}: {e}")
      continue
    splits[split].append((os.path.relpath(path, folder), preprocess.encode_png(grey), text))
  return splits, problems


class LineFolder(tfds.core.GeneratorBasedBuilder):
  """Labelled line images from a local folder (labels.tsv or tesstrain *.gt.txt pairs)."""

  VERSION = tfds.core.Version("1.0.0")
  BUILDER_CONFIGS = [LineFolderConfig(name="unset")]

  def _info(self) -> tfds.core.DatasetInfo:
    return tfds.core.DatasetInfo(
        builder=self,
        description=__doc__,
        features=preprocess.line_features(self.builder_config.height,
                                          path=tfds.features.Text()),
        supervised_keys=("image", "text"),
        metadata=tfds.core.MetadataDict(),
    )

  def _split_generators(self, dl_manager):
    del dl_manager
    cfg = self.builder_config
    if not cfg.folder:
      raise FolderDatasetError("line_folder needs config.data.folder")
    splits, problems = scan(cfg)
    if problems and cfg.on_error == "stop":
      raise FolderDatasetError(
          f"{len(problems)} problem(s) in {cfg.folder} (fix them, or set "
          f"config.data.on_error='skip' to leave those lines out):\n  " +
          "\n  ".join(problems))
    if problems:
      logging.warning("Skipping %d line(s) of %s:\n  %s", len(problems), cfg.folder,
                      "\n  ".join(problems))
    for name, examples in splits.items():
      if not examples:
        raise FolderDatasetError(f"{cfg.folder}: no usable lines for the {name} split")
    train_chars = sorted({c for _, _, text in splits["train"] for c in text})
    self.info.metadata["charset"] = "".join(train_chars)
    self.info.metadata["skipped"] = problems
    self.info.metadata["num_skipped"] = len(problems)
    return {name: self._generate_examples(examples) for name, examples in splits.items()}

  def _generate_examples(self, examples):
    for rel, png, text in examples:
      yield rel, {"image": png, "text": text, "path": rel}


def write_folder(folder: str, splits: dict) -> None:
  """Writes {split: [(file name, uint8 image, text)]} as a folder this builder reads:
  the images, labels.tsv, and one `<split>.txt` list per split."""
  os.makedirs(folder, exist_ok=True)
  rows = []
  for split, examples in splits.items():
    for name, image, text in examples:
      Image.fromarray(image).save(os.path.join(folder, name))
      rows.append(f"{name}\t{text}")
    with open(os.path.join(folder, f"{split}.txt"), "w", encoding="utf-8") as f:
      f.write("\n".join(name for name, _, _ in examples) + "\n")
  with open(os.path.join(folder, "labels.tsv"), "w", encoding="utf-8") as f:
    f.write("\n".join(rows) + "\n")


def builder(data_config, data_dir: str) -> LineFolder:
  cfg = config_for(data_config.folder, height=data_config.height,
                   val_fraction=data_config.get("val_fraction", 0.1),
                   seed=data_config.get("split_seed", 0),
                   on_error=data_config.get("on_error", "stop"))
  return LineFolder(config=cfg, data_dir=data_dir)
