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
# XCTest's last line covers all suites: "Executed N tests, with [K test(s) skipped and] F failures".
summary=$(grep -E "^[[:space:]]*Executed [0-9]+ tests?, with " "$log" | tail -1 || true)
if [ -n "$summary" ]; then
  executed=$(echo "$summary" | sed -E 's/.*Executed ([0-9]+) tests?.*/\1/')
  failed=$(echo "$summary" | sed -E 's/.* ([0-9]+) failures?.*/\1/')
  skipped=$(echo "$summary" | grep -oE '[0-9]+ tests? skipped' | grep -oE '^[0-9]+' || echo 0)
  echo "tests: $((executed - failed - skipped)) passed, $failed failed, $skipped skipped"
fi
exit $status
