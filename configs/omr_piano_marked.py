"""The piano-staff recognizer on marked scores with keyboard chords: music_piano's leg 6.

  python -m ocr_jax.main --config=configs/omr_piano_marked.py --workdir=/tmp/ocr_omr_piano_marked

configs/omr_piano_voices.py (second voices, `voice2`) continued on `omr_synth/piano_marked`:
60 % of its staves carry the performance markings real scores print and no token names
(staccato dots that are no augmentation dots, slurs that are no ties, dynamics, hairpins,
pedal marks), and its chords take keyboard shapes (seconds, sevenths, tenths, four notes,
some chromatic). The released `music_piano` before leg 5 read marked systems at note-F1
0.862 against 0.956 unmarked (docs/music.md). Starts from `init_from` (leg 5's workdir, or
the release once it holds leg 5: same charset, every parameter copied).
"""
from configs import default
from configs import omr_piano_voices


def get_config(arg=None):
  config = omr_piano_voices.get_config(arg)
  if default.parse_arg(arg, quick=False).quick:
    return config
  config.data.builder_config = "piano_marked"
  config.init_from = "music_piano"
  config.num_train_steps = 1000
  config.optimizer.learning_rate = 4e-4
  config.optimizer.warmup_steps = 50
  config.seed = 4
  return config
