"""`synth_text`: the embedded default dataset, printed English lines rendered from bundled fonts.

A `tfds.core.GeneratorBasedBuilder` prepared as array_record and read with
`builder.as_data_source()`, so neither preparing nor reading needs TensorFlow. Train and
validation use disjoint font families and disjoint parts of the bundled prose (see render.py),
so validation CER measures reading of unseen faces and unseen text.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow_datasets as tfds

from ocr_jax.data import preprocess
from ocr_jax.data import render

_CHUNK = 250


@dataclasses.dataclass
class SynthTextConfig(tfds.core.BuilderConfig):
  num_train: int = 40_000
  num_validation: int = 1_000
  height: int = 32
  max_chars: int = 28
  max_width: int = 384
  # Lines need at least this many CTC frames per label symbol (the model downsamples by 4).
  min_frames_per_symbol: float = 1.5
  seed: int = 0  # training split only: validation is the same in every config
  language: str = "english"  # or 'korean' (Hangul syllables in Nanum faces) or
  # 'korean_print' (Korean prose, words and marks in Debian's Korean faces)
  profile: str = "default"  # or 'print': neighbour strokes, scan and camera effects
  more_faces: bool = False  # train on render.MORE_TRAIN_FONTS too (66 faces, not 51)
  system_faces: bool = False  # train on render.SYSTEM_TRAIN_FONTS too (Debian packages)
  wide_faces: bool = False  # and on render.WIDE_TRAIN_FONTS (33 more, Debian packages)
  # More training prose files in third_party/text (render.load_prose, render.korean_prose).
  extra_prose: tuple = ()
  xheight_lines: float = 0.0  # share of training lines in x-height letters alone
  rule_lines: float = 0.0  # share of training lines that are table rules (render.sample_rule)
  typeset: float = 0.0  # share of training lines drawn with curly quotes and dashes
  scene: float = 0.0  # share of lines drawn as scene text (render.render_scene)
  # Training lines only: share of korean_print lines given official print's marks
  # (render.official_marks), and share of lines drawn with justified word gaps (any language).
  official: float = 0.0
  justify: float = 0.0
  # Training lines only: share of scene lines in colours that differ by hue alone; > 0 also
  # turns scene lines grey as the readers do (render.render_scene's `hue`).
  scene_hue: float = 0.0


def render_example(cfg: SynthTextConfig, split: str, index: int) -> dict:
  """Renders example `index` of `split`; a pure function of (config, split, index)."""
  korean = cfg.language == "korean"
  if korean:
    fonts = render.KOREAN_TRAIN_FONTS if split == "train" else render.KOREAN_VALIDATION_FONTS
  elif cfg.language == "korean_print":
    fonts = (render.KOREAN_PRINT_TRAIN_FONTS if split == "train"
             else render.KOREAN_PRINT_VALIDATION_FONTS)
  else:
    fonts = render.VALIDATION_FONTS
    if split == "train":
      fonts = render.TRAIN_FONTS + (render.MORE_TRAIN_FONTS if cfg.more_faces else ()) + (
          render.SYSTEM_TRAIN_FONTS if cfg.system_faces else ()) + (
          render.WIDE_TRAIN_FONTS if cfg.wide_faces else ())
  seed = cfg.seed if split == "train" else 0
  rng = np.random.default_rng([seed, 0 if split == "train" else 1, index])
  font = fonts[index % len(fonts)]
  max_chars = cfg.max_chars
  # Drawn only where the config asks, so that other configs' lines stay byte-identical.
  xheight = split == "train" and cfg.xheight_lines > 0 and rng.random() < cfg.xheight_lines
  rule = split == "train" and cfg.rule_lines > 0 and rng.random() < cfg.rule_lines
  profile = cfg.profile
  if cfg.scene > 0 and rng.random() < cfg.scene:
    profile = "scene"  # drawn only where the config asks (see above)
  for _ in range(20):
    if korean:
      text = render.sample_korean(rng, max_chars)
    elif cfg.language == "korean_print":
      text = render.sample_korean_print(rng, split, max_chars, cfg.extra_prose)
      if split == "train" and cfg.official > 0 and rng.random() < cfg.official:
        text = render.official_marks(rng, text, max_chars)  # drawn only where asked
      if not set(text) - {" "} <= render.font_chars(font):
        continue  # a mark the face lacks: another text
    elif rule:
      text = render.sample_rule(rng, max_chars)
    elif xheight:
      text = render.sample_xheight(rng, split, max_chars, cfg.extra_prose)
    else:
      text = render.sample_text(rng, split, max_chars, cfg.extra_prose)
    drawn = text
    if split == "train" and cfg.typeset > 0 and rng.random() < cfg.typeset:
      drawn = render.typeset(text, font)  # drawn only where the config asks (see above)
    if split == "train" and cfg.justify > 0 and " " in text and rng.random() < cfg.justify:
      drawn = render.widen_gaps(rng, drawn)  # drawn only where the config asks (see above)
    img = render.render_line(drawn, font, rng, height=cfg.height, profile=profile,
                             scene_hue=cfg.scene_hue if split == "train" else 0.0)
    frames = img.shape[1] // preprocess.COLUMNS_PER_FRAME
    if img.shape[1] <= cfg.max_width and frames >= max(
        preprocess.ctc_frames_needed(text) + 1, cfg.min_frames_per_symbol * len(text)):
      break
    max_chars = max(1, min(max_chars, len(text)) - 2)  # too wide: try a shorter text
  else:
    raise RuntimeError(f"could not fit a line into {cfg.max_width}px with font {font}")
  return {"image": preprocess.encode_png(img), "text": text, "font": font,
          "width": np.int32(img.shape[1])}


# english_print and its further draws of training lines differ in the seed alone.
_ENGLISH_PRINT = dict(num_train=120_000, num_validation=1_000, max_chars=40, max_width=640,
                      profile="print")
_KOREAN_PRINT = dict(num_train=160_000, num_validation=1_000, max_chars=24, max_width=640,
                     language="korean_print", profile="print", scene=0.4)
# korean_print_official2's lines (and the later draws of that kind).
_KOREAN_OFFICIAL2 = dict(official=0.125, justify=0.125, scene_hue=0.33,
                         extra_prose=(render.KOREAN_LM_PROSE,), **_KOREAN_PRINT)


class SynthText(tfds.core.GeneratorBasedBuilder):
  """Synthetic printed English text lines (printable ASCII): 51 or 66 training faces, 8
  held-out validation faces, all bundled."""

  VERSION = tfds.core.Version("1.14.0")
  RELEASE_NOTES = {"1.0.0": "First release.",
                   "1.1.0": "26 more training faces (51 in all); validation unchanged.",
                   "1.2.0": "english_print config (longer lines, print profile); others "
                            "unchanged.",
                   "1.3.0": "Lines whose degradations left the ink unreadable (render."
                            "legibility) drawn again: 2.2 % of english_print validation, "
                            "0.5 % of default's; every other line byte-identical.",
                   "1.4.0": "default trains on 15 more faces (66); default_51 keeps the 51 "
                            "(the ablation); english_print_66 added; other configs "
                            "unchanged.",
                   "1.5.0": "english_print_tech added (technical prose from NumPy and "
                            "scikit-learn docstrings beside the KJV and Jargon File, lines in "
                            "x-height letters alone, curly quotes and dashes); other configs "
                            "unchanged.",
                   "1.6.0": "korean_print and korean_print_quick added (Korean print and "
                            "scene text in Debian's Korean faces); other configs unchanged.",
                   "1.7.0": "english_print_wide added (115 faces: 33 more from Debian, "
                            "italics above all); other configs unchanged.",
                   "1.8.0": "korean_print_more added (a second draw of Korean training "
                            "lines whose prose adds LibreOffice's Korean help); other "
                            "configs unchanged.",
                   "1.9.0": "korean_print_more2 added (a third draw, seed 2, of "
                            "korean_print_more's lines); other configs unchanged.",
                   "1.10.0": "korean_print_official added (a fourth draw, seed 3, a "
                             "quarter of its lines with official print's marks and a "
                             "quarter with justified word gaps); other configs unchanged.",
                   "1.11.0": "korean_print_official2 added (a fifth draw, seed 4: fewer "
                             "official marks, scene lines in hue-only colours and turned grey "
                             "as the readers do); other configs unchanged.",
                   "1.11.1": "korean_print_official2's scene lines read along their colour "
                             "axis now also have their ground flattened, as the readers "
                             "see them (preprocess.flatten_ground); the Korean release's leg "
                             "10 trained on 1.11.0. Other configs unchanged.",
                   "1.12.0": "english_print_flush: x-height lines, table rules and justified "
                             "gaps for crops cut flush; other configs unchanged.",
                   "1.13.0": "korean_print_official3 added (a sixth draw, seed 5, of "
                             "korean_print_official2's kind of lines); other configs "
                             "unchanged.",
                   "1.14.0": "english_print_mixed added (a ninth draw, seed 8, mixing "
                             "english_print_wide's and english_print_flush's kinds of lines "
                             "as the English leg 14 did); other configs unchanged."}
  BUILDER_CONFIGS = [
      SynthTextConfig(name="default", description="40k train lines in 66 faces, 1k "
                      "validation lines.", more_faces=True),
      SynthTextConfig(name="default_51", description="As default, in the 51 training faces "
                      "of versions before 1.4.0 (render.TRAIN_FONTS alone)."),
      SynthTextConfig(name="large", description="160k train lines for the long run.",
                      num_train=160_000, num_validation=1_000),
      SynthTextConfig(name="english_print", description="120k longer lines (up to 40 "
                      "characters, 640 px) with the print profile: neighbouring lines' "
                      "strokes, ink bleed and dropout, binarised scans, uneven light.",
                      **_ENGLISH_PRINT),
      SynthTextConfig(name="english_print_more", description="For continued training: a "
                      "second draw of 120k english_print training lines (seed 1); validation "
                      "identical to english_print's.", seed=1, **_ENGLISH_PRINT),
      SynthTextConfig(name="english_print_more2", description="As english_print_more, a "
                      "third draw (seed 2).", seed=2, **_ENGLISH_PRINT),
      SynthTextConfig(name="english_print_more3", description="As english_print_more, a "
                      "fourth draw (seed 3).", seed=3, **_ENGLISH_PRINT),
      SynthTextConfig(name="english_print_66", description="As english_print_more, a fifth "
                      "draw (seed 4) in the 66 training faces.", seed=4, more_faces=True,
                      **_ENGLISH_PRINT),
      SynthTextConfig(name="english_print_tech", description="As english_print_66, a sixth "
                      "draw (seed 5) in 82 faces (16 from Debian packages, render."
                      "SYSTEM_TRAIN_FONTS) whose training prose adds technical writing (NumPy and "
                      "scikit-learn docstrings: numbers, units, citations, code names); "
                      "validation identical; 4 % of the lines in x-height letters alone; half "
                      "the lines typeset with curly quotes and dashes (labels in ASCII).",
                      seed=5, more_faces=True, system_faces=True,
                      extra_prose=("numpy_sklearn_docs.txt.gz",),
                      xheight_lines=0.04, typeset=0.5, **_ENGLISH_PRINT),
      SynthTextConfig(name="english_print_wide", description="As english_print_tech, a "
                      "seventh draw (seed 6) in 115 faces: 33 more from Debian packages "
                      "(render.WIDE_TRAIN_FONTS: true italics, bold and condensed cuts, a "
                      "Times-like serif, Century, Didot, Garamond, monos); validation "
                      "identical.", seed=6, more_faces=True, system_faces=True,
                      wide_faces=True, extra_prose=("numpy_sklearn_docs.txt.gz",),
                      xheight_lines=0.04, typeset=0.5, **_ENGLISH_PRINT),
      SynthTextConfig(name="english_print_flush", description="As english_print_wide, an "
                      "eighth draw (seed 7) for crops cut flush with the ink: 12 % of the "
                      "lines in x-height letters alone, 1.5 % table rules ('===== ===='), "
                      "10 % with justified word gaps; validation identical.", seed=7,
                      more_faces=True, system_faces=True, wide_faces=True,
                      extra_prose=("numpy_sklearn_docs.txt.gz",), xheight_lines=0.12,
                      rule_lines=0.015, justify=0.1, typeset=0.5, **_ENGLISH_PRINT),
      SynthTextConfig(name="english_print_mixed", description="As english_print_wide, a "
                      "ninth draw (seed 8) whose lines mix as the English leg 14's mixture of "
                      "english_print_wide and english_print_flush (2:1) did: 7 % of the lines "
                      "in x-height letters alone, 0.5 % table rules, 3 % with justified word "
                      "gaps; validation identical.", seed=8, more_faces=True,
                      system_faces=True, wide_faces=True,
                      extra_prose=("numpy_sklearn_docs.txt.gz",), xheight_lines=0.07,
                      rule_lines=0.005, justify=0.033, typeset=0.5, **_ENGLISH_PRINT),
      SynthTextConfig(name="quick", description="Tiny set for tests and smoke runs.",
                      num_train=1_200, num_validation=96, max_chars=16, max_width=256),
      SynthTextConfig(name="korean", description="Hangul lines (2,350 KS X 1001 syllables) "
                      "in 3 Nanum faces; validation in the held-out NanumSquareRound.",
                      num_train=40_000, num_validation=1_000, max_chars=10, language="korean"),
      SynthTextConfig(name="korean_print", description="Korean print: 160k lines of up to "
                      "24 characters (640 px), the GIMP manual's Korean prose with English "
                      "words, numbers and marks, Hunspell's words and uniform syllables, in 32 "
                      "faces from Debian packages (render.KOREAN_PRINT_TRAIN_FONTS); 60 % "
                      "print-profile documents, 40 % scene text; validation in the held-out "
                      "NanumSquareRound family, on the manual's last tenth.",
                      **_KOREAN_PRINT),
      SynthTextConfig(name="korean_print_more", description="For continued training: a "
                      "second draw of 160k korean_print training lines (seed 1) whose prose "
                      "adds the training nine tenths of LibreOffice's Korean help (render."
                      "KOREAN_LM_PROSE: 7x the manual's text, the same kind of writing); "
                      "validation identical to korean_print's.", seed=1,
                      extra_prose=(render.KOREAN_LM_PROSE,), **_KOREAN_PRINT),
      SynthTextConfig(name="korean_print_more2", description="For the leg after "
                      "korean_print_more's: a third draw (seed 2) of its training lines, "
                      "same prose and faces; validation identical to korean_print's.", seed=2,
                      extra_prose=(render.KOREAN_LM_PROSE,), **_KOREAN_PRINT),
      SynthTextConfig(name="korean_print_official", description="A fourth draw (seed 3) "
                      "of korean_print_more's lines where a quarter carry the marks of "
                      "official print the prose lacks (circled clause numerals, ㆍ lists, "
                      "leaders: render.official_marks) and a quarter are drawn with the wide "
                      "word gaps of justified type; validation identical to korean_print's.",
                      seed=3, official=0.25, justify=0.25,
                      extra_prose=(render.KOREAN_LM_PROSE,), **_KOREAN_PRINT),
      SynthTextConfig(name="korean_print_official2", description="A fifth draw (seed 4) "
                      "for the leg after korean_print_official's: official print's marks and "
                      "justified gaps on an eighth of the lines each (plain lines back in the "
                      "majority), and a third of the scene lines in colours that differ by hue "
                      "alone, all scene lines turned grey as the readers turn colour images "
                      "grey (preprocess.to_grey); validation identical to korean_print's.",
                      seed=4, **_KOREAN_OFFICIAL2),
      SynthTextConfig(name="korean_print_official3", description="As "
                      "korean_print_official2, a sixth draw (seed 5): fresh lines for the leg "
                      "after leg 10's; validation identical to korean_print's.",
                      seed=5, **_KOREAN_OFFICIAL2),
      SynthTextConfig(name="korean_print_quick", description="Tiny korean_print for tests.",
                      num_train=96, num_validation=32, max_chars=10, max_width=384,
                      language="korean_print", profile="print", scene=0.4),
      SynthTextConfig(name="korean_quick", description="Tiny Korean set for tests.",
                      num_train=200, num_validation=32, max_chars=6, max_width=256,
                      language="korean"),
  ]
  DEFAULT_CONFIG_NAME = "default"
  # Worker processes that render; 0 = one per core.
  num_workers: int = 0

  def _info(self) -> tfds.core.DatasetInfo:
    cfg = self.builder_config
    return tfds.core.DatasetInfo(
        builder=self,
        description=__doc__,
        features=preprocess.line_features(cfg.height, font=tfds.features.Text(),
                                          width=tfds.features.Scalar(np.int32)),
        supervised_keys=("image", "text"),
        license="Fonts: see third_party/fonts/README.md; text: public domain.",
    )

  def _split_generators(self, dl_manager):
    del dl_manager  # Nothing to download: fonts and text are bundled or Debian's.
    cfg = self.builder_config
    if cfg.system_faces:
      render.check_system_fonts(cfg.wide_faces)
    if cfg.language == "korean_print":
      render.check_korean_fonts()
    return {"train": self._generate_examples("train", cfg.num_train),
            "validation": self._generate_examples("validation", cfg.num_validation)}

  def _generate_examples(self, split: str, num: int):
    cfg = self.builder_config
    yield from preprocess.render_in_processes(render_example, cfg, split, num, _CHUNK,
                                              self.num_workers)
