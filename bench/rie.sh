#!/usr/bin/env bash
# thaw against the AWS Lambda Runtime Interface Emulator (RIE), the peer a Go developer would
# pick instead (issue 19): the same no-op aws-lambda-go function (build/examples/go/noop.zip, its
# bootstrap run by both), the same client (bench/load), thaw and RIE rounds alternating.
#   bench/rie.sh            ROUNDS (3) rounds; results in $OUT/rie.jsonl (OUT=build/bench)
#   scripts/bench.sh --peers   the same, alone; scripts/bench.sh runs it after its own rows
# Rows: warm p50/p99 (1 keep-alive client, no Tail), the two floors (chain of separate processes,
# the same chain in one process), the first invoke (thaw: an Invoke that makes an environment on
# a running server, default --sandbox-pool; RIE: started fresh, its first Invoke runs the
# bootstrap), start-up (process start -> answering; thaw on an existing state dir), 4 clients,
# and CPU per invoke (the runner's processes against the function's) from /proc.
# RIE is built from the Go module proxy into $OUT (never the PATH); if it cannot be, the script
# says why and exits 0. Counts: N (warm invokes per round), NC (first invokes per round), NS
# (start-ups per round), N4 (invokes at 4 clients); RIE (path of the binary, default
# $OUT/aws-lambda-rie, built there when missing).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
GO=$(command -v go || echo /usr/local/go/bin/go)
RIE_MODULE=github.com/aws/aws-lambda-runtime-interface-emulator
RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d  # v1.23.0 is not served by the module proxy
ROUNDS=${ROUNDS:-3}; N=${N:-20000}; NC=${NC:-34}; NS=${NS:-10}; N4=${N4:-4000}
OUT=${OUT:-build/bench}; mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
RES="$OUT/rie.jsonl"; : >"$RES"
SIGV4=(--aws-sigv4 "aws:amz:us-east-1:lambda" --user "AKIATHAWLOCALCLI0000:thaw-local-cli-secret-key-000000000000000")

RIE=${RIE:-$OUT/aws-lambda-rie}  # the tests share build/bench's copy
if [ ! -x "$RIE" ]; then
  tmp=$(mktemp -d); mkdir -p "$(dirname "$RIE")"
  if ! (cd "$tmp" && GOBIN="$(cd "$(dirname "$RIE")" && pwd)" GOFLAGS=-mod=mod "$GO" install "$RIE_MODULE/cmd/aws-lambda-rie@$RIE_VERSION") \
    >"$OUT/rie-build.log" 2>&1; then
    echo "rie: skipped: could not build $RIE_MODULE@$RIE_VERSION with $("$GO" version) (see $OUT/rie-build.log)"
    rm -rf "$tmp"; exit 0
  fi
  rm -rf "$tmp"
fi
RIE=$(cd "$(dirname "$RIE")" && pwd)/$(basename "$RIE")
(cd bench && "$GO" build -o "$OUT/" ./floor ./load ./cold ./startup)
[ -f build/examples/go/noop.zip ] || scripts/build-examples.sh >/dev/null
FN="$OUT/rie-fn"; rm -rf "$FN"; mkdir -p "$FN"; (cd "$FN" && unzip -q "$ROOT/build/examples/go/noop.zip")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
STATE=$(mktemp -d /tmp/thaw-rie.XXXXXX); STATE_UP=$(mktemp -d /tmp/thaw-rie.XXXXXX)
PORT=$(free_port); EP=http://127.0.0.1:$PORT
SERVER=""; RIE_PID=""
cleanup() {
  for p in $SERVER $RIE_PID; do kill -TERM "$p" 2>/dev/null || true; done
  for p in $SERVER $RIE_PID; do wait "$p" 2>/dev/null || true; done
  rm -rf "$STATE" "$STATE_UP"
}
trap cleanup EXIT
build/thaw serve --listen 127.0.0.1:$PORT --state-dir "$STATE" 2>"$OUT/rie-thaw.log" &
SERVER=$!
for _ in $(seq 100); do curl -sf "${SIGV4[@]}" "$EP/2016-08-19/account-settings/" >/dev/null && break; sleep 0.1; done
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_DEFAULT_REGION=us-east-1
for fn in noop noop_cold; do
  /usr/bin/aws --endpoint-url "$EP" --no-cli-pager --output text lambda create-function \
    --function-name $fn --runtime provided.al2023 --role arn:aws:iam::000000000000:role/bench \
    --handler bootstrap --memory-size 1769 --timeout 60 --zip-file fileb://build/examples/go/noop.zip \
    --query FunctionArn >/dev/null
