#!/usr/bin/env bash
# The seed's SNS experiment across two accounts, run three times with the AWS CLI (README.md
# beside this script). Account B (222222222222) owns a topic, the Go function in ./function
# subscribed to it, and the subscription's redrive DLQ; account A (111111111111) publishes.
#   1. the topic policy admits A, the function's policy admits sns.amazonaws.com: delivered,
#      and the message is in the function's CloudWatch log;
#   2. without the topic policy: A's Publish is refused with AuthorizationError;
#   3. without the Lambda permission: the invoke is refused, SNS does not retry (a client-side
#      error), and the message lands in the subscription's RedrivePolicy DLQ.
# Each check prints PASS or FAIL with what it saw; the exit status is 1 if any failed.
#
#   run.sh                  starts a thaw server of its own (free port, temporary state)
#   run.sh --endpoint URL   uses a running server; it must take the key ids 111111111111 and
#                           222222222222 (any secret, unless it runs --verify-signatures:
#                           then set SECRET_A and SECRET_B)
# Needs build/thaw (scripts/build.sh; or $THAW), Go, and the AWS CLI v2 (/usr/bin/aws; or $AWS).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
THAW=${THAW:-$ROOT/build/thaw}
AWS=${AWS:-/usr/bin/aws}
GO=$(command -v go || echo /usr/local/go/bin/go)
REGION=us-east-1
A=111111111111
B=222222222222
ENDPOINT=""
SERVER=""

while [ $# -gt 0 ]; do
  case $1 in
    --endpoint) ENDPOINT=${2:?--endpoint needs a URL}; shift 2 ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

WORK=$(mktemp -d)
SUFFIX=$$-$(date +%s)
FUNCTION=seed-sns-consumer-$SUFFIX
TOPIC=seed-topic-$SUFFIX
DLQ=seed-topic-dlq-$SUFFIX

# aws_in ACCOUNT ARGS...: the AWS CLI as that account (its 12-digit key id), text output.
aws_in() {
  local account=$1 secret=${SECRET_B:-thaw-scenario-secret}
  shift
  [ "$account" = $A ] && secret=${SECRET_A:-thaw-scenario-secret}
  env -u AWS_PROFILE -u AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID="$account" \
    AWS_SECRET_ACCESS_KEY="$secret" AWS_DEFAULT_REGION=$REGION AWS_PAGER= AWS_MAX_ATTEMPTS=1 \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    "$AWS" --endpoint-url "$ENDPOINT" --output text "$@"
}

