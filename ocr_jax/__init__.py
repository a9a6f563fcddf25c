"""ocr_jax: a JAX research codebase for deep-learning OCR (text lines, symbols, music staves)."""

__version__ = "0.1.0"
