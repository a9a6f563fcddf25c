"""ONNX export: the released English model as one file that reads like the JAX model, with
onnxruntime alone (a `jax` that raises on import is first on the path), int8 beside it, and
one-line errors for bad model files."""
import json
import os
import re
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

import ocr_jax
from conftest import REPO
from ocr_jax import decoding
from ocr_jax import inference
from ocr_jax import metrics
from ocr_jax import onnx_reader
from ocr_jax.data import render
from ocr_jax.data import testsets

TEXTS = ["Exported once, read anywhere.", "Pack my box with 5 dozen jugs", "(x + y) = 42;",
         "a", "Tesseract and PP-OCR read these too", "WHO? 12:30"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
  pytest.importorskip("onnx", reason="the test extra installs onnx")
  from ocr_jax import export
  out = tmp_path_factory.mktemp("onnx") / "english_print.onnx"
  paths = export.export("english_print", str(out), quantize="int8")
  return paths


@pytest.fixture(scope="module")
def lines():
  rng = np.random.default_rng(4)
  return [testsets.clean_line(t, render.TEST_FONTS[i % 8], rng) for i, t in enumerate(TEXTS)]


def test_exported_model_reads_as_the_jax_model(exported, lines):
  fp32, int8 = exported
  jax_reader = inference.Recognizer.from_checkpoint(ocr_jax.ENGLISH_MODEL)
  onnx_fp32 = onnx_reader.OnnxRecognizer.from_file(fp32)
  want = jax_reader.read_arrays(lines)
  got = onnx_fp32.read_arrays(lines)
  assert [r.text for r in got] == [r.text for r in want]
  assert np.allclose([r.confidence for r in got], [r.confidence for r in want], atol=1e-3)
  fp32_cer = metrics.cer(TEXTS, [r.text for r in got])
  assert fp32_cer < 0.06  # the release's own errors on these faces (x/s, z/s)
  # int8: a third of the size or less, reading these lines about as well.
  assert os.path.getsize(int8) <= os.path.getsize(fp32) / 3
  quantized = [r.text for r in onnx_reader.OnnxRecognizer.from_file(int8).read_arrays(lines)]
  assert metrics.cer(TEXTS, quantized) <= fp32_cer + 0.03
  # The `lm` decoder's search runs on the host for both: the same readings, every line searched.
  files = decoding.decoder_files("lm", ocr_jax.ENGLISH_MODEL)
  files["language_model"].trust = 2.0
  jax_lm = inference.Recognizer.from_checkpoint(ocr_jax.ENGLISH_MODEL, decoder="lm", **files)
  onnx_lm = onnx_reader.OnnxRecognizer.from_file(fp32, decoder="lm", **files)
  assert [r.text for r in onnx_lm.read_arrays(lines)] == [
      r.text for r in jax_lm.read_arrays(lines)]


def test_compare_puts_the_exported_models_beside_the_peers(exported, lines, monkeypatch):
  """`compare --engines ocr_jax-int8,ocr_jax-onnx:lm` exports the model itself and reads as
  the exported files do, decoder files loaded from beside the model."""
  import argparse  # pylint: disable=g-import-not-at-top
  from ocr_jax import compare  # pylint: disable=g-import-not-at-top
  args = argparse.Namespace(model="english_print", beam_width=8, threads=1, max_density=None)
  int8 = compare.make_engine("ocr_jax-int8", args)
  assert int8.name == "ocr_jax-int8" and "ONNX int8" in int8.version
  assert re.search(r"^english_print step \d+, ONNX int8 .*, 1 thr\)$", int8.version)
  want = onnx_reader.OnnxRecognizer.from_file(exported[1]).read_arrays(lines)
  assert int8.read(lines) == [r.text for r in want]
  lm = compare.make_engine("ocr_jax-onnx:lm", args)
  assert lm.name == "ocr_jax-onnx:lm" and lm.recognizer.decoder == "lm"
  assert metrics.cer(TEXTS, lm.read(lines)) < 0.06
  # A network the exporter does not write: the engine is skipped with the reason, no crash.
  from ocr_jax import export  # pylint: disable=g-import-not-at-top

  def refuse(*unused_args, **unused_kwargs):
    raise export.ExportError("sequence 'conv' (stride 1) is not exported")
  monkeypatch.setattr(export, "export", refuse)
  with pytest.raises(compare.EngineUnavailable, match="english_print: sequence 'conv'"):
    compare.make_engine("ocr_jax-int8", args)


def test_reads_lines_and_pages_without_jax(exported, lines, tmp_path):
  """The CLI on an exported model with a `jax` and a `flax` that raise on import."""
  fake = tmp_path / "fake"
  for name in ("jax", "flax"):
    (fake / name).mkdir(parents=True)
    (fake / name / "__init__.py").write_text(f"raise ImportError('{name} was imported')\n")
  Image.fromarray(lines[2]).save(tmp_path / "line.png")
  page, page_lines, *_ = testsets.render_page(np.random.default_rng(2), render.TEST_FONTS[1],
                                              num_lines=3)
  Image.fromarray(page).save(tmp_path / "page.png")
  env = dict(os.environ, PYTHONPATH=f"{fake}{os.pathsep}{REPO}")
  proc = subprocess.run([sys.executable, "-m", "ocr_jax.cli", "read", "--model", exported[0],
                         str(tmp_path / "line.png"), str(tmp_path / "page.png"),
                         "--with_path"], capture_output=True, text=True, timeout=300, env=env)
  assert proc.returncode == 0, proc.stderr
  out = proc.stdout.splitlines()
  jax_reader = inference.Recognizer.from_checkpoint(ocr_jax.ENGLISH_MODEL)
  want = jax_reader.read_layouts([lines[2], page])
  assert out[0].split("\t")[:2] == [str(tmp_path / "line.png"), want[0][1][0].text]
  page_out = [l.split("\t", 1)[1] for l in out[1:]]
  assert page_out == [r.text for r in want[1][1]]
  assert len(page_out) == len(page_lines) and metrics.cer(page_lines, page_out) < 0.05


def test_deploy_benchmark_times_the_export_s_cold_start_without_jax(exported, lines, tmp_path):
  """launch/deploy_benchmark.py's cold start of an ONNX engine is the first line alone, in
  a process where JAX cannot be imported (it once timed JAX's imports for every engine)."""
  fake = tmp_path / "fake" / "jax"
  fake.mkdir(parents=True)
  (fake / "__init__.py").write_text("raise ImportError('jax was imported')\n")
  (tmp_path / "model.onnx").symlink_to(exported[0])
  data = tmp_path / "lines"
  data.mkdir()
  Image.fromarray(lines[0]).save(data / "a.png")
  (data / "labels.tsv").write_text(f"a.png\t{TEXTS[0]}\n")
  env = dict(os.environ, PYTHONPATH=f"{fake.parent}{os.pathsep}{REPO}")
  launched = time.time()
  proc = subprocess.run(
      [sys.executable, os.path.join(REPO, "launch", "deploy_benchmark.py"), "--worker", "onnx",
       "--cold", "--data", str(data), "--onnx_dir", str(tmp_path), "--cores", "1",
       "--t0", repr(launched)], capture_output=True, text=True, timeout=300, env=env)
  assert proc.returncode == 0, proc.stderr
  cold = json.loads(proc.stdout.splitlines()[-1])["cold_s"]
  assert 0 < cold <= time.time() - launched  # timed from our launch to its first line


def test_deploying_snippet_reads_a_line_as_written(exported, lines, tmp_path):
  """docs/deploying.md's numpy + Pillow + onnxruntime block, as written, in a process where
  ocr_jax is not importable: it reads what the packaged reader reads."""
  import re
  with open(os.path.join(REPO, "docs", "deploying.md"), encoding="utf-8") as f:
    code = re.search(r"```python\n(.*?)```", f.read(), re.S).group(1)
  assert len(code.strip().splitlines()) <= 15 and "ocr_jax" not in code.replace('"ocr_jax"', "")
  (tmp_path / "read_line.py").write_text(code)
  Image.fromarray(lines[1]).save(tmp_path / "line.png")
  proc = subprocess.run([sys.executable, "-I", str(tmp_path / "read_line.py"), exported[0],
                         str(tmp_path / "line.png")], capture_output=True, text=True,
                        timeout=120, cwd=tmp_path)
  assert proc.returncode == 0, proc.stderr
  want = onnx_reader.OnnxRecognizer.from_file(exported[0]).read_arrays([lines[1]])[0].text
  assert proc.stdout.strip() == want


def test_music_model_exports_and_reads_staves_without_jax(tmp_path):
  """The released music model (VGG + transformer) through export, then `ocr-jax omr` on the
  .onnx file with JAX unimportable: the same tokens as the JAX reader, music prior included."""
  pytest.importorskip("onnx", reason="the test extra installs onnx")
  from ocr_jax import export, music
  from ocr_jax.omr import engrave, synth
  path = export.export("music_synth", str(tmp_path / "music.onnx"))[0]
  greys = [engrave.engrave(synth.random_incipit(np.random.default_rng([8, i])).mei(), "Leipzig")
           for i in range(3)]
  files = []
  for i, g in enumerate(greys):
    files.append(str(tmp_path / f"staff{i}.png"))
    Image.fromarray(g).save(files[-1])
  want = [r.staves[0].tokens for r in music.read_images(music.load(), greys)]
  fake = tmp_path / "fake" / "jax"
  fake.mkdir(parents=True)
  (fake / "__init__.py").write_text("raise ImportError('jax was imported')\n")
  env = dict(os.environ, PYTHONPATH=f"{fake.parent}{os.pathsep}{REPO}")
  proc = subprocess.run([sys.executable, "-m", "ocr_jax.cli", "omr", "--model", path, *files,
                         "-o", str(tmp_path), "--tokens"], capture_output=True, text=True,
                        timeout=300, env=env)
  assert proc.returncode == 0, proc.stderr
  got = [l.split("\t")[2].split() for l in proc.stdout.splitlines() if "\tstaff 1\t" in l]
  assert got == want
  import mido
  assert all(mido.MidiFile(str(tmp_path / f"staff{i}.mid")).length > 0 for i in range(3))


def test_bad_model_files_get_one_line(exported, tmp_path):
  import onnx
  stripped = onnx.load(exported[0])
  del stripped.metadata_props[:]
  onnx.save(stripped, tmp_path / "no_meta.onnx")
  truncated = tmp_path / "truncated.onnx"
  truncated.write_bytes(open(exported[0], "rb").read()[:5000])
  (tmp_path / "text.onnx").write_text("not a model\n")
  Image.fromarray(np.full((32, 100), 255, np.uint8)).save(tmp_path / "line.png")
  cases = {"missing.onnx": "no such file", "truncated.onnx": "not a readable ONNX model",
           "text.onnx": "not a readable ONNX model", "no_meta.onnx": "without ocr_jax metadata"}
  for name, message in cases.items():
    model = str(tmp_path / name)
    proc = subprocess.run([sys.executable, "-m", "ocr_jax.cli", "read", "--model", model,
                           str(tmp_path / "line.png")], capture_output=True, text=True,
                          timeout=300, cwd=REPO)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, (name, proc.stderr)
    assert proc.stderr.strip() == f"error: {model}: " + proc.stderr.split(": ", 2)[2].strip()
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_unsupported_stages_are_named(tmp_path, capsys):
  """A stage the exporter does not write is named, and nothing is written."""
  from ocr_jax import export, model_state, released
  state, charset, config, _ = model_state.load_run(released.ENGLISH_MODEL)
  config = config.copy_and_resolve_references()
  config.model.sequence.name = "conv"
  with pytest.raises(export.ExportError, match="sequence 'conv'"):
    export.build_graph(config, charset, state.params, state.batch_stats)
  from ocr_jax import cli
  assert cli.main(["export", "--model", str(tmp_path / "none"), "--out",
                   str(tmp_path / "m.onnx")]) == 2
  assert "cannot export" in capsys.readouterr().err and not (tmp_path / "m.onnx").exists()


def test_a_model_of_width_reduction_2_exports_as_it_reads():
  """configs/omr_piano_long.py pools the width once: the graph follows the config (twice the
  frames, the same log-probabilities as JAX) and says so to readers."""
  pytest.importorskip("onnx", reason="the test extra installs onnx")
  import json
  import jax
  import onnxruntime as ort
  from ocr_jax import export, model_state, models, released
  state, charset, config, _ = model_state.load_run(released.PIANO_MODEL)
  config = config.copy_and_resolve_references()
  config.model.features.width_reduction = 2
  proto = export.build_graph(config, charset, state.params, state.batch_stats)
  meta = json.loads({p.key: p.value for p in proto.metadata_props}[onnx_reader.METADATA_KEY])
  assert meta["width_reduction"] == 2
  image = np.random.default_rng(0).random((1, 64, 96, 1)).astype(np.float32)
  paddings = np.zeros((1, 96), np.float32)
  paddings[:, 80:] = 1
  model = models.get_model(config.model, charset.num_classes)
  logits, _ = model.apply({"params": state.params, "batch_stats": state.batch_stats}, image,
                          paddings)
  session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
  log_probs, lengths = session.run(None, {"image": image.transpose(0, 3, 1, 2),
                                          "paddings": paddings})
  assert log_probs.shape[1] == 48 and lengths.tolist() == [40]
  np.testing.assert_allclose(log_probs[0, :40], jax.nn.log_softmax(logits)[0, :40], atol=1e-3)
