"""Strings of real handwritten digits (scikit-learn's load_digits), held-out digits in
validation: a non-text alphabet with the same model and train step.

  python -m ocr_jax.main --config=configs/digits.py --workdir=/tmp/ocr_digits
"""
from configs import default


def get_config(arg=None):
  arg = default.parse_arg(arg, quick=False)
  config = default.get_config("quick" if arg.quick else None)
  config.charset = "digits"
  config.model.sequence.name = "bilstm"  # docs/own_data.md's figures
  config.data.augment.p = 0.0  # (measured without online augmentation)
  config.data.name = "digit_strings"
  config.data.fit_margins = False  # crops are read as the model was trained on them
  config.data.builder_config = "quick" if arg.quick else "default"
  config.data.width_buckets = (128, 256, 384)
  config.data.max_label_length = 12
  if not arg.quick:
    config.num_train_steps = 1200
    config.eval_every_steps = 300
  return config
