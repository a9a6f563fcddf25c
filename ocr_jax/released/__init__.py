"""Models that ship with the package, one folder each (checkpoints/, README.md), by name.

A released model's name is accepted wherever a model directory is (`ocr-jax read --model
english_print`, `ocr_jax.read_text(..., model="korean")`): see `resolve`.
"""
from __future__ import annotations

import os

RELEASED_DIR = os.path.dirname(os.path.abspath(__file__))
ENGLISH_MODEL = os.path.join(RELEASED_DIR, "english_print")
MUSIC_MODEL = os.path.join(RELEASED_DIR, "music_synth")
PIANO_MODEL = os.path.join(RELEASED_DIR, "music_piano")  # systems of 2+ staves, chords
KOREAN_MODEL = os.path.join(RELEASED_DIR, "korean")


def names() -> list[str]:
  """The released models in this installation."""
  return sorted(n for n in os.listdir(RELEASED_DIR)
                if os.path.isdir(os.path.join(RELEASED_DIR, n, "checkpoints")))


def resolve(model: str) -> str:
  """A model directory, or the name of a released model -> its directory. A name that is
  neither is returned unchanged, so the loader reports it with the path the user gave."""
  if os.path.isdir(model) or os.sep in model or model.startswith("."):
    return model
  path = os.path.join(RELEASED_DIR, model)
  return path if os.path.isdir(os.path.join(path, "checkpoints")) else model
