#!/usr/bin/env bash
# The seed's DynamoDB experiment with the AWS CLI (README.md beside this script): a table with a
# NEW_AND_OLD_IMAGES stream, the seed's insert, modify and remove, the three stream records read
# back through the DynamoDB Streams API (list-streams, describe-stream, get-shard-iterator
# TRIM_HORIZON, get-records) and checked in order with their images. The Go function
# examples/functions/go/ddbconsumer (events.DynamoDBEvent) is mapped to the stream first
# (`aws lambda create-event-source-mapping --starting-position TRIM_HORIZON`, the trigger), so the
# three transactions invoke it; its CloudWatch log shows them parsed, in order.
# Each check prints PASS or FAIL with what it saw; the exit status is 1 if any failed.
#
#   run.sh                  starts a thaw server of its own (free port, temporary state)
#   run.sh --endpoint URL   uses a running server (keys: $AWS_ACCESS_KEY_ID and
#                           $AWS_SECRET_ACCESS_KEY if set, else any key)
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

while [ $# -gt 0 ]; do
  case $1 in
    --endpoint) ENDPOINT=${2:?--endpoint needs a URL}; shift 2 ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

WORK=$(mktemp -d)
SUFFIX=$$-$(date +%s)
TABLE=seed-table-$SUFFIX
FUNCTION=seed-ddb-consumer-$SUFFIX

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
    [ -n "${MAPPING:-}" ] && aws_cli lambda delete-event-source-mapping --uuid "$MAPPING" >/dev/null 2>&1
    aws_cli lambda delete-function --function-name "$FUNCTION" >/dev/null 2>&1
    aws_cli dynamodb delete-table --table-name "$TABLE" >/dev/null 2>&1
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

echo "== setup: a table with a NEW_AND_OLD_IMAGES stream, and the Go function"
(cd "$ROOT/examples/functions/go" && CGO_ENABLED=0 GOOS=linux "$GO" build -tags lambda.norpc \
  -trimpath -ldflags=-s -o "$WORK/bootstrap" ./ddbconsumer) ||
  die "go build of examples/functions/go/ddbconsumer failed"
python3 -m zipfile -c "$WORK/function.zip" "$WORK/bootstrap" || die "zip failed"
aws_cli dynamodb create-table --table-name "$TABLE" \
  --attribute-definitions AttributeName=Id,AttributeType=N \
  --key-schema AttributeName=Id,KeyType=HASH --billing-mode PAY_PER_REQUEST \
  --stream-specification StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES \
  >"$WORK/table.json" 2>&1 || die "create-table: $(cat "$WORK/table.json")"
TABLE_ARN=$(json "$WORK/table.json" 'd["TableDescription"]["TableArn"]')
ACCOUNT=$(cut -d: -f5 <<<"$TABLE_ARN")
aws_cli lambda create-function --function-name "$FUNCTION" --runtime provided.al2023 \
  --handler bootstrap --role "arn:aws:iam::$ACCOUNT:role/seed-ddb-consumer" \
  --zip-file "fileb://$WORK/function.zip" >"$WORK/function.json" 2>&1 &
CREATE_FUNCTION=$!
# The table is CREATING for --dynamodb-status-delay-ms (0 by default); the CLI's waiter.
aws_cli dynamodb wait table-exists --table-name "$TABLE" || die "table $TABLE never became ACTIVE"
echo "table $TABLE_ARN"
wait $CREATE_FUNCTION || die "create-function: $(cat "$WORK/function.json")"
echo "function $(json "$WORK/function.json" 'd["FunctionArn"]')"

echo
echo "== the trigger: an event source mapping from the table's stream to the function"
STREAM_ARN=$(aws_cli dynamodb describe-table --table-name "$TABLE" \
  --query Table.LatestStreamArn --output text 2>&1) || die "describe-table: $STREAM_ARN"
aws_cli lambda create-event-source-mapping --function-name "$FUNCTION" \
  --event-source-arn "$STREAM_ARN" --starting-position TRIM_HORIZON >"$WORK/mapping.json" 2>&1 ||
  die "create-event-source-mapping: $(cat "$WORK/mapping.json")"
