#!/usr/bin/env bash
# The seed's Kinesis experiment with the AWS CLI (README.md beside this script): the Go function
# examples/functions/go/kinesisconsumer (events.KinesisEvent) is first given, by hand, a Kinesis
# event whose data is base64-encoded JSON, and writes its response to outputfile.txt as the
# seed's did; then a stream is mapped to it (create-event-source-mapping, TRIM_HORIZON), a base64
# JSON record is put, and the function's CloudWatch log shows it decoded, delivered by the
# mapping with the right eventID (shardId:sequenceNumber) and eventSourceARN.
# Each check prints PASS or FAIL with what it saw; the exit status is 1 if any failed.
#
#   run.sh                  starts a thaw server of its own (free port, temporary state)
#   run.sh --endpoint URL   uses a running server (keys: $AWS_ACCESS_KEY_ID and
#                           $AWS_SECRET_ACCESS_KEY if set, else any key)
#   run.sh --out DIR        keeps input.txt and outputfile.txt in DIR (default: a temporary one),
#                           and stream-invocations.json: the invocation records of a burst of
#                           200 records on a 2-shard stream, for `thaw report --stream`
# Needs build/thaw (scripts/build.sh; or $THAW), Go, and the AWS CLI v2 (/usr/bin/aws; or $AWS).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
THAW=${THAW:-$ROOT/build/thaw}
AWS=${AWS:-/usr/bin/aws}
GO=$(command -v go || echo /usr/local/go/bin/go)
REGION=us-east-1
KEY_ID=${AWS_ACCESS_KEY_ID:-AKIATHAWLOCALCLI0000}
SECRET=${AWS_SECRET_ACCESS_KEY:-thaw-local-cli-secret-key-000000000000000}
ENDPOINT=""
SERVER=""
OUT=""

while [ $# -gt 0 ]; do
  case $1 in
    --endpoint) ENDPOINT=${2:?--endpoint needs a URL}; shift 2 ;;
    --out) OUT=${2:?--out needs a directory}; shift 2 ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

WORK=$(mktemp -d)
[ -n "$OUT" ] || OUT=$WORK
mkdir -p "$OUT"
SUFFIX=$$-$(date +%s)
STREAM=seed-stream-$SUFFIX
FUNCTION=seed-kinesis-consumer-$SUFFIX
MAPPING=""
BURST=$STREAM-burst
BURST_MAPPING=""

# aws_cli ARGS...: the AWS CLI against the server, JSON output.
aws_cli() {
  env -u AWS_PROFILE -u AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID="$KEY_ID" \
    AWS_SECRET_ACCESS_KEY="$SECRET" AWS_DEFAULT_REGION=$REGION AWS_PAGER= AWS_MAX_ATTEMPTS=1 \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    "$AWS" --endpoint-url "$ENDPOINT" --output json "$@"
}

finish() {
  if [ -n "$SERVER" ]; then
    kill -TERM "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  elif [ -n "$ENDPOINT" ]; then
    # Someone else's server: leave nothing of ours behind.
    [ -z "$MAPPING" ] || aws_cli lambda delete-event-source-mapping --uuid "$MAPPING" >/dev/null 2>&1
    [ -z "$BURST_MAPPING" ] ||
      aws_cli lambda delete-event-source-mapping --uuid "$BURST_MAPPING" >/dev/null 2>&1
    aws_cli kinesis delete-stream --stream-name "$BURST" >/dev/null 2>&1
    aws_cli lambda delete-function --function-name "$FUNCTION" >/dev/null 2>&1
    aws_cli kinesis delete-stream --stream-name "$STREAM" >/dev/null 2>&1
  fi
  rm -rf "$WORK"
}
trap finish EXIT

FAILED=0
pass() { echo "PASS $*"; }
fail() {
  echo "FAIL $*"
  FAILED=$((FAILED + 1))
}
die() {
  echo "FAIL setup: $*"
  exit 1
}
# json FILE EXPR: a Python expression over the JSON in FILE (as `d`), printed.
json() {
  python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$1" "$2"
}

