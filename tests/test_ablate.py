"""The sweep tool: grids, commands, skipping finished runs, measuring a run, the reports."""
import argparse
import json
import os

import pytest

from conftest import REPO, launch_script

ablate = launch_script("ablate")


def test_grid_is_the_product_and_keeps_tuples_whole():
  grid = ablate.grid_from_flags(["model.sequence.name=none,bilstm",
                                 "model.features.channels=(8,16),(16,32)"])
  assert grid == [
      {"model.sequence.name": "none", "model.features.channels": (8, 16)},
      {"model.sequence.name": "none", "model.features.channels": (16, 32)},
      {"model.sequence.name": "bilstm", "model.features.channels": (8, 16)},
      {"model.sequence.name": "bilstm", "model.features.channels": (16, 32)}]
  assert ablate.run_name(grid[1]) == "none-16x32"
  cmd = ablate.command("configs/default.py", "/w", {**grid[1], "_name": "x", "seed": 1})
  assert cmd[-3:] == ["--config.model.sequence.name=none",
                      "--config.model.features.channels=(16,32)", "--config.seed=1"]
  with pytest.raises(SystemExit, match="FIELD=V1"):
    ablate.grid_from_flags(["model.sequence.name"])


def test_sweep_file_of_the_stage_ablation_names_real_config_fields():
  from configs import default  # pylint: disable=g-import-not-at-top
  grid = ablate.grid_from_file(os.path.join(REPO, "configs", "sweeps", "stages.py"))
  assert len(grid) >= 8 and len({o["_name"] for o in grid}) == len(grid)
  config = default.get_config()
  for overrides in grid:
    for field in (f for f in overrides if not f.startswith("_")):
      node = config
      for part in field.split("."):
        node = node[part]  # KeyError if the sweep names a field the config lacks
    # Each row's name (transformation-features-sequence-prediction) says what it runs, also
    # where the row leaves a stage at the default.
    stages = ("transformation", "features", "sequence", "prediction")
    resolved = [overrides.get(f"model.{s}.name", config.model[s].name) for s in stages]
    assert overrides["_name"] == "-".join(resolved), overrides


def test_measure_a_finished_run_and_skip_it_next_time(trained, tmp_path, capsys):
  workdir, result = trained
  row = ablate.measure(workdir, infer_lines=32, infer_repeats=1)
  assert row["cer"] == pytest.approx(result["cer"])
  assert row["steps"] == result["step"] and row["num_val_lines"] == result["num_lines"]
  assert 1e5 < row["params"] < 1e7 and row["gflops"] > 0
  assert row["train_img_s"] > 0 and row["infer_lines_s"] > 0
  # A run directory holding its measurement is not trained or measured again.
  args = argparse.Namespace(set_overrides=[], root=str(tmp_path), config="configs/none.py",
                            print_only=False, infer_lines=1, infer_repeats=1)
  done = tmp_path / "fast-seed0"
  done.mkdir()
  (done / "ablation.json").write_text(json.dumps({"name": "fast", "seed": 0, **row,
                                                   "overrides": {"x": "fast"}}))
  again = ablate.run_one(args, {"x": "fast"}, 0)
  assert again["cer"] == row["cer"] and "failed" not in capsys.readouterr().out
  # Reports: one table row per setting (mean over seeds), a CSV row per run, a plot.
  second = {**again, "seed": 1, "cer": row["cer"] + 0.1}
  out = str(tmp_path / "report")
  ablate.write_reports([again, second], out, "header")
  table = open(out + ".md").read().splitlines()
  assert table[0] == "header" and len(table) == 5 and table[4].startswith("| fast | 2 |")
  assert len(open(out + ".csv").read().splitlines()) == 3
  assert os.path.getsize(out + ".png") > 1000