MAPPING=$(json "$WORK/mapping.json" 'd["UUID"]')
echo "create-event-source-mapping: $MAPPING, $(json "$WORK/mapping.json" 'd["State"]')"
STATE=""
for _ in $(seq 200); do
  STATE=$(aws_cli lambda get-event-source-mapping --uuid "$MAPPING" --query State --output text)
  [ "$STATE" = Enabled ] && break
  sleep 0.1
done
if [ "$STATE" = Enabled ]; then
  pass "mapping $MAPPING: Enabled, starting position TRIM_HORIZON"
else
  fail "mapping $MAPPING: state $STATE, never Enabled"
fi

echo
echo "== the seed's three transactions: insert, modify, remove"
KEY='{"Id": {"N": "101"}}'
aws_cli dynamodb put-item --table-name "$TABLE" \
  --item '{"Id": {"N": "101"}, "Message": {"S": "New item!"}}' >/dev/null &&
  echo 'put-item    {Id: 101, Message: "New item!"}' || fail "insert: put-item failed"
aws_cli dynamodb update-item --table-name "$TABLE" --key "$KEY" \
  --update-expression "SET Message = :m" \
  --expression-attribute-values '{":m": {"S": "This item has changed"}}' >/dev/null &&
  echo 'update-item SET Message = "This item has changed"' || fail "modify: update-item failed"
aws_cli dynamodb delete-item --table-name "$TABLE" --key "$KEY" >/dev/null &&
  echo 'delete-item Id = 101' || fail "remove: delete-item failed"

echo
echo "== the three records, read back through the DynamoDB Streams API"
aws_cli dynamodbstreams list-streams --table-name "$TABLE" >"$WORK/streams.json" 2>&1 ||
  die "list-streams: $(cat "$WORK/streams.json")"
if [ "$(json "$WORK/streams.json" '[s["StreamArn"] for s in d["Streams"]]')" = "['$STREAM_ARN']" ]; then
  pass "list-streams: the table's one stream, $STREAM_ARN"
else
  fail "list-streams: $(cat "$WORK/streams.json"); want only $STREAM_ARN"
fi
aws_cli dynamodbstreams describe-stream --stream-arn "$STREAM_ARN" >"$WORK/stream.json" 2>&1 ||
  die "describe-stream: $(cat "$WORK/stream.json")"
SHARDS=$(json "$WORK/stream.json" '" ".join(s["ShardId"] for s in d["StreamDescription"]["Shards"])')
echo "describe-stream: $(json "$WORK/stream.json" 'd["StreamDescription"]["StreamViewType"]'), shards $SHARDS"
# Every shard from TRIM_HORIZON, parents first (DescribeStream lists them so), until a page
# comes back empty.
echo '[]' >"$WORK/records.json"
for shard in $SHARDS; do
  ITERATOR=$(aws_cli dynamodbstreams get-shard-iterator --stream-arn "$STREAM_ARN" \
    --shard-id "$shard" --shard-iterator-type TRIM_HORIZON --query ShardIterator \
    --output text 2>&1) || die "get-shard-iterator: $ITERATOR"
  while [ -n "$ITERATOR" ] && [ "$ITERATOR" != None ]; do
    aws_cli dynamodbstreams get-records --shard-iterator "$ITERATOR" >"$WORK/page.json" 2>&1 ||
      die "get-records: $(cat "$WORK/page.json")"
    [ "$(json "$WORK/page.json" 'len(d["Records"])')" = 0 ] && break
    python3 - "$WORK/records.json" "$WORK/page.json" <<'PY'
import json, sys
records = json.load(open(sys.argv[1])) + json.load(open(sys.argv[2]))["Records"]
json.dump(records, open(sys.argv[1], "w"))
PY
    ITERATOR=$(json "$WORK/page.json" 'd.get("NextShardIterator", "")')
  done
done
python3 - "$WORK/records.json" <<'PY' >"$WORK/checks.txt"
import json, sys
records = json.load(open(sys.argv[1]))
key = {"Id": {"N": "101"}}
first = {**key, "Message": {"S": "New item!"}}
changed = {**key, "Message": {"S": "This item has changed"}}
def show(image):
    if image is None:
        return "-"
    return "{" + ", ".join(f"{k}: {list(v.values())[0]!r}" for k, v in sorted(image.items())) + "}"
