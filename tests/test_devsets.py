"""The development sets: Ghostscript typesetting, print/scan/camera effects, a segmenter of
their own, size bands; and compare's per-band rows."""
import argparse
import os

import numpy as np
import pytest

from ocr_jax import compare
from ocr_jax import metrics
from ocr_jax.data import devsets
from ocr_jax.data import render
from ocr_jax.data import testsets


@pytest.fixture(scope="module")
def dev_root(tmp_path_factory):
  try:
    devsets.check_requirements()
  except devsets.DevSetError as e:
    pytest.skip(f"{e} (.ci/run installs them from Debian)")
  root = tmp_path_factory.mktemp("devsets")
  for name in ("clean", "scanned", "tight"):
    assert devsets.make_set(str(root), name, 12, devsets.SEED) == 12
  return root


def test_sets_hold_labelled_lines_with_sizes(dev_root):
  for name in ("clean", "scanned", "tight"):
    folder = os.path.join(dev_root, name)
    rows = testsets.read_labels(folder)
    sizes = devsets.read_sizes(folder)
    assert len(rows) == 12 and set(sizes) == {n for n, _ in rows}
    for file, text in rows:
      assert text.strip() and os.path.getsize(os.path.join(folder, file)) > 100
    assert all(4 <= px <= 200 for px in sizes.values())
  text = " ".join(t for _, t in testsets.read_labels(os.path.join(dev_root, "clean")))
  assert not any(w in text for w in ("LORD", "thee", "hacker"))  # not the training prose


def test_labels_say_what_the_pixels_show(dev_root):
  """A peer engine that never saw our code reads the clean and scanned lines as labelled:
  the typesetting, the page coordinates and the segmenter agree."""
  engine = compare.make_engine("rapidocr:1", argparse.Namespace(threads=1))
  for name, bound in (("clean", 0.05), ("scanned", 0.12)):
    names, greys, refs = compare.load_set(os.path.join(dev_root, name))
    hyps = [compare.normalize(t) for t in engine.read(greys)]
    assert metrics.cer(refs, hyps) < bound, (name, list(zip(refs, hyps)))


def test_same_seed_same_lines(dev_root, tmp_path):
  devsets.make_set(str(tmp_path), "tight", 12, devsets.SEED)
  a = testsets.read_labels(os.path.join(dev_root, "tight"))
  assert testsets.read_labels(os.path.join(tmp_path, "tight")) == a
  first = a[0][0]
  assert (open(os.path.join(dev_root, "tight", first), "rb").read() ==
          open(os.path.join(tmp_path, "tight", first), "rb").read())


def test_no_dev_face_or_text_trains():
  train = set(render.TRAIN_FONTS + render.MORE_TRAIN_FONTS + render.SYSTEM_TRAIN_FONTS
              + render.WIDE_TRAIN_FONTS)
  held = set(render.VALIDATION_FONTS + render.TEST_FONTS)
  names = {os.path.basename(f) for f in devsets.DEV_FONTS}
  assert not names & {os.path.basename(f) for f in train | held}
  assert os.path.basename(devsets.TEXT_FILE) not in render.PROSE_FILES


def test_size_bands_and_typographic_marks():
  assert [devsets.size_band(px) for px in (8, 12.4, 13, 20, 21, 32, 33, 90)] == [
      "<= 12 px", "<= 12 px", "13-20 px", "13-20 px", "21-32 px", "21-32 px", "> 32 px",
      "> 32 px"]
  rng = np.random.default_rng(0)
  assert compare.normalize(devsets.typographic('a "b" c\'s - d', rng)) == 'a "b" c\'s - d'


def test_sets_of_the_same_folder_name_keep_apart():
  assert compare.set_names(["/a/dev/clean", "/b/test/clean/", "/c/crops"]) == {
      "/a/dev/clean": "dev/clean", "/b/test/clean/": "test/clean", "/c/crops": "crops"}


def test_compare_adds_a_row_per_size_band(tmp_path):
  folder = tmp_path / "set"
  folder.mkdir()
  (folder / "sizes.tsv").write_text("a.png\t10\nb.png\t40\nc.png\t41.5\n")
  bands = compare.size_bands(str(folder), ["c.png", "a.png", "b.png", "zz.png"])
  assert bands == {"<= 12 px": [1], "> 32 px": [0, 2]}
  assert compare.size_bands(str(tmp_path), ["a.png"]) == {}