done
# RIE's environment, as its container image sets it for a 1769 MB function.
export AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1769 AWS_LAMBDA_FUNCTION_TIMEOUT=60 \
  AWS_LAMBDA_FUNCTION_NAME=function AWS_REGION=us-east-1
RIE_ARGS=(--runtime-interface-emulator-address "127.0.0.1:{port}" --runtime-api-address "127.0.0.1:{port2}")
INVOKE_PATH=/2015-03-31/functions/function/invocations
start_rie() {
  local p1 p2; p1=$(free_port); p2=$(free_port)
  (cd "$FN" && exec "$RIE" --runtime-interface-emulator-address 127.0.0.1:$p1 \
    --runtime-api-address 127.0.0.1:$p2 ./bootstrap) >>"$OUT/rie.log" 2>&1 &
  RIE_PID=$!; RIE_URL=http://127.0.0.1:$p1$INVOKE_PATH
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$p1/" && return 0; sleep 0.05; done
  echo "rie: RIE did not answer on 127.0.0.1:$p1 (see $OUT/rie.log)" >&2; return 1
}
: >"$OUT/rie.log"
start_rie

# CPU ticks (utime+stime) of a process tree, split into the function (comm "bootstrap") and the
# rest (the runner: thaw serve and its launcher and shells, or RIE).
cpu() {
  python3 - "$1" <<'PY'
import os, sys
kids, stat = {}, {}
for p in os.listdir("/proc"):
    if not p.isdigit(): continue
    try: s = open(f"/proc/{p}/stat").read()
    except OSError: continue
    comm = s[s.index("(") + 1:s.rindex(")")]; f = s[s.rindex(")") + 2:].split()
    stat[int(p)] = (comm, int(f[11]) + int(f[12])); kids.setdefault(int(f[1]), []).append(int(p))
todo, fn, runner = [int(sys.argv[1])], 0, 0
while todo:
    p = todo.pop()
    if p in stat:
        if stat[p][0] == "bootstrap": fn += stat[p][1]
        else: runner += stat[p][1]
    todo += kids.get(p, [])
print(runner, fn)
PY
}
HZ=$(getconf CLK_TCK)
cpu_row() {  # name before after invokes
  python3 -c 'import json,sys; b,a=sys.argv[2].split(),sys.argv[3].split(); n=int(sys.argv[4]); hz=int(sys.argv[5])
print(json.dumps({"name":sys.argv[1],"runner_cpu_us_per_invoke":(int(a[0])-int(b[0]))*1e6/hz/n,"function_cpu_us_per_invoke":(int(a[1])-int(b[1]))*1e6/hz/n}))' \
    "$1" "$2" "$3" "$4" "$HZ" >>"$RES"
}

# Each start-up sample of thaw opens this state dir as it was left (made once here).
"$OUT/startup" -n 1 -name thaw_startup_prime -ready "http://127.0.0.1:{port}/" -- \
  build/thaw serve --listen "127.0.0.1:{port}" --state-dir "$STATE_UP" >/dev/null

