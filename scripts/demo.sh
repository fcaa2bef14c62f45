#!/usr/bin/env bash
# The main job: set up, start `thaw serve` on its embedded defaults (127.0.0.1:9001, state in
# ./.thaw), deploy the example Go functions with `thaw deploy`, invoke them, run the stress
# suite (the seed's misbehaving functions, each against Lambda's expected outcome), the seed's
# SNS experiment across two accounts (examples/scenarios/sns-cross-account), its DynamoDB
# experiment (examples/scenarios/dynamodb-stream: three transactions, their stream records) and its
# Kinesis experiment (examples/scenarios/kinesis: base64 JSON decoded by a Go function, by hand and
# through an event source mapping, then a burst whose invocation records fill the report's stream
# section; outputfile.txt in build/report/kinesis), deploy the example SAM app
# (examples/sam/orders: Go, Python and Node.js functions, each trigger firing), run the same
# handler under the seed's invocation mechanisms, measure (bench, tune, compare), run the seed's
# latency experiment (as a simulation: thaw latency), a causal trace (thaw trace), write the HTML
# report, then stop the server. Nothing is left running; the last line says where the report is.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="$PATH:/usr/local/go/bin"

scripts/setup.sh
scripts/build.sh thaw thaw-launcher thaw-host >/dev/null
scripts/build-examples.sh >/dev/null 2>&1 || scripts/build-examples.sh
THAW=build/thaw
# The front door requires SigV4 (any key: signatures are not verified yet).
SIGV4=(--aws-sigv4 "aws:amz:us-east-1:lambda" --user "${AWS_ACCESS_KEY_ID:-AKIATHAWLOCALCLI0000}:${AWS_SECRET_ACCESS_KEY:-thaw-local-cli-secret-key-000000000000000}")

printf '\n\033[1m== %s\033[0m\n' "what this host can enforce (thaw doctor)"
$THAW doctor

if curl -s -o /dev/null http://127.0.0.1:9001/; then
  echo "demo: something already listens on 127.0.0.1:9001; stop it first" >&2
  exit 1
fi
$THAW serve 2>.thaw-demo-server.log &
SERVER=$!
stop_server() {
  if kill -0 $SERVER 2>/dev/null; then
    kill -TERM $SERVER
    wait $SERVER || true
  fi
}
trap stop_server EXIT
for _ in $(seq 100); do curl -sf "${SIGV4[@]}" http://127.0.0.1:9001/2016-08-19/account-settings/ >/dev/null && break; sleep 0.1; done

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "deploy the example Go functions (aws-lambda-go, provided.al2023)"
for fn in echo context error sleep logger panic exit; do
  $THAW deploy examples/functions/go/$fn --name demo-$fn
done
$THAW deploy examples/functions/go/signatures --name demo-signatures --env SIGNATURE=ctxinerr
$THAW deploy examples/functions/go/sleep --name demo-timeout --timeout 1

say "functions"
$THAW functions

say "invoke demo-echo (cold start, then warm), with the log tail"
$THAW invoke demo-echo --payload '{"hello":"thaw"}' --log-tail
$THAW invoke demo-echo --payload '{"hello":"again"}' --log-tail

say "invoke demo-context: what the function sees of its context and environment"
$THAW invoke demo-context --payload '{}'

say "invoke demo-signatures (handler func(ctx, MyEvent) (MyResp, error))"
$THAW invoke demo-signatures --payload '{"name":"Lambda"}'

say "invoke demo-error: a returned error arrives as X-Amz-Function-Error: Unhandled"
$THAW invoke demo-error --payload '{}' || echo "(exit $? as expected)"

say "invoke demo-panic: the Go stack trace survives"
$THAW invoke demo-panic --payload '{}' || echo "(exit $? as expected)"

say "invoke demo-exit: os.Exit(3) before responding gives Runtime.ExitError"
$THAW invoke demo-exit --payload '{}' || echo "(exit $? as expected)"

say "invoke demo-timeout (Timeout=1 s, sleeps 3 s): Sandbox.Timedout"
$THAW invoke demo-timeout --payload '{"ms":3000}' --log-tail || echo "(exit $? as expected)"

say "asynchronous invoke of demo-logger, then its log"
$THAW invoke demo-logger --type Event --payload '{"lines":3}'
sleep 1
$THAW logs demo-logger

say "the seed's mechanisms: one handler under go1.x (net/rpc), spawn, an HTTP sidecar and a c-shared shim"
$THAW deploy examples/functions/go/mech/runtimeapi --name demo-go1x --mechanism go1.x
$THAW deploy examples/functions/go/mech/spawn --name demo-spawn --mechanism spawn
$THAW deploy examples/functions/go/mech/sidecar --name demo-sidecar --mechanism http-sidecar
$THAW deploy examples/functions/go/mech/shim --name demo-shim --mechanism shim
for fn in demo-go1x demo-spawn demo-sidecar demo-shim; do
  $THAW invoke $fn --payload '{"action":"echo","payload":"hi"}'
  $THAW invoke $fn --payload '{"action":"panic","message":"boom"}' || echo "(exit $? as expected)"
