"""The synth_text builder, preprocessing, bad image files, and the batch plan."""
import os
import types

import numpy as np
import pytest
from PIL import Image

from conftest import quick_config
from ocr_jax import charset as charset_lib
from ocr_jax.data import pipeline
from ocr_jax.data import preprocess
from ocr_jax.data import render
from ocr_jax.data import synth_text


def test_builder_output_shapes_labels_and_font_split(data_dir):
  config = quick_config(data_dir)
  builder = pipeline.get_builder(config.data)
  cfg = builder.builder_config
  sources = builder.as_data_source()
  assert len(sources["train"]) == cfg.num_train
  assert len(sources["validation"]) == cfg.num_validation
  cs = charset_lib.get_charset(config.charset)
  fonts = {}
  for split in ("train", "validation"):
    fonts[split] = set()
    for i in range(0, len(sources[split]), 7):
      ex = sources[split][i]
      img, text = ex["image"], ex["text"].decode()
      assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 1
      assert img.shape[0] == cfg.height and 4 <= img.shape[1] <= cfg.max_width
      assert int(ex["width"]) == img.shape[1]
      assert 1 <= len(text) <= cfg.max_chars and text == text.strip()
      assert not cs.unknown_symbols(text)
      assert img.min() < img.max()  # there is ink on the paper
      fonts[split].add(ex["font"].decode())
  assert fonts["train"] <= set(render.TRAIN_FONTS)  # quick: the 51 faces
  assert fonts["validation"] <= set(render.VALIDATION_FONTS)


def test_font_splits_are_disjoint_and_default_trains_on_66_faces():
  train = render.TRAIN_FONTS + render.MORE_TRAIN_FONTS
  assert len(set(train)) == len(train) == 66
  assert not set(train) & set(render.VALIDATION_FONTS)
  assert not set(train) & set(render.TEST_FONTS)
  assert not set(render.VALIDATION_FONTS) & set(render.TEST_FONTS)
  configs = {c.name: c for c in synth_text.SynthText.BUILDER_CONFIGS}
  for name, faces in (("default", train), ("default_51", render.TRAIN_FONTS)):
    got = {synth_text.render_example(configs[name], "train", i)["font"]
           for i in range(len(faces) - 4, len(faces) + 4)}
    assert got <= set(faces) and len(got) == 8, (name, got)
    assert set(faces[-4:]) <= got
  assert (synth_text.render_example(configs["default"], "validation", 3)["image"] ==
          synth_text.render_example(configs["default_51"], "validation", 3)["image"])


def test_rendering_is_deterministic_and_texts_cover_ascii():
  cfg = synth_text.SynthTextConfig(name="t")
  a, b = (synth_text.render_example(cfg, "train", 17) for _ in range(2))
  assert a["image"] == b["image"] and a["text"] == b["text"]
  rng = np.random.default_rng(0)
  seen = set("".join(render.sample_text(rng, "train", 28) for _ in range(3000)))
  assert set(charset_lib.PRINTABLE_ASCII) - seen == set()


def test_legibility_tells_readable_ink_from_lost_ink():
  rng = np.random.default_rng(0)
  reference = np.asarray(render.render_clean("Legible ink", "DejaVuSans.ttf", 32, rng,
                                             ink=40, paper=230))
  noise = np.random.default_rng(1).normal(0, 10, reference.shape)
  noisy = np.clip(reference + noise, 0, 255)
  assert render.legibility(noisy, reference) > 5
  paper_only = np.clip(230 + noise, 0, 255)  # the ink gone, the noise left
  assert render.legibility(paper_only, reference) < render.MIN_LEGIBILITY
  assert render.legibility(np.zeros_like(reference), reference) < render.MIN_LEGIBILITY
  faint = np.clip(230 - (230 - reference) * 0.05 + noise, 0, 255)  # 10 grey levels of ink
  assert render.legibility(faint, reference) < render.MIN_LEGIBILITY
  assert render.legibility(noisy, np.full_like(reference, 230)) == float("inf")  # no ink


