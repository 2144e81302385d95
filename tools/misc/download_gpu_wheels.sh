#!/usr/bin/env bash
# Download, on a machine with internet, the wheels that the offline GPU
# machine lacks (see tools/analysis_tools/gpu_check.sh) into .whl/.
#
# The GPU machine has Python 3.12 with torch, torchvision, numpy, scipy,
# opencv-python-headless, matplotlib, onnx, onnxruntime, pyyaml, regex, rich,
# tqdm, pillow, requests and pytest (+ xdist, timeout) but not mmengine,
# mmcv-lite, mmsegmentation, cityscapesscripts, pycocotools and their small
# dependencies, nor yacs (the original implementation's configs). Versions
# are this project's pins (requirements/pinned.txt) where it has them.
# Every wheel is pure Python except pycocotools (cp312 manylinux); no
# dependency is resolved (--no-deps): the list below is the closure of what
# the GPU machine lacks. ~6 MB.
#
# Usage: bash tools/misc/download_gpu_wheels.sh [DEST] (default .whl)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DEST=${1:-$ROOT/.whl}
PY=${PY:-$ROOT/.venv/bin/python}
mkdir -p "$DEST"
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
  --implementation cp --platform manylinux_2_28_x86_64 \
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  --platform any -d "$DEST" \
  mmengine==0.10.7 mmcv-lite==2.1.0 mmsegmentation==1.2.2 \
  pycocotools==2.0.11 cityscapesscripts==2.3.0 addict yapf platformdirs \
  termcolor prettytable wcwidth ftfy coloredlogs humanfriendly pyquaternion \
  appdirs yacs 2>&1 | grep -v "^WARNING: Location" || true
ls "$DEST"
du -sh "$DEST"
