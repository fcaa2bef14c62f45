#!/usr/bin/env bash
# End-to-end benchmark of thaw against a floor measured in the same run.
#   scripts/bench.sh          full run (numbers for BENCHMARKS.md), results in build/bench/
#   scripts/bench.sh --smoke  a few seconds; fails if warm p50 > 5x the floor's p50 (the larger
#                             of the chain and proxy floors)
#   scripts/bench.sh --peers  only thaw against the Runtime Interface Emulator (bench/rie.sh; the
#                             full run ends with it; ROUNDS, N, NC, NS, N4 set its counts)
# It also measures how long an event takes to reach a handler (bench/trigger, the stamp function):
# an Event invoke and an SQS trigger with no batching window, beside a RequestResponse invoke's
# request -> handler start and one fdatasync (the commit under every acknowledgement).
# Runs `thaw serve` with its defaults (sandbox, freezer, logs on) on a free loopback port, and
# the no-op Go function (aws-lambda-go) at MemorySize 1769 (one vCPU) and 128 MB. A second
# server with --no-sandbox runs the same warm and cold loads, so the sandbox's own cost (freeze,
# thaw, namespaces, cgroups) is the difference measured in the same run.
set -euo pipefail
# The front door requires SigV4 (any key: signatures are not verified yet).
SIGV4=(--aws-sigv4 "aws:amz:us-east-1:lambda" --user "${AWS_ACCESS_KEY_ID:-AKIATHAWLOCALCLI0000}:${AWS_SECRET_ACCESS_KEY:-thaw-local-cli-secret-key-000000000000000}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
GO=$(command -v go || echo /usr/local/go/bin/go)
SMOKE=0; [ "${1:-}" = "--smoke" ] && SMOKE=1
[ "${1:-}" = "--peers" ] && exec bench/rie.sh
if [ $SMOKE = 1 ]; then N=3000; NT=6000; NC=10; NTRIG=100; else N=20000; NT=60000; NC=100; NTRIG=500; fi

OUT=build/bench; mkdir -p "$OUT"
(cd bench && "$GO" build -o "$ROOT/$OUT/" ./floor ./load ./cold ./density ./sqsload ./trigger)
[ -f build/examples/go/stamp.zip ] || scripts/build-examples.sh >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port); PORT2=$(free_port); PORT3=$(free_port)
STATE=$(mktemp -d /tmp/thaw-bench.XXXXXX); STATE2=$(mktemp -d /tmp/thaw-bench.XXXXXX)
STATE3=$(mktemp -d /tmp/thaw-bench.XXXXXX)
EP=http://127.0.0.1:$PORT; EP2=http://127.0.0.1:$PORT2; EP3=http://127.0.0.1:$PORT3
build/thaw serve --listen 127.0.0.1:$PORT --state-dir "$STATE" --account-concurrency 1200 2>"$OUT/serve.log" &
SERVER=$!
build/thaw serve --listen 127.0.0.1:$PORT2 --state-dir "$STATE2" --no-sandbox 2>"$OUT/serve-nosandbox.log" &
SERVER2=$!
build/thaw serve --listen 127.0.0.1:$PORT3 --state-dir "$STATE3" --no-freeze 2>"$OUT/serve-nofreeze.log" &
SERVER3=$!
cleanup() {
  kill -TERM $SERVER $SERVER2 $SERVER3 2>/dev/null || true
  wait $SERVER $SERVER2 $SERVER3 2>/dev/null || true
  rm -rf "$STATE" "$STATE2" "$STATE3"
}
trap cleanup EXIT
for ep in $EP $EP2 $EP3; do
  for _ in $(seq 100); do curl -sf "${SIGV4[@]}" "$ep/2016-08-19/account-settings/" >/dev/null && break; sleep 0.1; done
done
head -1 "$OUT/serve.log"

export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_DEFAULT_REGION=us-east-1
create() {  # endpoint name memory zip
  /usr/bin/aws --endpoint-url "$1" --no-cli-pager --output text lambda create-function \
    --function-name "$2" --runtime provided.al2023 --role arn:aws:iam::000000000000:role/bench \
    --handler bootstrap --memory-size "$3" --timeout 60 --zip-file "fileb://build/examples/go/$4.zip" \
    --query FunctionArn >/dev/null
}
for fn in noop noop_cold noop_burst; do create "$EP" $fn 1769 noop; done
create "$EP" noop128_cold 128 noop
create "$EP" sleep128 128 sleep
create "$EP" stamp 1769 stamp
for fn in noop noop_cold; do create "$EP2" $fn 1769 noop; done
create "$EP3" noop 1769 noop

# The same no-op behind a function URL (AuthType NONE), reached by its path form.
FURL=$(/usr/bin/aws --endpoint-url "$EP" --no-cli-pager --output text lambda create-function-url-config \
  --function-name noop --auth-type NONE --query FunctionUrl)