def test_an_illegible_draw_is_drawn_again(monkeypatch):
  """FreeMono's thin strokes often vanish under the print profile's thresholds: such a draw
  is replaced by a legible one of the same text, and a legible first draw is kept as is."""
  cfg = {c.name: c for c in synth_text.SynthText.BUILDER_CONFIGS}["english_print"]
  draws = []
  draw_line = render._draw_line  # pylint: disable=protected-access

  def spy(*args):
    arr, reference = draw_line(*args)
    draws.append(render.legibility(arr, reference))
    return arr, reference

  monkeypatch.setattr(render, "_draw_line", spy)
  kept = redrawn = 0
  for i in range(render.VALIDATION_FONTS.index("FreeMono.ttf"), 800, 8):
    draws.clear()
    ex = synth_text.render_example(cfg, "validation", i)
    assert ex["font"] == "FreeMono.ttf"
    if draws[-1] >= render.MIN_LEGIBILITY and all(d >= render.MIN_LEGIBILITY for d in draws):
      kept += 1
    elif draws[0] < render.MIN_LEGIBILITY and len(draws) > 1:
      assert draws[-1] >= render.MIN_LEGIBILITY, draws  # the line that was stored
      redrawn += 1
    if redrawn and kept > 10:
      break
  assert redrawn and kept > 10, (redrawn, kept)


def test_english_print_more_draws_other_training_lines_only():
  """`english_print_more`, `_more2`, `_more3` (seeds 1-3) are for continued training: new training
  lines, the same validation lines as `english_print`, so validation figures stay
  comparable."""
  configs = {c.name: c for c in synth_text.SynthText.BUILDER_CONFIGS}
  draws = [configs[n] for n in ("english_print", "english_print_more", "english_print_more2",
                                "english_print_more3")]
  val = [synth_text.render_example(c, "validation", 5) for c in draws]
  assert all(v["text"] == val[0]["text"] and v["image"] == val[0]["image"] for v in val)
  train = {synth_text.render_example(c, "train", 5)["text"] for c in draws}
  assert len(train) == 4


def test_english_print_tech_adds_faces_prose_and_typesetting_to_training_only(monkeypatch):
  """Its validation lines are english_print's; its training lines come from more faces,
  technical prose, x-height-only words and curly quotes drawn for ASCII labels."""
  configs = {c.name: c for c in synth_text.SynthText.BUILDER_CONFIGS}
  tech, base = configs["english_print_tech"], configs["english_print"]
  for i in (2, 9):
    a, b = (synth_text.render_example(c, "validation", i) for c in (tech, base))
    assert a["text"] == b["text"] and a["image"] == b["image"]
  extra = set(render.load_prose("train", tech.extra_prose)) - set(render.load_prose("train"))
  assert len(extra) > 1000 and any("array" in p for p in extra)
  assert all(ord(c) < 128 for p in extra for c in p)  # labels stay in the ASCII charset
  assert render.typeset("a \"b\" c's -- d - e", "LiberationSerif-Regular.ttf") == (
      "a \u201cb\u201d c\u2019s \u2014 d \u2013 e")
  assert render.typeset("x -- y", "Inconsolata.otf") == "x -- y"  # no dash glyphs there
  words = render.sample_xheight(np.random.default_rng(0), "train", 30).split()
  assert words and all(set(w.rstrip(".,;:")) <= render.XHEIGHT_LETTERS for w in words)
  monkeypatch.setattr(render, "SYSTEM_TRAIN_FONTS", ("/nonexistent/Face.otf",))
  with pytest.raises(FileNotFoundError, match="apt-get install fonts-adf"):
    render.check_system_fonts()