want = [("INSERT", None, first), ("MODIFY", first, changed), ("REMOVE", changed, None)]
names = [r["eventName"] for r in records]
print(("PASS" if names == ["INSERT", "MODIFY", "REMOVE"] else "FAIL")
      + f" records: {len(records)}, in order {' '.join(names)}")
for i, (name, old, new) in enumerate(want):
    if i >= len(records):
        print(f"FAIL record {i + 1}: missing; want {name}")
        continue
    r, d = records[i], records[i]["dynamodb"]
    got = (r["eventName"], d.get("Keys"), d.get("OldImage"), d.get("NewImage"))
    ok = got == (name, key, old, new) and d.get("StreamViewType") == "NEW_AND_OLD_IMAGES"
    print(("PASS" if ok else "FAIL") + f" record {i + 1}: {r['eventName']} Keys={show(d.get('Keys'))}"
          f" OldImage={show(d.get('OldImage'))} NewImage={show(d.get('NewImage'))}"
          f" SequenceNumber {d.get('SequenceNumber')}"
          + ("" if ok else f"; want {name} OldImage={show(old)} NewImage={show(new)}"))
sequence = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
print(("PASS" if sequence == sorted(sequence) and len(set(sequence)) == len(sequence) else "FAIL")
      + " sequence numbers increase: " + " < ".join(map(str, sequence)))
PY
cat "$WORK/checks.txt"
FAILED=$((FAILED + $(grep -c '^FAIL' "$WORK/checks.txt")))

echo
echo "== the records delivered to the Go function (events.DynamoDBEvent) by the mapping"
# The function's CloudWatch log, until the three records are in it (each commit is delivered
# within milliseconds, so they may come in one batch or several).
LOG=""
for _ in $(seq 100); do
  aws_cli logs filter-log-events --log-group-name "/aws/lambda/$FUNCTION" >"$WORK/log.json" 2>/dev/null &&
    LOG=$(json "$WORK/log.json" '"".join(e["message"] if e["message"].endswith("\n") else e["message"] + "\n" for e in d["events"])')
  [ "$(grep -c '^REMOVE ' <<<"$LOG")" -ge 1 ] && break
  sleep 0.1
done
check_log() {
  local line
  line=$(grep -F "$2" <<<"$LOG" | head -1)
  if [ -n "$line" ]; then pass "function log: $line"; else fail "function log: no $1 line ($2)"; fi
}
check_log INSERT 'INSERT Keys={Id: 101} NewImage={Id: 101, Message: "New item!"}'
check_log MODIFY 'MODIFY Keys={Id: 101} OldImage={Id: 101, Message: "New item!"} NewImage={Id: 101, Message: "This item has changed"}'
check_log REMOVE 'REMOVE Keys={Id: 101} OldImage={Id: 101, Message: "This item has changed"}'
DELIVERED=$(grep -o '^DDBRECORDS [0-9]*' <<<"$LOG" | awk '{n += $2} END {print n + 0}')
ORDER=$(grep -oE '^(INSERT|MODIFY|REMOVE) ' <<<"$LOG" | tr -d ' ' | tr '\n' ' ')
if [ "$DELIVERED" = 3 ] && [ "$ORDER" = "INSERT MODIFY REMOVE " ]; then
  pass "function log: 3 records delivered by the mapping, in order $ORDER"
else
  fail "function log: $DELIVERED record(s) delivered, in order $ORDER; want 3, INSERT MODIFY REMOVE"
fi
RESULT=$(aws_cli lambda get-event-source-mapping --uuid "$MAPPING" --query LastProcessingResult \
  --output text)
if [ "$RESULT" = OK ]; then pass "mapping LastProcessingResult: OK"; else fail "mapping LastProcessingResult: $RESULT"; fi

echo
if [ $FAILED -eq 0 ]; then
  echo "dynamodb-stream: every check passed"
else
  echo "dynamodb-stream: $FAILED check(s) FAILED"
  exit 1
fi
