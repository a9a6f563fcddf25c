"""The default model: a lean CRNN trained on the embedded synthetic printed-English lines.

Variants (after a colon): `configs/default.py:quick` for smoke runs and tests.
"""
import ml_collections

from ocr_jax.data import augment


def parse_arg(arg, **defaults):
  """'quick' or 'quick=True,seed=1' -> ConfigDict over `defaults` (big_vision style)."""
  cfg = ml_collections.ConfigDict(defaults)
  for part in filter(None, (arg or "").split(",")):
    key, _, value = part.partition("=")
    kind = type(defaults[key])
    cfg[key] = (value.lower() in ("", "1", "true", "yes")) if kind is bool else kind(value)
  return cfg


def get_config(arg=None):
  arg = parse_arg(arg, quick=False)
  config = ml_collections.ConfigDict()
  config.seed = 0
  config.charset = "printable_ascii"  # or 'from_data': every character of the train labels
  config.init_from = ""  # a workdir to start from (fine-tuning; charsets may differ)
  # The architecture of an init_from run: 'checkpoint' (the base run's) or 'config' (this
  # config's; what matches is copied, e.g. the features of a BiLSTM model into another), or
  # 'widen' (this config's wider features start reading as the base run's: finetune.py).
  config.init_model = "checkpoint"
  # Stages kept fixed: any of 'transformation', 'features', 'sequence', 'prediction'.
  config.freeze = ()
  # Distillation (ocr_jax/distill.py): a trained CTC model whose frames the loss also fits,
  # `weight` of it (the rest is CTC on the labels).
  config.distill = ml_collections.ConfigDict({"teacher": "", "weight": 0.5})

  config.data = ml_collections.ConfigDict()
  config.data.name = "synth_text"
  config.data.builder_config = "default"
  config.data.data_dir = ""  # '' = ~/.cache/ocr_jax/tfds
  config.data.eval_split = "validation"
  # Training lines mixed from several builder configs of `name`, e.g.
  # 'english_print_wide:80000,english_print_flush:40000' (LINES optional: all of them);
  # '' = builder_config's alone. Validation stays builder_config's (pipeline.mix_sources).
  config.data.mix = ""
  config.data.height = 32
  config.data.width_buckets = (128, 256, 384)
  config.data.max_label_length = 32
  config.data.num_workers = 1  # input loaders; raise on GPU/TPU hosts to keep devices busy
  # 'threads' (share this process's GIL) or 'processes' (one spawned process per loader, for
  # hosts with many cores per accelerator; docs/scaling.md has the measured rates).
  config.data.loader = "threads"
  # Online augmentation (data/augment.py): each operation applied with probability p. It
  # reached <= 5 % CER 1,000 steps sooner on the unseen validation fonts (docs/training.md,
  # "Default config"); the derived configs whose figures were measured without it set p = 0.
  config.data.augment = augment.default_config()
  config.data.augment.p = 0.5
  # Reading (inference.Recognizer): bring a line crop's margins into those of the synthetic
  # print lines first (preprocess.fit_margins), so crops from other segmenters read too. Only
  # for models trained on these lines; the configs of other data turn it off.
  config.data.fit_margins = True
  # Music labels: '' names every note by its sounding pitch (PrIMuS semantic); 'opening'
  # names the notes after a mid-staff clef change as the staff's first clef names their
  # places (omr/tokens.clef_change_names), and readers name them back.
  config.data.clef_names = ""

  # The four stages of models/recognizer.py; these defaults are a CRNN.
  config.model = ml_collections.ConfigDict()
  config.model.name = "recognizer"
  config.model.transformation = ml_collections.ConfigDict({"name": "none",  # or 'tps'
                                                           "num_fiducial": 20})
  config.model.features = ml_collections.ConfigDict({"name": "vgg",  # lenet | vgg | resnet
                                                     "channels": (16, 32, 64, 96),
                                                     # 4 or 2 (vgg, resnet): the line's
                                                     # width / frames (models/features.py)
                                                     "width_reduction": 4})
  # A one-layer transformer learns faster per step than a BiLSTM of the same width and speed
  # (docs/training.md, "Default config"); the derived configs that shipped models keep their
  # BiLSTM.
  config.model.sequence = ml_collections.ConfigDict({"name": "transformer",  # none | bilstm
                                                     "hidden": 128, "num_layers": 1,  # | conv
                                                     "num_heads": 4, "kernel_size": 5,
                                                     # frames per sequence step (see
                                                     # models/sequence.py); 1 = each frame
                                                     "stride": 1})
  config.model.prediction = ml_collections.ConfigDict({"name": "ctc"})  # or 'attention'
  config.model.dropout = 0.0

  config.batch_size = 32
  config.num_train_steps = 4000
  config.optimizer = ml_collections.ConfigDict()
  config.optimizer.learning_rate = 2e-3
  config.optimizer.warmup_steps = 100
  config.optimizer.end_learning_rate_factor = 0.02
  config.optimizer.weight_decay = 1e-4
  config.optimizer.grad_clip_norm = 5.0

  config.log_every_steps = 50
  config.eval_every_steps = 1000
  config.checkpoint_every_steps = 250
  config.max_to_keep = 3
  config.prefetch = 4
  config.eval = ml_collections.ConfigDict({"batch_size": 64, "max_examples": 0})

  if arg.quick:
    config.data.builder_config = "quick"
    config.data.width_buckets = (128, 256)  # two compilations instead of three
    config.batch_size = 16
    config.num_train_steps = 60
    config.optimizer.warmup_steps = 10
    config.log_every_steps = 10
    config.eval_every_steps = 1000
    config.checkpoint_every_steps = 20
    config.eval.batch_size = 32
    config.data.augment.p = 0.0  # smoke runs and tests: the plain pipeline
  return config