def test_english_print_wide_trains_in_more_faces_only(monkeypatch):
  """Its validation lines are english_print's; training lines cycle through 33 more faces
  (true italics above all), none a validation, test or development face."""
  configs = {c.name: c for c in synth_text.SynthText.BUILDER_CONFIGS}
  wide, base = configs["english_print_wide"], configs["english_print"]
  a, b = (synth_text.render_example(c, "validation", 3) for c in (wide, base))
  assert a["text"] == b["text"] and a["image"] == b["image"]
  faces = (render.TRAIN_FONTS + render.MORE_TRAIN_FONTS + render.SYSTEM_TRAIN_FONTS
           + render.WIDE_TRAIN_FONTS)
  assert len(set(faces)) == 115
  held = {f.lower() for f in render.VALIDATION_FONTS + render.TEST_FONTS}
  assert not {os.path.basename(f).lower() for f in render.WIDE_TRAIN_FONTS} & held
  assert sum("ital" in f.lower() or f.endswith(("I.otf", "It.otf")) or "Oblique" in f
             for f in render.WIDE_TRAIN_FONTS) >= 12
  if all(os.path.exists(f) for f in render.WIDE_TRAIN_FONTS):
    index = faces.index(render.WIDE_TRAIN_FONTS[1])  # the example drawn in that face
    assert synth_text.render_example(wide, "train", index)["font"] == faces[index]
  monkeypatch.setattr(render, "WIDE_TRAIN_FONTS", ("/nonexistent/Face.otf",))
  render.check_system_fonts()  # only asked for where a config trains on them
  with pytest.raises(FileNotFoundError, match="apt-get install fonts-ebgaramond"):
    render.check_system_fonts(wide=True)


def test_english_print_flush_draws_x_height_lines_rules_and_wide_gaps(monkeypatch):
  """Its validation lines are english_print's; of its training lines about 12 % are in
  x-height letters alone, 1.5 % are table rules and 10 % have justified gaps (labels keep one
  space)."""
  configs = {c.name: c for c in synth_text.SynthText.BUILDER_CONFIGS}
  flush, base = configs["english_print_flush"], configs["english_print"]
  a, b = (synth_text.render_example(c, "validation", 5) for c in (flush, base))
  assert a["text"] == b["text"] and a["image"] == b["image"]
  drawn = []
  monkeypatch.setattr(render, "render_line", lambda text, *a, **k: drawn.append(text) or
                      np.full((32, 8 * len(text) + 16), 255, np.uint8))
  texts = [synth_text.render_example(flush, "train", i)["text"] for i in range(600)]
  rules = [t for t in texts if set(t) - {" "} and len(set(t) - {" "}) == 1
           and t[0] in render.RULE_CHARS]
  xheight = [t for t in texts
             if all(set(w.rstrip(".,;:")) <= render.XHEIGHT_LETTERS for w in t.split())]
  assert 3 <= len(rules) <= 25 and 40 <= len(xheight) <= 110, (len(rules), len(xheight))
  assert all("  " not in t for t in texts)
  assert 15 <= sum("  " in d for d in drawn) <= 60  # drawn with 2-4 spaces a gap
  rng = np.random.default_rng(0)
  for _ in range(50):
    rule = render.sample_rule(rng, 20)
    assert 2 <= len(rule) <= 20 and len(set(rule) - {" "}) == 1 and "  " not in rule


def test_validation_text_is_held_out():
  train, val = set(render.load_prose("train")), set(render.load_prose("validation"))
  assert len(val) > 1000 and len(train) > 8 * len(val)  # a 9:1 split of paragraphs
  assert len(train & val) < 0.01 * len(val)  # only verbatim repeats inside the sources


def test_pad_to_width_marks_padding():
  x = preprocess.prepare_line(np.full((32, 50), 255, np.uint8), 32)
  padded, paddings = preprocess.pad_to_width(x, 128)
  assert padded.shape == (32, 128, 1)
  assert paddings[:50].sum() == 0 and paddings[50:].min() == 1
  assert np.all(padded[:, 50:] == 0)
  with pytest.raises(ValueError):
    preprocess.pad_to_width(x, 40)
  assert preprocess.bucket_width(129, (128, 256)) == 256
  assert preprocess.bucket_width(300, (128, 256), step=64) == 320


def _line_with_margins(top, bottom, left, right, text="Hygiene, quality: 42."):
  """A clean rendered line cut to its ink box, then given these margins (in ink heights) of
  white paper: (image, ink box cut out, ink height)."""
  grey = np.asarray(render.render_clean(text, "DejaVuSerif.ttf", 40, np.random.default_rng(0)))
  (y0, y1, x0, x1), _, _ = preprocess.ink_box(grey)
  ink = grey[y0:y1 + 1, x0:x1 + 1]
  h = ink.shape[0]
  pads = [int(round(m * h)) for m in (top, bottom, left, right)]
  return np.pad(ink, ((pads[0], pads[1]), (pads[2], pads[3])), constant_values=255), ink, h


