"""The released English print model (`ocr_jax/released/english_print`).

  python -m ocr_jax.main --config=configs/english_print.py --workdir=/tmp/ocr_english_print

The released model took fourteen legs, each from the last (`init_from`): legs 1-8 on
`english_print` and fresh draws of it, legs 9-10 on `english_print_tech` (more faces,
technical prose, curly quotes, the `lowres` augmentation), leg 11 on `english_print_wide`
(33 more faces from Debian), legs 12-14 towards crops cut flush with the ink (leg 14 on
`english_print_wide` and `english_print_flush` mixed, `config.data.mix`); exact commands
in ocr_jax/released/english_print/README.md.
This config trains with augmentation (p = 0.5, from configs/default.py) from the start.

Data: `synth_text/english_print`, 120k lines of up to 40 characters in the 51 training faces
with the print profile (neighbouring lines' strokes, ink bleed and dropout, binarised scans,
uneven light); validation in the 8 held-out faces. The test sets of the comparison with
Tesseract (`python -m ocr_jax.data.testsets`) use 8 further faces that neither split uses.
Model: VGG features + 2-layer BiLSTM + CTC (recurrence reads lines longer than the training
ones, which absolute-position attention does not promise).
"""
from configs import default


def get_config(arg=None):
  config = default.get_config(arg)
  config.model.sequence.name = "bilstm"  # the released model's
  if not default.parse_arg(arg, quick=False).quick:
    config.data.builder_config = "english_print"
    config.data.width_buckets = (128, 256, 384, 512, 640)
    config.data.max_label_length = 48
    config.model.features.channels = (16, 32, 96, 128)
    config.model.sequence.hidden = 192
    config.model.sequence.num_layers = 2
    config.num_train_steps = 3500
    config.optimizer.learning_rate = 1.5e-3
    config.optimizer.warmup_steps = 200
    config.eval_every_steps = 1500
    config.checkpoint_every_steps = 250
    config.eval.max_examples = 500
  return config
