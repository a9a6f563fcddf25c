"""Korean print: the charset of real Korean text, the training lines (prose, words, marks,
scene text in Debian's Korean faces), and development sets that share nothing with them."""
import argparse
import os

import numpy as np
import pytest
from PIL import Image

from ocr_jax import charset as charset_lib
from ocr_jax import compare
from ocr_jax import metrics
from ocr_jax.data import devsets
from ocr_jax.data import devsets_korean
from ocr_jax.data import pipeline
from ocr_jax.data import render
from ocr_jax.data import synth_text
from ocr_jax.data import testsets
from tests.test_train import quick_config

# The faces that are test-only for everyone (the brief): no split and no dev set reads them.
TEST_ONLY_FAMILIES = ("unfonts", "baekmuk", "noto", "Un")


@pytest.fixture(scope="module")
def charset():
  return charset_lib.get_charset("korean_print")


@pytest.fixture(scope="module")
def korean_faces():
  try:
    render.check_korean_fonts()
  except FileNotFoundError as e:
    pytest.skip(f"{e} (.ci/run installs them)")


def test_charset_writes_korean_as_it_is_printed(charset):
  symbols = set(charset.symbols)
  assert set(render.hangul_2350()) <= symbols and set(charset_lib.PRINTABLE_ASCII) <= symbols
  assert set("ㄱㅎㅏㅣㆍ·「」『』※①⑮“”‘’—℃㎏₩") <= symbols
  line = "제10조의2(기록) ① “GIMP 2.10” 설치 → 3.5㎏, ₩12,000 · ※ e-mail: a@b.kr"
  assert charset.decode(charset.encode(line)) == line
  assert "～∼․｢｣".translate(charset_lib.KOREAN_FOLD) == "~~·「」"
  assert not charset.unknown_symbols("～∼".translate(charset_lib.KOREAN_FOLD))
  with pytest.raises(charset_lib.UnknownSymbolError, match="'憲'"):
    charset.encode("대한민국 憲法")


def test_training_text_is_korean_prose_words_and_marks(charset, korean_faces):
  rng = np.random.default_rng(0)
  lines = [render.sample_korean_print(rng, "train", 24) for _ in range(400)]
  assert all(charset.encode(t) and len(t) <= 24 for t in lines)
  joined = "".join(lines)
  assert sum(c in render.hangul_2350() for c in joined) > 0.5 * len(joined)
  assert any(c.isascii() and c.isalpha() for c in joined)  # English words among the Korean
  assert any(c.isdigit() for c in joined)
  validation = set(render.korean_prose("validation"))
  assert validation and not validation & set(render.korean_prose("train"))
  dev = set(devsets_korean.load_text())
  assert not dev & (validation | set(render.korean_prose("train")))


def test_korean_print_more_draws_training_lines_from_more_prose(charset, korean_faces):
  """Its validation lines are korean_print's; its training prose adds LibreOffice's help
  (training part only), every character of it in the charset, none of it development text."""
  configs = {c.name: c for c in synth_text.SynthText.BUILDER_CONFIGS}
  more, more2, base = (configs[n] for n in ("korean_print_more", "korean_print_more2",
                                              "korean_print"))
  assert more2.extra_prose == more.extra_prose
  a, b, c = (synth_text.render_example(c, "validation", 4) for c in (more, more2, base))
  assert a["text"] == b["text"] == c["text"] and a["image"] == b["image"] == c["image"]
  train = [synth_text.render_example(c, "train", 4)["text"] for c in (more, more2, base)]
  assert len(set(train)) == 3  # three draws
  train = render.korean_prose("train", more.extra_prose)
  added = set(train) - set(render.korean_prose("train"))
  assert len(added) > 5 * len(render.korean_prose("train"))
  assert render.korean_prose("validation", more.extra_prose) == render.korean_prose("validation")
  assert not set(render.korean_prose("validation")) & added
  assert not set(devsets_korean.load_text()) & added
  assert not charset.unknown_symbols("".join(added))


