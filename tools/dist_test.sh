#!/usr/bin/env bash
# Usage: bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args]
# Without CUDA, GPUS processes evaluate over gloo on the CPU.
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
DIR="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON=${PYTHON:-python}
if [ -z "$VIRTUAL_ENV" ] && [ -x "$DIR/.venv/bin/python" ]; then PYTHON="$DIR/.venv/bin/python"; fi
# torchrun gives each process 1 thread when OMP_NUM_THREADS is unset; share
# the cores between the processes instead (an explicit value is kept)
if [ -z "${OMP_NUM_THREADS:-}" ]; then
  OMP_NUM_THREADS=$(( $(nproc) / GPUS ))
  export OMP_NUM_THREADS=$(( OMP_NUM_THREADS > 0 ? OMP_NUM_THREADS : 1 ))
fi

PYTHONPATH="$DIR":$PYTHONPATH \
"$PYTHON" -m torch.distributed.run \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$GPUS \
    --master_port=$PORT \
    "$DIR/tools/test.py" \
    $CONFIG \
    $CHECKPOINT \
    --launcher pytorch ${@:4}