FURL_ID=${FURL#http://}; FURL_ID=${FURL_ID%%.*}
FURL_PATH="$EP/thaw/urls/$FURL_ID/"

RES="$OUT/results.jsonl"; : > "$RES"
echo "machine: $(nproc) vCPU, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); $(date -u +%FT%TZ)" | tee "$OUT/machine.txt"
"$OUT/floor" -mode=chain -n $N -c 1 -name floor_chain_c1 >>"$RES"
"$OUT/floor" -mode=chain -n $N -c 1 -procs 0 -name floor_chain_c1_gomaxprocs2 >>"$RES"
"$OUT/floor" -mode=chain-inproc -n $N -c 1 -name floor_inproc_c1 >>"$RES"
"$OUT/load" -endpoint "$EP" -function noop -n $N -c 1 -name warm_invoke_c1 >>"$RES"
# A sequential caller keeps one warm environment (issue 19): how many the run above left.
curl -sf "${SIGV4[@]}" "$EP/thaw/environments" | python3 -c \
  'import json,sys; e=[x for x in json.load(sys.stdin)["environments"] if x["function"]=="noop"]; print(json.dumps({"name":"sequential_environments","environments":len(e)}))' >>"$RES"
"$OUT/floor" -mode=proxy -n $N -c 1 -name floor_proxy_c1 >>"$RES"
"$OUT/load" -url "$FURL_PATH" -function noop -n $N -c 1 -name function_url_c1 >>"$RES"
"$OUT/load" -endpoint "$EP2" -function noop -n $N -c 1 -name warm_invoke_c1_nosandbox >>"$RES"
"$OUT/load" -endpoint "$EP3" -function noop -n $N -c 1 -name warm_invoke_c1_nofreeze >>"$RES"
"$OUT/cold" -endpoint "$EP" -function noop_cold -n $NC -name cold_start >>"$RES"
"$OUT/cold" -endpoint "$EP" -function noop128_cold -n $NC -name cold_start_128mb >>"$RES"
"$OUT/cold" -endpoint "$EP2" -function noop_cold -n $NC -name cold_start_nosandbox >>"$RES"
"$OUT/cold" -endpoint "$EP" -function noop_burst -n $((NC / 10)) -burst 16 -name cold_burst16_pool4 >>"$RES"
"$OUT/sqsload" -endpoint "$EP" -mode send -n $((N / 5)) -c 8 -name sqs_send_c8 >>"$RES"
"$OUT/sqsload" -endpoint "$EP" -mode drain -c 8 -name sqs_drain_c8 >>"$RES"
"$OUT/trigger" -mode fsync -dir "$STATE" -n $NTRIG -name fsync_floor >>"$RES"
for mode in sync event sqs; do
  "$OUT/trigger" -endpoint "$EP" -function stamp -mode $mode -n $NTRIG -name trigger_$mode >>"$RES"
done
if [ $SMOKE = 0 ]; then
  build/bench/thaw_micro_bench --benchmark_filter='Freeze|Thaw' --benchmark_min_time=0.5 \
    --benchmark_format=json --benchmark_out="$OUT/freezer.json" >/dev/null 2>&1 || true
  "$OUT/density" -endpoint "$EP" -function sleep128 -n 1000 -sleep-ms 3000 -name density_1000 \
    >"$OUT/density.json" || true
  "$OUT/floor" -mode=chain -n $NT -c 32 -procs 0 -name floor_chain_c32 >>"$RES"
  "$OUT/load" -endpoint "$EP" -function noop -n $NT -c 32 -name throughput_c32 >>"$RES"
  "$OUT/load" -endpoint "$EP" -function noop -n $NT -c 8 -name throughput_c8 >>"$RES"
  "$OUT/floor" -mode=proxy -n $NT -c 8 -procs 0 -name floor_proxy_c8 >>"$RES"
  "$OUT/load" -url "$FURL_PATH" -function noop -n $NT -c 8 -name function_url_c8 >>"$RES"
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
    if "environments" in r:
        print(f"{name:<28}{r['environments']:>10} (after the 1-client warm run)")
        continue
    if "p50_us" not in r:  # sqsload's drain: messages per second only
        print(f"{name:<28}{'':>10}{'':>10}{r['throughput_msgs']:>10.0f}")
        continue
    rps = r.get("throughput_rps", 0)
    print(f"{name:<28}{r['p50_us']:>10.0f}{r['p99_us']:>10.0f}{rps:>10.0f}{r['p50_us']/floor:>11.2f}")
warm = rows["warm_invoke_c1"]["p50_us"]
bare = rows["warm_invoke_c1_nosandbox"]["p50_us"]
awake = rows["warm_invoke_c1_nofreeze"]["p50_us"]
print(f"sandbox cost on a warm invoke (p50): {warm - bare:.0f} us, of which freeze + thaw {warm - awake:.0f} us")
sync = rows["trigger_sync"]["p50_us"]
ev, sqs = rows["trigger_event"], rows["trigger_sqs"]
print(f"request -> handler start (p50): Invoke {sync:.0f} us, Event {ev['p50_us']:.0f} us "
      f"({ev['p50_us'] / sync:.2f}x), SQS trigger {sqs['p50_us']:.0f} us ({sqs['p50_us'] / sync:.2f}x); "
      f"fdatasync {rows['fsync_floor']['p50_us']:.0f} us")
print(f"goals: SendMessage -> handler start p50 {sqs['p50_us'] / 1000:.2f} ms (<= 2 ms), "
      f"Event 202 -> handler start p50 {ev['ack_to_handler_p50_us'] / 1000:.2f} ms (<= 1 ms)")
url, proxy = rows["function_url_c1"]["p50_us"], rows["floor_proxy_c1"]["p50_us"]
print(f"function URL p50 {url:.0f} us = {url / proxy:.2f}x the proxy floor (goal <= 1.5x)")
# The chain floor flips between two levels on some VMs (65 or 230 us here): the gate takes the
# larger of it and the proxy floor (measured apart), so a low flip alone cannot fail the smoke.
gate = max(floor, proxy)
if smoke and warm > 5 * gate:
    print(f"FAIL: warm p50 {warm:.0f} us is more than 5x the floor {gate:.0f} us")
    sys.exit(1)
print(f"bench: warm p50 is {warm/floor:.2f}x the floor")
PY
if [ $SMOKE = 0 ]; then
  # The peer, in the same run, with this run's servers stopped (RIE skips itself if it cannot
  # be built).
  cleanup; trap - EXIT
  OUT="$OUT" bench/rie.sh
fi
