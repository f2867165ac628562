#!/usr/bin/env bash
# Fuzzes one file reader with libFuzzer + AddressSanitizer:   scripts/fuzz.sh READER [SECONDS]
# READER: idx, csv, jpeg, png, safetensors or pth. SECONDS defaults to 60.
#
# Builds the GrowFuzz target with -sanitize=fuzzer,address -D FUZZING (debug: overflow and bounds
# traps stay on, unlike the -Ounchecked release build) into its own scratch path .build/fuzz, so the
# normal .build is never touched. New inputs go to .build/fuzz/corpus/READER (the committed seeds in
# Tests/Fuzz/corpus/READER are only read); a crash is written to .build/fuzz/crash-* and its path
# printed. Reproduce one without libFuzzer: swift run GrowFuzz --reader READER CRASH_FILE.
# Extra libFuzzer options can follow the seconds (e.g. -max_len=65536).
set -euo pipefail
cd "$(dirname "$0")/.."
reader=${1:?usage: scripts/fuzz.sh READER [SECONDS] [libFuzzer options…]}
seconds=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))
seeds=Tests/Fuzz/corpus/$reader
[ -d "$seeds" ] || { echo "no seed corpus $seeds (readers: $(ls Tests/Fuzz/corpus | tr '\n' ' '))" >&2; exit 2; }

scratch=.build/fuzz
# The fuzz build must not fetch (there may be no network): reuse the main build's package checkouts.
if [ ! -d "$scratch/checkouts" ] && [ -d .build/checkouts ]; then
    mkdir -p "$scratch"
    cp -R .build/checkouts .build/repositories .build/workspace-state.json "$scratch/"
fi
swift build --scratch-path "$scratch" --product GrowFuzz --disable-automatic-resolution \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xcc -fsanitize=address 2>&1 | grep -v "ld.gold: warning: Cannot export" | tail -3
binary="$(swift build --scratch-path "$scratch" --show-bin-path)/GrowFuzz"

work=$scratch/corpus/$reader
mkdir -p "$work"
# Swift's crash backtracer waits on the dying process; libFuzzer prints its own report instead.
export SWIFT_BACKTRACE=enable=no GROW_FUZZ_READER=$reader
log=$scratch/$reader.log
set +e
"$binary" "$work" "$seeds" -max_total_time="$seconds" -max_len=8192 -rss_limit_mb=2048 -timeout=20 \
    -print_final_stats=1 -artifact_prefix="$scratch/" "$@" 2>&1 | tee "$log" | grep -E "^#[0-9]+\s+(INITED|DONE)|ERROR|SUMMARY|Test unit written|stat::number_of_executed_units|stat::peak_rss"
status=${PIPESTATUS[0]}
set -e
echo "reader $reader: exit $status, log $log, corpus $work"
exit "$status"
