"""Other alphabets: digit strings from real handwritten digits (held-out digits in
validation), and Korean lines over the 2,350 common Hangul syllables."""
import numpy as np

from conftest import quick_config
from ocr_jax import charset as charset_lib
from ocr_jax.data import digit_strings
from ocr_jax.data import render
from ocr_jax.data import pipeline


def test_digit_strings_builder_and_held_out_digits(tmp_path):
  images, labels, train_idx, held_idx = digit_strings.digit_split()
  assert len(images) == 1797 and not set(train_idx) & set(held_idx)
  assert len(train_idx) + len(held_idx) == 1797 and 350 <= len(held_idx) <= 370
  config = quick_config(str(tmp_path))
  config.data.name = "digit_strings"
  config.data.builder_config = "quick"
  pipeline.prepare(config.data)
  for split, n in (("train", 300), ("validation", 60)):
    s = pipeline.Split(config.data, split)
    assert len(s) == n
    for i in range(5):
      ex = s.example(i)
      assert ex["image"].shape[0] == 32 and ex["image"].shape[2] == 1
      assert ex["text"].isdigit() and 3 <= len(ex["text"]) <= 10
      assert ex["image"].shape[1] == s.widths[i]
  # The same string index in each split draws from its own digit pool: rendering a string
  # from the held-out pool can only use held-out digits.
  rng = np.random.default_rng(0)
  cfg = digit_strings.DigitStringsConfig(name="t")
  pool = held_idx[labels[held_idx] == 7]
  _, text = digit_strings.render_string(images, labels, pool, rng, cfg)
  assert set(text) == {"7"}


def test_korean_lines_use_the_2350_syllables_and_a_held_out_face(tmp_path):
  syllables = render.hangul_2350()
  assert len(syllables) == len(set(syllables)) == 2350
  assert all(0xAC00 <= ord(c) <= 0xD7A3 for c in syllables)
  charset = charset_lib.get_charset("korean")
  config = quick_config(str(tmp_path))
  config.data.builder_config = "korean_quick"
  pipeline.prepare(config.data)
  fonts = {}
  for split in ("train", "validation"):
    s = pipeline.Split(config.data, split)
    fonts[split] = {s.source[i]["font"].decode() for i in range(len(s))}
    texts = [s.text(i) for i in range(len(s))]
    assert all(charset.encode(t) for t in texts)  # every label encodes
    assert sum(c in syllables for t in texts for c in t) > 0.6 * sum(map(len, texts))
  assert fonts["validation"] == {"NanumSquareRoundR.ttf"}
  assert not fonts["train"] & fonts["validation"]