if [ -z "$ENDPOINT" ]; then
  [ -x "$THAW" ] || die "$THAW is missing; run scripts/build.sh"
  : >"$WORK/server.log" # before the server's shell opens it, for the grep below
  "$THAW" serve --listen 127.0.0.1:0 --state-dir "$WORK/state" 2>"$WORK/server.log" &
  SERVER=$!
  for _ in $(seq 300); do
    ENDPOINT=$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$WORK/server.log" | head -1)
    ENDPOINT=${ENDPOINT#listening on }
    [ -n "$ENDPOINT" ] && break
    kill -0 $SERVER 2>/dev/null || die "thaw serve exited: $(tail -5 "$WORK/server.log")"
    sleep 0.05
  done
  [ -n "$ENDPOINT" ] || die "thaw serve did not start listening"
  echo "thaw serve on $ENDPOINT (pid $SERVER, state in a temporary directory)"
fi

# The function's log: every message of /aws/lambda/FUNCTION, one a line.
function_log() {
  aws_cli logs filter-log-events --log-group-name "/aws/lambda/$FUNCTION" \
    --query 'events[].message' --output text 2>/dev/null | tr '\t' '\n'
}
# wait_log TEXT SECONDS: whether the function logged TEXT within SECONDS.
wait_log() {
  local deadline=$((SECONDS + $2))
  while :; do
    function_log | grep -qF -- "$1" && return 0
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.2
  done
}

echo "== setup: a one-shard stream, and the Go function"
(cd "$ROOT/examples/functions/go" && CGO_ENABLED=0 GOOS=linux "$GO" build -tags lambda.norpc \
  -trimpath -ldflags=-s -o "$WORK/bootstrap" ./kinesisconsumer) ||
  die "go build of examples/functions/go/kinesisconsumer failed"
python3 -m zipfile -c "$WORK/function.zip" "$WORK/bootstrap" || die "zip failed"
aws_cli kinesis create-stream --stream-name "$STREAM" --shard-count 1 >"$WORK/create.json" 2>&1 ||
  die "create-stream: $(cat "$WORK/create.json")"
aws_cli kinesis wait stream-exists --stream-name "$STREAM" || die "stream $STREAM never became ACTIVE"
aws_cli kinesis describe-stream-summary --stream-name "$STREAM" >"$WORK/stream.json" 2>&1 ||
  die "describe-stream-summary: $(cat "$WORK/stream.json")"
STREAM_ARN=$(json "$WORK/stream.json" 'd["StreamDescriptionSummary"]["StreamARN"]')
ACCOUNT=$(cut -d: -f5 <<<"$STREAM_ARN")
echo "stream $STREAM_ARN"
aws_cli lambda create-function --function-name "$FUNCTION" --runtime provided.al2023 \
  --handler bootstrap --role "arn:aws:iam::$ACCOUNT:role/seed-kinesis-consumer" \
  --zip-file "fileb://$WORK/function.zip" >"$WORK/function.json" 2>&1 ||
  die "create-function: $(cat "$WORK/function.json")"
echo "function $(json "$WORK/function.json" 'd["FunctionArn"]')"

echo
echo "== by hand, as the seed began: a Kinesis event with base64 JSON data, response to outputfile.txt"
MESSAGE='{"message": "Hello from the seed", "n": 1}'
DATA=$(printf '%s' "$MESSAGE" | base64 -w0)
cat >"$OUT/input.txt" <<JSON
{
  "Records": [
    {
      "kinesis": {
        "kinesisSchemaVersion": "1.0",
        "partitionKey": "1",
        "sequenceNumber": "49590338271490256608559692538361571095921575989136588898",
        "data": "$DATA",
        "approximateArrivalTimestamp": 1545084650.987
      },
      "eventSource": "aws:kinesis",
      "eventVersion": "1.0",
      "eventID": "shardId-000000000006:49590338271490256608559692538361571095921575989136588898",
      "eventName": "aws:kinesis:record",
      "invokeIdentityArn": "arn:aws:iam::$ACCOUNT:role/seed-kinesis-consumer",
      "awsRegion": "$REGION",
      "eventSourceARN": "$STREAM_ARN"
    }
  ]
}
JSON
echo "input.txt: one record, data $DATA"
aws_cli lambda invoke --function-name "$FUNCTION" --cli-binary-format raw-in-base64-out \
  --payload "fileb://$OUT/input.txt" --log-type Tail "$OUT/outputfile.txt" \
  >"$WORK/invoke.json" 2>&1 || fail "invoke: $(cat "$WORK/invoke.json")"
echo "outputfile.txt: $(cat "$OUT/outputfile.txt" 2>/dev/null)"
if [ "$(json "$OUT/outputfile.txt" 'd["messages"]' 2>/dev/null)" = "['$MESSAGE']" ]; then
  pass "outputfile.txt holds the decoded message"
else
  fail "outputfile.txt: want {\"records\": 1, \"messages\": [\"$MESSAGE\"]}"
fi
LOG=$(json "$WORK/invoke.json" '__import__("base64").b64decode(d.get("LogResult", "")).decode()' 2>/dev/null)
if grep -qF "data=$MESSAGE" <<<"$LOG"; then
  pass "function log: $(grep -F "data=$MESSAGE" <<<"$LOG" | head -1)"
else
  fail "function log: no decoded data line in: $LOG"
fi

echo
echo "== the trigger: create-event-source-mapping from the stream, then put-record"
aws_cli lambda create-event-source-mapping --function-name "$FUNCTION" \
  --event-source-arn "$STREAM_ARN" --starting-position TRIM_HORIZON --batch-size 100 \
  >"$WORK/mapping.json" 2>&1 || die "create-event-source-mapping: $(cat "$WORK/mapping.json")"
MAPPING=$(json "$WORK/mapping.json" 'd["UUID"]')
echo "mapping $MAPPING: $(json "$WORK/mapping.json" 'd["State"]'), StartingPosition $(json "$WORK/mapping.json" 'd.get("StartingPosition")')"
for _ in $(seq 100); do
  STATE=$(aws_cli lambda get-event-source-mapping --uuid "$MAPPING" --query State --output text 2>&1)
  [ "$STATE" = Enabled ] && break
  sleep 0.1
done
[ "$STATE" = Enabled ] && pass "mapping is Enabled" || fail "mapping state $STATE, want Enabled"

# The CLI v2 reads --data as base64 (its blob format), so the record holds the JSON itself.
RECORD='{"message": "Hello through Kinesis", "n": 2}'
aws_cli kinesis put-record --stream-name "$STREAM" --partition-key 1 \
  --data "$(printf '%s' "$RECORD" | base64 -w0)" >"$WORK/put.json" 2>&1 ||
  die "put-record: $(cat "$WORK/put.json")"
SHARD=$(json "$WORK/put.json" 'd["ShardId"]')
SEQUENCE=$(json "$WORK/put.json" 'd["SequenceNumber"]')
echo "put-record: $SHARD, sequence number $SEQUENCE"
if wait_log "data=$RECORD" 30; then
  pass "function log: $(function_log | grep -F "data=$RECORD" | head -1)"
else
  fail "function log: the record never arrived through the mapping (30 s); log: $(function_log | tail -5)"
fi
if function_log | grep -F "data=$RECORD" | grep -qF "aws:kinesis:record $SHARD:$SEQUENCE "; then
  pass "eventID is $SHARD:$SEQUENCE"
else
  fail "eventID: want $SHARD:$SEQUENCE in the log line"
fi
RESULT=$(aws_cli lambda get-event-source-mapping --uuid "$MAPPING" \
  --query LastProcessingResult --output text 2>&1)
[ "$RESULT" = OK ] && pass "LastProcessingResult OK" || fail "LastProcessingResult $RESULT, want OK"

echo
echo "== a burst for the report: 200 records on a 2-shard stream, one failing its batch for 1.5 s"
aws_cli kinesis create-stream --stream-name "$BURST" --shard-count 2 >"$WORK/burst.json" 2>&1 &&
  aws_cli kinesis wait stream-exists --stream-name "$BURST" &&
  aws_cli kinesis describe-stream-summary --stream-name "$BURST" >"$WORK/burst.json" 2>&1 ||
  die "burst stream: $(cat "$WORK/burst.json")"
BURST_ARN=$(json "$WORK/burst.json" 'd["StreamDescriptionSummary"]["StreamARN"]')
aws_cli lambda create-event-source-mapping --function-name "$FUNCTION" \
  --event-source-arn "$BURST_ARN" --starting-position TRIM_HORIZON --batch-size 10 \
  --maximum-retry-attempts 5 >"$WORK/burst-mapping.json" 2>&1 ||
  die "burst mapping: $(cat "$WORK/burst-mapping.json")"
BURST_MAPPING=$(json "$WORK/burst-mapping.json" 'd["UUID"]')
# Four put-records calls of 50; record 120 holds failUntil (now + 1.5 s): its batch is retried.
for call in 0 1 2 3; do
  python3 - "$call" >"$WORK/records.json" <<'PY'
import base64, json, sys, time
call = int(sys.argv[1])
out = []
for i in range(call * 50, call * 50 + 50):
    data = {"message": f"burst {i}", "n": i}
    if i == 120:
        data["failUntil"] = int(time.time() * 1000) + 1500
    out.append({"Data": base64.b64encode(json.dumps(data).encode()).decode(),
                "PartitionKey": f"key-{i}"})
print(json.dumps(out))
PY
  aws_cli kinesis put-records --stream-name "$BURST" --records "file://$WORK/records.json" \
    >"$WORK/put-records.json" 2>&1 || die "put-records: $(cat "$WORK/put-records.json")"
  sleep 0.2
done
# The invocation records, once all 200 were delivered and the failed batch went through.
thaw_records() {
  AWS_ACCESS_KEY_ID=$KEY_ID AWS_SECRET_ACCESS_KEY=$SECRET "$THAW" --endpoint "$ENDPOINT" \
    invocations "$FUNCTION" --json -n 10000
}
DELIVERED=""
for _ in $(seq 300); do
  thaw_records >"$WORK/records-now.json" 2>/dev/null || true
  DELIVERED=$(python3 - "$WORK/records-now.json" "$BURST_ARN" <<'PY'
import json, sys
try:
    records = json.load(open(sys.argv[1]))
except ValueError:
    records = []
burst = [r for r in records if r.get("eventSource", {}).get("eventSourceArn") == sys.argv[2]]
first = sum(r["eventSource"]["batchSize"] for r in burst if r["eventSource"]["attempt"] == 1)
retries = sum(1 for r in burst if r["eventSource"]["attempt"] > 1)
json.dump(burst, open(sys.argv[1] + ".burst", "w"), indent=2)
print(f"{first} {retries}")
PY
)
  [ "${DELIVERED%% *}" -ge 200 ] && [ "${DELIVERED##* }" -ge 1 ] && break
  sleep 0.2
done
if [ "${DELIVERED%% *}" -ge 200 ] && [ "${DELIVERED##* }" -ge 1 ]; then
  cp "$WORK/records-now.json.burst" "$OUT/stream-invocations.json"
  pass "burst: 200 records delivered, ${DELIVERED##* } retried invocation(s); records in $OUT/stream-invocations.json"
else
  fail "burst: delivered/retries ${DELIVERED:-none} after 60 s, want 200 and at least 1"
fi

echo
if [ $FAILED -eq 0 ]; then
  echo "kinesis: every check passed"
else
  echo "kinesis: $FAILED check(s) FAILED"
  exit 1
fi
