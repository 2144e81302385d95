#!/usr/bin/env bash
# One GPU check of mmpdl, in one run on an offline GPU machine:
#   1. install what that machine lacks from wheels brought along in .whl/
#      (tools/misc/download_gpu_wheels.sh fetches them on a machine with
#      internet);
#   2. generate both built-in datasets (Cityscapes and COCO-panoptic format);
#   3. the whole test suite with CUDA visible (pytest-xdist workers, each
#      test's result named in the log as it ends) while both quickstarts
#      train (800 iterations) and test on the GPU;
#   4. then alone on the GPU, the benchmark rows of docs/benchmarks.md:
#      post-processing at 1024x2048 and the R50-os32 / MobileNetV2-os32 model
#      at 1025x2049 against the original (a copy of its checkout in .orig/;
#      fp32, and ours with AMP + channels_last), the whole inference of
#      MobileNetV3-L/S and R50 with eager fp32, torch.compile and AMP (+
#      channels_last);
#   5. the variants table (parameters, FLOPs, ms) of the MobileNets.
# Every step runs under its own timeout and logs into $WORK as it goes;
# $OUT gets summary.txt, logs.tgz and the benchmarks' JSON after each step,
# so a run cut short still leaves what it did.
#
# Usage, from the repository root:
#   OUT=/path bash tools/analysis_tools/gpu_check.sh          # GPU machine
#   DRY=1 bash tools/analysis_tools/gpu_check.sh              # CPU dry run
# DRY=1 runs the same steps on CPU at tiny sizes (1 training iteration, one
# test file, --quick benchmarks) with this checkout's .venv and no install.
# STEPS (default "install data tests bench deploy variants") chooses steps;
# ORIG (default .orig) is the original's checkout, DATA (default data) the
# folder of the generated datasets; training runs go to $WORK/work_dirs.
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
OUT=${OUT:-$ROOT/gpu_out}
WORK=${WORK:-/tmp/mmpdl_gpu_check}
STEPS=${STEPS:-install data tests bench deploy variants}
ORIG=${ORIG:-$ROOT/.orig}
mkdir -p "$OUT"
rm -rf "$WORK/logs" "$WORK/work_dirs"  # this script's own, from a last run
mkdir -p "$WORK/logs"
L=$WORK/logs
SUMMARY=$OUT/summary.txt
: > "$SUMMARY"
export PYTHONUNBUFFERED=1
T0=$(date +%s)

say() { echo "[$(($(date +%s) - T0)) s] $*" | tee -a "$SUMMARY"; }
save() {  # bring logs and results to $OUT (at most 8 files come back)
  tar czf "$OUT/logs.tgz" -C "$WORK" logs 2>/dev/null
  cp "$L"/bench_*.json "$OUT/" 2>/dev/null
  return 0
}
has() { [[ " $STEPS " == *" $1 "* ]]; }
run() {  # name timeout command...: log to $L/name.log, report rc
  local name=$1 limit=$2
  shift 2
  timeout "$limit" "$@" > "$L/$name.log" 2>&1
  local rc=$?
  say "$name rc=$rc$([ $rc = 124 ] && echo " (timed out after $limit s)")"
  return $rc
}
trap save EXIT

if [ -n "${DRY:-}" ]; then
  PY=${PY:-$ROOT/.venv/bin/python}
  export PYTHONPATH=$ROOT${PYTHONPATH:+:$PYTHONPATH}
  DEV=cpu; QUICK=--quick; ITERS=1; PYTEST_ARGS="-q"; AMP=""
  TESTS="tests/test_models/test_post_processing/test_fixed_shape.py"
  T_TRAIN=600; T_TEST=300; T_SUITE=300; T_BENCH=600; T_DEPLOY=600
else
  PY=${PY:-python3}
  # -v: every test's outcome is in the log as it ends, also when the step
  # is cut; --timeout: a hanging test does not take the step's time
  DEV=cuda; QUICK=""; ITERS=800; PYTEST_ARGS="-n 12 -v --timeout 170"
  AMP=--amp
  TESTS="tests"
  T_TRAIN=170; T_TEST=50; T_SUITE=300; T_BENCH=90; T_DEPLOY=150
fi
say "mmpdl GPU check ($([ -n "${DRY:-}" ] && echo dry run, CPU || echo GPU)); steps: $STEPS"