done

REPORT=build/report
mkdir -p "$REPORT"
say "the stress suite: each misbehaviour against Lambda's outcome, then recovery"
$THAW stress --json "$REPORT/stress.json"

# The seed's SNS experiment (examples/scenarios/sns-cross-account): a failed run is reported at
# the end rather than stopping the demo.
SCENARIO_FAILED=0
say "the seed's SNS experiment: account 111111111111 publishes to a topic of 222222222222 that triggers a Go function; three runs"
examples/scenarios/sns-cross-account/run.sh --endpoint http://127.0.0.1:9001 || SCENARIO_FAILED=1

say "the seed's DynamoDB experiment: a table with a stream, insert, modify and remove, the three records read back and given to a Go function"
examples/scenarios/dynamodb-stream/run.sh --endpoint http://127.0.0.1:9001 || SCENARIO_FAILED=1

say "the seed's Kinesis experiment: base64 JSON to a Go function by hand (outputfile.txt), then a stream mapped to it"
examples/scenarios/kinesis/run.sh --endpoint http://127.0.0.1:9001 --out "$REPORT/kinesis" || SCENARIO_FAILED=1

say "a SAM app: thaw deploy -t examples/sam/orders/template.yaml; Go behind a queue, Python on a table's stream, a topic fanning out to two Node.js functions, a schedule"
examples/sam/orders/run.sh --endpoint http://127.0.0.1:9001 || SCENARIO_FAILED=1

say "measure: bench, power tuning, the mechanisms side by side"
$THAW bench demo-echo -n 500 -c 2 --json "$REPORT/bench-echo.json"
$THAW tune demo-echo --memory 128,512,1769 -n 20 --json "$REPORT/tune.json"
$THAW compare -n 50 --cold 2 --json "$REPORT/compare.json"
say "the same handler in Go, Python and Node.js: cold start, warm latency, memory"
$THAW compare --languages -n 50 --cold 2 --json "$REPORT/compare-languages.json"

# 10,000 calls each way take about 25 s here (docs/latency.md). The HTTP way needs root for its
# network namespace; without root only the Invoke API way runs.
say "the seed's latency experiment, as a simulation: injected clock skew, NTP estimate, correction"
VIA=both
[ "$(id -u)" = 0 ] || { VIA=invoke; echo "demo: not root: the test host (a network namespace) is skipped"; }
$THAW latency --calls 10000 --via $VIA --json "$REPORT/latency.json"

say "causal traces: a chain of three functions, the middle one's clock 300 ms behind"
$THAW deploy examples/functions/go/chain --name demo-chain-a
$THAW deploy examples/functions/go/chain --name demo-chain-b --env THAW_SKEW_OFFSET_NS=-300000000
$THAW deploy examples/functions/go/chain --name demo-chain-c --env THAW_SKEW_OFFSET_NS=150000000
TRACE_ROOT=$(printf '1-%08x-%024x' "$(date +%s)" "$$")
$THAW invoke demo-chain-a --payload '{"next":["demo-chain-b","demo-chain-c"]}' \
  --trace-id "Root=$TRACE_ROOT;Parent=53995c3f42cd8ad8;Sampled=1" >/dev/null
sleep 0.5  # records are written every 100 ms
$THAW trace "$TRACE_ROOT"
$THAW trace "$TRACE_ROOT" --format chrome -o "$REPORT/trace-perfetto.json"
$THAW trace "$TRACE_ROOT" --format otlp -o "$REPORT/trace-otlp.json"

say "the HTML report"
# The stream section: the invocation records of the Kinesis scenario's burst (when it ran).
STREAM_INPUT=()
[ -s "$REPORT/kinesis/stream-invocations.json" ] &&
  STREAM_INPUT=(--stream "$REPORT/kinesis/stream-invocations.json")
$THAW report --bench "$REPORT/bench-echo.json" --tune "$REPORT/tune.json" \
  --stress "$REPORT/stress.json" --compare "$REPORT/compare.json" \
  --latency "$REPORT/latency.json" "${STREAM_INPUT[@]}" --out "$REPORT"

say "stopping the server"
# Everything the server started: its launcher and the functions' process groups.
PIDS="$(pgrep -P $SERVER || true) $(curl -s "${SIGV4[@]}" http://127.0.0.1:9001/thaw/environments |
  python3 -c 'import json,sys; print(" ".join(str(e["pid"]) for e in json.load(sys.stdin)["environments"] if e["pid"] > 0))')"
stop_server
trap - EXIT
for pid in $PIDS; do
  if kill -0 "$pid" 2>/dev/null; then
    echo "demo: process $pid was left behind" >&2
    exit 1
  fi
done
echo "demo: done; the server stopped and left nothing running (state kept in ./.thaw)"
echo "demo: the report is at $ROOT/$REPORT/report.html"
if [ $SCENARIO_FAILED = 1 ]; then
  echo "demo: a scenario (SNS cross-account, DynamoDB stream, Kinesis or the SAM app) FAILED (see its section above)" >&2
  exit 1
fi
