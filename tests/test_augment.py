"""Online augmentation: seeded by (seed, step, index), shape-safe, off by default."""
import numpy as np
import pytest

from ocr_jax import charset as charset_lib
from ocr_jax.data import augment, pipeline, preprocess, render
from tests.conftest import quick_config


def _line(width=200, height=32):
  rng = np.random.default_rng(0)
  x = np.zeros((height, width, 1), np.float32)
  for col in rng.choice(width - 4, 30, replace=False):  # grey vertical strokes, 2 px wide
    x[6:26, col:col + 2] = rng.uniform(0.5, 1.0)
  return x


def _config(p=1.0, **magnitudes):
  cfg = augment.default_config()
  cfg.p = p
  for key, value in magnitudes.items():
    cfg[key] = value
  return cfg


def test_same_seed_step_index_same_distortion_and_others_differ():
  x, cfg = _line(), _config(p=0.7)
  a = augment.augment_line(x, cfg, augment.rng_for(0, 5, 3), 256)
  b = augment.augment_line(x, cfg, augment.rng_for(0, 5, 3), 256)
  assert np.array_equal(a, b)
  others = [augment.augment_line(x, cfg, augment.rng_for(*key), 256)
            for key in ((0, 6, 3), (0, 5, 4), (1, 5, 3))]
  assert all(o.shape != a.shape or not np.array_equal(o, a) for o in others)


def test_shapes_and_range_hold_and_the_bucket_is_never_exceeded():
  x, cfg = _line(width=250), _config(p=1.0, stretch=0.3)
  widths = set()
  for step in range(40):
    y = augment.augment_line(x, cfg, augment.rng_for(0, step, 0), max_width=256)
    assert y.shape[0] == 32 and y.shape[2] == 1 and y.dtype == np.float32
    assert y.shape[1] <= 256
    assert 0.0 <= y.min() and y.max() <= 1.0
    widths.add(y.shape[1])
  assert min(widths) < 250 and max(widths) == 256  # it shrinks, and grows up to the bucket


def test_zero_magnitudes_or_zero_probability_leave_the_line_alone():
  x = _line()
  off = {op: 0 for op in augment.OPERATIONS}
  assert np.array_equal(augment.augment_line(x, _config(p=1.0, **off), augment.rng_for(0, 1, 1)),
                        x)
  assert not augment.enabled(_config(p=0.0))
  assert not augment.enabled(augment.default_config())  # off unless a config turns it on


@pytest.mark.parametrize("op", ["stroke", "blur", "warp", "gamma", "noise"])
def test_each_operation_changes_the_pixels_alone(op):
  x = _line()
  only = {o: 0 for o in augment.OPERATIONS if o != op}
  y = augment.augment_line(x, _config(p=1.0, **only), augment.rng_for(0, 2, 9))
  assert y.shape == x.shape
  assert np.abs(y - x).mean() > 1e-3, op


def test_recrop_redraws_the_margins_from_flush_to_loose():
  grey = np.asarray(render.render_clean("Quick brown fox, 42.", "DejaVuSans.ttf", 32,
                                        np.random.default_rng(0)))
  x = preprocess.prepare_line(grey, 32)
  only = {o: 0 for o in augment.OPERATIONS if o != "recrop"}
  tops, widths = [], []
  for step in range(30):
    y = augment.augment_line(x, _config(p=1.0, **only, recrop=0.8),
                             augment.rng_for(0, step, 0), max_width=400)
    assert y.shape[0] == 32 and y.shape[1] <= 400
    rows = np.flatnonzero((y[:, :, 0] > 0.5).any(1))
    tops += [rows[0], 31 - rows[-1]]  # the margins above and below, in px
    widths.append(y.shape[1])
  assert min(tops) <= 1 and max(tops) >= 10  # flush with the ink up to a third of the line
  assert len(set(widths)) > 10  # the text's scale in the line varies with the margins


