"""`omr_synth`: synthetic printed music staves engraved by Verovio, labelled in PrIMuS tokens.

Each example is a random monophonic incipit (`omr/synth.py`) engraved with one of Verovio's
SMuFL fonts and random engraving settings, cropped around its staff the way `ocr-jax omr`
crops staves, and degraded towards scans and photos (`omr/engrave.py`). The label is the
PrIMuS semantic token sequence, space-separated, in `text`.

Splits: `train` and `validation` use the fonts Bravura, Gootville, Leland and Petaluma
(different incipits); `test` uses Leipzig, which neither of them uses (it is also the font
PrIMuS itself was engraved in). Prepared as array_record; no TensorFlow needed.

Configs: `default` (24k training staves, 12 % opening with a multirest), `multirests` (for
fine-tuning: 12k training staves, 33 % with a multirest, half of those counted uniformly up
to 40 bars; validation and test are default's), `more` and `more2` (second and third draws
of 24k training staves for continued training; validation and test are default's) and
`quick` (tests, smoke runs). `piano` (and `piano_quick`): staves of two-staff piano systems
(treble and bass of one key, meter and 1-3 bars, joined by a brace, notes turned into chords
of 2-4 notes, `synth.add_chords`), each example one staff of its own system, cropped right of
the brace as `ocr-jax omr` crops it; labels use the `chord` token (`omr/tokens.py`);
validation and test are drawn the same way (test in Leipzig). `piano_mix`: half of its
training staves are one-staff incipits (trained on piano staves alone, a model forgot
melodies: one-staff Leipzig note-F1 0.964 -> 0.589). `piano_long`: as `piano_mix`, a fresh
draw of systems of 1-6 bars, staves of up to 96 tokens (all three splits drawn so).
`piano_voices`: as `piano_long` (16k, seed 5), with second voices in some bars of 60 % of the
system staves (`synth.add_voices`, the `voice2` token). `piano_marked`: as `piano_voices` (seed
6), 60 % of all staves with performance markings (`synth.add_markings`), chords of keyboard
shapes (`synth.WIDE_CHORD_SHAPES`). `piano_texture`: as `piano_marked` (seed 7), half the lower
staves filled with keyboard figures (Alberti, broken chords, stride, block chords, octaves:
`synth.add_texture`). `piano_voices2`: as `piano_texture` (seed 8), second voices in 80 %
of the system staves. `piano_voices3`: as `piano_voices2` (seed 9, 10k), second-voice rests
drawn inside their staff's crop (`place_rests`), second voices in 90 % of the system staves.
`piano_voices4`: as `piano_voices3` (seed 10), a third of the systems begin with a pickup
(`synth.add_pickup`), as real pieces often do, a quarter of the staves change clef
(`synth.add_clef_change`), as a hand crossing into the other's register does, and half the
systems draw double, final and repeat barlines (`synth.add_barline_styles`).
"""
from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow_datasets as tfds

from ocr_jax.data import preprocess
from ocr_jax.omr import synth

TRAIN_FONTS = ("Bravura", "Gootville", "Leland", "Petaluma")
TEST_FONTS = ("Leipzig",)
_SPLIT_SEED = {"train": 0, "validation": 1, "test": 2}
_CHUNK = 100


