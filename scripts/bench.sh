#!/usr/bin/env bash
# End-to-end benchmark of thaw against a floor measured in the same run.
#   scripts/bench.sh          full run (numbers for BENCHMARKS.md), results in build/bench/
#   scripts/bench.sh --smoke  a few seconds; fails if warm p50 > 5x the floor's p50
# Runs `thaw serve` with its defaults (logs on) on a free loopback port, and the no-op Go
# function (aws-lambda-go) at MemorySize 1769 (one vCPU).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
GO=$(command -v go || echo /usr/local/go/bin/go)
SMOKE=0; [ "${1:-}" = "--smoke" ] && SMOKE=1
if [ $SMOKE = 1 ]; then N=3000; NT=6000; NC=10; else N=20000; NT=60000; NC=100; fi

OUT=build/bench; mkdir -p "$OUT"
(cd bench && "$GO" build -o "$ROOT/$OUT/" ./floor ./load ./cold)
[ -f build/examples/go/noop.zip ] || scripts/build-examples.sh >/dev/null

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
STATE=$(mktemp -d /tmp/thaw-bench.XXXXXX)
EP=http://127.0.0.1:$PORT
build/thaw serve --listen 127.0.0.1:$PORT --state-dir "$STATE" 2>"$OUT/serve.log" &
SERVER=$!
cleanup() { kill -TERM $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$STATE"; }
trap cleanup EXIT
for _ in $(seq 100); do curl -sf "$EP/2016-08-19/account-settings/" >/dev/null && break; sleep 0.1; done

export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_DEFAULT_REGION=us-east-1
AWS=(/usr/bin/aws --endpoint-url "$EP" --no-cli-pager --output text)
for fn in noop noop_cold; do
  "${AWS[@]}" lambda create-function --function-name $fn --runtime provided.al2023 \
    --role arn:aws:iam::000000000000:role/bench --handler bootstrap --memory-size 1769 \
    --zip-file fileb://build/examples/go/noop.zip --query FunctionArn >/dev/null
done

RES="$OUT/results.jsonl"; : > "$RES"
echo "machine: $(nproc) vCPU, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); $(date -u +%FT%TZ)" | tee "$OUT/machine.txt"
"$OUT/floor" -mode=chain -n $N -c 1 -name floor_chain_c1 >>"$RES"
"$OUT/floor" -mode=chain -n $N -c 1 -procs 0 -name floor_chain_c1_gomaxprocs2 >>"$RES"
"$OUT/load" -endpoint "$EP" -function noop -n $N -c 1 -name warm_invoke_c1 >>"$RES"
"$OUT/cold" -endpoint "$EP" -function noop_cold -n $NC -name cold_start >>"$RES"
if [ $SMOKE = 0 ]; then
  "$OUT/floor" -mode=chain -n $NT -c 32 -procs 0 -name floor_chain_c32 >>"$RES"
  "$OUT/load" -endpoint "$EP" -function noop -n $NT -c 32 -name throughput_c32 >>"$RES"
  "$OUT/load" -endpoint "$EP" -function noop -n $NT -c 8 -name throughput_c8 >>"$RES"
fi

python3 - "$RES" $SMOKE <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    line = line.strip()
    if line:
        r = json.loads(line); rows[r["name"]] = r
smoke = sys.argv[2] == "1"
floor = rows["floor_chain_c1"]["p50_us"]
print(f"{'name':<28}{'p50 us':>10}{'p99 us':>10}{'rps':>10}{'p50/floor':>11}")
for name, r in rows.items():
    rps = r.get("throughput_rps", 0)
    print(f"{name:<28}{r['p50_us']:>10.0f}{r['p99_us']:>10.0f}{rps:>10.0f}{r['p50_us']/floor:>11.2f}")
warm = rows["warm_invoke_c1"]["p50_us"]
if smoke and warm > 5 * floor:
    print(f"FAIL: warm p50 {warm:.0f} us is more than 5x the floor {floor:.0f} us")
    sys.exit(1)
print(f"bench: warm p50 is {warm/floor:.2f}x the floor")
PY
