"""The modular recognizer: padding is ignored, every stage combination builds with the right
shapes, each stage option trains (a few steps on a fixed batch lower the loss), and every
config file builds its model."""
import glob
import importlib
import itertools
import os

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from conftest import REPO
from ocr_jax import models
from ocr_jax import model_state
from ocr_jax import train
from ocr_jax.models import features as features_lib
from ocr_jax.models import recognizer

TINY = dict(channels=(8, 16, 16, 16), hidden=16, num_heads=2, max_length=6)


@pytest.mark.parametrize("train_mode", [False, True])
@pytest.mark.parametrize("features,sequence,reduction", [
    ("vgg", "bilstm", 4), ("resnet", "transformer", 4), ("lenet", "none", 4), ("vgg", "conv", 4),
    ("vgg", "transformer", 2), ("resnet", "bilstm", 2)])
def test_padded_and_unpadded_line_give_same_logits_on_real_part(train_mode, features,
                                                                sequence, reduction):
  model = recognizer.Recognizer(num_classes=11, features=features, sequence=sequence,
                                width_reduction=reduction, **TINY)
  rng = np.random.default_rng(0)
  real = rng.random((1, 32, 96, 1)).astype(np.float32)
  padded = np.zeros((1, 32, 160, 1), np.float32)
  padded[:, :, :96] = real
  pad_mask = np.zeros((1, 160), np.float32)
  pad_mask[:, 96:] = 1
  variables = model.init(jax.random.PRNGKey(0), jnp.asarray(real), jnp.zeros((1, 96)))
  # Non-trivial BatchNorm statistics, so eval mode is tested with real running averages.
  variables = jax.tree_util.tree_map(lambda x: x + 0.1, variables)

  def run(x, p):
    if train_mode:
      (logits, lp), _ = model.apply(variables, x, p, train=True, mutable=["batch_stats"])
    else:
      logits, lp = model.apply(variables, x, p, train=False)
    return np.asarray(logits), np.asarray(lp)

  logits_a, lp_a = run(real, np.zeros((1, 96), np.float32))
  logits_b, lp_b = run(padded, pad_mask)
  n = 96 // reduction  # frames of the real part
  assert logits_a.shape == (1, n, 11) and logits_b.shape == (1, 160 // reduction, 11)
  assert lp_a.sum() == 0 and np.array_equal(lp_b[0, n:], np.ones(64 // reduction))
  np.testing.assert_allclose(logits_a, logits_b[:, :n], atol=3e-5)
  # And the padding is really there to be ignored: unmasked, the padded copy differs.
  logits_c, _ = run(padded, np.zeros((1, 160), np.float32))
  assert np.abs(logits_c[:, :n] - logits_a).max() > 1e-3
  if reduction != 4:  # the same parameters as at 4: init_model='config' copies them all
    four = recognizer.Recognizer(num_classes=11, features=features, sequence=sequence, **TINY)
    shapes = lambda m: jax.tree_util.tree_map(jnp.shape, jax.eval_shape(  # noqa: E731
        lambda: m.init(jax.random.PRNGKey(0), jnp.asarray(real), jnp.zeros((1, 96)))))
    assert shapes(four) == shapes(model)


@pytest.mark.parametrize("sequence", ["bilstm", "transformer"])
def test_strided_sequence_keeps_the_frame_rate_and_ignores_padding(sequence):
  """stride 2: 25 real frames (the last one's pair is padding either way) out of a 100 px
  line, the same logits on the real part when it is padded to 160 px."""
  model = recognizer.Recognizer(num_classes=11, sequence=sequence, stride=2, **TINY)
  real = np.random.default_rng(2).random((1, 32, 100, 1)).astype(np.float32)
  padded = np.zeros((1, 32, 160, 1), np.float32)
  padded[:, :, :100] = real
  pad_mask = np.zeros((1, 160), np.float32)
  pad_mask[:, 100:] = 1
  variables = model.init(jax.random.PRNGKey(0), jnp.asarray(real), jnp.zeros((1, 100)))
  assert variables["params"]["prediction"]["head"]["kernel"].shape[1:] == (2, 11)
  logits_a, lp_a = model.apply(variables, real, np.zeros((1, 100), np.float32))
  logits_b, lp_b = model.apply(variables, padded, pad_mask)
  assert logits_a.shape == (1, 25, 11) and logits_b.shape == (1, 40, 11)
  assert np.asarray(lp_a).sum() == 0 and np.asarray(lp_b)[0, 25:].min() == 1
  np.testing.assert_allclose(logits_a, logits_b[:, :25], atol=3e-5)
  # Frames 2j and 2j+1 come from one step, yet the head writes them apart.
  assert np.abs(np.asarray(logits_a[0, 0] - logits_a[0, 1])).max() > 1e-3


def test_a_stride_1_model_converts_to_the_mean_of_its_frame_pairs():
  """finetune.transfer into a stride-2 model: with no recurrence (collapse and head linear)
  each pair of output frames is exactly the mean of the stride-1 model's two frames."""
  from ocr_jax import charset as charset_lib  # pylint: disable=g-import-not-at-top
  from ocr_jax import finetune  # pylint: disable=g-import-not-at-top
  image = np.random.default_rng(3).random((2, 32, 96, 1)).astype(np.float32)
  paddings = np.zeros((2, 96), np.float32)
  one = recognizer.Recognizer(num_classes=11, sequence="none", **TINY)
  two = recognizer.Recognizer(num_classes=11, sequence="none", stride=2, **TINY)
  old = jax.tree_util.tree_map(lambda x: x + 0.1, one.init(jax.random.PRNGKey(0), image,
                                                           paddings))
  charset = charset_lib.get_charset("digits")
  new, report = finetune.transfer(two.init(jax.random.PRNGKey(1), image, paddings), old,
                                  charset, charset)
  assert report["copied"] == report["total"] and not report["not_copied"]
  want = np.asarray(one.apply(old, image, paddings)[0])
  got = np.asarray(two.apply(new, image, paddings)[0])
  pair_mean = want.reshape(2, 12, 2, 11).mean(2)
  np.testing.assert_allclose(got[:, 0::2], pair_mean, rtol=1e-5)
  np.testing.assert_allclose(got[:, 1::2], pair_mean, rtol=1e-5)
  assert np.abs(want[:, 0::2] - want[:, 1::2]).max() > 1e-2  # the pairs did differ


@pytest.mark.parametrize("features", ["vgg", "resnet"])
def test_a_widened_model_reads_as_the_narrow_one_did(features):
  """finetune.transfer with widen: every feature block wider, the last one too (the collapse
  kernel is placed row by row; a ResNet block gains a projection): the same logits as the
  narrow model, and the new channels are not dead (their fresh kernels read the old inputs)."""
  from ocr_jax import charset as charset_lib  # pylint: disable=g-import-not-at-top
  from ocr_jax import finetune  # pylint: disable=g-import-not-at-top
  image = np.random.default_rng(4).random((2, 32, 64, 1)).astype(np.float32)
  paddings = np.zeros((2, 64), np.float32)
  paddings[1, 40:] = 1.0
  kwargs = dict(num_classes=11, features=features, sequence="none", hidden=16)
  narrow = recognizer.Recognizer(channels=(4, 8, 8, 12), **kwargs)
  # The last block doubled: its collapse kernel is twice as tall, as a stride of 2 would make it.
  wide = recognizer.Recognizer(channels=(8, 12, 16, 24), **kwargs)
  old = jax.tree_util.tree_map(lambda x: x + 0.05, narrow.init(jax.random.PRNGKey(0), image,
                                                              paddings))
  charset = charset_lib.get_charset("digits")
  new, report = finetune.transfer(wide.init(jax.random.PRNGKey(1), image, paddings), old,
                                  charset, charset, widen=True)
  assert report["copied"] == report["total"], report["not_copied"]
  want, want_pad = narrow.apply(old, image, paddings)
  got, got_pad = wide.apply(new, image, paddings)
  np.testing.assert_array_equal(np.asarray(got_pad), np.asarray(want_pad))
  real = np.asarray(want_pad) == 0
  np.testing.assert_allclose(np.asarray(got)[real], np.asarray(want)[real], rtol=1e-5,
                             atol=1e-4)
  kernel = np.asarray(new["params"]["features"][
      "conv1" if features == "vgg" else "block1_conv0"]["kernel"])
  assert np.abs(kernel[..., :8, 8:]).max() > 0  # new outputs from old inputs: fresh
  assert not kernel[..., 8:, :].any()  # old and new outputs read new inputs with weight 0
  _, plain = finetune.transfer(wide.init(jax.random.PRNGKey(1), image, paddings), old,
                               charset, charset)
  assert plain["copied"] < plain["total"]  # without widen the wider tensors start fresh


@pytest.mark.parametrize("kernel,bias", [((3, 3), False), ((5, 5), True)])
def test_input_conv_is_flax_conv_with_the_same_parameters(kernel, bias):
  """features.InputConv (the first layer when reading) initialises the parameters nn.Conv
  (the first layer when training) would and computes the same SAME convolution."""
  x = np.random.default_rng(4).random((2, 32, 40, 1)).astype(np.float32)
  flax_conv = nn.Conv(8, kernel, use_bias=bias)
  ours = features_lib.InputConv(8, kernel, bias)
  variables = flax_conv.init(jax.random.PRNGKey(5), x)
  assert jax.tree_util.tree_all(jax.tree_util.tree_map(
      np.array_equal, variables, ours.init(jax.random.PRNGKey(5), x)))
  variables = jax.tree_util.tree_map(lambda v: v + 0.3, variables)  # a non-zero bias
  np.testing.assert_allclose(ours.apply(variables, x), flax_conv.apply(variables, x),
                             atol=1e-5)
  with pytest.raises(ValueError, match="one channel"):
    ours.init(jax.random.PRNGKey(5), np.zeros((1, 8, 8, 2), np.float32))


def test_max_pool_is_the_block_maximum_dropping_odd_edges():
  x = np.random.default_rng(6).random((2, 7, 9, 3)).astype(np.float32)
  for ph, pw in [(2, 2), (2, 1), (1, 3)]:
    h, w = 7 // ph, 9 // pw
    want = x[:, :h * ph, :w * pw].reshape(2, h, ph, w, pw, 3).max(axis=(2, 4))
    for train in (True, False):  # the two forms (features.py's doc)
      np.testing.assert_array_equal(features_lib.max_pool(jnp.asarray(x), ph, pw, train=train),
                                    want)


def test_tps_starts_as_the_identity_and_ignores_padding():
  model = recognizer.Recognizer(num_classes=5, transformation="tps", **TINY)
  rng = np.random.default_rng(1)
  image = rng.random((2, 32, 64, 1)).astype(np.float32)
  paddings = np.zeros((2, 64), np.float32)
  variables = model.init(jax.random.PRNGKey(0), image, paddings)
  tps = models.transformation.TPS(name="transformation")
  out = tps.apply({"params": variables["params"]["transformation"]}, image, paddings,
                  train=False)
  np.testing.assert_allclose(np.asarray(out), image, atol=3e-3)  # float32 spline solve
  # Padded to 128 columns, the real 64 come out the same and the padding stays empty.
  wide = np.zeros((2, 32, 128, 1), np.float32)
  wide[:, :, :64] = image
  wide_pad = np.zeros((2, 128), np.float32)
  wide_pad[:, 64:] = 1
  out_wide = np.asarray(tps.apply({"params": variables["params"]["transformation"]}, wide,
                                  wide_pad, train=False))
  np.testing.assert_allclose(out_wide[:, :, :64], image, atol=3e-3)
  assert np.abs(out_wide[:, :, 64:]).max() == 0


STAGE_OPTIONS = {"transformation": ("none", "tps"), "features": ("lenet", "vgg", "resnet"),
                 "sequence": ("none", "bilstm", "transformer", "conv"),
                 "prediction": ("ctc", "attention")}


@pytest.mark.parametrize("combo", list(itertools.product(*STAGE_OPTIONS.values())),
                         ids="-".join)
def test_every_combination_builds_with_the_right_shapes(combo):
  kinds = dict(zip(STAGE_OPTIONS, combo))
  model = recognizer.Recognizer(num_classes=7, **kinds, **TINY)
  images = jnp.zeros((2, 32, 64, 1))
  paddings = jnp.zeros((2, 64)).at[1, 32:].set(1.0)
  labels = jnp.ones((2, 6), jnp.int32)
  label_paddings = jnp.zeros((2, 6)).at[:, 3:].set(1.0)
  variables = jax.eval_shape(lambda: model.init(jax.random.PRNGKey(0), images, paddings))
  assert set(variables["params"]) == {s for s in recognizer.STAGES
                                      if s != "transformation" or kinds[s] == "tps"}
  for given in (False, True):
    extra = (labels, label_paddings) if given else ()
    logits, lp = jax.eval_shape(lambda v: model.apply(v, images, paddings, *extra),
                                variables)
    steps = 16 if kinds["prediction"] == "ctc" else 7  # W/4 frames, or max_length + 1
    assert logits.shape == (2, steps, 7) and lp.shape == (2, steps)


def _config(**kinds):
  config = ml_collections.ConfigDict({
      "model": {"name": "recognizer",
                "transformation": {"name": kinds.get("transformation", "none")},
                "features": {"name": kinds.get("features", "vgg"),
                             "channels": (8, 16, 16, 16)},
                "sequence": {"name": kinds.get("sequence", "bilstm"), "hidden": 32,
                             "num_layers": 1, "num_heads": 2},
                "prediction": {"name": kinds.get("prediction", "ctc")}},
      "data": {"height": 32, "width_buckets": (64,), "max_label_length": 6},
      "optimizer": {"learning_rate": 3e-3, "warmup_steps": 1, "end_learning_rate_factor": 1.0,
                    "weight_decay": 0.0, "grad_clip_norm": 5.0},
      "num_train_steps": 100, "charset": "digits", "freeze": ()})
  return config


def _fixed_batch():
  """Four 'lines' of 1-3 vertical bars, labelled by their count: learnable in a few steps."""
  images = np.zeros((4, 32, 64, 1), np.float32)
  labels = np.zeros((4, 6), np.int32)
  label_paddings = np.ones((4, 6), np.float32)
  for i, n in enumerate((1, 2, 3, 2)):
    for k in range(n):
      images[i, 6:26, 8 + 16 * k:12 + 16 * k] = 1.0
    labels[i, 0] = 1 + n  # digits charset: id 1 is '0'
    label_paddings[i, 0] = 0.0
  return {"image": images, "image_paddings": np.zeros((4, 64), np.float32),
          "labels": labels, "label_paddings": label_paddings}


@pytest.mark.parametrize("stage,kind", [(s, k) for s, ks in STAGE_OPTIONS.items() for k in ks
                                        if (s, k) not in (("transformation", "none"),
                                                          ("features", "vgg"),
                                                          ("sequence", "bilstm"))])
def test_each_stage_option_trains(stage, kind):
  config = _config(**{stage: kind})
  _, model, tx, _ = model_state.build(config)
  state = model_state.create_train_state(jax.random.PRNGKey(0), model, tx, config)
  step = jax.jit(lambda s, b: train.train_step(s, b, jax.random.PRNGKey(1), model=model,
                                               tx=tx))
  batch = _fixed_batch()
  losses = []
  for _ in range(12):
    state, metrics = step(state, batch)
    losses.append(float(metrics["loss"]))
  assert np.all(np.isfinite(losses))
  assert np.mean(losses[-3:]) < 0.7 * np.mean(losses[:2]), losses


CONFIGS = sorted(os.path.basename(f)[:-3] for f in glob.glob(os.path.join(REPO, "configs", "*.py")))


@pytest.mark.parametrize("arg", [None, "quick"])
@pytest.mark.parametrize("name", CONFIGS)
def test_every_config_builds_its_model(name, arg):
  """Each config file (and its quick variant) gives a model that initialises at its height
  and first width bucket: a typo in a config fails here, not an hour into a run."""
  config = importlib.import_module(f"configs.{name}").get_config(arg)
  model = models.get_model(config.model, 20, config.data.max_label_length)
  height, width = config.data.height, config.data.width_buckets[0]
  variables = jax.eval_shape(lambda: model.init(jax.random.PRNGKey(0),
                                                jnp.zeros((1, height, width, 1)),
                                                jnp.zeros((1, width))))
  assert variables["params"]