if has install && [ -z "${DRY:-}" ]; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
    --upgrade --target /tmp/site .whl/*.whl > "$L/install.log" 2>&1 \
    || { say "install failed"; tail -5 "$L/install.log"; exit 1; }
  export PYTHONPATH=/tmp/site:$ROOT${PYTHONPATH:+:$PYTHONPATH}
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv \
    | tee -a "$SUMMARY"
fi
$PY - <<'EOF' 2>&1 | tee -a "$SUMMARY"
import platform
import torch, numpy, mmengine, mmcv, mmseg, cityscapesscripts, pycocotools
import mmpdl
gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else 'none'
print(f'python {platform.python_version()}, torch {torch.__version__}, '
      f'numpy {numpy.__version__}, mmengine {mmengine.__version__}, '
      f'mmcv {mmcv.__version__}, mmseg {mmseg.__version__}, GPU {gpu}')
EOF
[ "${PIPESTATUS[0]}" = 0 ] || { say "imports failed"; exit 1; }

DATA=${DATA:-data}
CS_DATA=$DATA/synthetic_cityscapes
CO_DATA=$DATA/synthetic_coco_panoptic
if has data; then
  run data_cityscapes 120 $PY tools/dataset_converters/synthetic_cityscapes.py $CS_DATA
  run data_coco 120 $PY tools/dataset_converters/synthetic_coco_panoptic.py $CO_DATA
fi

quickstart() {  # name config data: train ITERS iterations, then test
  local name=$1 config=$2 data=$3
  local opts="train_dataloader.dataset.data_root=$data val_dataloader.dataset.data_root=$data test_dataloader.dataset.data_root=$data"
  run "train_$name" $T_TRAIN $PY tools/train.py "$config" \
    --work-dir "$WORK/work_dirs/$name" --cfg-options train_cfg.max_iters=$ITERS \
    $opts && \
  run "test_$name" $T_TEST $PY tools/test.py "$config" \
    "$WORK/work_dirs/$name/iter_$ITERS.pth" --work-dir "$WORK/work_dirs/$name/test" \
    --cfg-options $opts
}
if has tests; then
  quickstart cityscapes configs/panoptic_deeplab/panoptic-deeplab_r18-os32_1xb2-800iter_synthetic-cityscapes-256x512.py $CS_DATA &
  QS_CS=$!
  quickstart coco configs/panoptic_deeplab/panoptic-deeplab_r18-os32_1xb2-800iter_synthetic-coco-panoptic-257x385.py $CO_DATA &
  QS_CO=$!
  # one thread per worker: the workers share the CPU cores
  OMP_NUM_THREADS=1 run pytest $T_SUITE $PY -m pytest -rfEs $PYTEST_ARGS $TESTS
  grep -E "(FAILED|ERROR) |passed|failed" "$L/pytest.log" | sort -u | tail -40 | tee -a "$SUMMARY"
  save
  wait $QS_CS $QS_CO
  for name in cityscapes coco; do
    grep "Iter(train)" "$L/train_$name.log" | tail -1 | cut -c1-240 | tee -a "$SUMMARY"
    grep "Iter(test)" "$L/test_$name.log" 2>/dev/null | tail -1 | tee -a "$SUMMARY"
  done
fi
BENCH="$PY tools/analysis_tools/benchmark.py --device $DEV $QUICK"
ORIG_ARG=""
if [ -d "$ORIG/segmentation" ]; then
  ORIG_ARG="--original-repo $ORIG"
else
  say "no original checkout at $ORIG: benchmark rows without the original"
fi
if has bench; then
  run bench_gpu $T_BENCH $BENCH --task postprocess model $AMP $ORIG_ARG \
    --out "$L/bench_gpu.json"
  grep "^|" "$L/bench_gpu.log" | tee -a "$SUMMARY"
  save
fi
if has deploy; then
  # MobileNetV3-L first: the model of the paper's real-time claim
  run bench_deploy $T_DEPLOY $BENCH --task deploy \
    --deploy-models mnv3l-os32 mnv3s-os32 r50 \
    --backends compile amp --out "$L/bench_deploy.json"
  grep "^|" "$L/bench_deploy.log" | tee -a "$SUMMARY"
  save
fi
if has variants; then
  run bench_variants $T_BENCH $BENCH --task variants \
    --variant-models mbnv2 mnv3l-os16 mnv3s-os16 mnv3l-os32 mnv3s-os32 \
    --out "$L/bench_variants.json"
  grep "^|" "$L/bench_variants.log" | tee -a "$SUMMARY"
  save
fi

say "done"
