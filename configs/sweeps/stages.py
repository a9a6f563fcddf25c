"""The stage ablation of docs/ablation.md: the CRNN baseline (VGG + BiLSTM + CTC, the default
model until the default took a transformer layer) and one- or two-stage changes from it
(transformation, features, sequence, prediction). Every row names its sequence stage, so the
rows mean what their names say whatever the default is.

  python launch/ablate.py --config=configs/default.py --sweep_file=configs/sweeps/stages.py ...
"""


def get_sweep():
  transformer = {"model.sequence.name": "transformer", "model.sequence.num_layers": 2}
  bilstm = {"model.sequence.name": "bilstm"}
  return [
      {"_name": "none-vgg-bilstm-ctc", **bilstm},  # the CRNN baseline
      {"_name": "tps-vgg-bilstm-ctc", **bilstm, "model.transformation.name": "tps"},
      {"_name": "none-lenet-bilstm-ctc", **bilstm, "model.features.name": "lenet",
       "model.features.channels": (32, 96)},
      {"_name": "none-resnet-bilstm-ctc", **bilstm, "model.features.name": "resnet"},
      {"_name": "none-vgg-none-ctc", "model.sequence.name": "none"},
      {"_name": "none-vgg-transformer-ctc", **transformer},
      {"_name": "none-vgg-bilstm-attention", **bilstm, "model.prediction.name": "attention"},
      {"_name": "none-vgg-transformer-attention", **transformer,
       "model.prediction.name": "attention"},
      # The best setting of Baek et al. 2019 (TPS-ResNet-BiLSTM-Attn), at our small size.
      {"_name": "tps-resnet-bilstm-attention", **bilstm, "model.transformation.name": "tps",
       "model.features.name": "resnet", "model.prediction.name": "attention"},
  ]
