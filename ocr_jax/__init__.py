"""ocr_jax: a JAX research codebase for deep-learning OCR (text lines, pages, music staves).

  import ocr_jax
  readings = ocr_jax.read_text(["line.png", "page.png"])  # the released English model
  scores = ocr_jax.read_music(["staff.png"])               # the released music model

The one-call API (`api.py`) loads on first use, so `import ocr_jax` stays light (no JAX).
"""

__version__ = "0.1.0"

from ocr_jax.released import ENGLISH_MODEL, MUSIC_MODEL, RELEASED_DIR  # noqa: F401

_API = ("read_text", "read_music", "Reading", "Line", "Score")


def __getattr__(name):
  if name in _API:
    from ocr_jax import api  # pylint: disable=g-import-not-at-top
    return getattr(api, name)
  raise AttributeError(f"module 'ocr_jax' has no attribute {name!r}")
