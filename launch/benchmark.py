"""Training images/s and inference lines/s of a config on this machine, printed as JSON.

  python launch/benchmark.py --config=configs/default.py [--widths=128,256,384] [--repeats=5]

Synthetic inputs of each width bucket (the numbers do not depend on pixel values); the train
step (with the config's frozen stages and distillation teacher) and the predict step are the
ones training and inference run, compiled before timing; `train_step_gflop` is XLA's count
for one step.
Each figure is the median over `--repeats` timed windows of `--steps` steps. Both run on
the devices JAX starts with (on a CPU host, one device for all cores, as training does);
`ocr-jax read` and `ocr_jax.compare` make each core its own device, which
`launch/infer_devices_benchmark.py at 9a0885e` measures.
"""
import functools
import json
import os
import platform
import statistics
import time

from absl import app
from absl import flags
from ml_collections import config_flags

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file("config", "configs/default.py", "Config to benchmark.")
flags.DEFINE_string("widths", "", "Comma-separated widths (default: the config's buckets).")
flags.DEFINE_integer("steps", 10, "Steps per timed window.")
flags.DEFINE_integer("repeats", 5, "Timed windows; the median is reported.")
flags.DEFINE_integer("infer_batch", 64, "Inference batch size.")
flags.DEFINE_integer("input_steps", 30, "Training batches the input pipeline builds per "
                     "timed window (0 = skip; needs the config's dataset prepared).")
flags.DEFINE_string("input_workers", "1,2", "Loader counts to time.")
flags.DEFINE_string("input_loaders", "threads", "Loader kinds to time: threads,processes.")


def _input_rates(config) -> dict:
  """Lines/s the training input pipeline delivers from the prepared dataset, per worker count
  (decode PNG, resize, pad, encode labels, the config's online augmentation if on; what must
  keep the devices busy)."""
  from ocr_jax.charset import get_charset  # pylint: disable=g-import-not-at-top
  from ocr_jax.data import pipeline  # pylint: disable=g-import-not-at-top
  if not pipeline.get_builder(config.data).is_prepared():
    return {"skipped": "dataset not prepared; run training once first"}
  split = pipeline.train_split(config.data)
  plan = pipeline.BatchPlan(split.widths, config.data.width_buckets, config.batch_size, 0)
  charset = get_charset(config.charset)
  rates = {}
  for loader in FLAGS.input_loaders.split(","):
    for workers in [int(w) for w in FLAGS.input_workers.split(",")]:
      samples = []
      for r in range(FLAGS.repeats):
        it = pipeline.TrainIterator(split, plan, charset, height=config.data.height,
                                    max_label_length=config.data.max_label_length,
                                    start_step=1000 * r, prefetch=2 * workers,
                                    num_workers=workers, augment=config.data.get("augment"),
                                    loader=loader)
        # Drain what the loaders hold ready (per loader: the prefetch queue and, for a
        # process, its pipe and the batch in hand, ~8 batches at most), then time a window
        # long enough that buffered batches cannot inflate the rate.
        for _ in range(8 * workers):
          next(it)
        steps = max(FLAGS.input_steps, 8 * workers)
        t0 = time.perf_counter()
        for _ in range(steps):
          next(it)
        samples.append(config.batch_size * steps / (time.perf_counter() - t0))
        it.close()
      key = f"{workers}_workers" if loader == "threads" else f"{workers}_processes"
      rates[f"{key}_lines_per_s"] = round(statistics.median(samples), 1)
  return rates


def _median_rate(fn, items_per_call: int, steps: int, repeats: int) -> float:
  import jax  # pylint: disable=g-import-not-at-top
  jax.block_until_ready(fn())  # compile and warm up
  rates = []
  for _ in range(repeats):
    t0 = time.perf_counter()
    for _ in range(steps):
      out = fn()
    jax.block_until_ready(out)
    rates.append(items_per_call * steps / (time.perf_counter() - t0))
  return statistics.median(rates)


def main(argv):
  del argv
  import jax  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  from ocr_jax import model_state, parallel, train  # pylint: disable=g-import-not-at-top

  config = FLAGS.config
  charset, model, tx, _ = model_state.build(config)
  mesh = parallel.make_mesh()
  state = model_state.create_train_state(jax.random.PRNGKey(0), model, tx, config)
  num_params = sum(x.size for x in jax.tree_util.tree_leaves(state.params))
  # The step as training runs it: the config's frozen stages (their gradients are not
  # computed) and, when distilling, the teacher's forward pass.
  options, teacher_vars = train.step_options(config, charset, parallel.replicated(mesh))
  step_fn = jax.jit(functools.partial(train.train_step, model=model, tx=tx, **options),
                    donate_argnums=0)
  predict = jax.jit(functools.partial(model_state.predict_step, model=model))
  widths = ([int(w) for w in FLAGS.widths.split(",")] if FLAGS.widths
            else list(config.data.width_buckets))
  rng = np.random.default_rng(0)
  per_width = {}
  h, bsz, max_len = config.data.height, config.batch_size, config.data.max_label_length
  for w in widths:
    n_labels = min(max_len, w // 16)
    batch = {
        "image": rng.random((bsz, h, w, 1), np.float32),
        "image_paddings": np.zeros((bsz, w), np.float32),
        "labels": rng.integers(1, charset.num_classes, (bsz, max_len)).astype(np.int32),
        "label_paddings": np.concatenate(
            [np.zeros((bsz, n_labels)), np.ones((bsz, max_len - n_labels))], 1
        ).astype(np.float32)}
    batch = parallel.put_batch(batch, mesh)
    holder = {"state": state}

    def one_step(batch=batch, holder=holder):
      holder["state"], m = step_fn(holder["state"], batch, jax.random.PRNGKey(1), teacher_vars)
      return m["loss"]

    cost = step_fn.lower(state, batch, jax.random.PRNGKey(1),
                         teacher_vars).compile().cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost  # a list in older jax
    train_rate = _median_rate(one_step, bsz, FLAGS.steps, FLAGS.repeats)
    state = holder["state"]
    ib = FLAGS.infer_batch
    images = jax.numpy.asarray(rng.random((ib, h, w, 1), np.float32))
    paddings = jax.numpy.zeros((ib, w), np.float32)
    infer = lambda: predict(state.params, state.batch_stats, images, paddings)  # noqa: E731
    infer_rate = _median_rate(infer, ib, FLAGS.steps, FLAGS.repeats)
    per_width[w] = {"train_step_gflop": round(cost.get("flops", float("nan")) / 1e9, 2),
                    "train_images_per_s": round(train_rate, 1),
                    "infer_lines_per_s": round(infer_rate, 1)}
  results = {
      "model": config.model.to_dict(), "num_params": int(num_params),
      "batch_size": bsz, "infer_batch": FLAGS.infer_batch, "height": h,
      "per_width": per_width,
      "input_pipeline": _input_rates(config) if FLAGS.input_steps else {},
      "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                  "devices": [str(d) for d in jax.devices()], "jax": jax.__version__},
      "method": f"median of {FLAGS.repeats} windows x {FLAGS.steps} steps after warm-up",
  }
  print(json.dumps(results, indent=1))


if __name__ == "__main__":
  app.run(main)
