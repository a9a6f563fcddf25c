"""The piano-staff recognizer that reads two voices on one staff: music_piano's leg 5.

  python -m ocr_jax.main --config=configs/omr_piano_voices.py --workdir=/tmp/ocr_omr_piano_voices

configs/omr_piano_long.py (twice the frames) with the `voice2` token (charset
`primus_piano_voices`, omr/tokens.py): a note or rest marked so runs on the staff's second
voice's clock, so an alto under a soprano, or a bass under a tenor, keeps its own rhythm.
Starts from the released `music_piano` (`init_from`: every parameter and the output rows of
every token it knows; `voice2` is a new class) and trains on `omr_synth/piano_voices` (as
`piano_long`, with second voices in some bars of 60 % of the system staves, half the
examples one-staff melodies).
"""
from configs import default
from configs import omr_piano_long


def get_config(arg=None):
  config = omr_piano_long.get_config(arg)
  config.charset = "primus_piano_voices"
  if default.parse_arg(arg, quick=False).quick:
    return config
  config.data.builder_config = "piano_voices"
  config.init_from = "music_piano"
  config.num_train_steps = 2000
  config.optimizer.learning_rate = 5e-4
  config.seed = 3
  return config
