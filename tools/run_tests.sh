#!/usr/bin/env bash
# Install (into .venv, once) and run the test suite, style checks included.
# Usage: bash tools/run_tests.sh [pytest args, e.g. tests/test_utils -k compat]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
bash "$ROOT/tools/misc/setup_venv.sh"
cd "$ROOT"
set +e
.venv/bin/python -m pytest -q "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  # pytest: "no tests collected". Fine for an explicit selection that
  # matched nothing; an error for the whole suite.
  if [ "$#" -gt 0 ]; then
    echo "run_tests: no test matched the selection: $*"
    exit 0
  fi
  echo "run_tests: the suite collected no tests" >&2
  exit 1
fi
exit "$rc"
