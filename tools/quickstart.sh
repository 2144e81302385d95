#!/usr/bin/env bash
# The main job end to end on the built-in dataset, on CPU or GPU:
#   1. create .venv and install mmpdl (once),
#   2. generate the built-in Cityscapes-format dataset (40 train + 10 val,
#      256x512) and convert it with cityscapesscripts,
#   3. train the small config,
#   4. evaluate PQ/SQ/RQ, AP and mIoU on the val split and draw the
#      panoptic predictions into work_dirs/quickstart/vis/.
# Re-running skips every step that is already done.
#
# Environment overrides: CONFIG, DATA, MAX_ITERS (training length; the poly
# LR schedule follows it), WORK (default work_dirs/quickstart, or
# work_dirs/quickstart-<MAX_ITERS>iter when MAX_ITERS differs from the
# config's, so that runs of different lengths never resume each other).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
START=$(date +%s)
CONFIG=${CONFIG:-configs/panoptic_deeplab/panoptic-deeplab_r18-os32_1xb2-800iter_synthetic-cityscapes-256x512.py}
DATA=${DATA:-data/synthetic_cityscapes}
PY=.venv/bin/python

step() { echo; echo "=== [quickstart] $* ($(( $(date +%s) - START )) s)"; }
need() {
  if [ ! -e "$1" ]; then
    echo "[quickstart] missing: $1 ($2); stopping here." >&2
    exit 1
  fi
}

step "1/4 install"
bash tools/misc/setup_venv.sh

step "2/4 built-in dataset -> $DATA"
need tools/dataset_converters/synthetic_cityscapes.py "dataset generator"
$PY tools/dataset_converters/synthetic_cityscapes.py "$DATA"

step "3/4 train $CONFIG"
need "$CONFIG" "quickstart config"
CONFIG_ITERS=$($PY - "$CONFIG" <<'PYEOF'
import sys
from mmengine import Config
print(Config.fromfile(sys.argv[1]).train_cfg.max_iters)
PYEOF
)
MAX_ITERS=${MAX_ITERS:-$CONFIG_ITERS}
if [ "$MAX_ITERS" = "$CONFIG_ITERS" ]; then
  WORK=${WORK:-work_dirs/quickstart}
else
  WORK=${WORK:-work_dirs/quickstart-${MAX_ITERS}iter}
fi
CKPT="$WORK/iter_${MAX_ITERS}.pth"
if [ -f "$CKPT" ]; then
  echo "[quickstart] $CKPT exists: training already done"
else
  $PY tools/train.py "$CONFIG" --work-dir "$WORK" --resume \
    --cfg-options train_cfg.max_iters="$MAX_ITERS" \
    train_dataloader.dataset.data_root="$DATA" \
    val_dataloader.dataset.data_root="$DATA" \
    test_dataloader.dataset.data_root="$DATA"
fi

step "4/4 evaluate on the val split and draw predictions"
need tools/test.py "test tool"
$PY tools/test.py "$CONFIG" "$CKPT" --work-dir "$WORK/test" \
  --show-dir "$ROOT/$WORK/vis" \
  --cfg-options test_dataloader.dataset.data_root="$DATA" \
  | tee "$WORK/test_output.txt"

LOG=$(ls -t "$WORK"/*/*.log 2>/dev/null | head -n 1 || true)
step "done in $(( $(date +%s) - START )) s"
echo "checkpoint : $ROOT/$CKPT"
echo "train log  : ${LOG:+$ROOT/$LOG}"
echo "metrics    : $ROOT/$WORK/test_output.txt"
echo "pictures   : $ROOT/$WORK/vis/"
