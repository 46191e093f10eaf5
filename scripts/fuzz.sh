#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) in build-fuzz/ (or FUZZ_BUILD_DIR)
# and runs each for FUZZ_SECONDS (default 60) from a seed corpus in fuzz-corpus/. Exits
# non-zero on any crash, leak, hang or a target that did not build; findings are kept in
# BUILD/fuzz-artifacts/ and the fuzzer's output in BUILD/TARGET.log.
#   bash scripts/fuzz.sh [fuzz_tflite fuzz_checkpoint fuzz_image fuzz_tf_checkpoint]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
BUILD=${FUZZ_BUILD_DIR:-build-fuzz}
targets=("$@")
((${#targets[@]})) || targets=(fuzz_tflite fuzz_checkpoint fuzz_image fuzz_tf_checkpoint)

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

artifacts=$BUILD/fuzz-artifacts
mkdir -p "$artifacts"
for t in "${targets[@]}"; do
  dir=$corpus/${t#fuzz_}
  mkdir -p "$dir"
  if [[ ! -x $BUILD/$t ]]; then
    echo "[fuzz] $BUILD/$t was not built" >&2
    exit 1
  fi
  echo "[fuzz] $t for ${SECONDS_EACH}s, corpus $dir ($(ls "$dir" | wc -l) files)"
  log=$BUILD/$t.log
  rm -f "$artifacts/$t-"*  # findings of an earlier run: reproduce them with "$BUILD/$t" FILE
  rc=0
  "$BUILD/$t" -max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=20 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/$t-" "$dir" >"$log" 2>&1 || rc=$?
  grep -E "stat::number_of_executed_units|ERROR|SUMMARY|crash" "$log" || true
  # libFuzzer exits non-zero and writes crash-*/leak-*/timeout-*/oom-* files on failure.
  found=$(ls "$artifacts" | grep "^$t-" || true)
  if ((rc != 0)) || [[ -n $found ]]; then
    echo "[fuzz] $t failed (exit $rc): ${found:-no artifact}; last lines of $log:"
    tail -30 "$log"
    exit 1
  fi
done
echo "[fuzz] no failures"