@dataclasses.dataclass
class OmrSynthConfig(tfds.core.BuilderConfig):
  num_train: int = 24_000
  num_validation: int = 500
  num_test: int = 500
  height: int = 64
  max_width: int = 1024
  seed: int = 0  # training split only: validation and test are the same in every config
  # Training split only (validation and test stay as in `default`): chance of a leading
  # multirest, and the share of those whose bar count is drawn uniformly (synth.py).
  train_multirest_p: float = synth.MULTIREST_P
  train_multirest_uniform: float = 0.0
  piano: bool = False  # every split: staves of braced two-staff systems with chords
  train_mono: bool = False  # piano, training split: half the examples (index % 4 >= 2) are
  # one-staff incipits as `more` draws them, so a piano model keeps reading melodies
  max_tokens: int = 60  # piano: a staff's labels fit the config's max_label_length (64)
  max_bars: int = 3  # piano: systems of 1 to this many bars
  voice_p: float = 0.0  # piano: chance that a staff has second voices (`synth.add_voices`)
  wide_chords: bool = False  # piano: `synth.WIDE_CHORD_SHAPES`, chord notes 5 % chromatic
  marks_p: float = 0.0  # every split: chance that a staff carries performance markings
  # (articulations, dynamics, hairpins, slurs, pedal: `synth.add_markings`; no tokens)
  texture_p: float = 0.0  # piano: chance that the lower staff (a quarter of it: the upper)
  # is filled with a keyboard figure (Alberti, broken chords, stride, ...: `synth.add_texture`)
  place_rests: bool = False  # piano: second-voice rests drawn inside their staff's crop
  # (`synth.add_voices`); False: where Verovio puts them, as the draws up to `piano_voices2`
  pickup_p: float = 0.0  # piano: chance that a system begins with a pickup (`synth.add_pickup`;
  # 0 draws nothing, so configs before `piano_voices4` draw as they did)
  clef_p: float = 0.0  # piano: chance that a staff changes clef at a barline (0: as before)
  clef_inside_p: float = 0.0  # piano: chance that such a change falls inside a bar instead
  barline_p: float = 0.0  # piano: chance that a system draws double, final and repeat
  # barlines (`synth.add_barline_styles`; 0: single barlines only, as before)


def _piano_staff(cfg: OmrSynthConfig, rng, index: int):
  """(tokens, MEI of its system, staff 0 or 1) of a piano example: the upper or the lower
  staff of a fresh system by the parity of `index`."""
  upper, lower = synth.piano_pair(rng, int(rng.integers(1, cfg.max_bars + 1)))
  shapes = synth.WIDE_CHORD_SHAPES if cfg.wide_chords else synth.CHORD_SHAPES
  chromatic = 0.05 if cfg.wide_chords else 0.0
  synth.add_chords(upper, rng, rng.uniform(0.05, 0.5), shapes, chromatic)
  synth.add_chords(lower, rng, rng.uniform(0.1, 0.7), shapes, chromatic)
  synth.add_voices_and_markings([upper, lower], rng, cfg.voice_p, cfg.marks_p, cfg.texture_p,
                                cfg.place_rests)
  synth.add_piece_features([upper, lower], rng, cfg.pickup_p, cfg.clef_p, cfg.barline_p,
                           cfg.clef_inside_p)
  which = index % 2
  return (upper, lower)[which].tokens(), synth.system_mei([upper, lower]), which


def render_example(cfg: OmrSynthConfig, split: str, index: int) -> dict:
  """Example `index` of `split`; a pure function of (config, split, index)."""
  from ocr_jax.omr import engrave, tokens as tk  # pylint: disable=g-import-not-at-top
  fonts = TEST_FONTS if split == "test" else TRAIN_FONTS
  font = fonts[index % len(fonts)]
  for attempt in range(20):
    seed = cfg.seed if split == "train" else 0
    rng = np.random.default_rng([seed, _SPLIT_SEED[split], index, attempt])
    augment = None
    piano = cfg.piano and not (split == "train" and cfg.train_mono and index % 4 >= 2)
    if piano:
      tokens, mei, which = _piano_staff(cfg, rng, index)
      if len(tokens) > cfg.max_tokens:
        continue
      augment = split == "train" or rng.random() < 0.7
    else:
      inc = (synth.random_incipit(rng, cfg.train_multirest_p, cfg.train_multirest_uniform)
             if split == "train" else synth.random_incipit(rng))
      if cfg.marks_p:
        synth.add_markings(inc, rng, cfg.marks_p)
      tokens, mei, which = inc.tokens(), inc.mei(), 0
    tk.parse(tokens)  # every token in the vocabulary, or preparation stops here
    try:
      img = engrave.render_staves(
          mei, font, rng, height=cfg.height, count=2 if piano else 1,
          augment=augment if augment is not None else split == "train" or rng.random() < 0.7
      )[which]
    except engrave.EngraveError:
      continue
    if img.shape[1] <= cfg.max_width and img.shape[1] // 4 >= 1.5 * len(tokens) + 2:
      break
  else:
    raise RuntimeError(f"could not engrave example {index} of {split} in {font}")
  return {"image": preprocess.encode_png(img), "text": " ".join(tokens), "font": font,
          "width": np.int32(img.shape[1])}


