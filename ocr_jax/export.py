"""A trained recognizer as one ONNX file that reads without JAX (onnxruntime, numpy, Pillow).

  ocr-jax export --model english_print --out english_print.onnx [--quantize int8]

The graph is written op by op from the checkpoint's parameters (onnx.helper), not traced:
the JAX-to-ONNX tracers tried (jax2onnx 0.17, 1.23) stop at flax's recurrent scan. Covered:
VGG or LeNet features, a BiLSTM, transformer or no sequence stage, a CTC head (the released
English and music models' kinds); other stages are refused with a message naming them.
Inputs: `image` float32[B, 1, H, W] (ink ~1, paper 0, as preprocess.prepare_line makes it,
channels first) and `paddings` float32[B, W] (1 = padding); outputs: `log_probs`
float32[B, W/4, classes] and `lengths` int32[B], the real frames of each line. Batch and
width are dynamic. Everything reading needs is in the model's metadata (`ocr_jax` key,
JSON): charset, line height, the width grid, whether line crops are fitted to the training
margins, the decoder (CTC).

`--quantize int8` applies onnxruntime's dynamic quantisation (weights of MatMul and LSTM in
int8, activations quantised at run time); the float model is written beside it.
"""
from __future__ import annotations

import json

import numpy as np

from ocr_jax import model_state
from ocr_jax import onnx_reader
from ocr_jax import released
from ocr_jax.models import features as features_lib

OPSET = 17
BN_EPSILON = 1e-5  # flax.linen.BatchNorm's default


class ExportError(ValueError):
  """The model has a stage this exporter does not write."""


class _Graph:
  """Collects ONNX nodes and initializers with unique names."""

  def __init__(self):
    from onnx import helper, numpy_helper  # pylint: disable=g-import-not-at-top
    self.helper, self.numpy_helper = helper, numpy_helper
    self.nodes, self.inits, self.count = [], [], 0

  def const(self, value, name: str, dtype=np.float32) -> str:
    self.inits.append(self.numpy_helper.from_array(np.asarray(value, dtype), name))
    return name

  def op(self, kind: str, inputs, **attrs) -> str:
    self.count += 1
    out = f"{kind.lower()}_{self.count}"
    self.nodes.append(self.helper.make_node(kind, list(inputs), [out], **attrs))
    return out

  def ops(self, kind: str, inputs, num_outputs: int, **attrs) -> list[str]:
    self.count += 1
    outs = [f"{kind.lower()}_{self.count}_{i}" for i in range(num_outputs)]
    self.nodes.append(self.helper.make_node(kind, list(inputs), outs, **attrs))
    return outs


