"""The longer run: a wider CRNN trained ~3x longer on 4x more lines (`synth_text/large`).

  python -m ocr_jax.main --config=configs/long.py --workdir=/tmp/ocr_long

Same validation split as the default (same fonts, texts and renderings), so the two runs'
CER-vs-time curves are comparable.
"""
from configs import default


def get_config(arg=None):
  config = default.get_config(arg)
  config.model.sequence.name = "bilstm"  # the figures in docs/training.md
  config.data.augment.p = 0.0  # (measured before online augmentation existed)
  if not default.parse_arg(arg, quick=False).quick:
    config.data.builder_config = "large"
    config.model.features.channels = (16, 32, 96, 128)
    config.model.sequence.hidden = 192
    config.model.sequence.num_layers = 2
    config.num_train_steps = 5000
    config.optimizer.learning_rate = 1.5e-3
    config.optimizer.warmup_steps = 200
    config.eval_every_steps = 1000
  return config
