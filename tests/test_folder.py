"""Your own data: folder datasets (labels.tsv, tesstrain pairs), every bad-input case listed
with file and line, the charset derived from the data, and fine-tuning onto a new charset."""
import os

import jax
import numpy as np
import pytest
from PIL import Image

from conftest import quick_config
from ocr_jax import checkpoints
from ocr_jax import finetune
from ocr_jax import model_state
from ocr_jax import train
from ocr_jax.data import folder as folder_lib
from ocr_jax.data import pipeline
from ocr_jax.data import render

WORDS = ("café", "naïve", "über", "señor", "crème", "déjà vu", "Zürich", "façade", "año",
         "rôle", "smörgås", "Ångström")


def _line(text, index):
  rng = np.random.default_rng(index)
  font = render.TRAIN_FONTS[index % len(render.TRAIN_FONTS)]
  return render.render_line(text, font, rng, height=32, augment=False)


def _write_tsv_folder(path, n, crlf=False):
  os.makedirs(path, exist_ok=True)
  rows = []
  for i in range(n):
    text = f"{WORDS[i % len(WORDS)]} {i}"
    Image.fromarray(_line(text, i)).save(os.path.join(path, f"l{i}.png"))
    rows.append(f"l{i}.png\t{text}")
  nl = "\r\n" if crlf else "\n"
  with open(os.path.join(path, "labels.tsv"), "w", encoding="utf-8", newline="") as f:
    f.write(nl.join(rows) + nl)
  return rows


def _data_config(data_dir, path, **kw):
  config = quick_config(data_dir)
  config.data.name = "line_folder"
  config.data.folder = str(path)
  config.data.height = 32
  for k, v in kw.items():
    config.data[k] = v
  return config.data


def test_every_bad_line_is_listed_with_file_and_line(tmp_path):
  d = tmp_path / "bad"
  _write_tsv_folder(d, 6, crlf=True)  # Windows line endings are read normally
  (d / "notes.png").write_text("this is not an image")
  (d / "empty.png").write_bytes(b"")
  with open(d / "labels.tsv", "ab") as f:
    f.write(b"l0.png\tduplicate\r\n")          # line 7
    f.write(b"missing.png\tgone\r\n")          # line 8
    f.write(b"l1.png\r\n")                     # line 9: no TAB
    f.write(b"l2b.png\t\r\n")                  # line 10: empty label
    f.write(b"l3b.png\t   \r\n")               # line 11: blank label
    f.write(b"l4b.png\tcaf\xe9\r\n")           # line 12: Latin-1, not UTF-8
    f.write(b"notes.png\ttext\r\n")            # line 13: not an image
    f.write(b"empty.png\ttext\r\n")            # line 14: empty file
  cfg = folder_lib.config_for(str(d), val_fraction=0.0)
  splits, problems = folder_lib.scan(cfg)
  tsv = str(d / "labels.tsv")
  expected = {7: "duplicate image path", 8: "cannot open", 9: "no TAB", 10: "empty label",
              11: "blank (only spaces)", 12: "not UTF-8", 13: "not an image",
              14: "empty file"}
  assert len(problems) == len(expected), problems
  for number, what in expected.items():
    assert any(p.startswith(f"{tsv}:{number}:") and what in p for p in problems), (number,
                                                                                    problems)
  assert len(splits["train"]) == 6  # the good lines, CRLF stripped
  assert all(not t.endswith("\r") for _, _, t in splits["train"])


def test_stop_refuses_and_skip_prepares_and_says_so(tmp_path, data_dir):
  d = tmp_path / "mixed"
  _write_tsv_folder(d, 40)
  with open(d / "labels.tsv", "a", encoding="utf-8") as f:
    f.write("missing.png\tgone\n")
  with pytest.raises(folder_lib.FolderDatasetError, match=r"(?s)1 problem\(s\).*labels.tsv:41: missing.png"):
    pipeline.prepare(_data_config(str(tmp_path / "tfds"), d))
  data = _data_config(str(tmp_path / "tfds"), d, on_error="skip")
  pipeline.prepare(data)
  assert pipeline.report_skipped(data) == 1
  train_split = pipeline.Split(data, "train")
  val_split = pipeline.Split(data, "validation")
  assert len(train_split) + len(val_split) == 40 and len(val_split) > 0
  charset = pipeline.dataset_charset(data)
  train_chars = {c for i in range(len(train_split)) for c in train_split.text(i)}
  assert set(charset.symbols) == train_chars
  assert train_split.example(0)["image"].shape[0] == 32