def _features(g: _Graph, name: str, params, stats, x: str, mask: str,
              width_reduction: int = features_lib.WIDTH_REDUCTION):
  """Conv blocks on x [B, C, H, W] with the column mask [B, 1, 1, W]; returns (x, mask)."""
  channels = len([k for k in params if k.startswith("conv")])
  block_pools = features_lib.pools(width_reduction)
  for i in range(channels):
    ph, pw = block_pools[i] if i < len(block_pools) else (1, 1)
    if name == "lenet":
      ph = pw = 2
    conv = params[f"conv{i}"]
    kernel = np.asarray(conv["kernel"]).transpose(3, 2, 0, 1)  # HWIO -> OIHW
    kh, kw = kernel.shape[2:]
    inputs = [x, g.const(kernel, f"conv{i}_w")]
    if "bias" in conv:
      inputs.append(g.const(conv["bias"], f"conv{i}_b"))
    x = g.op("Conv", inputs, pads=[kh // 2, kw // 2, kh // 2, kw // 2])
    if name == "vgg":
      bn, st = params[f"bn{i}"], stats[f"bn{i}"]
      x = g.op("BatchNormalization", [x, g.const(bn["scale"], f"bn{i}_scale"),
                                      g.const(bn["bias"], f"bn{i}_bias"),
                                      g.const(st["mean"], f"bn{i}_mean"),
                                      g.const(st["var"], f"bn{i}_var")], epsilon=BN_EPSILON)
    x = g.op("Mul", [g.op("Relu", [x]), mask])
    if (ph, pw) != (1, 1):
      x = g.op("MaxPool", [x], kernel_shape=[ph, pw], strides=[ph, pw])
    if pw > 1:
      mask = g.op("MaxPool", [mask], kernel_shape=[1, pw], strides=[1, pw])
  return x, mask


def _lstm_weights(cell, gates: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """flax OptimizedLSTMCell parameters -> ONNX W [4H, in], R [4H, H], B [8H] in ONNX's gate
  order `gates` (i, o, f, c), flax's 'g' being ONNX's cell gate 'c'."""
  flax_name = {"i": "i", "o": "o", "f": "f", "c": "g"}
  w = np.concatenate([np.asarray(cell["i" + flax_name[k]]["kernel"]).T for k in gates])
  r = np.concatenate([np.asarray(cell["h" + flax_name[k]]["kernel"]).T for k in gates])
  rb = np.concatenate([np.asarray(cell["h" + flax_name[k]]["bias"]) for k in gates])
  return w, r, np.concatenate([np.zeros_like(rb), rb])


LN_EPSILON = 1e-6  # flax.linen.LayerNorm's default


def _layer_norm(g: _Graph, x: str, p, name: str) -> str:
  return g.op("LayerNormalization", [x, g.const(p["scale"], f"{name}_s"),
                                     g.const(p["bias"], f"{name}_b")], axis=-1,
              epsilon=LN_EPSILON)


def _dense(g: _Graph, x: str, p, name: str, in_axes: int = 1) -> str:
  """x @ kernel (+ bias), a flax Dense/DenseGeneral flattened to one matrix."""
  kernel = np.asarray(p["kernel"])
  rows = int(np.prod(kernel.shape[:in_axes]))
  y = g.op("MatMul", [x, g.const(kernel.reshape(rows, -1), f"{name}_w")])
  if "bias" in p:
    y = g.op("Add", [y, g.const(np.asarray(p["bias"]).reshape(-1), f"{name}_b")])
  return y


def _transformer(g: _Graph, sp, x: str, frames_mask: str, seq) -> str:
  """models/sequence.py's transformer stage on x [B, T, D] (pre-LayerNorm layers, attention
  masked to the real frames, tanh-approximated GELU as flax's default)."""
  hidden, heads = int(seq.hidden), int(seq.num_heads)
  depth = hidden // heads
  if hidden % 2:
    raise ExportError(f"transformer width {hidden} is odd; the positions need an even one")
  # sequence.sinusoidal_positions(T, hidden), computed for the line's T frames.
  frames = g.op("Squeeze", [g.op("Shape", [x], start=1, end=2)])
  t = g.op("Cast", [g.op("Range", [g.const(0, "zero_i", np.int64), frames,
                                   g.const(1, "one_i", np.int64)])], to=1)  # float
  inv = 1.0 / np.power(10000.0, 2 * np.arange(hidden // 2) / hidden)
  angle = g.op("Mul", [g.op("Unsqueeze", [t, g.const([1], "axis_1b", np.int64)]),
                       g.const(inv, "inv_freq")])  # [T, hidden/2]
  pair = [g.op("Unsqueeze", [g.op(f, [angle]), g.const([2], f"axis_2{f}", np.int64)])
          for f in ("Sin", "Cos")]
  pos = g.op("Reshape", [g.op("Concat", pair, axis=2),
                         g.const([-1, hidden], "shape_pos", np.int64)])
  mask3 = g.op("Unsqueeze", [frames_mask, g.const([2], "axis_2", np.int64)])  # [B, T, 1]
  key_bias = g.op("Mul", [g.op("Sub", [frames_mask, g.const(1.0, "one_b")]),
                          g.const(1e9, "big")])  # 0 on real frames, -1e9 on padding
  key_bias = g.op("Unsqueeze", [key_bias, g.const([1, 2], "axes_12c", np.int64)])
  x = g.op("Mul", [g.op("Add", [x, pos]), mask3])
  split = g.const([0, 0, heads, depth], "shape_heads", np.int64)
  for i in range(int(seq.num_layers)):
    p = sp[f"encoder{i}"]
    att = p["attention"]
    y = _layer_norm(g, x, p["ln0"], f"enc{i}_ln0")
    q, k, v = (g.op("Transpose", [g.op("Reshape", [_dense(g, y, att[n], f"enc{i}_{n}"),
                                                   split])], perm=[0, 2, 1, 3])
               for n in ("query", "key", "value"))
    logits = g.op("Mul", [g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 1, 3, 2])]),
                          g.const(1.0 / np.sqrt(depth), f"enc{i}_scale")])
    weights = g.op("Softmax", [g.op("Add", [logits, key_bias])], axis=-1)
    y = g.op("Transpose", [g.op("MatMul", [weights, v])], perm=[0, 2, 1, 3])
    y = g.op("Reshape", [y, g.const([0, 0, hidden], f"shape_merge{i}", np.int64)])
    x = g.op("Add", [x, _dense(g, y, att["out"], f"enc{i}_out", in_axes=2)])
    y = _dense(g, _layer_norm(g, x, p["ln1"], f"enc{i}_ln1"), p["mlp0"], f"enc{i}_mlp0")
    cube = g.op("Mul", [g.op("Mul", [y, y]), y])
    inner = g.op("Mul", [g.op("Add", [y, g.op("Mul", [cube, g.const(0.044715, f"c{i}")])]),
                         g.const(np.sqrt(2 / np.pi), f"k{i}")])
    y = g.op("Mul", [g.op("Mul", [y, g.const(0.5, f"half{i}")]),
                     g.op("Add", [g.const(1.0, f"one{i}"), g.op("Tanh", [inner])])])
    y = _dense(g, y, p["mlp1"], f"enc{i}_mlp1")
    x = g.op("Mul", [g.op("Add", [x, y]), mask3])
  return _layer_norm(g, x, sp["ln_out"], "ln_out")


def build_graph(config, charset, params, batch_stats, name: str = "ocr_jax"):
  """The ONNX ModelProto of a recognizer's inference pass (see the module doc)."""
  from onnx import TensorProto, helper  # pylint: disable=g-import-not-at-top
  model_cfg = config.model
  if model_cfg.transformation.name != "none":
    raise ExportError(f"transformation {model_cfg.transformation.name!r} is not exported")
  if model_cfg.features.name not in ("vgg", "lenet"):
    raise ExportError(f"features {model_cfg.features.name!r} are not exported (vgg, lenet)")
  seq = model_cfg.sequence
  if seq.name not in ("bilstm", "transformer", "none") or seq.get("stride", 1) != 1:
    raise ExportError(f"sequence {seq.name!r} (stride {seq.get('stride', 1)}) is not "
                      "exported (bilstm, transformer or none, stride 1)")
  if model_cfg.prediction.name != "ctc":
    raise ExportError(f"prediction {model_cfg.prediction.name!r} is not exported (ctc)")
  g = _Graph()
  height = int(config.data.height)
  mask = g.op("Sub", [g.const(1.0, "one"), "paddings"])
  mask4 = g.op("Unsqueeze", [mask, g.const([1, 2], "axes_12", np.int64)])
  x, mask4 = _features(g, model_cfg.features.name, params["features"],
                       batch_stats.get("features", {}), "image", mask4,
                       model_cfg.features.get("width_reduction", 4))
  frames_mask = g.op("Squeeze", [mask4, g.const([1, 2], "axes_12b", np.int64)])  # [B, T]
  lengths = g.op("Cast", [g.op("ReduceSum", [frames_mask, g.const([1], "axis_1", np.int64)],
                               keepdims=0)], to=TensorProto.INT32)
  # [B, C, h, T] -> [B, T, h, C] -> [B, T, h*C]: flax's (height, channel) order.
  x = g.op("Transpose", [x], perm=[0, 3, 2, 1])
  x = g.op("Reshape", [x, g.const([0, 0, -1], "shape_bt_", np.int64)])
  sp = params["sequence"]
  if "collapse" in sp:
    x = _dense(g, x, sp["collapse"], "collapse")
  if seq.name == "bilstm":
    hidden = int(seq.hidden)
    x = g.op("Transpose", [x], perm=[1, 0, 2])  # [T, B, D]
    for layer in range(int(seq.num_layers)):
      fwd, bwd = (_lstm_weights(sp[f"OptimizedLSTMCell_{2 * layer + k}"], "iofc")
                  for k in (0, 1))
      w, r, b = (np.stack([f, bw]) for f, bw in zip(fwd, bwd))
      y, _, _ = g.ops("LSTM", [x, g.const(w, f"lstm{layer}_w"), g.const(r, f"lstm{layer}_r"),
                               g.const(b, f"lstm{layer}_b"), lengths], 3,
                      hidden_size=hidden, direction="bidirectional")
      # Y [T, 2, B, H] -> [T, B, 2, H] -> [T, B, 2H] (forward then backward, as flax).
      y = g.op("Transpose", [y], perm=[0, 2, 1, 3])
      x = g.op("Reshape", [y, g.const([0, 0, 2 * hidden], f"shape_l{layer}", np.int64)])
    x = g.op("Transpose", [x], perm=[1, 0, 2])  # [B, T, 2H]
  elif seq.name == "transformer":
    x = _transformer(g, sp, x, frames_mask, seq)
  logits = _dense(g, x, params["prediction"]["head"], "head")
  g.nodes.append(helper.make_node("LogSoftmax", [logits], ["log_probs"], axis=-1))
  g.nodes.append(helper.make_node("Identity", [lengths], ["lengths"]))
  graph = helper.make_graph(
      g.nodes, name,
      [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["B", 1, height, "W"]),
       helper.make_tensor_value_info("paddings", TensorProto.FLOAT, ["B", "W"])],
      [helper.make_tensor_value_info("log_probs", TensorProto.FLOAT,
                                     ["B", "T", charset.num_classes]),
       helper.make_tensor_value_info("lengths", TensorProto.INT32, ["B"])],
      initializer=g.inits)
  model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                            producer_name="ocr_jax")
  model.ir_version = 8  # readable by onnxruntime 1.14 and later
  metadata = json.dumps(reading_metadata(config, charset))
  helper.set_model_props(model, {onnx_reader.METADATA_KEY: metadata})
  return model