def test_fit_margins_cuts_loose_crops_pads_flush_sides_and_keeps_typical_ones():
  (_, v_target, v_high), (h_low, h_target, h_high) = preprocess.TEXT_MARGINS
  typical, ink, h = _line_with_margins(0.3, 0.4, 0.5, 0.6)
  assert preprocess.fit_margins(typical) is typical  # inside every range: untouched
  loose, _, _ = _line_with_margins(v_high + 1, v_high + 0.5, h_high + 1, h_high + 2)
  fitted = preprocess.fit_margins(loose)
  t, l = int(round(v_target * h)), int(round(h_target * h))
  assert fitted.shape == (ink.shape[0] + 2 * t, ink.shape[1] + 2 * l)
  np.testing.assert_array_equal(fitted[t:t + ink.shape[0], l:l + ink.shape[1]], ink)
  assert (fitted[:t] == 255).all() and (fitted[:, -l:] == 255).all()
  # Flush with its ink: padded left and right to the target; above and below left alone
  # (TEXT_MARGINS' vertical low is 0; see its comment).
  flush, _, _ = _line_with_margins(0, 0, 0, 0)
  assert preprocess.fit_margins(flush).shape == (ink.shape[0], ink.shape[1] + 2 * l)
  assert h_low > 0


def test_fit_margins_ignores_specks_neighbour_strokes_and_blank_images():
  loose, ink, h = _line_with_margins(2, 2, 2, 2)
  want = preprocess.fit_margins(loose)
  specked = loose.copy()
  specked[2, 3] = specked[-3, -5] = 0  # dust far from the text
  specked[0:int(0.2 * h), 3 * h:6 * h] = 0  # a neighbour's descenders, cut by the top edge
  specked[0:int(0.2 * h), 3 * h + 2:6 * h - 2:3] = 255
  np.testing.assert_array_equal(preprocess.fit_margins(specked), want)
  blank = np.full((40, 300), 250, np.uint8)
  assert preprocess.fit_margins(blank) is blank
  faint = blank.copy()
  faint[15:25, 50:250] = 225  # below MIN_CONTRAST: no ink box is sought
  assert preprocess.ink_box(faint) is None and preprocess.fit_margins(faint) is faint


def test_fit_margins_does_not_cut_above_and_below_a_short_word():
  """One word may have no ascenders or descenders: its ink box is then its x-height, and
  cutting the margins to it would blow the letters up."""
  loose, ink, h = _line_with_margins(2, 2, 0.4, 0.4, text="no")
  assert ink.shape[1] < 4 * h
  assert preprocess.fit_margins(loose).shape[0] == loose.shape[0]


def test_a_flat_line_gets_x_height_room_and_other_lines_none():
  """A line cut flush to letters without ascenders or descenders gets paper above and below
  (X_HEIGHT_PAD ink heights each), its ink untouched; a line with ascenders, one joined by an
  underline and a blank image get None."""
  flat, ink, h = _line_with_margins(0, 0, 0.4, 0.4, text="source")
  variant = preprocess.x_height_variant(flat)
  pad = int(round(preprocess.X_HEIGHT_PAD * h))
  assert variant.shape == (h + 2 * pad, flat.shape[1])
  np.testing.assert_array_equal(variant[pad:pad + h], flat)
  assert (variant[:pad] == 255).all() and (variant[-pad:] == 255).all()
  tall, _, _ = _line_with_margins(0, 0, 0.4, 0.4, text="quality, jumping")
  assert preprocess.x_height_variant(tall) is None
  underlined = flat.copy()
  underlined[-2:, :] = 0  # joins every letter into one shape as wide as the line
  assert preprocess.x_height_variant(underlined) is None
  assert preprocess.x_height_variant(np.full((40, 300), 250, np.uint8)) is None