def test_tesstrain_pairs_and_given_split_lists(tmp_path):
  d = tmp_path / "gt"
  d.mkdir()
  for i in range(5):
    text = WORDS[i]
    Image.fromarray(_line(text, i)).save(d / f"p{i}.tif")
    (d / f"p{i}.gt.txt").write_text(text + "\n", encoding="utf-8")
  (d / "train.txt").write_text("p0.tif\np1.tif\np2.tif\n")
  (d / "validation.txt").write_text("p3.tif\n")
  splits, problems = folder_lib.scan(folder_lib.config_for(str(d)))
  assert not problems
  assert sorted(t for _, _, t in splits["train"]) == sorted(WORDS[:3])
  assert [t for _, _, t in splits["validation"]] == [WORDS[3]]  # p4 is in neither list


def test_finetuning_keeps_shared_characters_and_frozen_stages(trained, data_dir, tmp_path):
  old_workdir, _ = trained
  d = tmp_path / "accents"
  _write_tsv_folder(d, 48)
  config = quick_config(str(tmp_path / "tfds"))
  config.charset = "from_data"
  config.data.name = "line_folder"
  config.data.folder = str(d)
  config.data.val_fraction = 0.2
  config.init_from = old_workdir
  config.freeze = ("features",)
  config.num_train_steps = 3
  config.checkpoint_every_steps = 3
  config.eval.max_examples = 16
  result = train.train_and_evaluate(config, str(tmp_path / "run"))
  assert result["step"] == 3

  old, old_charset, _ = finetune.load(old_workdir)
  new_mngr = checkpoints.manager(str(tmp_path / "run"), create=False)
  new_charset = pipeline.dataset_charset(config.data)
  assert "é" in new_charset.symbols and "é" not in old_charset.symbols
  # Initialisation: shared characters carry their trained output columns, new ones do not.
  _, model, tx, _ = model_state.build(config, new_charset)
  fresh = model_state.create_train_state(jax.random.PRNGKey(7), model, tx, config)
  start, report = finetune.init_from(fresh, old_workdir, new_charset)
  mapping = finetune.class_map(old_charset, new_charset)
  old_k = np.asarray(old.params["prediction"]["head"]["kernel"])
  new_k = np.asarray(start.params["prediction"]["head"]["kernel"])
  for j, i in enumerate(mapping):
    if i >= 0:
      np.testing.assert_array_equal(new_k[:, j], old_k[:, i])
    else:
      assert not np.allclose(new_k[:, j], old_k[:, 0])
  assert report["new_symbols"] and set(report["new_symbols"]) <= set("".join(WORDS)) - set(old_charset.symbols)
  np.testing.assert_array_equal(np.asarray(start.params["sequence"]["collapse"]["kernel"]),
                                np.asarray(old.params["sequence"]["collapse"]["kernel"]))
  # After 3 steps with the features frozen, the features are still the old model's.
  meta = checkpoints.read_meta(new_mngr)
  assert meta["charset"]["symbols"] == list(new_charset.symbols)
  abstract = jax.eval_shape(lambda: fresh)
  after, _ = checkpoints.restore(new_mngr, 3, abstract)
  for a, b in zip(jax.tree_util.tree_leaves(after.params["features"]),
                  jax.tree_util.tree_leaves(old.params["features"])):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
  assert not np.array_equal(np.asarray(after.params["sequence"]["collapse"]["kernel"]),
                            np.asarray(old.params["sequence"]["collapse"]["kernel"]))


def test_init_from_into_another_architecture(trained, data_dir, tmp_path):
  """init_model='config': the base run's features go into a model with another sequence
  stage; what does not fit starts fresh, and the run keeps its own architecture."""
  old_workdir, _ = trained
  config = quick_config(data_dir)
  config.init_from = old_workdir
  config.init_model = "config"
  config.model.sequence.name = "none"
  config.freeze = ("features",)
  config.num_train_steps = 1
  config.checkpoint_every_steps = 1
  config.eval.max_examples = 8
  assert train.train_and_evaluate(config, str(tmp_path / "run"))["step"] == 1
  mngr = checkpoints.manager(str(tmp_path / "run"), create=False)
  assert checkpoints.read_meta(mngr)["config"]["model"]["sequence"]["name"] == "none"
  old, _, _ = finetune.load(old_workdir)
  new, _, _ = finetune.load(str(tmp_path / "run"))
  for a, b in zip(jax.tree_util.tree_leaves(new.params["features"]),
                  jax.tree_util.tree_leaves(old.params["features"])):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
  assert set(old.params["sequence"]) > {"collapse"}  # the base run's sequence layers
  assert set(new.params["sequence"]) == {"collapse"}  # 'none': the height collapse only
  config.init_model = "mine"
  with pytest.raises(ValueError, match="init_model='mine'"):
    train.train_and_evaluate(config, str(tmp_path / "bad"))
