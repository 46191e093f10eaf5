#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) in build-fuzz/ and runs each for
# FUZZ_SECONDS (default 60) from a seed corpus. Exits non-zero on any crash, leak or hang.
#   bash scripts/fuzz.sh [fuzz_tflite fuzz_checkpoint fuzz_image]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
BUILD=${FUZZ_BUILD_DIR:-build-fuzz}
targets=("$@")
((${#targets[@]})) || targets=(fuzz_tflite fuzz_checkpoint fuzz_image)

CC=clang CXX=clang++ cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DELITE_BUILD_FUZZERS=ON -DELITE_BUILD_TESTS=OFF -DELITE_BUILD_TOOLS=OFF >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target "${targets[@]}"

corpus=fuzz-corpus
/usr/bin/python3 scripts/make_fuzz_seeds.py "$corpus" >/dev/null
mkdir -p "$corpus/tflite"
if [[ -x build/tests/write_test_tflite ]]; then
  build/tests/write_test_tflite "$corpus/tflite/block.tflite" --variant block >/dev/null
  build/tests/write_test_tflite "$corpus/tflite/pad.tflite" --variant pad >/dev/null
fi

for t in "${targets[@]}"; do
  dir=$corpus/${t#fuzz_}
  mkdir -p "$dir"
  echo "[fuzz] $t for ${SECONDS_EACH}s, corpus $dir ($(ls "$dir" | wc -l) files)"
  "$BUILD/$t" -max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=20 -rss_limit_mb=2048 \
    -print_final_stats=1 "$dir" 2>&1 | grep -E "stat::number_of_executed_units|ERROR|SUMMARY|crash" || true
  # libFuzzer writes crash-*/leak-*/timeout-* files on failure.
  if ls crash-* leak-* timeout-* oom-* >/dev/null 2>&1; then
    echo "[fuzz] $t found a failure: $(ls crash-* leak-* timeout-* oom-* 2>/dev/null)"
    exit 1
  fi
done
echo "[fuzz] no failures"
