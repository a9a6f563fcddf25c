"""The music recognizer: printed staves -> PrIMuS semantic tokens, the text model's code.

  python -m ocr_jax.main --config=configs/omr_synth.py --workdir=/tmp/ocr_omr_synth

Data: `omr_synth/default`, 24k random monophonic incipits engraved by Verovio in four SMuFL
fonts (Bravura, Gootville, Leland, Petaluma), scan/photo degradations; validation in the same
fonts (other incipits); the `test` split is in Leipzig, held out of both (see
`launch/evaluate_omr.py`). Only the data, charset and sizes differ from configs/default.py:
the model, train step, checkpoints and decoding are the text ones. Staves are read at height
64 (about 5.8 px per staff space) so that line and space positions stay apart.
Variant `:quick` for smoke runs and tests.

The released model (ocr_jax/released/music_synth/README.md) has these stages and charset, but
got there in a chain of runs (BiLSTM features first, then this sequence stage on
`omr_synth/multirests` with `--config.init_model=config`, then continued on the fresh staves
of `omr_synth/more`); a straight run of this config from scratch has not been measured.
"""
from configs import default


def get_config(arg=None):
  config = default.get_config(arg)
  quick = default.parse_arg(arg, quick=False).quick
  # Multirest counts spelled digit by digit (`multirest-12` = `multirest-`, `1`, `2`).
  config.charset = "primus_semantic_spelled"
  config.data.name = "omr_synth"
  config.data.fit_margins = False  # staves, not text lines
  config.data.builder_config = "quick" if quick else "default"
  config.data.height = 64
  config.data.max_label_length = 64
  config.model.features.channels = (16, 32, 64, 128)
  # The released music model's stages: VGG + a 2-layer transformer, which reads a multirest's
  # printed count where a BiLSTM guessed it (docs/music.md, figures).
  config.model.sequence.name = "transformer"
  config.model.sequence.hidden = 160
  config.model.sequence.num_layers = 2
  if quick:
    config.data.width_buckets = (384, 768)
    config.model.features.channels = (8, 16, 32, 32)
    config.model.sequence.hidden = 32
    config.model.sequence.num_layers = 1
    return config
  config.data.width_buckets = (256, 384, 512, 768, 1024)
  # Fresh distortions every step: what carried the model to the held-out font (docs/music.md).
  config.data.augment.p = 0.5
  config.batch_size = 24
  config.num_train_steps = 6250  # ~2.5-3.5 h on 2 shared CPU cores; raise it on a GPU
  config.optimizer.learning_rate = 1.5e-3
  config.optimizer.warmup_steps = 200
  config.eval_every_steps = 1000
  config.checkpoint_every_steps = 250
  config.eval.batch_size = 32
  config.eval.max_examples = 500
  return config
