#!/usr/bin/env bash
# Builds elite with AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/ and runs
# the unit tests and the CLI bad-input checks under them.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${ASAN_BUILD_DIR:-build-asan}
SHARED=${ELITE_SHARED:-$(dirname "$(pwd)")/shared}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DELITE_SANITIZE_ADDRESS=ON \
  -DELITE_SANITIZE_UNDEFINED=ON >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target elite elite_tests
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
ctest --test-dir "$BUILD" --output-on-failure --no-tests=error -j"$(nproc)"
/usr/bin/python3 tests/python/test_cli_errors.py --elite "$BUILD/elite" \
  --model models/efficientnet-lite0.tflite --image "$SHARED/data/panda.jpg" \
  --weights .cache/pth/efficientnet-lite0.pth
