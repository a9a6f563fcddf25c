"""Shared fixtures: the quick dataset is prepared once, one quick model trained once, and one
model overfit on 8 lines (for the reading, page and comparison tests)."""
import functools
import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)  # for `import configs.default`
# The `ocr-jax` command keeps compiled programs under ~/.cache (parallel.use_compilation_cache);
# the tests' commands, in this process and in subprocesses, keep none unless a test asks.
os.environ["OCR_JAX_COMPILE_CACHE"] = "off"


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
  """A tfds data dir holding the prepared `synth_text/quick` dataset."""
  from ocr_jax.data import pipeline  # pylint: disable=g-import-not-at-top
  d = str(tmp_path_factory.mktemp("tfds"))
  pipeline.prepare(quick_config(d).data)
  return d


def launch_script(name: str):
  """A script of launch/ (not a package) imported as a module."""
  import importlib.util  # pylint: disable=g-import-not-at-top
  spec = importlib.util.spec_from_file_location(name, os.path.join(REPO, "launch", f"{name}.py"))
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


def quick_config(data_dir, **overrides):
  from configs import default  # pylint: disable=g-import-not-at-top
  config = default.get_config("quick")
  config.data.data_dir = data_dir
  for key, value in overrides.items():
    node = config
    *parents, leaf = key.split(".")
    for p in parents:
      node = node[p]
    node[leaf] = value
  return config


@pytest.fixture(scope="session")
def trained(data_dir, tmp_path_factory):
  """(workdir, result) of one quick training run, shared by the tests that need a model."""
  from ocr_jax import train  # pylint: disable=g-import-not-at-top
  workdir = str(tmp_path_factory.mktemp("quick_run"))
  result = train.train_and_evaluate(quick_config(data_dir), workdir)
  return workdir, result


TEXTS = ("hello world", "JAX 0.10", "CTC ok!", "x = 42;", "Tesseract", "(a+b)*c",
         "Ruth 1:16", "quiet")


@pytest.fixture(scope="session")
def overfit_model(tmp_path_factory):
  """Trains on 8 clean lines until it transcribes all of them, then saves a checkpoint:
  (workdir, folder of the 8 line PNGs, decoded texts). Shared by the reading tests."""
  import jax  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  from PIL import Image  # pylint: disable=g-import-not-at-top
  # pylint: disable=g-import-not-at-top
  from ocr_jax import checkpoints, decoding, model_state, train
  from ocr_jax.data import pipeline, render  # pylint: disable=g-import-not-at-top
  config = quick_config("", **{"data.width_buckets": (192,), "optimizer.learning_rate": 3e-3,
                               "optimizer.warmup_steps": 20, "num_train_steps": 600})
  rng = np.random.default_rng(0)
  images = [render.render_line(t, "DejaVuSans.ttf", rng, augment=False) for t in TEXTS]
  assert max(im.shape[1] for im in images) <= 192
  charset, model, tx, _ = model_state.build(config)
  batch = pipeline.make_batch([{"image": im[:, :, None], "text": t}
                               for im, t in zip(images, TEXTS)], 192, 32, charset,
                              config.data.max_label_length)
  state = model_state.create_train_state(jax.random.PRNGKey(0), model, tx, config)
  step_fn = jax.jit(functools.partial(train.train_step, model=model, tx=tx))
  decoded = []
  for step in range(config.num_train_steps):
    state, m = step_fn(state, batch, jax.random.PRNGKey(1))
    if step % 25 == 24:
      decoded = [charset.decode(d.ids) for d in decoding.greedy_decode(
          *jax.jit(functools.partial(model_state.predict_step, model=model))(
              state.params, state.batch_stats, batch["image"], batch["image_paddings"]))]
      if decoded == list(TEXTS):
        break
  workdir = tmp_path_factory.mktemp("overfit")
  mngr = checkpoints.manager(str(workdir))
  checkpoints.save(mngr, int(state.step), state,
                   {"config": config.to_dict(), "charset": charset.to_json(),
                    "step": int(state.step)})
  mngr.wait_until_finished()
  img_dir = tmp_path_factory.mktemp("lines")
  for i, im in enumerate(images):
    Image.fromarray(im).save(img_dir / f"line{i}.png")
  return str(workdir), img_dir, decoded
