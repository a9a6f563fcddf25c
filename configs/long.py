"""The longer run: the default model trained 4x longer on 4x more lines (`synth_text/large`).

  python -m ocr_jax.main --config=configs/long.py --workdir=/tmp/ocr_long
"""
from configs import default


def get_config(arg=None):
  config = default.get_config(arg)
  if not default.parse_arg(arg, quick=False).quick:
    config.data.builder_config = "large"
    config.num_train_steps = 6000
    config.optimizer.warmup_steps = 200
    config.eval_every_steps = 1000
  return config
