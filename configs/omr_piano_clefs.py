"""The piano-staff recognizer that reads clef changes: music_piano's leg 16.

  python -m ocr_jax.main --config=configs/omr_piano_clefs.py --workdir=/tmp/ocr_omr_piano_clefs

configs/omr_piano_marked.py continued on `omr_synth/piano_voices4` (pickups, styled barlines,
and a staff changing between treble and bass clef at a barline in a tenth of the staves),
with labels that name the notes after a clef change as the staff's first clef names their
places (`data.clef_names = 'opening'`, omr/tokens.clef_change_names); the reader names them
back from the clef it read (music.staff_tokens). A note's name then depends on its place and
the opening clef, as on every other staff, not on which of two clefs is nearer to its left:
leg 15, trained on sounding names, found the new clefs but misnamed notes before and after
them (docs/music.md, "What pieces add"). Starts from the release (`music_piano`, leg 13).
"""
from configs import default
from configs import omr_piano_marked


def get_config(arg=None):
  config = omr_piano_marked.get_config(arg)
  config.data.clef_names = "opening"
  if default.parse_arg(arg, quick=False).quick:
    return config
  config.data.builder_config = "piano_voices4"
  config.init_from = "music_piano"
  config.num_train_steps = 700
  config.optimizer.learning_rate = 2e-4
  config.optimizer.warmup_steps = 50
  config.seed = 16
  config.checkpoint_every_steps = 100
  config.eval_every_steps = 700
  return config
