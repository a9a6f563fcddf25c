"""Page reading (deskew, line split, order), decoders, the comparison harness, the release
format, and the committed corpus of bad inputs given to `read` and `compare`."""
import argparse
import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest
from PIL import Image

import ocr_jax
from conftest import REPO, TEXTS
from ocr_jax import charlm
from ocr_jax import cli
from ocr_jax import compare
from ocr_jax import decoding
from ocr_jax import inference
from ocr_jax import metrics
from ocr_jax import model_state
from ocr_jax import page
from ocr_jax import release
from ocr_jax.data import preprocess
from ocr_jax.data import render
from ocr_jax.data import testsets

BAD = os.path.join(REPO, "tests", "data", "bad_inputs")


def _expected():
  rows = dict(testsets.read_labels(BAD))  # labels.tsv: every file should say TEXTS[0]
  with open(os.path.join(BAD, "expected.tsv"), encoding="utf-8") as f:
    expected = dict(line.rstrip("\n").split("\t") for line in f if line.strip())
  assert set(rows) == set(expected)
  return expected


def test_bad_input_corpus_is_complete():
  expected = _expected()
  files = set(os.listdir(BAD)) - {"expected.tsv", "labels.tsv"}
  assert files == set(expected) and len(files) >= 20
  kinds = {e.split(":")[0] for e in expected.values()}
  assert kinds == {"text", "result", "error"}


def _page_of(lines, angle: float, gap: int = 14) -> np.ndarray:
  """Stacks line images into a one-column page with margins, then rotates it."""
  width = max(x.shape[1] for x in lines) + 80
  rows = [np.full((30, width), 255, np.uint8)]
  for x in lines:
    row = np.full((x.shape[0], width), 255, np.uint8)
    row[:, 40:40 + x.shape[1]] = x
    rows += [row, np.full((gap, width), 255, np.uint8)]
  rows.append(np.full((30, width), 255, np.uint8))
  img = Image.fromarray(np.concatenate(rows)).rotate(angle, resample=Image.BILINEAR,
                                                    expand=True, fillcolor=255)
  return np.asarray(img)


def test_skew_estimate_and_line_split_on_a_rendered_page():
  rng = np.random.default_rng(3)
  grey, lines, _, straight, angle = testsets.render_page(
      rng, "LiberationSerif-Regular.ttf", width=1200, size=30, num_lines=9)
  assert abs(angle) > 0.5  # this seed gives a visible skew
  # Deskewing rotates back: the estimate is the opposite of the page's rotation.
  assert abs(page.estimate_skew(grey) + angle) <= 0.2
  assert abs(page.estimate_skew(np.asarray(straight))) <= 0.15
  layout = page.segment(grey)
  assert len(layout.boxes) == len(lines) == 9
  tops = [b[1] for b in layout.boxes]
  assert tops == sorted(tops)  # reading order
  assert all(b[2] - b[0] > 200 for b in layout.boxes[:-1])
  # Rotating the deskewed page back by the estimate undoes the skew: its estimate is ~0.
  assert abs(page.estimate_skew(layout.grey)) <= 0.2


def test_row_closing_matches_scipy_bit_for_bit():
  from scipy import ndimage  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(4)
  for reach in (3, 4, 17, 48):  # odd and even lengths place the origin differently
    mask = rng.random((9, 200)) < 0.15
    want = ndimage.binary_closing(mask, structure=np.ones((1, reach)))
    assert np.array_equal(page.close_rows(mask, reach), want)
    assert (want & ~mask).any()  # gaps were closed