finish() {
  if [ -n "$SERVER" ]; then
    kill -TERM "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  elif [ -n "$ENDPOINT" ]; then
    # Someone else's server: leave nothing of ours behind.
    aws_in $B lambda delete-function --function-name "$FUNCTION" >/dev/null 2>&1
    [ -n "${TOPIC_ARN:-}" ] && aws_in $B sns delete-topic --topic-arn "$TOPIC_ARN" >/dev/null 2>&1
    [ -n "${DLQ_URL:-}" ] && aws_in $B sqs delete-queue --queue-url "$DLQ_URL" >/dev/null 2>&1
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

if [ -z "$ENDPOINT" ]; then
  [ -x "$THAW" ] || die "$THAW is missing; run scripts/build.sh"
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

# The function's log (in account B): every message of /aws/lambda/FUNCTION, one a line.
function_log() {
  aws_in $B logs filter-log-events --log-group-name "/aws/lambda/$FUNCTION" \
    --query 'events[].message' 2>/dev/null | tr '\t' '\n'
}

# wait_log TEXT SECONDS: whether the function logged TEXT within SECONDS.
wait_log() {
  local deadline=$((SECONDS + $2))
  while :; do
    function_log | grep -qF "$1" && return 0
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.2
  done
}

# policy_file KIND: a policy document as a file (for the CLI's file://), KIND one of
#   admit-a     the topic's: the owner's default statement, and A may publish;
#   owner-only  the topic's: the owner's default statement alone;
#   topic       not a policy: the topic's attributes at creation, Policy as admit-a;
#   dlq         the DLQ's: the topic's SNS may send to it;
#   redrive     not a policy: the subscription's attributes, RedrivePolicy naming the DLQ.
policy_file() {
  python3 - "$1" "$TOPIC_ARN" "$DLQ_ARN" "$B" "$A" >"$WORK/$1.json" <<'PY'
import json, sys
kind, topic, queue, owner, publisher = sys.argv[1:]
def document(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
owner_statement = {
    "Sid": "owner", "Effect": "Allow", "Principal": {"AWS": "*"},
    "Action": ["SNS:Publish", "SNS:Subscribe", "SNS:GetTopicAttributes",
               "SNS:SetTopicAttributes", "SNS:ListSubscriptionsByTopic", "SNS:DeleteTopic"],
    "Resource": topic, "Condition": {"StringEquals": {"AWS:SourceOwner": owner}}}
admit_a = {"Sid": "publish-from-" + publisher, "Effect": "Allow",
           "Principal": {"AWS": f"arn:aws:iam::{publisher}:root"},
           "Action": "sns:Publish", "Resource": topic}
if kind == "admit-a":
    print(document(owner_statement, admit_a))
elif kind == "topic":
    print(json.dumps({"Policy": document(owner_statement, admit_a)}))
elif kind == "owner-only":
    print(document(owner_statement))
elif kind == "dlq":
    print(json.dumps({"Policy": document({
        "Sid": "topic-dead-letters", "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": queue, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}})}))
else:
    print(json.dumps({"RedrivePolicy": json.dumps({"deadLetterTargetArn": queue})}))
PY
  echo "file://$WORK/$1.json"
}

# set_topic_policy KIND: the topic's Policy attribute.
set_topic_policy() {
  aws_in $B sns set-topic-attributes --topic-arn "$TOPIC_ARN" --attribute-name Policy \
    --attribute-value "$(policy_file "$1")"
}

echo "== setup: account $B owns the topic, the Go function and the DLQ; account $A publishes"
(cd "$HERE/function" && CGO_ENABLED=0 GOOS=linux "$GO" build -tags lambda.norpc -trimpath \
  -ldflags=-s -o "$WORK/bootstrap" .) || die "go build of $HERE/function failed"
python3 -m zipfile -c "$WORK/function.zip" "$WORK/bootstrap" || die "zip failed"
# ARNs follow from account, region and name, so the topic and the queue are made with their
# policies, and at the same time as the function. As AWS needs them: the topic lets A publish,
# the queue lets the topic's SNS send to it.
TOPIC_ARN="arn:aws:sns:$REGION:$B:$TOPIC"
DLQ_ARN="arn:aws:sqs:$REGION:$B:$DLQ"
aws_in $B lambda create-function --function-name "$FUNCTION" --runtime provided.al2023 \
  --handler bootstrap --role "arn:aws:iam::$B:role/seed-sns-consumer" \
  --zip-file "fileb://$WORK/function.zip" --query FunctionArn >"$WORK/function.arn" 2>&1 &
CREATE_FUNCTION=$!
aws_in $B sns create-topic --name "$TOPIC" --attributes "$(policy_file topic)" \
  --query TopicArn >"$WORK/topic.arn" 2>&1 &
CREATE_TOPIC=$!
DLQ_URL=$(aws_in $B sqs create-queue --queue-name "$DLQ" --attributes "$(policy_file dlq)" \
  --query QueueUrl 2>&1) || die "create-queue: $DLQ_URL"
wait $CREATE_FUNCTION || die "create-function: $(cat "$WORK/function.arn")"
wait $CREATE_TOPIC || die "create-topic: $(cat "$WORK/topic.arn")"
FUNCTION_ARN=$(cat "$WORK/function.arn")
[ "$(cat "$WORK/topic.arn")" = "$TOPIC_ARN" ] || die "create-topic answered $(cat "$WORK/topic.arn")"
echo "topic $TOPIC_ARN (its policy lets $A publish)"
echo "function $FUNCTION_ARN"
echo "redrive DLQ $DLQ_URL (its policy lets the topic send to it)"

# The function lets sns.amazonaws.com invoke it for this topic; the subscription names the DLQ.
aws_in $B lambda add-permission --function-name "$FUNCTION" --statement-id sns-seed-topic \
  --action lambda:InvokeFunction --principal sns.amazonaws.com --source-arn "$TOPIC_ARN" \
  >"$WORK/permission.out" 2>&1 &
ADD_PERMISSION=$!
SUBSCRIPTION_ARN=$(aws_in $B sns subscribe --topic-arn "$TOPIC_ARN" --protocol lambda \
  --notification-endpoint "$FUNCTION_ARN" --attributes "$(policy_file redrive)" \
  --return-subscription-arn --query SubscriptionArn 2>&1) || die "subscribe: $SUBSCRIPTION_ARN"
wait $ADD_PERMISSION || die "add-permission: $(cat "$WORK/permission.out")"
echo "subscription $SUBSCRIPTION_ARN (RedrivePolicy: the DLQ; the function's policy admits" \
  "sns.amazonaws.com for the topic)"

NONCE=$RANDOM$RANDOM
echo
echo "== run 1: the topic policy admits $A; the function's policy admits sns.amazonaws.com"
MESSAGE1="hello from account $A, run 1 ($NONCE)"
case $FUNCTION_ARN in
  arn:aws:lambda:$REGION:$B:function:*) pass "run 1: the function is account $B's ($FUNCTION_ARN)" ;;
  *) fail "run 1: the function made by account $B has the ARN $FUNCTION_ARN; want account $B's" ;;
