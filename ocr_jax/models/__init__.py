"""Recognizer models, picked by name from `config.model`."""
from ocr_jax.models import crnn


def get_model(model_config, num_classes: int):
  """Builds the Flax module that `model_config.name` names."""
  if model_config.name == "crnn":
    return crnn.CRNN(num_classes=num_classes, features=tuple(model_config.features.channels),
                     sequence=model_config.sequence.name,
                     hidden=model_config.sequence.hidden,
                     num_layers=model_config.sequence.num_layers,
                     dropout=model_config.get("dropout", 0.0))
  raise ValueError(f"unknown model {model_config.name!r}")
