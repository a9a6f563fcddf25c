"""The released English model's features under a `conv` sequence stage, distilled from it.

  python -m ocr_jax.main --config=configs/english_print_conv.py --workdir=/tmp/ep_conv

The BiLSTM's time loop is most of the released model's reading time; four residual temporal
convolutions (192 wide, kernel 5) under the same features read 1.48x as many validation
lines per second, but after this run (10,000 steps, 53 min on 2 CPU cores) read the held-out
faces at 4.53 % CER against the released model's 3.59 % (500 validation lines of synth_text
1.2.0, before its unreadable lines were redrawn; docs/speed.md, "A faster sequence stage by
distillation"): not released. The features are copied from the
released model and frozen, the sequence stage and output layer start fresh, and the loss is
half CTC on the labels, half KL from the released model's frames (ocr_jax/distill.py).
Training lines: `synth_text/english_print_more3` (a fourth draw, seed 3, that no released leg
trained on); validation: the english_print split (8 held-out faces).
"""
from ocr_jax import released
from configs import default
from configs import english_print

RELEASED = released.ENGLISH_MODEL


def get_config(arg=None):
  config = english_print.get_config(arg)
  config.model.sequence.name = "conv"
  config.model.sequence.num_layers = 4
  config.model.sequence.kernel_size = 5
  if not default.parse_arg(arg, quick=False).quick:
    config.data.builder_config = "english_print_more3"
    config.init_from = RELEASED
    config.init_model = "config"  # this config's sequence stage, the released features
    config.freeze = ("features",)
    config.distill.teacher = RELEASED
    config.distill.weight = 0.5
    config.num_train_steps = 10000
  return config
