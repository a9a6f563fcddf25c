"""A model that has learned a small fixed set exactly, read back through the CLI; bad files."""
import json
import os
import struct
import subprocess
import sys
import zlib

import jax
import numpy as np
from PIL import Image

from conftest import REPO, TEXTS
from ocr_jax import cli
from ocr_jax import decoding
from ocr_jax import inference
from ocr_jax import parallel
from ocr_jax.data import preprocess


def test_overfit_small_set_exactly(overfit_model):
  _, _, decoded = overfit_model
  assert decoded == list(TEXTS)


def _png_bomb(path, width=100_000, height=100_000):
  """A tiny PNG whose header claims width x height pixels."""
  Image.new("L", (1, 1), 255).save(path)
  data = bytearray(path.read_bytes())
  ihdr = bytes(data[12:16]) + struct.pack(">II", width, height) + bytes(data[24:29])
  data[16:24] = struct.pack(">II", width, height)
  data[29:33] = struct.pack(">I", zlib.crc32(ihdr))
  path.write_bytes(bytes(data))


def test_read_folder_via_cli_with_bad_files(overfit_model, capsys):
  workdir, img_dir, _ = overfit_model
  bad = img_dir / "bad"
  bad.mkdir()
  for i in range(8):
    (bad / f"line{i}.png").write_bytes((img_dir / f"line{i}.png").read_bytes())
  (bad / "empty.png").write_bytes(b"")
  (bad / "notes.png").write_text("not an image")
  good = (img_dir / "line0.png").read_bytes()
  (bad / "truncated.png").write_bytes(good[:len(good) // 2])
  Image.new("L", (30000, 32), 255).save(bad / "wide.png")
  _png_bomb(bad / "bomb.png")
  code = cli.main(["read", "--model", workdir, str(bad), str(bad / "missing.png")])
  out, err = capsys.readouterr()
  assert code == 1
  rows = [line.split("\t") for line in out.strip().splitlines()]
  assert [r[1] for r in rows] == list(TEXTS)  # sorted names line0..line7
  assert all(0.0 < float(r[2]) <= 1.0 for r in rows)
  errors = err.strip().splitlines()
  assert len(errors) == 6, errors
  for name, problem in (("empty.png", "empty file"), ("notes.png", "not an image"),
                        ("truncated.png", "truncated"), ("missing.png", "no such file"),
                        ("wide.png", "too wide"), ("bomb.png", "decompression bomb")):
    assert any(name in e and problem in e and e.startswith("error: ") for e in errors), name


def test_read_json_and_scaled_input(overfit_model, capsys, tmp_path):
  workdir, img_dir, _ = overfit_model
  # A 2x larger RGB copy is normalised to the model's height by the shared preprocessing.
  im = Image.open(img_dir / "line3.png").convert("RGB")
  im.resize((im.width * 2, im.height * 2), Image.BICUBIC).save(tmp_path / "big.jpg",
                                                               quality=95)
  assert cli.main(["read", "--json", "--model", workdir, str(tmp_path / "big.jpg")]) == 0
  row = json.loads(capsys.readouterr().out)
  assert row["deskew_degrees"] == 0.0 and len(row["lines"]) == 1  # a line, not a page
  line = row["lines"][0]
  assert line["text"] == TEXTS[3]
  assert line["box"] == [0, 0, im.width * 2, im.height * 2]  # the whole (2x) image
  assert len(line["char_confidences"]) == len(TEXTS[3])


def test_inference_compiles_once_per_shape_bucket(overfit_model):
  workdir, img_dir, _ = overfit_model
  rec = inference.Recognizer.from_checkpoint(workdir)
  rec.x_height = False  # one pass over the lines (a second look adds shapes of its own)
  lines = [np.asarray(Image.open(img_dir / f"line{i}.png")) for i in range(8)]
  assert max(x.shape[1] for x in lines) <= 192 and rec._bucket(192) == 192
  assert rec._bucket(300) == 304 and rec._bucket(600) == 608 and rec._bucket(17) == 32
  # Padded with paper to 300 px (to 304 px on the width grid).
  wide = [np.pad(x, ((0, 0), (0, 300 - x.shape[1])), constant_values=255) for x in lines]
  first = rec.read_arrays(lines * 3)  # 24 lines: one (<= 192 px, 32 lines) batch
  assert rec.num_compiled_shapes == 1
  rec.read_arrays(lines[::-1] * 4)    # 32 lines: the same shape, no new compilation
  assert rec.num_compiled_shapes == 1
  # 40 lines, sorted by width: 8 narrow and 24 wide (32 lines, 304 px), then 8 wide (8, 304).
  results = rec.read_arrays(wide * 4 + lines)
  assert rec.num_compiled_shapes == 3
  # Results come back in input order (the overfit model reads the paper-padded copies less
  # well: it never saw paper that long).
  assert [r.text for r in results[32:]] == list(TEXTS)
  assert [r.text for r in first] == list(TEXTS) * 3
  # Batched with other lines or alone, and padded or not, a line reads the same.
  alone = rec.read_arrays(lines[:1])[0]
  assert alone.text == first[0].text
  assert abs(alone.confidence - first[0].confidence) < 1e-4
  # The per-frame diagnostics are the same model: their greedy path reads the same text.
  for x, text in zip(lines[:2], TEXTS):
    log_probs = rec.frame_log_probs(x)
    assert log_probs.ndim == 2 and log_probs.shape[1] == rec.charset.num_classes
    d = decoding.collapse(log_probs.argmax(-1), np.exp(log_probs.max(-1)), len(log_probs))
    assert rec.charset.decode(d.ids) == text


def test_dense_lines_are_read_again_wider(overfit_model, monkeypatch):
  """A line read at more than preprocess.MAX_DENSITY characters a frame is read again, drawn
  wider (to WIDER_DENSITY, at most MAX_STRETCH times), and that reading kept; other lines are
  read once. (What it buys is measured on the development sets: docs/devsets.md.)"""
  workdir, img_dir, _ = overfit_model
  rec = inference.Recognizer.from_checkpoint(workdir)
  assert rec.max_density == preprocess.MAX_DENSITY
  lines = [np.asarray(Image.open(img_dir / f"line{i}.png")) for i in range(3)]
  calls = []
  def read(prepared):  # first pass: 0.2, 0.5 and 1.0 characters a frame
    calls.append([x.shape[1] for x in prepared])
    if len(calls) > 1:
      return [inference.Result("again", 0.9, [0.9] * 5) for _ in prepared]
    return [inference.Result("x" * round(x.shape[1] / 4 * d), 0.9, [])
            for x, d in zip(prepared, (0.2, 0.5, 1.0))]
  monkeypatch.setattr(rec, "_read_prepared", read)
  results = rec.read_arrays(lines)
  widths, wider = calls
  assert results[0].text.startswith("x") and [r.text for r in results[1:]] == ["again"] * 2
  chars = [round(w / 4 * d) for w, d in zip(widths, (0.2, 0.5, 1.0))]
  assert np.allclose(wider, [chars[1] * 4 / preprocess.WIDER_DENSITY,  # to WIDER_DENSITY
                             widths[2] * preprocess.MAX_STRETCH], atol=1)  # at most
  rec.max_density = 0  # off: every line read once
  calls.clear()
  assert all(r.text.startswith("x") for r in rec.read_arrays(lines)) and len(calls) == 1


def test_cli_as_a_process_reports_missing_model(tmp_path):
  Image.new("L", (64, 32), 255).save(tmp_path / "a.png")
  out = subprocess.run([sys.executable, "-m", "ocr_jax.cli", "read", "--model",
                        str(tmp_path / "nowhere"), str(tmp_path / "a.png")],
                       capture_output=True, text=True, cwd=REPO, timeout=120)
  assert out.returncode == 2
  assert out.stderr.strip().count("\n") == 0 and "nowhere" in out.stderr


def test_cli_keeps_compiled_programs_for_the_next_run(overfit_model, tmp_path):
  """A second `ocr-jax read` loads the reader's program from the cache folder the first run
  wrote instead of compiling it, and reads the same; 'off' keeps no cache."""
  workdir, img_dir, _ = overfit_model
  cache = tmp_path / "xla"

  def run():
    env = {k: v for k, v in os.environ.items() if k != "JAX_COMPILATION_CACHE_DIR"}  # JAX's own
    env.update(OCR_JAX_COMPILE_CACHE=str(cache), JAX_LOG_COMPILES="1")
    proc = subprocess.run([sys.executable, "-m", "ocr_jax.cli", "read", "--model", workdir,
                           str(img_dir / "line0.png")],
                          env=env, capture_output=True, text=True, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc

  hit = "Persistent compilation cache hit for 'jit_predict_step'"
  first, second = run(), run()
  assert hit not in first.stderr and hit in second.stderr
  assert first.stdout == second.stdout and TEXTS[0] in first.stdout
  assert any(p.name.startswith("jit_predict_step") for p in cache.iterdir())
  saved = jax.config.jax_compilation_cache_dir  # set here if the environment sets JAX's own
  jax.config.update("jax_compilation_cache_dir", None)
  try:
    assert parallel.use_compilation_cache("off") is None
  finally:
    jax.config.update("jax_compilation_cache_dir", saved)


_READ_ON_DEVICES = """
import json, sys
import numpy as np
from PIL import Image
from ocr_jax import inference, parallel
devices = parallel.use_host_cores()
rec = inference.Recognizer.from_checkpoint(sys.argv[1])
lines = [np.asarray(Image.open(p)) for p in sys.argv[2:]]
results = rec.read_arrays(lines)
print(json.dumps({"devices": devices, "mesh": rec.mesh.size,
                  "texts": [r.text for r in results],
                  "confidences": [r.confidence for r in results],
                  "frames": rec.frame_log_probs(lines[0]).tolist()}))
"""


def test_batches_split_over_cpu_devices_read_the_same(overfit_model):
  workdir, img_dir, _ = overfit_model
  paths = [str(img_dir / f"line{i}.png") for i in range(8)] + [str(img_dir / "line0.png")]
  env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
  # 3 forced devices: a batch of 9 lines becomes 16 rows, rounded up to 18 (6 per device).
  out = subprocess.run([sys.executable, "-c", _READ_ON_DEVICES, str(workdir), *paths],
                       env=dict(env, XLA_FLAGS="--xla_force_host_platform_device_count=3"),
                       capture_output=True, text=True, cwd=REPO, timeout=300)
  assert out.returncode == 0, out.stderr[-2000:]
  got = json.loads(out.stdout.strip().splitlines()[-1])
  assert got["devices"] == 3 and got["mesh"] == 3  # XLA_FLAGS' count is kept
  rec = inference.Recognizer.from_checkpoint(workdir)  # this process: one device
  lines = [np.asarray(Image.open(p)) for p in paths]
  want = rec.read_arrays(lines)
  assert got["texts"] == [r.text for r in want] == list(TEXTS) + [TEXTS[0]]
  np.testing.assert_allclose(got["confidences"], [r.confidence for r in want], atol=1e-5)
  np.testing.assert_allclose(got["frames"], rec.frame_log_probs(lines[0]), atol=1e-4)
  # Without XLA_FLAGS an inference process gets one CPU device per usable core (<= 8).
  count = subprocess.run(
      [sys.executable, "-c", "import jax; from ocr_jax import parallel; "
       "n = parallel.use_host_cores(); print(n, jax.device_count(), "
       "min(parallel.usable_cores(), 8))"],
      env=env, capture_output=True, text=True, cwd=REPO, timeout=120)
  n, device_count, cores = map(int, count.stdout.split())
  assert n == device_count == cores
