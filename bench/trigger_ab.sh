#!/usr/bin/env bash
# Event and SQS trigger latency (request sent -> handler start, bench/trigger) of two thaw builds,
# beside floors measured in the same round: a warm RequestResponse Invoke's request -> handler
# start on the same server, one 4 KiB write + fdatasync on the state directory's file system, and
# the loopback HTTP chain (bench/floor). Rounds alternate which build goes first, so a noisy box
# moves both alike (the bench/ab_compare.sh pattern).
#   bench/trigger_ab.sh BEFORE_THAW [ROUNDS]   (BEFORE_THAW: another build's thaw, with its
#                                               thaw-launcher beside it; after = build/thaw)
# TRIGGER_N samples per measurement (default 300).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BEFORE=${1:?usage: bench/trigger_ab.sh BEFORE_THAW [ROUNDS]}; ROUNDS=${2:-5}
N=${TRIGGER_N:-300}
GO=$(command -v go || echo /usr/local/go/bin/go)
OUTDIR=$(mktemp -d /tmp/thaw-trigger-ab.XXXXXX)
(cd bench && "$GO" build -o "$OUTDIR/" ./floor ./trigger)
[ -f build/examples/go/stamp.zip ] || scripts/build-examples.sh >/dev/null
RES=$OUTDIR/results.jsonl; : >"$RES"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PA=$(free_port); PB=$(free_port)
SA=$(mktemp -d /tmp/thaw-ab.XXXXXX); SB=$(mktemp -d /tmp/thaw-ab.XXXXXX)
"$BEFORE" serve --listen 127.0.0.1:$PA --state-dir "$SA" --esm-transition-ms 100 2>"$OUTDIR/before.log" &
A=$!
build/thaw serve --listen 127.0.0.1:$PB --state-dir "$SB" --esm-transition-ms 100 2>"$OUTDIR/after.log" &
B=$!
trap 'kill $A $B 2>/dev/null; wait $A $B 2>/dev/null; rm -rf "$SA" "$SB"' EXIT
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_DEFAULT_REGION=us-east-1
for P in $PA $PB; do
  for _ in $(seq 100); do
    /usr/bin/aws --endpoint-url http://127.0.0.1:$P lambda list-functions >/dev/null 2>&1 && break
    sleep 0.1
  done
  /usr/bin/aws --endpoint-url http://127.0.0.1:$P --no-cli-pager lambda create-function \
    --function-name stamp --runtime provided.al2023 --handler bootstrap --memory-size 1769 \
    --timeout 60 --role arn:aws:iam::000000000000:role/r \
    --zip-file fileb://build/examples/go/stamp.zip >/dev/null
done
echo "machine: $(nproc) vCPU, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
for round in $(seq "$ROUNDS"); do
  "$OUTDIR/floor" -mode=chain -n 2000 -c 1 -name "floor_r$round" >>"$RES" 2>/dev/null
  "$OUTDIR/trigger" -mode fsync -dir "$SB" -n "$N" -name "fsync_r$round" >>"$RES" 2>/dev/null
  sides=(before after); [ $((round % 2)) = 0 ] && sides=(after before)
  for side in "${sides[@]}"; do
    P=$PA; [ "$side" = after ] && P=$PB
    for mode in sync event sqs; do
      "$OUTDIR/trigger" -endpoint http://127.0.0.1:$P -mode $mode -n "$N" \
        -name "${mode}_${side}_r$round" >>"$RES" 2>/dev/null
    done
  done
done
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg); results: $RES" >&2
python3 - "$RES" "$ROUNDS" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    if line.startswith("{"):
        r = json.loads(line)
        rows[r["name"]] = r
rounds = range(1, int(sys.argv[2]) + 1)
med = statistics.median
def col(name, key="p50_us"):
    return [rows[f"{name}_r{i}"][key] for i in rounds]
print(f"floors (median of rounds): loopback chain p50 {med(col('floor')):.0f} us, "
      f"fsync p50 {med(col('fsync')):.0f} us p99 {med(col('fsync', 'p99_us')):.0f} us")
print(f"{'send -> handler start':<22}{'before p50':>12}{'after p50':>12}{'after p99':>12}"
      f"{'after/sync':>12}{'after/before (paired)':>24}{'range':>12}")
for mode in ("sync", "event", "sqs"):
    b, a = col(f"{mode}_before"), col(f"{mode}_after")
    sync_a = col("sync_after")
    pairs = [x / y for x, y in zip(a, b)]
    print(f"{mode:<22}{med(b):>12.0f}{med(a):>12.0f}{med(col(f'{mode}_after', 'p99_us')):>12.0f}"
          f"{med([x / y for x, y in zip(a, sync_a)]):>12.2f}{med(pairs):>24.3f}"
          f"{min(pairs):>6.2f}-{max(pairs):.2f}")
print(f"{'ack -> handler start':<22}{'before p50':>12}{'after p50':>12}{'after p99':>12}")
for mode in ("event", "sqs"):
    b = col(f"{mode}_before", "ack_to_handler_p50_us")
    a = col(f"{mode}_after", "ack_to_handler_p50_us")
    print(f"{mode:<22}{med(b):>12.0f}{med(a):>12.0f}"
          f"{med(col(f'{mode}_after', 'ack_to_handler_p99_us')):>12.0f}")
cold = sum(r.get("cold", 0) + r.get("lost", 0) for r in rows.values())
if cold:
    print(f"samples left out (cold or lost): {cold}")
PY
