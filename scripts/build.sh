#!/usr/bin/env bash
# Configures and builds thaw into build/ (build/thaw, build/thaw-launcher, unit tests).
# THAW_SANITIZE=1 builds with ASan+UBSan into build-asan/ instead.
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
cmake -S . -B "$DIR" -G Ninja "${ARGS[@]}" >/dev/null
ninja -C "$DIR" "$@"
