"""The music recognizer trained on PrIMuS or Camera-PrIMuS, which the user has downloaded.

  python -m ocr_jax.main --config=configs/omr_primus.py --workdir=/tmp/ocr_omr_primus \
      --config.data.manual_dir=/path/to/PrIMuS/Corpus
  # Camera-PrIMuS: --config.data.builder_config=camera_primus

Same model and training code as configs/omr_synth.py; only the data differ (the `primus`
manual-download builder, ocr_jax/data/primus.py). To start from the synthetic model instead of
from scratch, add --config.init_from=<omr_synth workdir>. PrIMuS staves are longer than ours,
hence the wider buckets and labels.
"""
from configs import omr_synth


def get_config(arg=None):
  config = omr_synth.get_config(arg)
  config.data.name = "primus"
  config.data.builder_config = "primus"  # or 'camera_primus'
  config.data.manual_dir = ""  # required: where the extracted dataset lies
  config.data.width_buckets = (384, 768) if config.data.width_buckets[-1] < 1024 else (
      512, 768, 1024, 1280, 1536)
  config.data.max_label_length = 96
  return config