def test_photographed_page_is_flattened_and_cut_line_by_line():
  """A page as a camera sees it (testsets.photograph: keystone, uneven light, the table past
  its edges): flattening evens out the paper, and the lines, which one rotation cannot
  level, are found one by one in order, where the row profile alone sees one block."""
  rng = np.random.default_rng(5)
  _, lines, _, clean, _ = testsets.render_page(
      rng, "LiberationSerif-Regular.ttf", width=1200, size=30, num_lines=9)
  photo = testsets.photograph(clean, rng)
  h, w = photo.shape
  quarters = lambda a: [np.percentile(a[y:y + h // 2, x:x + w // 2], 90)  # noqa: E731
                        for y in (0, h // 2) for x in (0, w // 2)]
  assert np.ptp(quarters(photo)) > 25  # unevenly lit paper
  assert np.ptp(quarters(page.flatten(photo))) <= 5
  assert page.looks_like_page(photo)
  layout = page.segment(photo)
  assert len(layout.lines) == len(lines) == 9
  centres = [(l.top + l.bottom) / 2 for l in layout.lines]
  assert centres == sorted(centres)
  assert len(page.find_lines(page.rotate(photo, page.estimate_skew(photo)))) < 9
  crops = page.crops(layout)
  assert all(c.shape[0] < 3 * 30 and c.shape[1] > 100 and (c < 128).any() for c in crops[:-1])


def test_line_images_are_not_taken_for_pages():
  """`read --layout auto` keeps a line image whole, also when its neighbours' strokes show
  at its edges (the degraded print profile draws them)."""
  rng = np.random.default_rng(11)
  for i in range(12):
    text = render.sample_text(rng, "validation", 50)
    for grey in (testsets.clean_line(text, render.TEST_FONTS[i % 8], rng),
                 testsets.degraded_line(text, render.TEST_FONTS[i % 8], rng)):
      assert not page.looks_like_page(grey), i


def test_released_model_reads_a_real_photographed_page():
  """scikit-image's page.png (third_party/scikit-image): a real camera image, unevenly lit,
  text 9 px high. Its seven lines in order; the bound is a regression guard (7.0 % when
  written, most of it a line cut by the image's edge that is read as noise)."""
  folder = os.path.join(REPO, "third_party", "scikit-image")
  grey = np.asarray(Image.open(os.path.join(folder, "page_000.png")).convert("L"))
  with open(os.path.join(folder, "page_000.gt.txt"), encoding="utf-8") as f:
    ref = compare.normalize(f.read().strip())
  rec = inference.Recognizer.from_checkpoint(ocr_jax.ENGLISH_MODEL)
  layout, results = rec.read_layouts([grey])[0]  # layout 'auto'
  hyp = compare.normalize("\n".join(r.text for r in results))
  assert results[1].text == "Let us first determine markers of the coins and the"
  assert metrics.cer([ref], [hyp]) < 0.12, hyp


def test_released_model_reads_crops_with_a_lines_height_of_paper_around_them():
  """Line crops from other segmenters: a line's height of paper above and below and more
  at the sides (unseen faces). Read through preprocess.fit_margins as the released model's
  config asks; without it the same crops read as noise (the text shrinks to a third)."""
  rng = np.random.default_rng(3)
  texts = ["the markers are found at the two extreme parts", "Total: $1,234.50 (paid)"]
  crops = []
  for text, font in zip(texts, render.TEST_FONTS[1::3]):
    grey = testsets.clean_line(text, font, rng)
    h = grey.shape[0]
    crops.append(np.pad(grey, ((h, h), (2 * h, 2 * h)), constant_values=255))
  rec = inference.Recognizer.from_checkpoint(ocr_jax.ENGLISH_MODEL)
  assert rec.margins is not None
  assert metrics.cer(texts, [r.text for r in rec.read_arrays(crops)]) < 0.05
  rec.margins = None
  assert metrics.cer(texts, [r.text for r in rec.read_arrays(crops)]) > 0.3


def _ink_thumb(grey: np.ndarray) -> np.ndarray:
  ys, xs = np.nonzero(grey < 128)
  box = grey[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
  return np.asarray(Image.fromarray(box).resize((120, 16), Image.BILINEAR), np.float32)


def test_page_is_read_in_order_through_the_cli(overfit_model, tmp_path, capsys, monkeypatch):
  """Layout, order and output format of page reading. The overfit model knows only its 8
  exact images (any re-crop confuses it), so the recognizer here is an oracle that names the
  crop's line by matching its ink against the 8 originals: a wrong, cut or merged crop makes
  it answer wrongly. Reading real pages with a real model is measured by `compare --pages`."""
  workdir, img_dir, _ = overfit_model
  lines = [np.asarray(Image.open(img_dir / f"line{i}.png")) for i in range(8)]
  Image.fromarray(_page_of(lines, 1.5)).save(tmp_path / "page.png")
  thumbs = [_ink_thumb(x) for x in lines]

  def oracle(self, greys, checked=False):
    del self, checked
    out = []
    for g in greys:
      k = int(np.argmin([np.abs(_ink_thumb(g) - t).mean() for t in thumbs]))
      out.append(inference.Result(TEXTS[k], 0.9, [0.9] * len(TEXTS[k])))
    return out

  monkeypatch.setattr(inference.Recognizer, "read_arrays", oracle)
  assert cli.main(["read", "--model", workdir, str(tmp_path / "page.png")]) == 0
  assert capsys.readouterr().out.splitlines() == list(TEXTS)
  assert cli.main(["read", "--model", workdir, "--json", str(tmp_path / "page.png")]) == 0
  out = json.loads(capsys.readouterr().out)
  assert [l["text"] for l in out["lines"]] == list(TEXTS)
  assert abs(out["deskew_degrees"] + 1.5) <= 0.3
  boxes = [l["box"] for l in out["lines"]]
  assert all(b1[1] >= b0[3] for b0, b1 in zip(boxes, boxes[1:]))  # disjoint, top to bottom
  assert all(0 < l["confidence"] <= 1 for l in out["lines"])


def test_beam_search_finds_what_greedy_misses():
  # Two frames, each: blank 0.4, 'a' 0.35, 'b' 0.25. Greedy reads "" (p = 0.16); the prefix
  # "a" sums aa + a- + -a = 0.4025 and wins the beam.
  probs = np.tile([0.4, 0.35, 0.25], (2, 1))
  chars = {1: "a", 2: "b"}.get
  greedy = decoding.collapse(probs.argmax(1), probs.max(1), 2)
  assert greedy.ids == []
  beam = decoding.beam_search(np.log(probs), 2, chars, beam_width=4)
  assert beam.ids == [1]
  assert beam.char_confidences == [pytest.approx(0.35)]


def test_word_list_rescoring_prefers_known_words():
  # Frames spell c-?-t where '?' is 'o' (0.55) or 'a' (0.45): greedy and plain beam read "cot";
  # with a word list holding "cat", the rescored beam reads "cat".
  ids = {" ": 1, "a": 2, "c": 3, "o": 4, "t": 5}
  chars = {v: k for k, v in ids.items()}.get
  probs = np.full((5, 6), 1e-4)
  for t, row in enumerate([{"c": 1.0}, {"o": 0.55, "a": 0.45}, {"t": 1.0}, {" ": 1.0},
                           {"c": 1.0}]):
    for ch, p in row.items():
      probs[t, ids[ch]] = p
  probs /= probs.sum(1, keepdims=True)
  text = lambda d: "".join(chars(i) for i in d.ids)  # pylint: disable=unnecessary-lambda-assignment
  assert text(decoding.beam_search(np.log(probs), 5, chars)) == "cot c"
  lexicon = decoding.Lexicon(frozenset({"cat", "c"}))
  d = decoding.beam_search(np.log(probs), 5, chars, scorer=lexicon)
  assert text(d) == "cat c"
  assert d.char_confidences[1] == pytest.approx(0.45, abs=1e-3)
  assert d.confidence == pytest.approx(min(d.char_confidences))


def test_char_lm_is_a_distribution_that_survives_saving(tmp_path):
  texts = ["the cat sat on the mat", "a cat and a hat", "that is that"] * 3
  lm = charlm.CharLM.build(texts, order=4, min_count=2)
  chars = sorted(set("".join(texts))) + [charlm.END]
  for history in (charlm.START * 3, "\x02th", " ca", "zzz", "e m"):
    assert sum(lm.prob(history, c) for c in chars) == pytest.approx(1.0), history
  assert lm.prob(" ca", "t") > 0.5 > lm.prob(" ca", "o") > 0  # seen, unseen: never zero
  assert lm.log_prob("the cat") > lm.log_prob("the cot")
  # The beam search's view: class ids, the last three characters as history.
  ids = {ch: i + 1 for i, ch in enumerate(chars[:-1])}
  id_to_char = {i: ch for ch, i in ids.items()}.get
  for text in ("", "t", "th", "the", "the c"):
    history = (charlm.START * 3 + text)[-3:]
    prefix = tuple(ids[ch] for ch in text)
    assert lm.extend(prefix, ids["a"], id_to_char) == pytest.approx(
        lm.weight * math.log(lm.prob(history, "a"))), text
    assert lm.finish(prefix, id_to_char) == pytest.approx(
        lm.weight * math.log(lm.prob(history, charlm.END))), text
  lm.trust = 0.9
  lm.save(str(tmp_path / "lm.json.gz"))
  header = (tmp_path / "lm.json.gz").read_bytes()[:10]  # no time, no name: a re-release
  assert header[4:8] == bytes(4) and not header[3] & 0x08  # changes nothing in git
  back = charlm.CharLM.load(str(tmp_path / "lm.json.gz"), weight=0.7)
  assert back.weight == 0.7 and back.order == 4 and back.trust == 0.9
  assert back.prob("e m", "a") == lm.prob("e m", "a")
  (tmp_path / "bad.json.gz").write_bytes(__import__("gzip").compress(b'{"counts": []}'))
  with pytest.raises(ValueError, match="not a character language model"):
    charlm.CharLM.load(str(tmp_path / "bad.json.gz"))


def test_char_lm_steers_the_beam_search_to_likely_text():
  # Frames spell "the c?t" where '?' is 'o' (0.6) or 'a' (0.4): greedy and plain beam read
  # "the cot"; a language model of text where cats are common reads "the cat".
  alphabet = " acehot"
  ids = {ch: i + 1 for i, ch in enumerate(alphabet)}
  chars = {v: k for k, v in ids.items()}.get
  rows = [{c: 1.0} for c in "the c"] + [{"o": 0.6, "a": 0.4}, {"t": 1.0}]
  probs = np.full((len(rows), len(alphabet) + 1), 1e-4)
  for t, row in enumerate(rows):
    for ch, p in row.items():
      probs[t, ids[ch]] = p
  probs /= probs.sum(1, keepdims=True)
  text = lambda d: "".join(chars(i) for i in d.ids)  # pylint: disable=unnecessary-lambda-assignment
  assert text(decoding.beam_search(np.log(probs), len(rows), chars)) == "the cot"
  lm = charlm.CharLM.build(["the cat ate", "a cat", "the hat", "the cat"] * 5, order=3,
                           vocab_size=len(alphabet), weight=0.5)
  assert text(decoding.beam_search(np.log(probs), len(rows), chars, scorer=lm)) == "the cat"
  lm.weight = 0.0  # no weight: the network alone
  assert text(decoding.beam_search(np.log(probs), len(rows), chars, scorer=lm)) == "the cot"


def test_language_model_text_is_known_for_synth_text_prose_only():
  import ml_collections  # pylint: disable=import-outside-toplevel
  config = lambda name, builder: ml_collections.ConfigDict(  # pylint: disable=unnecessary-lambda-assignment
      {"data": {"name": name, "builder_config": builder}})
  language, texts = release.lm_texts(config("synth_text", "english_print_wide"))
  assert language == "english" and sum(map(len, texts)) > 4_000_000
  for name, builder in (("line_folder", ""), ("synth_text", "korean")):  # release skips these
    with pytest.raises(ValueError, match="no "):
      release.lm_texts(config(name, builder))


def test_lexicon_knows_all_words_of_a_text():
  lexicon = decoding.Lexicon(frozenset({"the", "cat", "cat's"}))
  assert lexicon.knows_all("The cat, 42: 'cat' -- the cat's!")
  assert lexicon.knows_all("") and lexicon.knows_all("1984 -- (42)")
  assert not lexicon.knows_all("the cot")
  assert not lexicon.knows_all("the cats")


def test_words_decoder_beam_searches_only_lines_it_cannot_trust(overfit_model, monkeypatch):
  workdir, img_dir, _ = overfit_model
  lines = [np.asarray(Image.open(img_dir / f"line{i}.png")) for i in range(8)]
  words = {"hello", "world", "jax", "ctc", "ok", "x", "tesseract", "a", "b", "c", "ruth",
           "quiet"}
  searched = []
  beam_search = decoding.beam_search
  monkeypatch.setattr(decoding, "beam_search",
                      lambda *a, **k: searched.append(1) or beam_search(*a, **k))
  for listed, trust, want in ((words, 0.5, 0), (words - {"quiet"}, 0.5, 1), (words, 1.5, 8)):
    rec = inference.Recognizer.from_checkpoint(
        workdir, decoder="words", lexicon=decoding.Lexicon(frozenset(listed)),
        words_trust=trust)
    searched.clear()
    results = rec.read_arrays(lines)
    assert len(searched) == want, (listed, trust)
    assert [r.text for r in results] == list(TEXTS)
    assert all(0.5 <= r.confidence <= 1.0 for r in results)


def test_released_format_and_decoders_read_the_same(overfit_model, tmp_path, capsys,
                                                   monkeypatch):
  workdir, img_dir, _ = overfit_model
  out = tmp_path / "released"
  release.release(workdir, str(out))
  size = lambda d: sum(f.stat().st_size for f in d.rglob("*") if f.is_file())  # pylint: disable=unnecessary-lambda-assignment
  # The optimizer state (Adam's two moments) is dropped: well under the training checkpoint.
  assert size(out / "checkpoints") < 0.6 * size(Path(workdir) / "checkpoints")
  # Restored as saved (no model traced for the shapes), it holds the run's very arrays.
  kept, _, _, step = model_state.load_run(str(out))
  trained, _, _, _ = model_state.load_run(workdir, step)
  assert kept.opt_state is None and int(kept.step) == int(trained.step) == step
  for got, want in ((kept.params, trained.params), (kept.batch_stats, trained.batch_stats)):
    assert jax.tree_util.tree_structure(got) == jax.tree_util.tree_structure(want)
    assert all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want)))
  words = (out / "words.txt").read_text().split()
  assert words[:3] == ["the", "and", "of"] and len(words) > 10_000
  lm = charlm.CharLM.load(str(out / charlm.LM_FILE))  # of the training prose (KJV, Jargon)
  assert lm.order == release.LM_SETTINGS["english"]["order"]
  assert lm.log_prob("And God said") > lm.log_prob("Anb Gob saib")
  lines = [np.asarray(Image.open(img_dir / f"line{i}.png")) for i in range(8)]
  for decoder in ("greedy", "beam", "words", "lm"):
    rec = inference.Recognizer.from_checkpoint(str(out), decoder=decoder,
                                               **decoding.decoder_files(decoder, str(out)))
    assert [r.text for r in rec.read_arrays(lines)] == list(TEXTS), decoder
  # The `lm` decoder beam-searches the lines it cannot trust: all of them above 1.
  searched, beam_search = [], decoding.beam_search
  monkeypatch.setattr(decoding, "beam_search",
                      lambda *a, **k: searched.append(k["scorer"]) or beam_search(*a, **k))
  assert rec.scorer.trust == release.LM_SETTINGS["english"]["trust"]
  for trust, want in ((rec.scorer.trust, 0), (1.5, 8)):
    rec.scorer.trust = trust
    searched.clear()
    assert [r.text for r in rec.read_arrays(lines)] == list(TEXTS)
    assert len(searched) == want and all(s is rec.scorer for s in searched)
  with pytest.raises(FileNotFoundError, match="no character language model"):
    decoding.decoder_files("lm", workdir)  # a training workdir has none
  assert cli.main(["read", "--model", workdir, "--decoder", "lm", str(img_dir)]) == 2
  assert "no character language model at" in capsys.readouterr().err
  assert cli.main(["read", "--model", str(out), "--decoder", "lm", str(img_dir)]) == 0
  assert [l.split("\t")[1] for l in capsys.readouterr().out.splitlines()] == list(TEXTS)
  every = compare.OcrJax("words-all", str(out), beam_width=8)  # the comparison's engine
  assert every.name == "ocr_jax:words-all" and every.recognizer.words_trust == float("inf")
  assert every.read(lines) == list(TEXTS)
  with pytest.raises(ValueError, match="unknown decoder"):
    inference.Recognizer.from_checkpoint(str(out), decoder="viterbi")


def test_compare_writes_reports_and_survives_bad_inputs(overfit_model, tmp_path, monkeypatch,
                                                        capsys):
  workdir, img_dir, _ = overfit_model
  data = tmp_path / "lines"
  data.mkdir()
  rows = []
  for i, t in enumerate(TEXTS):
    (data / f"line{i}.png").write_bytes((img_dir / f"line{i}.png").read_bytes())
    rows.append((f"line{i}.png", t))
  (data / "empty.png").write_bytes(b"")
  rows.append(("empty.png", "nothing"))
  testsets.write_labels(str(data), rows)
  # No tessdata anywhere: the Tesseract engine is skipped with a message, not a crash.
  monkeypatch.setattr(compare, "TESSDATA_DIRS", ())
  monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
  out = tmp_path / "report"
  code = compare.main(["--data", str(data), BAD, "--engines", "ocr_jax,ocr_jax:beam,tesseract",
                       "--model", workdir, "--out", str(out)])
  log = capsys.readouterr().err
  assert code == 0, log
  assert "skipping engine tesseract" in log
  assert f"error: {data / 'empty.png'}: empty file" in log
  expected = _expected()
  for name, e in expected.items():  # every unreadable corpus file is named once, one line
    if e.startswith("error:") and "too wide" not in e:
      hits = [l for l in log.splitlines() if name in l]
      assert len(hits) == 1 and e[6:] in hits[0], (name, hits)
  with open(f"{out}.csv", encoding="utf-8") as f:
    table = list(csv.DictReader(f))
  assert [(r["set"], r["engine"]) for r in table] == [
      ("lines", "ocr_jax"), ("lines", "ocr_jax:beam"),
      ("bad_inputs", "ocr_jax"), ("bad_inputs", "ocr_jax:beam")]
  assert float(table[0]["cer"]) == 0.0 and int(table[0]["lines"]) == 8
  readable = sum(not e.startswith("error:") for e in expected.values())
  assert int(table[2]["lines"]) == readable  # the readable ones are all scored
  assert "| lines | ocr_jax |" in open(f"{out}.md", encoding="utf-8").read()
  assert os.path.getsize(f"{out}.png") > 1000


def test_timed_passes_of_the_engines_take_turns():
  """compare.measure_engines warms every engine up, then interleaves their timed passes, so
  a drift of the machine's speed reaches every engine; each scores its own reading."""
  calls = []

  class Echo:
    def __init__(self, name, suffix):
      self.name, self.suffix = name, suffix

    def read(self, greys):
      calls.append(self.name)
      return [f"line {i}{self.suffix}" for i in range(len(greys))]

  refs = ["line 0", "line 1"]
  exact, wrong = compare.measure_engines([Echo("a", ""), Echo("b", "x")], [None, None], refs,
                                         repeats=3)
  assert calls == ["a", "b"] + ["a", "b"] * 3
  assert exact["cer"] == 0 and wrong["cer"] > 0 and wrong["hyps"] == ["line 0x", "line 1x"]
  assert exact["lines_per_s"] > 0 and wrong["lines_per_s"] > 0


def test_whole_pages_are_timed_and_scored_as_pages():
  """With pages=True the engines read with read_pages (warm-up, then interleaved passes)
  and each page is scored as its lines joined by newlines; lines/s counts the references'
  lines."""
  calls = []

  class Pages:
    def __init__(self, name, lines):
      self.name, self.lines = name, lines

    def read_pages(self, greys):
      calls.append(self.name)
      return [self.lines for _ in greys]

  refs = ["one\ntwo"]
  exact, swapped = compare.measure_engines(
      [Pages("a", ["one", " two "]), Pages("b", ["two", "one"])], [None], refs, repeats=2,
      pages=True)
  assert calls == ["a", "b"] * 3
  assert exact["cer"] == 0 and exact["hyps"] == ["one\ntwo"] and swapped["cer"] > 0
  assert exact["line_accuracy"] == 1 and swapped["line_accuracy"] == 0
  assert exact["lines"] == 2 and exact["lines_per_s"] > 0


def test_normalisation_is_shared_and_stated():
  assert compare.normalize("\u201cIt\u2019s\u201d \ufb01ne \u2014  ok ") == '"It\'s" fine - ok'


def test_read_bad_corpus_as_a_process(overfit_model):
  """The whole corpus through the installed command: one line per file, no traceback."""
  workdir, _, _ = overfit_model
  proc = subprocess.run([sys.executable, "-m", "ocr_jax.cli", "read", "--model", workdir, BAD],
                        capture_output=True, text=True, timeout=300, cwd=REPO)
  assert proc.returncode == 1
  assert "Traceback" not in proc.stderr
  expected = _expected()
  out = {l.split("\t")[0]: l.split("\t")[1] for l in proc.stdout.splitlines()}
  err = [l for l in proc.stderr.splitlines() if l.startswith("error: ")]
  for name, e in expected.items():
    path = os.path.join(BAD, name)
    if e.startswith("text:"):
      assert out.get(path) == e[5:], name  # odd but valid encodings read correctly
    elif e.startswith("result:"):
      assert path in out, name
    else:
      hits = [l for l in err if l.startswith(f"error: {path}: ")]
      assert len(hits) == 1 and e[6:] in hits[0], (name, hits)
  assert len(out) + len(err) == len(expected)


def test_tesseract_engine_reads_clean_lines_in_order():
  """The peer engine as compare runs it (in-process, two API instances in threads)."""
  try:
    engine = compare.Tesseract(threads=2)
  except compare.EngineUnavailable as e:
    pytest.skip(f"Tesseract is not installed here ({e}); .ci/run installs it from Debian")
  rng = np.random.default_rng(0)
  texts = ["The quick brown fox jumps", "over the lazy dog.", "Pack my box with 5 jugs"]
  greys = [testsets.clean_line(t, "LiberationSerif-Regular.ttf", rng) for t in texts]
  assert [compare.normalize(t) for t in engine.read(greys)] == texts


def test_light_text_on_a_dark_ground_reads_as_dark_on_light():
  """White on black, light yellow on dark blue and red on green (RGB) read as the same line
  printed dark on light; a tight crop of heavy black type is not mistaken for a dark ground."""
  rec = inference.Recognizer.from_checkpoint(ocr_jax.ENGLISH_MODEL)
  rng = np.random.default_rng(11)
  grey = testsets.clean_line("Dark mode reads too, 42.", render.TEST_FONTS[2], rng)
  rgb = np.stack([np.where(grey < 128, 250, 20), np.where(grey < 128, 240, 30),
                  np.where(grey < 128, 120, 90)], -1).astype(np.uint8)
  coloured = preprocess.to_grey(Image.fromarray(rgb))
  # red on green of nearly equal luminance: legible by hue alone (preprocess.colour_axis)
  sign = np.where((grey < 128)[..., None], (220, 60, 60), (60, 150, 60)).astype(np.uint8)
  hue = preprocess.to_grey(Image.fromarray(sign))
  plain, negative, blue, red = [r.text for r in rec.read_arrays([grey, 255 - grey, coloured,
                                                                  hue])]
  assert plain == negative == blue == red == "Dark mode reads too, 42."
  ys, xs = np.nonzero(grey < 128)
  tight = grey[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
  assert preprocess.dark_on_light(tight) is tight


def test_a_photo_stored_on_its_side_is_read_upright(tmp_path):
  """A phone stores the pixels as the sensor saw them and an EXIF Orientation tag saying how
  to turn them; the line is turned upright before reading (ImageOps.exif_transpose)."""
  rng = np.random.default_rng(12)
  text = "Turned by the camera, 7 lines."
  upright = Image.fromarray(testsets.clean_line(text, render.TEST_FONTS[4], rng))
  exif = Image.Exif()
  exif[0x0112] = 6  # Orientation: turn 90 degrees clockwise to view
  upright.transpose(Image.Transpose.ROTATE_90).save(tmp_path / "side.jpg", quality=95,
                                                     exif=exif)
  grey = preprocess.load_image(str(tmp_path / "side.jpg"))
  assert grey.shape == (upright.height, upright.width)
  assert np.abs(grey.astype(int) - np.asarray(upright, int)).mean() < 3  # JPEG noise only
  rec = inference.Recognizer.from_checkpoint(ocr_jax.ENGLISH_MODEL)
  assert rec.read_files([str(tmp_path / "side.jpg")])[0].text == text


def test_tesseract_takes_a_language_and_names_a_missing_one(tmp_path, monkeypatch):
  """--lang reaches Tesseract (Korean for the Korean comparison); a language whose data is
  not installed is skipped with the Debian package to install."""
  monkeypatch.setattr(compare, "TESSDATA_DIRS", (str(tmp_path),))
  monkeypatch.delenv("TESSDATA_PREFIX", raising=False)
  (tmp_path / "eng.traineddata").write_bytes(b"")
  assert compare.find_tessdata("eng") == str(tmp_path)
  assert compare.find_tessdata("kor+eng") is None
  (tmp_path / "kor.traineddata").write_bytes(b"")
  assert compare.find_tessdata("kor+eng") == str(tmp_path)
  with pytest.raises(compare.EngineUnavailable, match=r"xyz\.traineddata.*tesseract-ocr-xyz"):
    compare.make_engine("tesseract", argparse.Namespace(threads=1, lang="xyz"))


def test_rapidocr_engine_reads_clean_lines_in_order():
  """PP-OCR, the second peer, as compare runs it: recognition only, two instances in threads
  (the test extra installs rapidocr and onnxruntime; its models ship in the wheel)."""
  engine = compare.make_engine("rapidocr:2", argparse.Namespace(threads=1))
  assert engine.name == "rapidocr:2" and len(engine.engines) == 2
  assert "PP-OCR" in engine.version
  rng = np.random.default_rng(1)
  texts = ["The quick brown fox jumps", "over the lazy dog.", "Pack my box with 5 jugs",
           "Call 555-0199 now"]
  greys = [testsets.clean_line(t, "LiberationSans-Regular.ttf", rng) for t in texts]
  assert [compare.normalize(t) for t in engine.read(greys)] == texts


def test_released_model_ships_loads_and_reads_unseen_faces():
  """The model in the package reads clean lines in faces no split trained on."""
  rec = inference.Recognizer.from_checkpoint(ocr_jax.ENGLISH_MODEL)
  size = sum(os.path.getsize(os.path.join(d, f))
             for d, _, fs in os.walk(ocr_jax.ENGLISH_MODEL) for f in fs)
  assert size <= 25e6
  rng = np.random.default_rng(7)
  texts = ["In the beginning was the Word,", "and the Word was with God.", "Call me at 555-0199",
           "Total: $1,234.50 (paid)"]
  greys = [testsets.clean_line(t, f, rng) for t, f in zip(texts, render.TEST_FONTS[::2])]
  hyps = [r.text for r in rec.read_arrays(greys)]
  assert metrics.cer(texts, hyps) < 0.05, hyps


def test_compare_refuses_zero_timed_passes(tmp_path, capsys):
  with pytest.raises(SystemExit) as e:
    compare.main(["--data", str(tmp_path), "--repeats", "0"])
  assert e.value.code == 2 and "--repeats must be at least 1" in capsys.readouterr().err
