#!/usr/bin/env bash
# Set-up, then the whole test suite (single-threaded, as in CI).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/fetch_data.sh data
export GROW_THREADS=1
export GROW_PYTHON="$PWD/.venv/bin/python"
swift build --build-tests
# The suite is XCTest; Swift Testing would only add a "0 tests" summary line.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
swift test --skip-build --disable-swift-testing 2>&1 | tee "$log" || status=$?
summary=$(grep -E "^[[:space:]]*Executed [0-9]+ tests?, with [0-9]+ failures?" "$log" | tail -1 || true)
executed=$(echo "$summary" | sed -E 's/.*Executed ([0-9]+) tests?.*/\1/')
failed=$(echo "$summary" | sed -E 's/.*with ([0-9]+) failures?.*/\1/')
if [ -n "$summary" ]; then echo "tests: $((executed - failed)) passed, $failed failed"; fi
exit $status
