"""The piano-staff recognizer with twice the frames, on long systems: music_piano's leg 3.

  python -m ocr_jax.main --config=configs/omr_piano_long.py --workdir=/tmp/ocr_omr_piano_long

configs/omr_piano.py with two changes, both from the errors of the released `music_piano` on
held-out systems (docs/music.md): most were the first note of a chord left out, where a
chord of up to 4 notes is 7 tokens at one note head's x, under two CTC frames at the default
width reduction of 4 (reading the same staves stretched 1.2x wide lifted note-F1 0.852 ->
0.891 with no training); and systems of 4-5 bars are longer than any `piano` staff (1-3
bars, at most 60 tokens). So the width is pooled once (`width_reduction` 2: every parameter
keeps its shape, `init_model='config'` copies them all from the release) and the data is
`omr_synth/piano_long` (1-6 bars, up to 96 tokens a staff, half one-staff incipits).
"""
from configs import default
from configs import omr_piano


def get_config(arg=None):
  config = omr_piano.get_config(arg)
  config.model.features.width_reduction = 2
  config.data.max_label_length = 100
  if default.parse_arg(arg, quick=False).quick:
    return config
  config.data.builder_config = "piano_long"
  config.init_from = "music_piano"
  config.init_model = "config"  # the release's parameters in this config's architecture
  config.num_train_steps = 3000
  config.optimizer.learning_rate = 6e-4
  config.seed = 2
  return config