def test_recrop_cuts_a_flush_share_with_no_margin_above_or_below():
  grey = np.asarray(render.render_clean("summer is over", "DejaVuSans.ttf", 32,
                                        np.random.default_rng(0)))
  x = preprocess.prepare_line(grey, 32)
  only = {o: 0 for o in augment.OPERATIONS if o != "recrop"}
  flush = []
  for step in range(40):
    y = augment.augment_line(x, _config(p=1.0, **only, recrop=0.8, flush=0.5),
                             augment.rng_for(0, step, 0), max_width=600)
    rows = np.flatnonzero((y[:, :, 0] > 0.5).any(1))
    flush.append(rows[0] <= 1 and rows[-1] >= 30)  # the x-height fills the line
  assert 8 <= sum(flush) <= 32
  cfg = _config(p=1.0, **only, recrop=0.8)
  before = augment.augment_line(x, cfg, augment.rng_for(0, 3, 0), max_width=600)
  del cfg["flush"]  # a config from before the option: flush 0 draws nothing more
  assert np.array_equal(before, augment.augment_line(x, cfg, augment.rng_for(0, 3, 0), 600))


def test_lowres_loses_detail_keeps_the_shape_and_sometimes_goes_bitonal():
  """Small type / low-resolution scans: the line keeps its size, loses fine detail (a
  1-px stroke pattern is smeared), and half the draws are thresholded to two levels."""
  x = np.zeros((32, 120, 1), np.float32)
  x[4:28, ::3] = 1.0  # 1-px strokes every 3 px: detail that 12-px type cannot hold
  only = {o: 0 for o in augment.OPERATIONS if o != "lowres"}
  bitonal_before_resize = 0
  for step in range(20):
    y = augment.augment_line(x, _config(p=1.0, **only, lowres=12), augment.rng_for(0, step, 0))
    assert y.shape == x.shape
    assert np.abs(y - x).mean() > 0.05  # the stroke pattern does not survive
    col = y[16, :, 0]
    bitonal_before_resize += np.isclose(col.min(), 0) and np.isclose(col.max(), 1)
  assert 0 < bitonal_before_resize < 20
  same = augment.augment_line(x, _config(p=1.0, **only, lowres=32), augment.rng_for(0, 0, 0))
  assert np.array_equal(same, x)  # no smaller height to go to: unchanged


def test_bolder_strokes_add_ink():
  x = _line()
  only = {o: 0 for o in augment.OPERATIONS if o != "stroke"}
  inks = [augment.augment_line(x, _config(p=1.0, **only), augment.rng_for(0, s, 0)).sum()
          for s in range(20)]
  assert max(inks) > x.sum() > min(inks)  # both bolder and lighter occur


def test_train_iterator_augments_reproducibly_and_keeps_labels(data_dir):
  config = quick_config(data_dir)
  split = pipeline.Split(config.data, "train")
  plan = pipeline.BatchPlan(split.widths, config.data.width_buckets, config.batch_size, 0)
  charset = charset_lib.get_charset(config.charset)
  cfg = _config(p=0.5)
  kwargs = dict(height=32, max_label_length=config.data.max_label_length, start_step=3)
  plain = pipeline.TrainIterator(split, plan, charset, **kwargs)
  first = pipeline.TrainIterator(split, plan, charset, augment=cfg, **kwargs)
  again = pipeline.TrainIterator(split, plan, charset, augment=cfg, **kwargs)
  try:
    p, a, b = next(plain), next(first), next(again)
    assert a["image"].shape == p["image"].shape
    assert np.array_equal(a["labels"], p["labels"])
    assert np.array_equal(a["image"], b["image"])  # a resumed run sees the same distortions
    assert not np.array_equal(a["image"], p["image"])
    assert not np.array_equal(next(first)["image"], next(plain)["image"])
  finally:
    for it in (plain, first, again):
      it.close()


def test_a_distortion_that_leaves_a_label_no_ctc_alignment_is_not_used():
  """A recrop can narrow a line ~2x; a rule of '=' then has fewer frames than its label
  needs (a blank between repeats), and its loss would wreck the step: the batch keeps the
  line undistorted instead."""
  grey = np.full((32, 160), 255, np.uint8)
  grey[12:14, 4:156] = 0
  grey[18:20, 4:156] = 0
  examples = [{"image": grey[:, :, None], "text": t} for t in ("=" * 12, "==")]
  squeeze = lambda row, line: line[:, :48]  # 12 frames  # noqa: E731
  batch = pipeline.make_batch(examples, 160, 32, charset_lib.get_charset("printable_ascii"), 16,
                              augment=squeeze)
  widths = (1 - batch["image_paddings"]).sum(1)
  assert widths.tolist() == [160, 48]  # '=' x 12 needs 23 frames + 1; '==' needs 3 + 1
  assert preprocess.ctc_frames_needed("a==b") == 5
