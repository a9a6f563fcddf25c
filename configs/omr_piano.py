"""The music recognizer for piano staves: chords (the `chord` token) on top of the release.

  python -m ocr_jax.main --config=configs/omr_piano.py --workdir=/tmp/ocr_omr_piano

Starts from the released music model (`init_from`: its features, sequence model and the
output rows of every token it knows; `chord` is a new class) and trains on `omr_synth/piano`:
staves of generated two-staff piano systems whose notes are often chords, engraved by
Verovio in the four training fonts and cropped right of the brace as `ocr-jax omr` crops
them (test split in Leipzig). Everything else is configs/omr_synth.py. Variant `:quick`
(tests) reads `omr_synth/piano_quick` with the tiny model, from scratch.
"""
from configs import default
from configs import omr_synth


def get_config(arg=None):
  config = omr_synth.get_config(arg)
  quick = default.parse_arg(arg, quick=False).quick
  config.charset = "primus_piano"
  config.data.builder_config = "piano_quick" if quick else "piano"
  if quick:
    return config
  config.init_from = "music_synth"
  config.num_train_steps = 3000  # ~50 min on 2 shared CPU cores
  config.optimizer.learning_rate = 1e-3
  config.optimizer.warmup_steps = 100
  config.eval_every_steps = 500
  return config
