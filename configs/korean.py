"""Korean printed lines: 2,350 Hangul syllables (+ digits, punctuation), Nanum faces, the
NanumSquareRound family held out for validation.

  python -m ocr_jax.main --config=configs/korean.py --workdir=/tmp/ocr_korean
"""
from configs import default


def get_config(arg=None):
  arg = default.parse_arg(arg, quick=False)
  config = default.get_config("quick" if arg.quick else None)
  config.charset = "korean"
  config.model.sequence.name = "bilstm"  # docs/own_data.md's figures
  config.data.augment.p = 0.0  # (measured without online augmentation)
  config.data.builder_config = "korean_quick" if arg.quick else "korean"
  config.data.fit_margins = False  # margins measured on the English lines only
  config.data.max_label_length = 32
  # Wider features and sequence model for 2,364 classes; a syllable spans ~8 frames.
  config.model.features.channels = (32, 64, 96, 128)
  config.model.sequence.hidden = 192
  if not arg.quick:
    config.num_train_steps = 1500
    config.eval_every_steps = 500
  return config