def test_read_lines_keeps_the_more_confident_of_a_flat_lines_two_readings():
  """With x_height, a flat line read below X_HEIGHT_TRUST is read again as x-height letters
  and the reading with the higher confidence kept; other lines, confident readings and
  readers without x_height read once."""
  flat, _, _ = _line_with_margins(0, 0, 0.4, 0.4, text="was")
  tall, _, _ = _line_with_margins(0, 0, 0.4, 0.4, text="quality, jumping")
  calls = []

  def read(first, second, x_height=True):
    def read_prepared(lines):
      calls.append(len(lines))
      return [types.SimpleNamespace(text=f"{len(calls)}{i}",
                                    confidence=first if len(calls) == 1 else second)
              for i in range(len(lines))]
    calls.clear()
    return [r.text for r in preprocess.read_lines([flat, tall], 32, read_prepared,
                                                  max_density=0, x_height=x_height)]

  assert read(0.5, 0.8) == ["20", "11"] and calls == [2, 1]  # flat line read again: kept
  assert read(0.5, 0.4) == ["10", "11"] and calls == [2, 1]  # less confident: not kept
  trust = preprocess.X_HEIGHT_TRUST
  assert read(trust, 1.0) == ["10", "11"] and calls == [2]  # confident enough: read once
  assert read(0.5, 0.8, x_height=False) == ["10", "11"] and calls == [2]


def test_to_grey_handles_every_mode():
  rgb = Image.new("RGB", (20, 10), (255, 255, 255))
  rgb.putpixel((3, 3), (0, 0, 0))
  for img in (rgb, rgb.convert("CMYK"), rgb.convert("P"), rgb.convert("1"),
              rgb.convert("LA"), rgb.convert("I;16"), rgb.convert("RGBA")):
    grey = preprocess.to_grey(img)
    assert grey.shape == (10, 20) and grey.dtype == np.uint8, img.mode
    assert grey[3, 3] < 50 and grey[0, 0] > 200, img.mode
  transparent = Image.new("RGBA", (5, 5), (0, 0, 0, 0))  # transparent = paper
  assert preprocess.to_grey(transparent).min() == 255


def test_to_grey_keeps_text_that_stands_out_by_hue_alone():
  """Red strokes on a green ground of almost the same luminance (a sign) keep their contrast,
  ink dark; a tinted scan (blue-black ink on cream paper, noisy) stays its luminance."""
  ink = np.zeros((16, 48), bool)
  ink[4:12, 4:44:4] = True
  rgb = np.where(ink[..., None], (220, 60, 60), (60, 150, 60)).astype(np.uint8)
  luma = np.asarray(Image.fromarray(rgb).convert("L"), np.float32)
  assert abs(luma[ink].mean() - luma[~ink].mean()) < 10
  grey = preprocess.to_grey(Image.fromarray(rgb)).astype(np.float32)
  assert grey[~ink].mean() - grey[ink].mean() > 200
  noise = np.random.default_rng(0).normal(0, 6, rgb.shape)
  scan = np.clip(np.where(ink[..., None], (30, 30, 70), (245, 235, 200)) + noise, 0, 255)
  scan = Image.fromarray(scan.astype(np.uint8))
  np.testing.assert_array_equal(preprocess.to_grey(scan), np.asarray(scan.convert("L")))


def test_to_grey_keeps_ink_dark_across_a_gradient_of_hues():
  """Blue strokes on a ground running from magenta to cyan: projected on the main colour
  axis the ink lies between the ground's two ends (lighter than the ground at one end, darker
  at the other); the flattened ground keeps it darker than its ground at both ends."""
  h, w = 32, 256
  ink = np.zeros((h, w), bool)
  ink[8:24, 6:w - 6:6] = True
  t = np.linspace(0, 1, w)[None, :, None]
  ground = (1 - t) * np.array([255, 0, 255]) + t * np.array([0, 255, 255])
  rgb = np.where(ink[..., None], np.array([0, 0, 255]), ground).astype(np.uint8)
  assert preprocess.colour_axis(rgb) is not None
  grey = preprocess.to_grey(Image.fromarray(rgb)).astype(np.float32)
  for part in (slice(0, 64), slice(w - 64, w)):
    assert grey[:, part][~ink[:, part]].mean() - grey[:, part][ink[:, part]].mean() > 100


