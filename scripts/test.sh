#!/usr/bin/env bash
# Set-up, then the whole test suite (single-threaded, as in CI).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/fetch_data.sh data
export GROW_THREADS=1
export GROW_PYTHON="$PWD/.venv/bin/python"
swift build --build-tests
swift test --skip-build