def reading_metadata(config, charset) -> dict:
  """What a reader needs beside the network."""
  from ocr_jax import inference  # pylint: disable=g-import-not-at-top
  return {"format": 1, "charset": charset.to_json(), "charset_name": str(config.charset),
          "height": int(config.data.height),
          "width_reduction": int(config.model.features.get("width_reduction", 4)),
          "width_grid": "16 widths per octave, multiples of 16 px (any width works)",
          "max_width": inference.MAX_WIDTH,
          "fit_margins": bool(config.data.get("fit_margins", False)),
          "clef_names": str(config.data.get("clef_names", "")),
          "normalisation": "grey uint8, dark ink on light paper (invert light-on-dark), "
                           "bilinear resize to `height`, x = 1 - grey / 255, zero padding",
          "decoder": "ctc (greedy; beam, words and music searches on the host)", "blank": 0}


def export(model: str, out: str, quantize: str | None = None) -> list[str]:
  """Writes the model's ONNX file(s); returns the paths written."""
  import onnx  # pylint: disable=g-import-not-at-top
  state, charset, config, step = model_state.load_run(released.resolve(model))
  proto = build_graph(config, charset, state.params, state.batch_stats,
                      name=f"ocr_jax step {step}")
  onnx.checker.check_model(proto)
  onnx.save(proto, out)
  written = [out]
  if quantize == "int8":
    # pylint: disable-next=g-import-not-at-top
    from onnxruntime.quantization import QuantType, quantize_dynamic
    q_out = out[:-5] + ".int8.onnx" if out.endswith(".onnx") else out + ".int8"
    quantize_dynamic(out, q_out, weight_type=QuantType.QInt8,
                     op_types_to_quantize=["MatMul", "LSTM"])
    written.append(q_out)
  elif quantize:
    raise ExportError(f"unknown quantisation {quantize!r} (int8)")
  return written
