#!/usr/bin/env bash
# The orders app (README.md beside this script) deployed with `thaw deploy -t template.yaml` and
# every trigger shown firing: three orders and one malformed message sent to the queue with the
# AWS CLI; the Go function stores the orders (and reports the bad one as a batch item failure);
# the table's stream runs the Python function, which publishes each order to the topic with
# boto3; the topic fans out to the two Node.js functions; the digest's schedule fires. Then a
# second deploy with no change, which changes nothing. Each check prints PASS or FAIL with what it
# saw; the exit status is 1 if any failed.
#
#   run.sh                  starts a thaw server of its own (free port, temporary state)
#   run.sh --endpoint URL   uses a running server (and deletes the stack afterwards)
#   run.sh --schedule-time-scale F   its own server's schedules run F times sooner (tests)
# Needs build/thaw (scripts/build.sh; or $THAW), Go, npm, thaw's managed Python and Node.js
# runtimes (scripts/setup.sh) and the AWS CLI v2 (/usr/bin/aws; or $AWS).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
THAW=${THAW:-$ROOT/build/thaw}
AWS=${AWS:-/usr/bin/aws}
REGION=us-east-1
KEY_ID=${AWS_ACCESS_KEY_ID:-AKIATHAWLOCALCLI0000}
SECRET=${AWS_SECRET_ACCESS_KEY:-thaw-local-cli-secret-key-000000000000000}
ENDPOINT=""
SERVER=""
SCALE=1
SCHEDULE_WAIT_S=${SCHEDULE_WAIT_S:-75}  # rate(1 minute) fires within a minute of the deploy

while [ $# -gt 0 ]; do
  case $1 in
    --endpoint) ENDPOINT=${2:?--endpoint needs a URL}; shift 2 ;;
    --schedule-time-scale) SCALE=${2:?--schedule-time-scale needs a factor}; shift 2 ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

WORK=$(mktemp -d)
APP=$WORK/orders
STACK=orders-$$

aws_cli() {
  env -u AWS_PROFILE -u AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID="$KEY_ID" \
    AWS_SECRET_ACCESS_KEY="$SECRET" AWS_DEFAULT_REGION=$REGION AWS_PAGER= AWS_MAX_ATTEMPTS=1 \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    "$AWS" --endpoint-url "$ENDPOINT" --output json "$@"
}
thaw() {
  env AWS_ACCESS_KEY_ID="$KEY_ID" AWS_SECRET_ACCESS_KEY="$SECRET" "$THAW" --endpoint "$ENDPOINT" "$@"
}

finish() {
  if [ -n "$SERVER" ]; then
    kill -TERM "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  elif [ -n "$ENDPOINT" ] && [ -f "$APP/.thaw/$STACK.json" ]; then
    thaw deploy -t "$APP/template.yaml" --stack-name "$STACK" --delete-stack >/dev/null 2>&1
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
output() {
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["Outputs"][sys.argv[2]])' \
    "$APP/.thaw/$STACK.json" "$1"
}
# wait_log FUNCTION TEXT SECONDS: until TEXT is in the function's log group.
wait_log() {
  local deadline=$((SECONDS + $3))
  while [ $SECONDS -lt "$deadline" ]; do
    if aws_cli logs filter-log-events --log-group-name "/aws/lambda/$1" \
      --query 'events[].message' --output text 2>/dev/null | grep -qF -- "$2"; then
      return 0
    fi
    sleep 0.5
  done
  return 1
}
# check NAME FUNCTION TEXT [SECONDS]
check() {
  if wait_log "$2" "$3" "${4:-30}"; then
    pass "$1: '$3' in /aws/lambda/$2"
  else
    fail "$1: no '$3' in /aws/lambda/$2 after ${4:-30} s"
  fi
}

if [ -z "$ENDPOINT" ]; then
  [ -x "$THAW" ] || die "$THAW is missing; run scripts/build.sh"
  : >"$WORK/server.log"
  "$THAW" serve --listen 127.0.0.1:0 --state-dir "$WORK/state" --schedule-time-scale "$SCALE" \
    2>"$WORK/server.log" &
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

echo "== thaw deploy -t template.yaml (a copy of examples/sam/orders, so the repo keeps no state)"
mkdir -p "$APP"
(cd "$HERE" && tar --exclude=.thaw --exclude=node_modules -cf - .) | (cd "$APP" && tar -xf -)
START=$(date +%s.%N)
thaw deploy -t "$APP/template.yaml" --stack-name "$STACK" >"$WORK/deploy1.out" 2>"$WORK/deploy1.err" ||
  die "deploy: $(cat "$WORK/deploy1.err" "$WORK/deploy1.out")"
FIRST=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$START" "$(date +%s.%N)")
cat "$WORK/deploy1.out"
QUEUE_URL=$(output OrdersQueueUrl)
INGEST=$(output IngestFunctionName)
AUDIT=$(output AuditFunctionName)
NOTIFY=$(output NotifyFunctionName)
DIGEST=$(output DigestFunctionName)
pass "deploy: the stack is up in ${FIRST} s (functions $INGEST, $AUDIT, $NOTIFY, $DIGEST)"

echo
echo "== three orders and one malformed message on the queue"
for order in '{"orderId":"o-1001","item":"coffee","quantity":2}' \
  '{"orderId":"o-1002","item":"tea","quantity":1}' \
  '{"orderId":"o-1003","item":"cocoa","quantity":4}' 'not an order'; do
  aws_cli sqs send-message --queue-url "$QUEUE_URL" --message-body "$order" >/dev/null ||
    fail "send-message $order"
  echo "send-message $order"
done

echo
echo "== each trigger firing"
check "SQS -> Go" "$INGEST" "ingest: stored order o-1003 (4 x cocoa)"
check "SQS batch item failure" "$INGEST" "ingest: rejected message"
check "DynamoDB stream -> Python" "$AUDIT" "audit: announced order o-1003"
check "SNS -> Node.js (ES module)" "$NOTIFY" "notify: order o-1002 confirmed (1 x tea)"
check "SNS -> Node.js (CommonJS)" "$DIGEST" "digest: counted order o-1001"
echo "the digest's schedule, rate(1 minute) (up to ${SCHEDULE_WAIT_S} s):"
thaw schedules 2>&1 | sed 's/^/  /'
check "Schedule -> Node.js" "$DIGEST" "orders since the last digest" "$SCHEDULE_WAIT_S"

echo
echo "== thaw deploy again, with no change"
START=$(date +%s.%N)
thaw deploy -t "$APP/template.yaml" --stack-name "$STACK" >"$WORK/deploy2.out" 2>"$WORK/deploy2.err" ||
  fail "second deploy: $(cat "$WORK/deploy2.err")"
AGAIN=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$START" "$(date +%s.%N)")
if grep -q " 0 created, 0 updated, 0 replaced, 0 deleted" "$WORK/deploy2.out"; then
  pass "second deploy: nothing changed ($(grep -o '[0-9]* unchanged' "$WORK/deploy2.out"), ${AGAIN} s)"
else
  fail "second deploy changed something: $(cat "$WORK/deploy2.out")"
fi

echo
if [ "$FAILED" -eq 0 ]; then
  echo "orders: every trigger fired"
else
  echo "orders: $FAILED check(s) FAILED"
  exit 1
fi
