"""The four-stage recognizer of Baek et al. 2019 ("What is wrong with scene text recognition
model comparisons?"): transformation -> features -> sequence -> prediction, each picked by
`config.model.<stage>.name`, so an ablation is a config override:

  transformation  none | tps                          (models/transformation.py)
  features        lenet | vgg | resnet                (models/features.py)
  sequence        none | bilstm | transformer | conv  (models/sequence.py)
  prediction      ctc | attention                     (models/prediction.py)

The defaults (none, vgg, bilstm, ctc) are the CRNN of Shi et al. 2015. Each stage is one
top-level parameter collection named after it, which is what fine-tuning freezes by.
"""
from __future__ import annotations

from typing import Sequence

import flax.linen as nn

from ocr_jax.models import features as features_lib
from ocr_jax.models import prediction as prediction_lib
from ocr_jax.models import sequence as sequence_lib
from ocr_jax.models import transformation as transformation_lib

STAGES = ("transformation", "features", "sequence", "prediction")
WIDTH_REDUCTION = features_lib.WIDTH_REDUCTION


def stage_of(module: str) -> str:
  """The stage a top-level parameter collection belongs to (for freezing, fine-tuning)."""
  if module not in STAGES:
    raise ValueError(f"unknown recognizer module {module!r}")
  return module


def class_axis(path: tuple) -> int | None:
  """The axis of a parameter that runs over the charset's classes, or None. Output layers
  are named 'head' (classes last); the attention decoder's input embedding 'embed' (classes
  first, plus one start-token row)."""
  if len(path) >= 2 and path[-2] == "head":
    return -1
  if len(path) >= 2 and path[-2] == "embed":
    return 0
  return None


class Recognizer(nn.Module):
  """Line image float32[B, H, W, 1] + paddings[B, W] -> (logits float32[B, S, num_classes],
  paddings[B, S]): S = W/4 (or W/`width_reduction`) frames for CTC, max_length+1 steps for attention."""
  num_classes: int
  transformation: str = "none"
  num_fiducial: int = 20
  features: str = "vgg"
  channels: Sequence[int] = (32, 64, 128, 128)
  width_reduction: int = WIDTH_REDUCTION
  sequence: str = "bilstm"
  hidden: int = 128
  num_layers: int = 1
  num_heads: int = 4
  kernel_size: int = 5
  stride: int = 1
  prediction: str = "ctc"
  max_length: int = 32
  dropout: float = 0.0

  @nn.compact
  def __call__(self, images, image_paddings, labels=None, label_paddings=None, *,
               train: bool = False):
    tps = transformation_lib.get(self.transformation, self.num_fiducial)
    if tps is not None:
      images = tps(images, image_paddings, train=train)
    x, paddings = features_lib.get(self.features, self.channels,
                                   width_reduction=self.width_reduction)(
                                       images, image_paddings, train=train)
    x = sequence_lib.Sequence(self.sequence, self.hidden, self.num_layers, self.num_heads,
                              self.dropout, self.kernel_size, self.stride,
                              name="sequence")(x, paddings, train=train)
    x = nn.Dropout(self.dropout, deterministic=not train)(x)
    head = prediction_lib.get(self.prediction, self.num_classes, max_length=self.max_length,
                              hidden=self.hidden, stride=self.stride)
    return head(x, paddings, labels, label_paddings, train=train)
