"""Run by test_parallel.py in a subprocess with 4 forced CPU devices (XLA_FLAGS is read when
jax is imported, so this cannot run inside the pytest process).

  python tests/four_devices.py DATA_DIR OUT_DIR

1. Trains 3 steps on one global batch stream with the batch sharded over 4 devices, and the
   same 3 steps on a 1-device mesh; writes both losses and the largest parameter difference.
2. Saves the 4-device state as a checkpoint in OUT_DIR/ckpt (with the real metadata), and
   the 4-device predictions for one validation batch in OUT_DIR/predictions.npz, so the test
   can restore the checkpoint on 1 device and compare.
"""
import functools
import json
import os
import sys

import jax
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conftest import quick_config  # pylint: disable=g-import-not-at-top,wrong-import-position
from ocr_jax import checkpoints, model_state, parallel, train  # pylint: disable=g-import-not-at-top
from ocr_jax.data import pipeline  # pylint: disable=g-import-not-at-top

STEPS = 3


def main(data_dir, out_dir):
  assert jax.device_count() == 4, jax.devices()
  config = quick_config(data_dir, **{"data.width_buckets": (256,)})
  charset, model, tx, _ = model_state.build(config)
  split = pipeline.Split(config.data, "train")
  plan = pipeline.BatchPlan(split.widths, config.data.width_buckets, config.batch_size, 0)
  it = pipeline.TrainIterator(split, plan, charset, height=config.data.height,
                              max_label_length=config.data.max_label_length, start_step=0)
  batches = [it.batch(s) for s in range(STEPS)]
  it.close()
  rng = jax.random.PRNGKey(1)

  def run(mesh):
    repl = parallel.replicated(mesh)
    state = model_state.create_train_state(jax.random.PRNGKey(0), model, tx, config)
    state = jax.device_put(state, repl)
    step = jax.jit(functools.partial(train.train_step, model=model, tx=tx),
                   in_shardings=(repl, parallel.data_sharded(mesh), repl),
                   out_shardings=(repl, repl))
    losses = []
    for b in batches:
      state, m = step(state, parallel.put_batch(b, mesh), rng)
      losses.append(float(m["loss"]))
    return state, losses

  mesh4 = parallel.make_mesh()
  state4, losses4 = run(mesh4)
  state1, losses1 = run(parallel.make_mesh(jax.devices()[:1]))
  diff = max(float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) for a, b in zip(
      jax.tree_util.tree_leaves(state4.params), jax.tree_util.tree_leaves(state1.params)))
  init = model_state.create_train_state(jax.random.PRNGKey(0), model, tx, config)
  moved = max(float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) for a, b in zip(
      jax.tree_util.tree_leaves(state4.params), jax.tree_util.tree_leaves(init.params)))
  shards = {len(x.sharding.device_set) for x in jax.tree_util.tree_leaves(state4.params)}

  mngr = checkpoints.manager(os.path.join(out_dir, "ckpt"))
  meta = {"config": config.to_dict(), "charset": charset.to_json(), "step": STEPS}
  checkpoints.save(mngr, STEPS, state4, meta)
  mngr.wait_until_finished()
  mngr.close()

  val = pipeline.Split(config.data, "validation")
  batch, _, _ = next(pipeline.eval_batches(
      val, charset, batch_size=16, buckets=config.data.width_buckets,
      height=config.data.height, max_label_length=config.data.max_label_length))
  predict = jax.jit(functools.partial(model_state.predict_step, model=model),
                    in_shardings=(parallel.replicated(mesh4),) * 2
                    + (parallel.data_sharded(mesh4),) * 2)
  dev = parallel.put_batch({k: batch[k] for k in ("image", "image_paddings")}, mesh4)
  best, best_prob, lengths = predict(state4.params, state4.batch_stats, dev["image"],
                                     dev["image_paddings"])
  np.savez(os.path.join(out_dir, "predictions.npz"), image=batch["image"],
           image_paddings=batch["image_paddings"], best=np.asarray(best),
           best_prob=np.asarray(best_prob), lengths=np.asarray(lengths))
  with open(os.path.join(out_dir, "result.json"), "w") as f:
    json.dump({"losses_4": losses4, "losses_1": losses1, "max_param_diff": diff, "max_param_update": moved,
               "devices_holding_params": sorted(shards)}, f)


if __name__ == "__main__":
  main(*sys.argv[1:])