@pytest.mark.parametrize("name,content,message", [
    ("empty.png", b"", "empty file"),
    ("text.png", b"this is not an image\n", "not an image"),
    ("truncated.png", None, "corrupt or truncated"),
])
def test_load_image_errors(tmp_path, name, content, message):
  path = tmp_path / name
  if content is None:
    Image.new("L", (200, 40), 255).save(path)
    content = path.read_bytes()[:60]
  path.write_bytes(content)
  with pytest.raises(preprocess.ImageError, match=message):
    preprocess.load_image(str(path))
  with pytest.raises(preprocess.ImageError, match="cannot open"):
    preprocess.load_image(str(tmp_path / "missing.png"))


def test_batch_plan_is_a_function_of_seed_and_step():
  rng = np.random.default_rng(0)
  widths = rng.integers(20, 384, 500)
  a = pipeline.BatchPlan(widths, (128, 256, 384), 8, seed=3)
  b = pipeline.BatchPlan(widths, (128, 256, 384), 8, seed=3)
  seen = []
  for step in range(200):  # several epochs
    wa, ia = a(step)
    wb, ib = b(step)
    assert wa == wb and np.array_equal(ia, ib)
    assert len(ia) == 8
    assert all(preprocess.bucket_width(int(widths[i]), (128, 256, 384)) == wa for i in ia)
    seen.append(ia)
  # A fresh plan asked out of order agrees (resume mid-epoch reads the same batches).
  c = pipeline.BatchPlan(widths, (128, 256, 384), 8, seed=3)
  assert np.array_equal(c(150)[1], seen[150]) and np.array_equal(c(3)[1], seen[3])
  first_epoch = np.concatenate(seen[:len(a._epoch(0))])
  assert len(set(first_epoch.tolist())) == len(first_epoch)  # no repeats within an epoch
  assert not np.array_equal(pipeline.BatchPlan(widths, (128, 256, 384), 8, seed=4)(0)[1],
                            seen[0])


def test_process_slices_partition_the_global_batch():
  idx = np.arange(12)
  parts = [pipeline.process_slice(idx, p, 3) for p in range(3)]
  assert np.array_equal(np.concatenate(parts), idx)
  with pytest.raises(ValueError):
    pipeline.process_slice(np.arange(10), 0, 3)


def _train_iterator(data_dir, **kwargs):
  """(config, batch plan, TrainIterator) over the quick dataset's training split."""
  config = quick_config(data_dir)
  split = pipeline.Split(config.data, "train")
  plan = pipeline.BatchPlan(split.widths, config.data.width_buckets, config.batch_size, 0)
  it = pipeline.TrainIterator(split, plan, charset_lib.get_charset(config.charset),
                              height=32, max_label_length=config.data.max_label_length,
                              **kwargs)
  return config, plan, it


def test_train_batches_have_static_shapes(data_dir):
  config, plan, it = _train_iterator(data_dir, start_step=0)
  try:
    for step in range(4):
      batch = next(it)
      width = plan(step)[0]
      assert batch["image"].shape == (config.batch_size, 32, width, 1)
      assert batch["image_paddings"].shape == (config.batch_size, width)
      assert batch["labels"].shape == (config.batch_size, config.data.max_label_length)
      assert batch["labels"].dtype == np.int32
      # Labels are non-zero exactly where label_paddings is 0.
      assert np.array_equal(batch["labels"] > 0, batch["label_paddings"] == 0)
  finally:
    it.close()


def test_several_loader_workers_keep_the_step_order(data_dir):
  _, _, it = _train_iterator(data_dir, start_step=5, num_workers=3, prefetch=2)
  try:
    for step in range(5, 12):
      got, want = next(it), it.batch(step)
      assert np.array_equal(got["labels"], want["labels"]), step
      assert np.array_equal(got["image"], want["image"]), step
  finally:
    it.close()


