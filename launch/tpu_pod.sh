#!/usr/bin/env bash
# Train on a Cloud TPU VM pod slice: every worker runs the same `python -m ocr_jax.main`,
# JAX's own runtime connects them (jax.distributed.initialize() finds the pod by itself).
#
#   TPU=my-v4-32 ZONE=us-central2-b WORKDIR=/mnt/shared/ocr_english \
#     launch/tpu_pod.sh --config=configs/default.py --config.batch_size=1024
#
# Requirements and choices:
# - WORKDIR must be one directory that every worker sees (a Filestore/NFS mount or a gcsfuse
#   mount of a bucket): orbax writes each worker's shards there and process 0 the metadata.
# - DATA_DIR may be local to each worker: process 0 renders the dataset first, the others
#   wait, and a worker that cannot see it renders the same (deterministic) data itself.
# - SETUP=1 copies this checkout to every worker and installs it with jax[tpu] first.
# - If any worker fails, gcloud returns non-zero and this script kills the job on all
#   workers, so no worker is left waiting in a collective.
set -euo pipefail

: "${TPU:?set TPU to the TPU VM name}"
: "${ZONE:?set ZONE to its zone}"
: "${WORKDIR:?set WORKDIR to a directory all workers share}"
DATA_DIR="${DATA_DIR:-}"
REMOTE_DIR="${REMOTE_DIR:-ocr_jax}"
PROJECT_FLAG=${PROJECT:+--project=$PROJECT}

on_all() {
  gcloud compute tpus tpu-vm ssh "$TPU" --zone="$ZONE" $PROJECT_FLAG --worker=all \
    --command="$1"
}

if [[ "${SETUP:-0}" == "1" ]]; then
  repo="$(cd "$(dirname "$0")/.." && pwd)"
  tar -C "$repo" --exclude=.git -czf /tmp/ocr_jax_src.tgz .
  gcloud compute tpus tpu-vm scp /tmp/ocr_jax_src.tgz "$TPU":/tmp/ --zone="$ZONE" \
    $PROJECT_FLAG --worker=all
  on_all "mkdir -p $REMOTE_DIR && tar -C $REMOTE_DIR -xzf /tmp/ocr_jax_src.tgz && \
          cd $REMOTE_DIR && pip install -q -e . 'jax[tpu]'"
fi

args=("$@")
data_flag=${DATA_DIR:+--config.data.data_dir=$DATA_DIR}
cmd="cd $REMOTE_DIR && OCR_JAX_DISTRIBUTED=1 python -m ocr_jax.main --workdir=$WORKDIR \
${args[*]} $data_flag 2>&1 | tee -a \$HOME/ocr_jax_worker.log"

if ! on_all "set -o pipefail; $cmd"; then
  echo "tpu_pod.sh: a worker failed (see ~/ocr_jax_worker.log on each worker); stopping all" >&2
  on_all "pkill -f 'ocr_jax.main' || true"
  exit 1
fi
