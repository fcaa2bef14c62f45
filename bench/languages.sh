#!/usr/bin/env bash
# Go, Python and Node.js side by side, and the SAM app's deploy time (issue 17's numbers):
#   1. `thaw compare --languages` (one handler's logic in aws-lambda-go, python3.12 and
#      nodejs20.x; Go is the ratio's baseline, measured in the same run) at 1769 MB (one vCPU)
#      and at 128 MB (the CPU quota Lambda gives 128 MB);
#   2. `thaw deploy -t examples/sam/orders/template.yaml`: first (a fresh stack; Go from go's
#      build cache, Python and Node.js built) and again with no change.
#   bench/languages.sh [COUNT [COLD]]   (COUNT warm invokes, default 200; COLD cold starts, 10)
# Results in build/bench/languages-*.json. Run on a quiet machine, as root (sandboxed figures).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
COUNT=${1:-200}; COLD=${2:-10}
OUT=build/bench; mkdir -p "$OUT"
[ -f build/examples/go/lang-nodejs.zip ] || scripts/build-examples.sh >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
STATE=$(mktemp -d /tmp/thaw-languages.XXXXXX)
APP=$(mktemp -d /tmp/thaw-orders.XXXXXX)
build/thaw serve --listen 127.0.0.1:$PORT --state-dir "$STATE" 2>"$STATE.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$STATE" "$STATE.log" "$APP"' EXIT
export THAW_ENDPOINT=http://127.0.0.1:$PORT
for _ in $(seq 100); do curl -s "$THAW_ENDPOINT/thaw/environments" >/dev/null && break; sleep 0.1; done
echo "machine: $(nproc) vCPU, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r); $(date -u +%FT%TZ); load $(cut -d' ' -f1-3 /proc/loadavg)"
for MEM in ${MEMORY:-1769 128}; do
  echo "== thaw compare --languages --memory $MEM -n $COUNT --cold $COLD"
  build/thaw compare --languages --memory "$MEM" -n "$COUNT" --cold "$COLD" \
    --json "$OUT/languages-$MEM.json" || echo "(compare at $MEM MB reported errors)"
done
echo "== thaw deploy -t examples/sam/orders/template.yaml: first, then unchanged"
(cd examples/sam/orders && tar --exclude=.thaw --exclude=node_modules -cf - .) | (cd "$APP" && tar -xf -)
for RUN in first unchanged; do
  START=$(date +%s%N)
  build/thaw deploy -t "$APP/template.yaml" --stack-name bench-orders >"$STATE.deploy" 2>&1
  END=$(date +%s%N)
  echo "deploy $RUN: $(( (END - START) / 1000000 )) ms; $(grep -o 'stack bench-orders: .*' "$STATE.deploy")"
done
build/thaw deploy -t "$APP/template.yaml" --stack-name bench-orders --delete-stack >/dev/null 2>&1
