"""The released English model with its BiLSTM stepping over pairs of frames, distilled from it.

  python -m ocr_jax.main --config=configs/english_print_fast.py --workdir=/tmp/ep_fast

`sequence.stride=2` (models/sequence.py): the BiLSTM reads two adjacent frames per step and
the CTC head writes two frames per step, so the recurrence, about half of the released
model's reading time, runs half as many steps while the output keeps its frame rate. Every tensor
starts from the released model (finetune.py: the collapse reads each pair's mean, the output
layer writes the old frame twice); the features stay frozen, and the loss is half CTC on the
labels, half KL from the released model's frames (ocr_jax/distill.py), which line up with the
student's one for one. Training lines: `synth_text/english_print_66` (a fifth draw, seed 4,
in the 66 training faces), with the release's recrop augmentation; validation: the
english_print split (8 held-out faces).

Measured (docs/speed.md, "Fewer recurrence steps"): 1.19-1.32x the release's lines/s; after this
config's 6,000 steps (31 min on 2 CPU cores) and a second leg of 6,000 on
english_print_more3 at 3e-4, 3.48 % CER on the 1,000 validation lines against the release's
2.78 %; from this config's 6,000 steps with the features trained too (`--config.freeze="()"`,
5,000 steps on english_print_more3 at 3e-4, 33 min), 3.44 %: not released.
"""
from ocr_jax import released
from configs import default
from configs import english_print

RELEASED = released.ENGLISH_MODEL


def get_config(arg=None):
  config = english_print.get_config(arg)
  config.model.sequence.stride = 2
  if not default.parse_arg(arg, quick=False).quick:
    config.data.builder_config = "english_print_66"
    config.data.augment.recrop = 0.8
    config.init_from = RELEASED
    config.init_model = "config"  # this config's strided sequence stage
    config.freeze = ("features",)
    config.distill.teacher = RELEASED
    config.distill.weight = 0.5
    config.num_train_steps = 6000
    config.optimizer.learning_rate = 5e-4
    config.optimizer.warmup_steps = 100
    config.eval_every_steps = 1500
  return config