esac
if OUT=$(aws_in $A sns publish --topic-arn "$TOPIC_ARN" --message "$MESSAGE1" \
  --query MessageId 2>&1); then
  pass "run 1: account $A published to $B's topic (MessageId $OUT)"
  if wait_log "$MESSAGE1" 10; then
    pass "run 1: the function's CloudWatch log (filter-log-events in $B) has" \
      "\"$(function_log | grep -F "$MESSAGE1" | head -1)\""
  else
    fail "run 1: no \"$MESSAGE1\" in /aws/lambda/$FUNCTION after 10 s; its log:" \
      "$(function_log | tail -5 | tr '\n' '|')"
  fi
else
  fail "run 1: account $A's Publish was refused: $OUT"
fi

echo
echo "== run 2: without the topic policy (only the owner's default statement)"
set_topic_policy owner-only || fail "run 2: set-topic-attributes Policy failed"
MESSAGE2="hello from account $A, run 2 ($NONCE)"
if OUT=$(aws_in $A sns publish --topic-arn "$TOPIC_ARN" --message "$MESSAGE2" \
  --query MessageId 2>&1); then
  fail "run 2: account $A's Publish was accepted (MessageId $OUT); want AuthorizationError"
elif grep -q "(AuthorizationError)" <<<"$OUT"; then
  pass "run 2: account $A's Publish refused: $(tr -s '\n' ' ' <<<"$OUT" | sed 's/^ *//')"
else
  fail "run 2: account $A's Publish failed otherwise: $OUT"
fi

echo
echo "== run 3: the topic policy back; the function's permission for sns.amazonaws.com removed"
set_topic_policy admit-a &
SET_POLICY=$!
aws_in $B lambda remove-permission --function-name "$FUNCTION" --statement-id sns-seed-topic ||
  fail "run 3: remove-permission failed"
wait $SET_POLICY || fail "run 3: set-topic-attributes Policy failed"
MESSAGE3="hello from account $A, run 3 ($NONCE)"
if OUT=$(aws_in $A sns publish --topic-arn "$TOPIC_ARN" --message "$MESSAGE3" \
  --query MessageId 2>&1); then
  pass "run 3: account $A published (MessageId $OUT)"
  START=$SECONDS
  BODY=$(aws_in $B sqs receive-message --queue-url "$DLQ_URL" --wait-time-seconds 10 \
    --query 'Messages[0].Body' 2>&1)
  GOT=$(python3 -c 'import json, sys
try:
    print(json.loads(sys.argv[1])["Message"])
except Exception:
    print("")' "$BODY")
  if [ "$GOT" = "$MESSAGE3" ]; then
    pass "run 3: the message is in the subscription's DLQ after $((SECONDS - START)) s" \
      "(SNS gives up on a client-side error at once; retrying it would take days)"
  else
    fail "run 3: the subscription's DLQ did not get the message within 10 s: ${BODY:0:200}"
  fi
  if function_log | grep -qF "$MESSAGE3"; then
    fail "run 3: the function ran without a permission for sns.amazonaws.com: it logged" \
      "\"$MESSAGE3\""
  else
    pass "run 3: the invoke was refused: the function never logged the message"
  fi
else
  fail "run 3: account $A's Publish was refused: $OUT"
fi

echo
if [ $FAILED -eq 0 ]; then
  echo "sns-cross-account: every check passed"
else
  echo "sns-cross-account: $FAILED check(s) FAILED"
  exit 1
fi
