#!/usr/bin/env bash
# Configures and builds thaw into build/ (build/thaw, build/thaw-launcher, unit tests).
# THAW_SANITIZE=1 builds with ASan+UBSan into build-asan/ instead, THAW_TSAN=1 with ThreadSanitizer
# into build-tsan/. (The clang build with the fuzzers is scripts/fuzz.sh.)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# Let ccache share results between checkouts in different folders (CI clones anew each run).
export CCACHE_BASEDIR="$ROOT" CCACHE_NOHASHDIR=1
DIR=build
ARGS=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [ "${THAW_SANITIZE:-0}" = 1 ]; then
  DIR=build-asan
  ARGS=(-DCMAKE_BUILD_TYPE=Debug -DTHAW_SANITIZE=ON -DTHAW_BENCH=OFF)
fi
if [ "${THAW_TSAN:-0}" = 1 ]; then
  # Optimised, as TSan slows code 5-15x and the tests have timeouts.
  DIR=build-tsan
  ARGS=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DTHAW_TSAN=ON -DTHAW_BENCH=OFF)
fi
cmake -S . -B "$DIR" -G Ninja "${ARGS[@]}" >/dev/null
ninja -C "$DIR" "$@"
