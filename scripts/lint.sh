#!/usr/bin/env bash
# clang-format check over our C++ (always) and clang-tidy over every translation unit
# (unless --format-only). Fails on any diff or finding.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
mapfile -t files < <(git ls-files 'src/*.cc' 'src/*.h' 'bench/*.cc' 'bench/*.h' 'tests/fuzz/*.cc')
clang-format --dry-run --Werror "${files[@]}"
echo "lint: clang-format clean (${#files[@]} files)"
[ "${1:-}" = "--format-only" ] && exit 0
[ -f build/compile_commands.json ] || scripts/build.sh >/dev/null
mapfile -t units < <(git ls-files 'src/*.cc')
run-clang-tidy -quiet -p build -j 2 "${units[@]}" >/tmp/thaw-tidy.log 2>&1 || {
  grep -E "error:|warning:" /tmp/thaw-tidy.log | head -50
  exit 1
}
echo "lint: clang-tidy clean (${#units[@]} files)"
