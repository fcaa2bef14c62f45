#!/usr/bin/env bash
# Event invoke 202 latency and throughput of two thaw builds, rounds alternating against two
# live servers (BENCHMARKS.md, "Event invokes"). Usage: bench/event_commit.sh BEFORE_THAW [ROUNDS]
# (BEFORE_THAW: another build's thaw binary, with its thaw-launcher beside it).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BEFORE=${1:?usage: bench/event_commit.sh BEFORE_THAW [ROUNDS]}; ROUNDS=${2:-3}
GO=$(command -v go || echo /usr/local/go/bin/go)
OUTDIR=$(mktemp -d /tmp/thaw-evbench-out.XXXXXX)
(cd bench && "$GO" build -o "$OUTDIR/" ./load)
LOAD=$OUTDIR/load
OUT=$OUTDIR/results.jsonl; : >"$OUT"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PA=$(free_port); PB=$(free_port)
SA=$(mktemp -d /tmp/thaw-evbench.XXXXXX); SB=$(mktemp -d /tmp/thaw-evbench.XXXXXX)
"$BEFORE" serve --listen 127.0.0.1:$PA --state-dir "$SA" 2>$OUTDIR/before.log &
A=$!
build/thaw serve --listen 127.0.0.1:$PB --state-dir "$SB" 2>$OUTDIR/after.log &
B=$!
trap 'kill $A $B 2>/dev/null; wait; rm -rf "$SA" "$SB"' EXIT
sleep 3
for P in $PA $PB; do
  AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws --endpoint-url http://127.0.0.1:$P --region us-east-1 \
    lambda create-function --function-name noop --runtime provided.al2023 --handler bootstrap \
    --role arn:aws:iam::000000000000:role/r --zip-file fileb://build/examples/go/noop.zip >/dev/null
done
sleep 2
for round in $(seq "$ROUNDS"); do
  for c in 1 16; do
    for side in before after; do
      P=$PA; [ $side = after ] && P=$PB
      N=2000; [ $c = 16 ] && N=6000
      $LOAD -endpoint http://127.0.0.1:$P -function noop -type Event -expect-status 202 \
        -n $N -c $c -name "${side}_c${c}_r${round}" >>"$OUT" 2>/dev/null
    done
  done
done
echo "results: $OUT" >&2
python3 - "$OUT" <<'PY'
import json, sys, statistics
rows = [json.loads(l) for l in open(sys.argv[1])]
for c in (1, 16):
    for side in ("before", "after"):
        rs = [r for r in rows if r["name"].startswith(f"{side}_c{c}_")]
        print(f"c={c:2} {side:6}: rps {[round(r['throughput_rps']) for r in rs]}"
              f" p50_us {[round(r['p50_us']) for r in rs]} p99_us {[round(r['p99_us']) for r in rs]}"
              f" errors {sum(r['errors'] for r in rs)}")
PY