def test_loader_processes_give_the_batches_of_threads_and_report_a_dead_one(data_dir):
  config = quick_config(data_dir)
  _, _, it = _train_iterator(data_dir, start_step=3, num_workers=2, prefetch=2,
                             loader="processes", augment=config.data.augment)
  try:
    for step in range(3, 7):  # augmented too: the same seeds in another process
      got, want = next(it), it.batch(step)
      assert set(got) == set(want)
      for key in want:
        assert np.array_equal(got[key], want[key]), (step, key)
    it._processes[0][0].kill()  # pylint: disable=protected-access
    with pytest.raises(RuntimeError, match="loader process .* died"):
      for _ in range(10):
        next(it)
  finally:
    it.close()
  with pytest.raises(ValueError, match="loader"):
    _train_iterator(data_dir, start_step=0, loader="fibres")
  # A loader process's error reaches the trainer as itself, naming the step.
  config = quick_config(data_dir)
  split = pipeline.Split(config.data, "train")
  plan = pipeline.BatchPlan(split.widths, config.data.width_buckets, config.batch_size, 0)
  it = pipeline.TrainIterator(split, plan, charset_lib.get_charset(config.charset), height=32,
                              max_label_length=2, start_step=0, loader="processes")
  try:
    with pytest.raises(ValueError, match="step 0: label of .* exceeds max_label_length=2"):
      next(it)
  finally:
    it.close()


def test_a_mixed_training_split_takes_the_first_lines_of_each_dataset(data_dir):
  config = quick_config(data_dir, **{"data.mix": "quick:100, quick:40"})
  pipeline.prepare(config.data)  # the mixed datasets are prepared too (here: already are)
  whole = pipeline.Split(quick_config(data_dir).data, "train")
  mixed = pipeline.train_split(config.data)
  assert len(mixed) == 140 and mixed.name.count("[:") == 2
  assert np.array_equal(mixed.widths, np.concatenate([whole.widths[:100], whole.widths[:40]]))
  for i, j in ((0, 0), (99, 99), (100, 0), (139, 39)):
    assert mixed.text(i) == whole.text(j)
    assert np.array_equal(mixed.example(i)["image"], whole.example(j)["image"])
  with pytest.raises(IndexError, match="index 140"):
    mixed.example(140)
  # Without LINES a dataset gives all its lines; more than it has gives all it has.
  everything = pipeline.train_split(quick_config(data_dir, **{"data.mix": "quick"}).data)
  assert len(everything) == len(whole) == len(pipeline.train_split(
      quick_config(data_dir, **{"data.mix": f"quick:{10 * len(whole)}"}).data))
  # Batches come from it as from one split.
  plan = pipeline.BatchPlan(mixed.widths, config.data.width_buckets, config.batch_size, 0)
  width, indices = plan(0)
  batch = pipeline.make_batch([mixed.example(i) for i in indices], width, 32,
                              charset_lib.get_charset(config.charset),
                              config.data.max_label_length)
  assert batch["image"].shape[:3] == (config.batch_size, 32, width)


@pytest.mark.parametrize("mix", ["quick:", "quick:0", "quick:-5", ":100", "quick,,quick",
                                 "line_folder"])
def test_a_malformed_mix_is_named(mix):
  config = quick_config("", **{"data.mix": mix})
  if mix == "line_folder":
    config.data.name = "line_folder"
  with pytest.raises(ValueError, match="config.data.mix"):
    pipeline.mix_sources(config.data)


def test_a_mixed_dataset_charset_keeps_the_first_order_and_adds_the_others_symbols(monkeypatch):
  stored = {"a": "xyz", "b": "zqx", "c": ""}
  monkeypatch.setattr(pipeline, "get_builder", lambda c: types.SimpleNamespace(
      info=types.SimpleNamespace(metadata={"charset": stored[c.builder_config]},
                                 full_name=c.builder_config)))
  config = quick_config("", **{"data.builder_config": "a", "data.mix": "b:5,a"})
  assert "".join(pipeline.dataset_charset(config.data).symbols) == "xyzq"
  config.data.mix = "b,c"
  with pytest.raises(ValueError, match="c stores no charset"):
    pipeline.dataset_charset(config.data)
