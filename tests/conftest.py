"""Shared fixtures: the quick dataset is prepared once and one quick model trained once."""
import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)  # for `import configs.default`


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
  """A tfds data dir holding the prepared `synth_text/quick` dataset."""
  from ocr_jax.data import pipeline  # pylint: disable=g-import-not-at-top
  d = str(tmp_path_factory.mktemp("tfds"))
  pipeline.prepare(quick_config(d).data)
  return d


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
