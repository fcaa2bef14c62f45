#!/usr/bin/env bash
# What invocation records cost the server: CPU time of the `thaw serve` process (every thread:
# loop, control, log writer, record writer) per warm invocation, records on against off.
# Two measurements, both with closed-loop clients on the no-op Go example at 1769 MB:
#  1. one server, recording paused and resumed (POST /thaw/invocations/recording) in
#     alternating windows of WINDOW invokes, on off off on ...: the same process, environment
#     and placement either way, and neighbouring windows see the same machine, so the paired
#     difference is the recording and little else; the record writer thread's CPU over the
#     whole run is divided by the invocations recorded;
#  2. two servers side by side, the default against `--no-records`, each driven by its own
#     client at the same time (ROUNDS rounds of N invokes; the start order alternates).
# This box is shared: its load moves the per-invocation CPU by tens of µs from one minute to
# the next, hence the interleaving. CPU comes from /proc/PID/task/*/schedstat (ns, summed over
# threads; the loop is the main thread, the record writer is "thaw-records") and, as a
# cross-check, /proc/PID/stat utime+stime (ticks). The function's own CPU is not counted.
#   bench/records_cpu.sh
#   WINDOWS=40 WINDOW=3000 N=30000 ROUNDS=6 C=1 EXTRA=--no-sandbox THAW_BIN=... bench/records_cpu.sh
set -euo pipefail
# The front door requires SigV4 (any key: signatures are not verified yet).
SIGV4=(--aws-sigv4 "aws:amz:us-east-1:lambda" --user "${AWS_ACCESS_KEY_ID:-AKIATHAWLOCALCLI0000}:${AWS_SECRET_ACCESS_KEY:-thaw-local-cli-secret-key-000000000000000}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
THAW=${THAW_BIN:-$ROOT/build/thaw}
N=${N:-20000}
ROUNDS=${ROUNDS:-5}
WINDOWS=${WINDOWS:-200}
WINDOW=${WINDOW:-500}
C=${C:-1}
WARMUP=${WARMUP:-2000}
EXTRA=${EXTRA:-}
ZIP=${ZIP:-$ROOT/build/examples/go/noop.zip}
GO=$(command -v go || echo /usr/local/go/bin/go)
[ -x "$THAW" ] || { echo "records_cpu: $THAW missing (build it, or set THAW_BIN)" >&2; exit 1; }
[ -f "$ZIP" ] || { echo "records_cpu: $ZIP missing (scripts/build-examples.sh)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/thaw-records-cpu.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
(cd "$ROOT/bench" && "$GO" build -o "$WORK/load" ./load)
TICK=$(getconf CLK_TCK)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# "all_threads_ns stat_ticks loop_thread_ns record_writer_ns" of process $1 (the loop is its
# main thread).
cpu_of() {
  local sched=0 writer=0 t ns
  for t in /proc/"$1"/task/*; do
    ns=$(cut -d' ' -f1 "$t/schedstat")
    sched=$((sched + ns))
    [ "$(cat "$t/comm")" = thaw-records ] && writer=$((writer + ns))
  done
  echo "$sched $(awk '{ sub(/.*\) /, ""); print $12 + $13 }' /proc/"$1"/stat)" \
    "$(cut -d' ' -f1 /proc/"$1"/task/"$1"/schedstat) $writer"
}

start_server() {  # MODE -> sets PORT_<MODE>, PID_<MODE>
  local mode=$1 port flags=($EXTRA)
  [ "$mode" = off ] && flags+=(--no-records)
  port=$(free_port)
  "$THAW" serve --listen 127.0.0.1:$port --state-dir "$WORK/state-$mode-$ROUND" "${flags[@]}" \
    2>"$WORK/serve-$mode-$ROUND.log" &
  PIDS+=($!)
  eval "PID_$mode=$! PORT_$mode=$port"
  for _ in $(seq 100); do curl -sf "${SIGV4[@]}" "http://127.0.0.1:$port/2016-08-19/account-settings/" >/dev/null && break; sleep 0.1; done
  python3 - "http://127.0.0.1:$port" "$ZIP" <<'PY'
import base64, json, sys, urllib.request
ep, zip_path = sys.argv[1:]
body = json.dumps({"FunctionName": "noop", "Runtime": "provided.al2023", "Handler": "bootstrap",
                   "Role": "arn:aws:iam::000000000000:role/bench", "MemorySize": 1769,
                   "Code": {"ZipFile": base64.b64encode(open(zip_path, "rb").read()).decode()}})
req = urllib.request.Request(ep + "/2015-03-31/functions", data=body.encode(), method="POST",
                             headers={"Content-Type": "application/json"})
urllib.request.urlopen(req).read()
PY
  "$WORK/load" -endpoint "http://127.0.0.1:$port" -function noop -n "$WARMUP" -c "$C" -warmup 0 \
    >/dev/null 2>&1
}

echo "records_cpu: c=$C ${EXTRA:+($EXTRA) }$(nproc) vCPU, load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "1. one server, recording resumed and paused in $WINDOWS windows of $WINDOW invokes"
ROUND=toggle
start_server on
: >"$WORK/windows"
read -r _ _ _ writer0 < <(cpu_of "$PID_on")
for w in $(seq "$WINDOWS"); do
  case $((w % 4)) in 1 | 0) mode=on ;; *) mode=off ;; esac  # on off off on ...
  enabled=true; [ $mode = off ] && enabled=false
  curl -sf "${SIGV4[@]}" -X POST "http://127.0.0.1:$PORT_on/thaw/invocations/recording?enabled=$enabled" >/dev/null
  read -r s0 _ l0 _ < <(cpu_of "$PID_on")
  "$WORK/load" -endpoint "http://127.0.0.1:$PORT_on" -function noop -n "$WINDOW" -c "$C" \
    -warmup 0 >/dev/null 2>&1
  read -r s1 _ l1 _ < <(cpu_of "$PID_on")
  echo "$mode $((s1 - s0)) $((l1 - l0))" >>"$WORK/windows"
done
sleep 0.3  # the last records are written
read -r _ _ _ writer1 < <(cpu_of "$PID_on")
kill -TERM "$PID_on"; wait "$PID_on" || true
PIDS=()
python3 - "$WORK/windows" "$WINDOW" "$((writer1 - writer0))" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
window, writer_ns = int(sys.argv[2]), int(sys.argv[3])
on_windows = sum(r[0] == "on" for r in rows)
# The writer's CPU over the whole run (its idle wake-ups included) per recorded invocation;
# the rest per window, on and off windows paired as they ran (on off, off on, ...).
writer = writer_ns / (on_windows * window) / 1e3
for name, i in (("process", 1), ("loop thread", 2)):
    us = [int(r[i]) / window / 1e3 for r in rows]
    pairs = [(us[k] - us[k + 1]) * (1 if rows[k][0] == "on" else -1)
             for k in range(0, len(rows) - 1, 2)]
    se = statistics.stdev(pairs) / len(pairs) ** 0.5
    on = statistics.mean(u for u, r in zip(us, rows) if r[0] == "on")
    off = statistics.mean(u for u, r in zip(us, rows) if r[0] == "off")
    print(f"   {name:12} on {on:7.2f} off {off:7.2f} us/invoke; paired difference "
          f"{statistics.mean(pairs):+.2f} +- {se:.2f} (median {statistics.median(pairs):+.2f}, "
          f"{len(pairs)} pairs)")
print(f"   record writer thread: {writer:.3f} us per recorded invocation")
PY

echo "2. two servers side by side, the default against --no-records: $ROUNDS rounds of $N invokes each"
# Each round starts both servers and both clients, in an order that alternates between rounds.
for ROUND in $(seq "$ROUNDS"); do
  if [ $((ROUND % 2)) = 1 ]; then ORDER="on off"; else ORDER="off on"; fi
  for m in $ORDER; do start_server "$m"; done
  sleep 0.2
  read -r on_s0 on_t0 on_l0 on_w0 < <(cpu_of "$PID_on")
  read -r off_s0 off_t0 off_l0 _ < <(cpu_of "$PID_off")
  LOADS=()
  for m in $ORDER; do
    port_var=PORT_$m
    "$WORK/load" -endpoint "http://127.0.0.1:${!port_var}" -function noop -n "$N" -c "$C" \
      -warmup 0 >"$WORK/load-$m" 2>/dev/null &
    LOADS+=($!)
  done
  wait "${LOADS[@]}"
  sleep 0.25  # the record writer's last batch (100 ms period) belongs to this load
  read -r on_s1 on_t1 on_l1 on_w1 < <(cpu_of "$PID_on")
  read -r off_s1 off_t1 off_l1 _ < <(cpu_of "$PID_off")
  for p in "$PID_on" "$PID_off"; do kill -TERM "$p"; wait "$p" || true; done
  PIDS=()
  python3 - "$ROUND" "$N" "$TICK" "$on_s0" "$on_s1" "$off_s0" "$off_s1" "$on_t0" "$on_t1" \
    "$off_t0" "$off_t1" "$on_w0" "$on_w1" "$on_l0" "$on_l1" "$off_l0" "$off_l1" \
    "$WORK/load-on" "$WORK/load-off" <<'PY' | tee -a "$WORK/results"
import json, sys
r, n, tick = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
v = [int(x) for x in sys.argv[4:18]]
us = lambda a, b: (v[b] - v[a]) / n / 1e3
on, off = us(0, 1), us(2, 3)
on_stat, off_stat = (v[5] - v[4]) / tick / n * 1e6, (v[7] - v[6]) / tick / n * 1e6
writer, loop_on, loop_off = us(8, 9), us(10, 11), us(12, 13)
lo, lf = (json.load(open(p)) for p in sys.argv[18:20])
print(f"round {r}: on {on:.2f} off {off:.2f} diff {on - off:+.2f} us/invoke (stat {on_stat:.1f}/"
      f"{off_stat:.1f}); loop thread {loop_on:.2f}/{loop_off:.2f} loopdiff {loop_on - loop_off:+.2f};"
      f" record writer thread {writer:.3f} us/invoke; p50 {lo['p50_us']:.0f}/"
      f"{lf['p50_us']:.0f} us, {lo['throughput_rps']:.0f}/{lf['throughput_rps']:.0f} per s")
PY
done
python3 - "$WORK/results" <<'PY'
import re, statistics, sys
rows = [l for l in open(sys.argv[1]) if l.startswith("round")]
get = lambda pat: [float(re.search(pat, l).group(1)) for l in rows]
on, off = get(r"on ([-+\d.]+)"), get(r"off ([-+\d.]+)")
diff, writer = get(r" diff ([-+\d.]+)"), get(r"writer thread ([-+\d.]+)")
loopdiff = get(r"loopdiff ([-+\d.]+)")
print(f"medians: server CPU per invocation on {statistics.median(on):.2f} us, off "
      f"{statistics.median(off):.2f} us; paired difference {statistics.median(diff):+.2f} us "
      f"(rounds: {', '.join(f'{d:+.2f}' for d in diff)}); loop thread difference "
      f"{statistics.median(loopdiff):+.2f} us; record writer thread "
      f"{statistics.median(writer):.3f} us")
PY
