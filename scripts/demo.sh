#!/usr/bin/env bash
# Set-up, build, then the main job: fetch data, pretrain the source network (cached), compare growing
# with fine-tuning on Animal-MNIST, print the summary and claims, write the report.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product grow
.build/release/grow demo "$@"
