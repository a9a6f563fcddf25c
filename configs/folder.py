"""Train on your own folder of labelled line images (labels.tsv or tesstrain *.gt.txt pairs).

  python -m ocr_jax.main --config=configs/folder.py --workdir=/tmp/mine \
      --config.data.folder=/data/my_lines [--config.init_from=/tmp/ocr_default]

The charset is every character of the training labels (saved with each checkpoint). With
`init_from`, the run starts from another model (see ocr_jax/finetune.py). Variants:
`configs/folder.py:quick` (few steps, for smoke runs and tests).
"""
from configs import default


def get_config(arg=None):
  arg = default.parse_arg(arg, quick=False)
  config = default.get_config("quick" if arg.quick else None)
  config.charset = "from_data"
  # As the released english_print model, so `init_from` it fine-tunes every stage.
  config.model.sequence.name = "bilstm"
  # Off as in docs/own_data.md's demos; --config.data.augment.p=0.5 for scans unlike the
  # training set.
  config.data.augment.p = 0.0
  config.data.name = "line_folder"
  config.data.fit_margins = False  # crops are read as the model was trained on them
  config.data.builder_config = ""
  config.data.folder = ""  # required: the folder with labels.tsv or *.gt.txt files
  config.data.val_fraction = 0.1  # used when the folder has no train.txt / validation.txt
  config.data.split_seed = 0
  config.data.on_error = "stop"  # or 'skip': leave problem lines out, and say so
  config.data.width_buckets = (128, 256, 384, 512, 768, 1024)  # unused ones cost nothing
  config.data.max_label_length = 48
  config.num_train_steps = 1000 if not arg.quick else 30
  config.eval_every_steps = 250 if not arg.quick else 1000
  return config
