"""Recognizer models, built from `config.model` (see models/recognizer.py)."""
from ocr_jax.models import recognizer


def get_model(model_config, num_classes: int, max_length: int = 32):
  """The Flax module `model_config` describes; `max_length` bounds attention decoding."""
  if model_config.name not in ("crnn", "recognizer"):
    raise ValueError(f"unknown model {model_config.name!r}; use 'recognizer' (or 'crnn')")
  get = lambda stage, field, default: model_config.get(stage, {}).get(field, default)  # noqa: E731
  return recognizer.Recognizer(
      num_classes=num_classes,
      transformation=get("transformation", "name", "none"),
      num_fiducial=get("transformation", "num_fiducial", 20),
      features=model_config.features.name,
      channels=tuple(model_config.features.channels),
      width_reduction=model_config.features.get("width_reduction", 4),
      sequence=model_config.sequence.name,
      hidden=model_config.sequence.hidden,
      num_layers=model_config.sequence.get("num_layers", 1),
      num_heads=model_config.sequence.get("num_heads", 4),
      kernel_size=model_config.sequence.get("kernel_size", 5),
      stride=model_config.sequence.get("stride", 1),
      prediction=model_config.prediction.name,
      max_length=max_length,
      dropout=model_config.get("dropout", 0.0))


def is_ctc(model_config) -> bool:
  """Whether the model's outputs are CTC frames (else attention-decoder steps)."""
  return model_config.prediction.name == "ctc"