# What the piano draws from `piano_long` on share: half the training examples one-staff
# incipits (multirests as `more` draws them), systems of 1-6 bars, staves of up to 96 tokens.
_PIANO_LONG = dict(piano=True, train_mono=True, train_multirest_p=0.2,
                   train_multirest_uniform=0.33, max_bars=6, max_tokens=96)


class OmrSynth(tfds.core.GeneratorBasedBuilder):
  """Synthetic monophonic staves (Verovio, 5 SMuFL fonts) with PrIMuS semantic tokens."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {"1.0.0": "First release."}
  BUILDER_CONFIGS = [
      OmrSynthConfig(name="default", description="24k train staves, 500 validation, 500 "
                     "test staves in the held-out font Leipzig."),
      OmrSynthConfig(name="multirests", description="For fine-tuning: 12k train staves, a "
                     "third of them opening with a multirest, half of those counting up to 40 "
                     "bars uniformly (misread counts were the errors that cost the most "
                     "notes); validation and test identical to `default`'s.",
                     num_train=12_000, train_multirest_p=0.33, train_multirest_uniform=0.5),
      OmrSynthConfig(name="more", description="For continued training: a second draw of 24k "
                     "train staves (seed 1), 20 % opening with a multirest, a third of those "
                     "counted uniformly; validation and test identical to `default`'s.",
                     num_train=24_000, seed=1, train_multirest_p=0.2,
                     train_multirest_uniform=0.33),
      OmrSynthConfig(name="more2", description="As `more`, a third draw (seed 2).",
                     num_train=24_000, seed=2, train_multirest_p=0.2,
                     train_multirest_uniform=0.33),
      OmrSynthConfig(name="quick", description="Tiny set for tests and smoke runs.",
                     num_train=160, num_validation=32, num_test=32, max_width=768),
      OmrSynthConfig(name="piano", description="Staves of two-staff piano systems with "
                     "chords (the `chord` token): 16k train, 500 validation, 500 test staves "
                     "(Leipzig).", num_train=16_000, piano=True),
      OmrSynthConfig(name="piano_mix", description="`piano`'s validation and test; 24k "
                     "train staves (seed 3), half of them piano staves, half one-staff "
                     "incipits drawn as `more` draws them (melodies are not forgotten).",
                     num_train=24_000, seed=3, piano=True, train_mono=True,
                     train_multirest_p=0.2, train_multirest_uniform=0.33),
      OmrSynthConfig(name="piano_long", description="As `piano_mix`, a fresh draw (seed 4) "
                     "of systems of 1-6 bars whose staves hold up to 96 tokens (pages hold "
                     "long systems; `piano` stops at 3 bars and 60 tokens); its own "
                     "validation and test drawn the same way.", num_train=24_000, seed=4,
                     **_PIANO_LONG),
      OmrSynthConfig(name="piano_voices", description="As `piano_long`, a fresh draw (seed "
                     "5) in which 60 % of the staves of systems hold second voices with their "
                     "own rhythms in some of their bars (the `voice2` token); its own validation "
                     "and test drawn the same way.", num_train=16_000, seed=5, voice_p=0.6,
                     **_PIANO_LONG),
      OmrSynthConfig(name="piano_marked", description="As `piano_voices`, a fresh draw "
                     "(seed 6) in which 60 % of all staves also carry the performance markings "
                     "real scores print and no token names (articulations, dynamics, "
                     "hairpins, slurs, pedal), and chords take the shapes of keyboard music "
                     "(seconds, sevenths, tenths, four notes, some chromatic); its own "
                     "validation and test drawn the same way.", num_train=16_000, seed=6,
                     voice_p=0.6, marks_p=0.6, wide_chords=True, **_PIANO_LONG),
      OmrSynthConfig(name="piano_texture", description="As `piano_marked`, a fresh draw "
                     "(seed 7) in which half the lower staves (an eighth of the upper) are "
                     "filled, in most of their bars, with the figures of keyboard "
                     "accompaniment: Alberti basses, broken chords, stride bass and chords, "
                     "block chords, octave basses (`synth.add_texture`); its own validation "
                     "and test drawn the same way.", num_train=16_000, seed=7, voice_p=0.6,
                     marks_p=0.6, wide_chords=True, texture_p=0.5, **_PIANO_LONG),
      OmrSynthConfig(name="piano_voices2", description="As `piano_texture`, a fresh draw "
                     "(seed 8) in which 80 % of the system staves (not 60 %) have second "
                     "voices in some bars: two voices on a staff are what the released "
                     "model reads worst; its own validation and test drawn the same way.",
                     num_train=16_000, seed=8, voice_p=0.8, marks_p=0.6, wide_chords=True,
                     texture_p=0.5, **_PIANO_LONG),
      OmrSynthConfig(name="piano_voices3", description="As `piano_voices2`, a fresh draw "
                     "(seed 9) of 10k staves in which second-voice rests are drawn under the "
                     "first voice inside the staff's crop (Verovio put a third of them outside "
                     "it: labels of rests no crop shows), 90 % of the system staves with "
                     "second voices; its own validation and test drawn the same way.",
                     num_train=10_000, seed=9, voice_p=0.9, marks_p=0.6, wide_chords=True,
                     texture_p=0.5, place_rests=True, **_PIANO_LONG),
      OmrSynthConfig(name="piano_voices4", description="As `piano_voices3`, a fresh draw "
                     "(seed 10) in which about a third of the systems begin with a pickup "
                     "(chance 0.66; their first bar cut at an onset its staves share in its "
                     "second half, where they share one: chorales and dances often "
                     "begin so, and no earlier draw had one), and a quarter of the staves "
                     "change clef at a barline, some changing back (piano music's lower "
                     "staff often goes into treble; no earlier draw changed clef), and half "
                     "the systems draw double, final and repeat barlines (tokens unchanged: "
                     "sections of real pieces end so); its own validation and test drawn "
                     "the same way.", num_train=10_000, seed=10, voice_p=0.9, marks_p=0.6,
                     wide_chords=True, texture_p=0.5, place_rests=True, pickup_p=0.66,
                     clef_p=0.25, barline_p=0.5, **_PIANO_LONG),
      OmrSynthConfig(name="piano_quick", description="Tiny piano set for tests.",
                     num_train=96, num_validation=16, num_test=16, max_width=768, piano=True),
  ]
  DEFAULT_CONFIG_NAME = "default"
  num_workers: int = 0  # rendering processes; 0 = one per core

  def _info(self) -> tfds.core.DatasetInfo:
    cfg = self.builder_config
    return tfds.core.DatasetInfo(
        builder=self,
        description=__doc__,
        features=preprocess.line_features(cfg.height, font=tfds.features.Text(),
                                          width=tfds.features.Scalar(np.int32)),
        supervised_keys=("image", "text"),
        license="Engraved with Verovio (LGPL-3.0) in SMuFL fonts (SIL OFL 1.1).",
    )

  def _split_generators(self, dl_manager):
    del dl_manager  # Nothing to download: the music is generated and engraved here.
    cfg = self.builder_config
    return {"train": self._generate_examples("train", cfg.num_train),
            "validation": self._generate_examples("validation", cfg.num_validation),
            "test": self._generate_examples("test", cfg.num_test)}

  def _generate_examples(self, split: str, num: int):
    cfg = self.builder_config
    yield from preprocess.render_in_processes(render_example, cfg, split, num, _CHUNK,
                                              self.num_workers)
