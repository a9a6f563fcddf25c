#!/bin/bash
# Issue 5's accelerator figures for one or more configs, every number from a command in the repo:
#   launch/accelerator_benchmark.sh OUT_DIR [CONFIG_NAME ...]   (default: default english_print)
# Per config: prepares its dataset, times the train and predict steps alone on synthetic
# batches (the device's own rate), the input pipeline alone (threads vs processes), and the real
# training loop per batch size and loader (images/s and the share of time waiting for input),
# while nvidia-smi (if there) samples GPU utilisation. JSON and logs land in OUT_DIR.
# Override with RUNS="32:threads:1,256:processes:12" (loop grid), STEPS=300 (per loop run),
# BATCHES="32 256" (device-only batch sizes), LOG_EVERY=10 (the loop's log windows),
# INPUT_STEPS=30 (batches of 256 per timed window of the input pipeline alone).
set -u
out=${1:?usage: launch/accelerator_benchmark.sh OUT_DIR [CONFIG_NAME ...]}; shift
if [ $# -eq 0 ]; then configs=(default english_print); else configs=("$@"); fi
mkdir -p "$out"
cd "$(dirname "$0")/.."
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}  # launch/ scripts import configs and ocr_jax
export PYTHONUNBUFFERED=1 JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=0
export JAX_COMPILATION_CACHE_DIR=${JAX_COMPILATION_CACHE_DIR:-$out/jax_cache}
cpus=$(nproc)
py=${PYTHON:-python3}
runs=${RUNS:-32:threads:1,32:processes:$((cpus / 2)),256:threads:4,256:processes:$((cpus / 2)),256:processes:$((cpus - 2))}
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv -lms 500 \
    > "$out/gpu_utilisation.csv" 2>/dev/null &
  smi=$!
fi
for name in "${configs[@]}"; do
  echo "### $name $(date +%T)"
  t0=$(date +%s)
  $py -c "
from ocr_jax.data import pipeline
from configs import $name as c
pipeline.prepare(c.get_config().data)" 2>&1 | grep -v OpenCV | tail -3
  echo "prepared $name in $(( $(date +%s) - t0 )) s"
  for batch in ${BATCHES:-32 256}; do
    timeout 300 $py launch/benchmark.py --config=configs/$name.py \
      --config.batch_size=$batch --repeats=5 --steps=20 --input_steps=0 \
      > "$out/${name}_device_b$batch.json" 2> "$out/${name}_device_b$batch.log"
    echo "device-only, batch $batch: $($py -c "
import json; r = json.load(open('$out/${name}_device_b$batch.json'))
print({w: v['train_images_per_s'] for w, v in r['per_width'].items()}, r['machine']['devices'])" 2>&1 | tail -1)"
  done
  for loader in threads processes; do  # threads past 4 only contend for the GIL
    workers=1,4; [ $loader = processes ] && workers=1,4,$((cpus - 2))
    timeout 300 $py launch/benchmark.py --config=configs/$name.py --config.batch_size=256 \
      --widths=128 --repeats=2 --steps=2 --input_steps=${INPUT_STEPS:-30} --input_loaders=$loader \
      --input_workers=$workers > "$out/${name}_input_$loader.json" 2> "$out/${name}_input.log"
    $py -c "import json; print('input alone, lines/s:', json.load(open('$out/${name}_input_$loader.json'))['input_pipeline'])"
  done
  timeout 480 $py launch/loader_benchmark.py --config=configs/$name.py --runs=$runs \
    --steps=${STEPS:-300} --log_every=${LOG_EVERY:-10} --timeout=150 --out="$out/${name}_loop.json" 2> "$out/${name}_loop.log"
done
[ -n "${smi:-}" ] && kill $smi
echo "done $(date +%T)"
