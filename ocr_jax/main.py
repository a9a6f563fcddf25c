"""Entry point: `python -m ocr_jax.main --config=configs/default.py --workdir=DIR`.

Any config field can be overridden: `--config.optimizer.learning_rate=3e-4`; a config's
variant is chosen after a colon: `--config=configs/default.py:quick`.
"""
import os

from absl import app
from absl import flags
from absl import logging
from ml_collections import config_flags

FLAGS = flags.FLAGS


def _env_int(name):
  value = os.environ.get(name)
  return int(value) if value else None


config_flags.DEFINE_config_file("config", None, "Training configuration file.",
                                lock_config=True)
flags.DEFINE_string("workdir", None, "Directory for checkpoints and metrics; rerunning with "
                    "the same directory resumes from its last checkpoint.")
flags.DEFINE_bool("distributed", os.environ.get("OCR_JAX_DISTRIBUTED", "0") == "1",
                  "Call jax.distributed.initialize() (multi-process runs: TPU pods, SLURM, "
                  "local multi-process); or set OCR_JAX_DISTRIBUTED=1.")
flags.DEFINE_string("coordinator_address", os.environ.get("OCR_JAX_COORDINATOR_ADDRESS"),
                    "host:port of process 0 when --distributed; unset = JAX detects it "
                    "(TPU pods, SLURM).")
flags.DEFINE_integer("num_processes", _env_int("OCR_JAX_NUM_PROCESSES"),
                     "Number of processes when --distributed; unset = detected.")
flags.DEFINE_integer("process_id", _env_int("OCR_JAX_PROCESS_ID"),
                     "This process's index when --distributed; unset = detected.")
flags.mark_flags_as_required(["config", "workdir"])


# Lines of other libraries that alarm a first run and say nothing to act on: JAX looking for
# a TPU runtime on a machine without one (INFO; a TPU, when there is one, is found and
# logged as a device below), and tfds noting that a dataset not yet prepared has no
# dataset_info.json (WARNING; the next line says it is being prepared).
_NOISE = ("Unable to initialize backend 'tpu'", "has no dataset_info.json")


class _QuietLibraries(logging.logging.Filter):
  """Keeps orbax's per-save INFO chatter and the first-run noise above out of the log."""

  def filter(self, record):
    message = record.getMessage()
    if any(n in message for n in _NOISE):
      return False
    # absl.logging.WARNING is absl's own level number (-1); records carry the standard ones.
    return record.levelno >= logging.logging.WARNING or "orbax" not in record.pathname


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Too many command-line arguments: {argv[1:]}")
  logging.get_absl_handler().addFilter(_QuietLibraries())
  import jax  # pylint: disable=g-import-not-at-top
  if FLAGS.distributed:
    # JAX's own runtime: on TPU pods and under SLURM every argument may stay None.
    jax.distributed.initialize(coordinator_address=FLAGS.coordinator_address,
                               num_processes=FLAGS.num_processes,
                               process_id=FLAGS.process_id)
  from ocr_jax import train  # pylint: disable=g-import-not-at-top
  logging.info("JAX process %d / %d, local devices %s", jax.process_index(),
               jax.process_count(), jax.local_devices())
  logging.info("Config:\n%s", FLAGS.config)
  result = train.train_and_evaluate(FLAGS.config, FLAGS.workdir)
  logging.info("Final validation metrics at step %d: CER %.4f, WER %.4f, line accuracy %.4f",
               result["step"], result["cer"], result["wer"], result["line_accuracy"])


if __name__ == "__main__":
  app.run(main)
