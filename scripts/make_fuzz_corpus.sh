#!/usr/bin/env bash
# Regenerates the fuzz seed corpus Tests/Fuzz/corpus/READER/: small files from the project's own
# encoders plus hand-broken ones (GrowFuzz --make-seeds), and the small torch fixtures for pth.
# Findings that were fixed are kept in the corpus as found-*.* files, and the cjpeg-made progressive and
# arithmetic JPEGs as they are (see Tests/Fuzz/README.md); this script leaves them alone.
set -euo pipefail
cd "$(dirname "$0")/.."
out=Tests/Fuzz/corpus
swift build --product GrowFuzz >/dev/null
"$(swift build --show-bin-path)/GrowFuzz" --make-seeds "$out"
mkdir -p "$out/pth"
for f in tiny_legacy tiny_zip plain_pickle evil_global evil_stack_global huge_count overflow_count \
         truncated_data truncated_pickle view_past_end repeated_view wrong_magic; do
    cp "Tests/ZooTests/Fixtures/$f.pth" "$out/pth/$f.pth"
done
du -sh "$out"/*