def test_korean_print_official_draws_official_marks_and_justified_gaps(charset, korean_faces,
                                                                      monkeypatch):
  """A quarter of its training lines carry circled numerals, ㆍ lists or leaders (labels in
  the charset), a quarter are drawn with wide word gaps (labels keep one space); its
  validation lines are korean_print's."""
  rng = np.random.default_rng(0)
  marked = [render.official_marks(rng, "지역을 관할하는 시장 군수 구청장은 다음 각 호", 24)
            for _ in range(200)]
  assert all(len(t) <= 24 for t in marked) and not charset.unknown_symbols("".join(marked))
  assert sum(t[0] in render._CIRCLED for t in marked) > 20
  assert sum("시장\u318d군수" in t or "군수\u318d구청장은" in t for t in marked) > 20
  assert sum("-" * 4 in t or "." * 4 in t or "\u00b7" * 4 in t for t in marked) > 20
  configs = {c.name: c for c in synth_text.SynthText.BUILDER_CONFIGS}
  official, base = configs["korean_print_official"], configs["korean_print"]
  a, b = (synth_text.render_example(c, "validation", 4) for c in (official, base))
  assert a["text"] == b["text"] and a["image"] == b["image"]
  drawn, render_line = [], render.render_line
  monkeypatch.setattr(render, "render_line",
                      lambda text, *args, **kw: drawn.append(text) or render_line(text, *args,
                                                                                  **kw))
  texts = [synth_text.render_example(official, "train", i)["text"] for i in range(48)]
  joined = "".join(texts)
  assert not charset.unknown_symbols(joined) and not any("  " in t for t in texts)
  assert any(c in joined for c in render._CIRCLED) and "\u318d" in joined
  assert any("  " in d for d in drawn)


def test_hue_only_scene_lines_are_turned_grey_as_the_readers_do(korean_faces, monkeypatch):
  """`hue` draws text that differs from its ground by hue (luminances < 70 apart) and turns
  it grey with preprocess.to_grey: legible where luminance alone would lose the ink."""
  rng = np.random.default_rng(0)
  pairs = [render._colour_pair(rng, hue=True) for _ in range(50)]
  luma = lambda c: np.asarray(Image.new("RGB", (1, 1), c).convert("L"), float)[0, 0]
  assert all(abs(luma(a) - luma(b)) < 72 and np.linalg.norm(np.subtract(a, b)) >= 150
             for a, b in pairs)
  font = render.KOREAN_PRINT_TRAIN_FONTS[0]

  def scores():
    return [render.legibility(*render.render_scene("간판 글씨 ABC 123", font,
                                                   np.random.default_rng(s), hue=1.0))
            for s in range(12)]

  read = scores()
  monkeypatch.setattr(render.preprocess, "to_grey", lambda img: np.asarray(img.convert("L")))
  luminance = scores()
  assert min(read) >= render.MIN_LEGIBILITY and np.median(read) > 8
  assert np.median(luminance) < 3
  configs = {c.name: c for c in synth_text.SynthText.BUILDER_CONFIGS}
  official2, base = configs["korean_print_official2"], configs["korean_print"]
  a, b = (synth_text.render_example(c, "validation", 7) for c in (official2, base))
  assert a["text"] == b["text"] and a["image"] == b["image"]


def test_scene_lines_are_dark_on_light_and_legible(korean_faces):
  font = render.KOREAN_PRINT_TRAIN_FONTS[0]
  for seed in range(6):
    grey, reference = render.render_scene("간판 글씨 ABC 123", font, np.random.default_rng(seed))
    assert grey.shape[0] == 32 and grey.shape == reference.shape and grey.dtype == np.uint8
    ink = reference < 128
    assert np.median(grey[ink]) < np.median(grey[~ink])  # as the readers see it


