#!/usr/bin/env bash
# Create .venv (if missing) and install mmpdl with the tested versions.
# Sourced by tools/run_tests.sh and tools/quickstart.sh. Re-running is cheap:
# the install is skipped while setup.py and requirements/ are unchanged.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
if [ ! -x .venv/bin/python ]; then
  PY=""
  for candidate in python3.11 python3 python; do
    if command -v "$candidate" >/dev/null 2>&1; then PY="$candidate"; break; fi
  done
  [ -n "$PY" ] || { echo "setup_venv: no python3 found; install Python 3.11" >&2; exit 1; }
  echo "[setup] creating .venv with $($PY --version 2>&1)"
  "$PY" -m venv .venv
fi
STAMP=.venv/.mmpdl-install-stamp
HASH=$(cat setup.py requirements/*.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$HASH" ]; then
  echo "[setup] installing mmpdl and its dependencies into .venv (first run: a few minutes)"
  .venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -m pip install -q -r requirements/pinned.txt -e ".[tests]" 2>&1 \
    | grep -v "^WARNING: Location" || true
  .venv/bin/python -c "import mmpdl, mmseg.models" \
    || { echo "setup_venv: installation failed (see pip output above)" >&2; exit 1; }
  echo "$HASH" > "$STAMP"
fi
