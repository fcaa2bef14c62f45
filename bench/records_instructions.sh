#!/usr/bin/env bash
# What invocation records cost, counted instead of timed: this box's CPU time per invocation
# moves by several µs from one minute to the next (see records_cpu.sh), far more than the cost
# being measured, but instruction counts do not.
#  1. `thaw serve` runs under callgrind (--separate-threads=yes), recording resumed and paused
#     (POST /thaw/invocations/recording) in alternating windows of WINDOW warm invokes of the
#     no-op Go example, on off off on on off off on; callgrind dumps its counters after each window.
#     Per thread: the loop (the main thread) and the record writer ("thaw-records", found by
#     its RecordStore::Run frame). The difference of the on and off medians, per invocation, is
#     what recording adds: user-space instructions, exact up to the loop's timer and batching
#     jitter (the spread is printed). Under callgrind the server runs ~50x slower, so the writer
#     drains smaller batches than at full speed: its per-record share is an upper bound.
#  2. The same load natively, recording on: the loop thread's user CPU time (utime, from
#     /proc/PID/task/PID/stat) per invocation, against its instructions per invocation from
#     step 1, gives the rate at which this machine runs the loop's user-space code; it turns
#     the instruction counts into microseconds. (Recording makes no system call on the loop, so
#     kernel time does not enter.)
#   bench/records_instructions.sh
#   WINDOW=1000 NATIVE_N=20000 THAW_BIN=... bench/records_instructions.sh
set -euo pipefail
# The front door requires SigV4 (any key: signatures are not verified yet).
SIGV4=(--aws-sigv4 "aws:amz:us-east-1:lambda" --user "${AWS_ACCESS_KEY_ID:-AKIATHAWLOCALCLI0000}:${AWS_SECRET_ACCESS_KEY:-thaw-local-cli-secret-key-000000000000000}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
THAW=${THAW_BIN:-$ROOT/build/thaw}
WINDOW=${WINDOW:-1000}
NATIVE_N=${NATIVE_N:-20000}
ZIP=${ZIP:-$ROOT/build/examples/go/noop.zip}
GO=$(command -v go || echo /usr/local/go/bin/go)
[ -x "$THAW" ] || { echo "records_instructions: $THAW missing (build it, or set THAW_BIN)" >&2; exit 1; }
[ -f "$ZIP" ] || { echo "records_instructions: $ZIP missing (scripts/build-examples.sh)" >&2; exit 1; }
command -v valgrind >/dev/null && command -v callgrind_control >/dev/null ||
  { echo "records_instructions: valgrind missing (apt-get install valgrind)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/thaw-records-ir.XXXXXX)
SERVER=
cleanup() {
  if [ -n "$SERVER" ]; then kill -TERM "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
(cd "$ROOT/bench" && "$GO" build -o "$WORK/load" ./load)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

deploy() {  # ENDPOINT
  for _ in $(seq 300); do curl -sf "${SIGV4[@]}" "$1/2016-08-19/account-settings/" >/dev/null && break; sleep 0.1; done
  python3 - "$1" "$ZIP" <<'PY'
import base64, json, sys, urllib.request
ep, zip_path = sys.argv[1:]
body = json.dumps({"FunctionName": "noop", "Runtime": "provided.al2023", "Handler": "bootstrap",
                   "Role": "arn:aws:iam::000000000000:role/bench", "MemorySize": 1769,
                   "Code": {"ZipFile": base64.b64encode(open(zip_path, "rb").read()).decode()}})
req = urllib.request.Request(ep + "/2015-03-31/functions", data=body.encode(), method="POST",
                             headers={"Content-Type": "application/json"})
urllib.request.urlopen(req).read()
PY
}
load() {  # ENDPOINT N
  "$WORK/load" -endpoint "$1" -function noop -n "$2" -c 1 -warmup 0 >/dev/null 2>&1
}

echo "records_instructions: $(nproc) vCPU, load $(cut -d' ' -f1-3 /proc/loadavg), window $WINDOW invokes"
echo "1. under callgrind: a warm-up window each way, then on off off on on off off on"
PORT=$(free_port); EP=http://127.0.0.1:$PORT
valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$WORK/cg.%p" \
  "$THAW" serve --listen 127.0.0.1:$PORT --state-dir "$WORK/state-cg" >"$WORK/cg-serve.log" 2>&1 &
SERVER=$!
deploy "$EP"
# Cold start, then one window each way unmeasured: the first windows run long (allocator and
# page-cache warm-up) either way.
load "$EP" 300
for enabled in false true; do
  curl -sf "${SIGV4[@]}" -X POST "$EP/thaw/invocations/recording?enabled=$enabled" >/dev/null
  load "$EP" "$WINDOW"
done
callgrind_control --dump=base "$SERVER" >/dev/null 2>&1
MODES="on off off on on off off on"
for mode in $MODES; do
  enabled=true; [ "$mode" = off ] && enabled=false
  curl -sf "${SIGV4[@]}" -X POST "$EP/thaw/invocations/recording?enabled=$enabled" >/dev/null
  load "$EP" "$WINDOW"
  sleep 0.3  # the record writer's last batch (100 ms period) belongs to this window
  callgrind_control --dump="$mode" "$SERVER" >/dev/null 2>&1
done
kill -TERM "$SERVER"; wait "$SERVER" || true; SERVER=

echo "2. natively, recording on: $NATIVE_N invokes"
PORT=$(free_port); EP=http://127.0.0.1:$PORT
"$THAW" serve --listen 127.0.0.1:$PORT --state-dir "$WORK/state-native" 2>"$WORK/serve.log" &
SERVER=$!
deploy "$EP"
load "$EP" 2000
read -r u0 s0 < <(awk '{ sub(/.*\) /, ""); print $12, $13 }' /proc/$SERVER/task/$SERVER/stat)
load "$EP" "$NATIVE_N"
read -r u1 s1 < <(awk '{ sub(/.*\) /, ""); print $12, $13 }' /proc/$SERVER/task/$SERVER/stat)
kill -TERM "$SERVER"; wait "$SERVER" || true; SERVER=

python3 - "$WORK" "$WINDOW" "$MODES" "$NATIVE_N" "$((u1 - u0))" "$((s1 - s0))" "$(getconf CLK_TCK)" <<'PY'
import glob, os, re, statistics, sys
work, window, modes = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
native_n, utime, stime, tick = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
# cg.PID.PART-THREAD; part 1 is the base dump, then one part per window.
files = glob.glob(os.path.join(work, "cg.*.*-*"))
parts = {}
for f in files:
    m = re.search(r"\.(\d+)-(\d+)$", f)
    parts.setdefault(int(m.group(1)), {})[int(m.group(2))] = f
def totals(f):
    for line in open(f, errors="replace"):
        if line.startswith("totals:"):
            return int(line.split()[1])
    return 0
writer_thread = None
for part in parts.values():
    for t, f in part.items():
        if writer_thread is None and "RecordStore::Run" in open(f, errors="replace").read():
            writer_thread = t
rows = []
for i, mode in enumerate(modes):
    part = parts[i + 2]
    loop = totals(part[1]) / window
    writer = totals(part[writer_thread]) / window if writer_thread in part else 0.0
    rows.append((mode, loop, writer))
    print(f"   window {i + 1} {mode:3}: loop {loop:9.0f}  record writer {writer:7.0f} instructions/invoke")
def med(mode, k):
    return statistics.median(r[k] for r in rows if r[0] == mode)
loop_on, loop_off, w_on, w_off = med("on", 1), med("off", 1), med("on", 2), med("off", 2)
spread = max(r[1] for r in rows if r[0] == "off") - min(r[1] for r in rows if r[0] == "off")
d_loop, d_writer = loop_on - loop_off, w_on - w_off
print(f"   recording adds {d_loop:.0f} instructions on the loop (off windows spread "
      f"{spread:.0f}) and {d_writer:.0f} in the record writer: {d_loop + d_writer:.0f} per invocation")
user_us = utime / tick / native_n * 1e6
rate = loop_on / user_us  # instructions per µs of the loop's user CPU
print(f"   native: loop thread user {user_us:.1f} us + system {stime / tick / native_n * 1e6:.1f} us "
      f"per invocation; {loop_on:.0f} instructions -> {rate:.0f} instructions per user-µs")
print(f"records cost ~{(d_loop + d_writer) / rate:.2f} us of CPU per invocation "
      f"(loop {d_loop / rate:.2f}, writer {d_writer / rate:.2f}; goal <= 2 us)")
PY
