"""The released Korean model (`ocr_jax/released/korean`): Korean print and scene text.

  apt-get install fonts-nanum fonts-nanum-extra fonts-nanum-eco fonts-alee fonts-lexi-gulim \
      fonts-woowa-bm fonts-wqy-zenhei hunspell-ko
  python -m ocr_jax.main --config=configs/korean_print.py --workdir=/tmp/ocr_korean_print

Starts from the English release (`init_from`: its features and sequence model; the output
rows of the characters both charsets share), so Latin letters, digits and strokes are known
from the first step and the legs go to Hangul. The release's legs and commands are in
ocr_jax/released/korean/README.md.

Data: `synth_text/korean_print`, 160k lines of up to 24 characters: the GIMP manual's Korean
prose, Korean mixed with English words, numbers, units and the marks of Korean print,
Hunspell's Korean words and uniform syllables, in 32 faces of Debian's Korean font packages;
60 % print-profile document lines, 40 % scene text (colour on colour, outlines, shadows,
perspective). Validation in the held-out NanumSquareRound family on held-out text. The
development sets (`python -m ocr_jax.data.devsets_korean`) use other faces, another
rasteriser and other text. Later legs: `--config.data.builder_config=korean_print_more`, a
fresh draw of 160k training lines whose prose adds LibreOffice's Korean help (7x the text).
Charset `korean_print` (2,563 symbols: ocr_jax/charset.py).
"""
from configs import default


def get_config(arg=None):
  arg = default.parse_arg(arg, quick=False)
  config = default.get_config("quick" if arg.quick else None)
  config.charset = "korean_print"
  config.model.sequence.name = "bilstm"
  config.data.builder_config = "korean_print_quick" if arg.quick else "korean_print"
  config.data.fit_margins = False  # margins measured on English lines only
  config.data.max_label_length = 32
  if not arg.quick:
    config.init_from = "english_print"
    config.data.width_buckets = (128, 256, 384, 512, 640)
    config.data.augment.recrop = 0.8
    config.data.augment.lowres = 12
    config.model.features.channels = (16, 32, 96, 128)  # the English release's
    config.model.sequence.hidden = 192
    config.model.sequence.num_layers = 2
    config.num_train_steps = 6000
    config.optimizer.learning_rate = 1.5e-3
    config.optimizer.warmup_steps = 200
    config.eval_every_steps = 2000
    config.checkpoint_every_steps = 250
    config.eval.max_examples = 500
  return config
