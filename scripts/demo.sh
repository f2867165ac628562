#!/usr/bin/env bash
# Set-up, build, then the main job. Until `grow demo` exists, the main job is the engine benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product grow
.build/release/grow bench "$@"
