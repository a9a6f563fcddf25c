"""ocr_jax: a JAX research codebase for deep-learning OCR (text lines, symbols, music staves)."""

__version__ = "0.1.0"

import os as _os

# Released models that ship with the package (one folder each: checkpoints/, README.md).
RELEASED_DIR = _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "released")
ENGLISH_MODEL = _os.path.join(RELEASED_DIR, "english_print")
MUSIC_MODEL = _os.path.join(RELEASED_DIR, "music_synth")