def test_korean_print_split_faces(tmp_path, charset, korean_faces):
  config = quick_config(str(tmp_path))
  config.data.builder_config = "korean_print_quick"
  pipeline.prepare(config.data)
  fonts = {}
  for split in ("train", "validation"):
    s = pipeline.Split(config.data, split)
    fonts[split] = {s.source[i]["font"].decode() for i in range(len(s))}
    assert all(charset.encode(s.text(i)) for i in range(len(s)))
    assert all(np.asarray(s.example(i)["image"]).shape[0] == 32 for i in range(4))
  assert fonts["validation"] <= set(render.KOREAN_PRINT_VALIDATION_FONTS)
  assert not fonts["train"] & fonts["validation"] and len(fonts["train"]) > 20
  used = fonts["train"] | fonts["validation"]
  assert not used & set(devsets_korean.DEV_FONTS)
  assert not any(f in path for path in used | set(devsets_korean.DEV_FONTS)
                 for f in TEST_ONLY_FAMILIES)


@pytest.fixture(scope="module")
def dev_root(tmp_path_factory):
  try:
    devsets_korean.check_requirements()
  except devsets.DevSetError as e:
    pytest.skip(f"{e} (.ci/run installs them)")
  root = tmp_path_factory.mktemp("devsets_ko")
  assert devsets_korean.make_document(str(root), 16, devsets_korean.SEED) == 16
  assert devsets_korean.make_scene(str(root), 8, devsets_korean.SEED) == 8
  return root


def test_dev_sets_hold_labelled_lines(dev_root, charset):
  for name in devsets_korean.SETS:
    folder = os.path.join(dev_root, name)
    rows = testsets.read_labels(folder)
    assert set(devsets.read_sizes(folder)) == {f for f, _ in rows}
    assert all(charset.encode(t) for _, t in rows)
  _, greys, _ = compare.load_set(os.path.join(dev_root, "scene"))
  assert len(greys) == 8


def test_dev_labels_say_what_the_pixels_show(dev_root):
  """Tesseract's Korean model, which never saw our code, reads the document lines about as
  labelled: the typesetting, the page coordinates and the segmenter agree."""
  try:
    engine = compare.make_engine("tesseract:1", argparse.Namespace(threads=1, lang="kor"))
  except compare.EngineUnavailable as e:
    pytest.skip(f"{e} (.ci/run installs it)")
  _, greys, refs = compare.load_set(os.path.join(dev_root, "document"))
  hyps = [compare.normalize(t) for t in engine.read(greys)]
  assert metrics.cer(refs, hyps) < 0.2, list(zip(refs, hyps))


def test_released_korean_model_reads_dev_lines_by_name(dev_root):
  """The released model, picked by name, reads lines it never saw (Skia, unseen faces, legal
  text) far better than chance, colour scene crops included; a line with characters outside
  its charset (Hanja) gets its best reading, not an error."""
  import ocr_jax  # pylint: disable=import-outside-toplevel
  rows = testsets.read_labels(os.path.join(dev_root, "document"))
  paths = [os.path.join(dev_root, "document", f) for f, _ in rows]
  readings = ocr_jax.read_text(paths, model="korean", layout="line")
  refs = [compare.normalize(t) for _, t in rows]
  greedy = metrics.cer(refs, [compare.normalize(r.text) for r in readings])
  assert greedy < 0.25
  # Its character language model, by the model's name: legal prose it never counted is read
  # at least about as well (leg 7 on the 300 dev document lines: 5.77 against 6.55 %).
  readings = ocr_jax.read_text(paths, model="korean", layout="line", decoder="lm")
  assert metrics.cer(refs, [compare.normalize(r.text) for r in readings]) <= greedy + 0.01
  scene = testsets.read_labels(os.path.join(dev_root, "scene"))
  readings = ocr_jax.read_text([os.path.join(dev_root, "scene", f) for f, _ in scene],
                               model="korean", layout="line")
  assert all(r.error is None for r in readings)
  assert metrics.cer([compare.normalize(t) for _, t in scene],
                     [compare.normalize(r.text) for r in readings]) < 0.4
  hanja = render.render_line("大韓民國 헌법 제1조", render.KOREAN_PRINT_TRAIN_FONTS[4],
                             np.random.default_rng(0), augment=False)
  (reading,) = ocr_jax.read_text([hanja], model="korean", layout="line")
  assert reading.error is None and reading.text.endswith("법 제1조")  # Hanja: a best guess