for r in $(seq "$ROUNDS"); do
  "$OUT/floor" -mode=chain -n "$N" -c 1 -name floor_chain_r$r >>"$RES"
  "$OUT/floor" -mode=chain-inproc -n "$N" -c 1 -name floor_inproc_r$r >>"$RES"
  before=$(cpu $SERVER)
  "$OUT/load" -endpoint "$EP" -function noop -n "$N" -c 1 -name thaw_warm_r$r >>"$RES"
  cpu_row thaw_cpu_r$r "$before" "$(cpu $SERVER)" "$N"
  before=$(cpu $RIE_PID)
  "$OUT/load" -url "$RIE_URL" -function function -n "$N" -c 1 -name rie_warm_r$r >>"$RES"
  cpu_row rie_cpu_r$r "$before" "$(cpu $RIE_PID)" "$N"
  "$OUT/cold" -endpoint "$EP" -function noop_cold -n "$NC" -name thaw_first_invoke_r$r >>"$RES"
  "$OUT/startup" -n "$NC" -name rie_first_invoke_r$r -log "$OUT/rie.log" \
    -ready "http://127.0.0.1:{port}/" -invoke "http://127.0.0.1:{port}$INVOKE_PATH" -- \
    "$RIE" "${RIE_ARGS[@]}" "$FN/bootstrap" >>"$RES"
  "$OUT/startup" -n "$NS" -name thaw_startup_r$r -ready "http://127.0.0.1:{port}/" -- \
    build/thaw serve --listen "127.0.0.1:{port}" --state-dir "$STATE_UP" >>"$RES"
done

# 4 closed-loop clients. RIE serves one invoke at a time; what it does with four is recorded.
"$OUT/load" -endpoint "$EP" -function noop -n "$N4" -c 4 -name thaw_c4 >>"$RES" || true
"$OUT/load" -url "$RIE_URL" -function function -n "$N4" -c 4 -timeout 5s -name rie_c4 >>"$RES" 2>"$OUT/rie-c4.err" || true
alive=false; kill -0 "$RIE_PID" 2>/dev/null && alive=true
panic=$(grep -m1 -o 'panic: .*\|nil pointer dereference' "$OUT/rie.log" || true)
python3 -c 'import json,sys; print(json.dumps({"name":"rie_after_c4","alive":sys.argv[1]=="true","panic":sys.argv[2]}))' \
  "$alive" "$panic" >>"$RES"

python3 - "$RES" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    if line.strip():
        r = json.loads(line); rows[r["name"]] = r
def med(prefix, key):
    v = [r[key] for n, r in rows.items() if n.startswith(prefix + "_r") and key in r]
    return statistics.median(v) if v else float("nan")
table = [
    ("warm p50 (us)", med("thaw_warm", "p50_us"), med("rie_warm", "p50_us")),
    ("warm p99 (us)", med("thaw_warm", "p99_us"), med("rie_warm", "p99_us")),
    ("first invoke p50 (us)", med("thaw_first_invoke", "p50_us"), med("rie_first_invoke", "first_invoke_p50_us")),
    ("start -> answering p50 (us)", med("thaw_startup", "ready_p50_us"), med("rie_first_invoke", "ready_p50_us")),
    ("CPU/invoke, runner (us)", med("thaw_cpu", "runner_cpu_us_per_invoke"), med("rie_cpu", "runner_cpu_us_per_invoke")),
    ("CPU/invoke, function (us)", med("thaw_cpu", "function_cpu_us_per_invoke"), med("rie_cpu", "function_cpu_us_per_invoke")),
]
print(f"{'median of rounds':<30}{'thaw':>10}{'RIE':>10}{'thaw/RIE':>10}")
for label, t, r in table:
    print(f"{label:<30}{t:>10.0f}{r:>10.0f}{t / r if r else float('nan'):>10.2f}")
t4, r4, after = rows.get("thaw_c4", {}), rows.get("rie_c4", {}), rows["rie_after_c4"]
# A request that fails takes no time, so RIE's rate only means something without errors.
rie4 = (f"{r4['throughput_rps']:.0f}/s" if r4.get("errors") == 0 else
        f"{r4.get('errors', '-')} of {r4.get('n', '-')} measured requests failed")
print(f"4 clients: thaw {t4.get('throughput_rps', 0):.0f}/s errors {t4.get('errors', '-')}; "
      f"RIE {rie4}, {'still up' if after['alive'] else 'exited'}"
      f"{', ' + after['panic'] if after['panic'] else ''}")
print(f"floors p50: chain of processes {med('floor_chain', 'p50_us'):.0f} us, "
      f"in one process {med('floor_inproc', 'p50_us'):.0f} us")
PY
