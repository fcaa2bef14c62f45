"""Event invokes the way Lambda delivers them: the event-invoke-config API (boto3 and the AWS
CLI), retries with the scaled delays (--retry-delay-scale), OnSuccess / OnFailure destinations
(SQS and Lambda), the function's dead-letter queue, event age, and retries surviving kill -9."""

import json
import re
import subprocess
import time

import pytest

from conftest import THAW_BIN, aws, boto_client, create_function, module_server
from invoke_util import http_request, request_id, unique, wait_for, wait_for_log
from sqs_util import sqs_client

SCALE = "0.01"  # Lambda's ~1 min and ~2 min retries become 0.6 s and 1.2 s
ACCOUNT = "000000000000"


def queue_arn(name):
    return f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"


def function_arn(name):
    return f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"


server = module_server("--retry-delay-scale", SCALE)


@pytest.fixture(scope="module")
def lam(server):
    return boto_client("lambda", server)


@pytest.fixture(scope="module")
def sqs(server):
    return sqs_client(server.url)


@pytest.fixture(scope="module")
def logs(server):
    return boto_client("logs", server)


def new_queue(sqs, prefix):
    name = unique(prefix)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return name, url


def receive_one(sqs, url, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, MessageAttributeNames=["All"])
        if got.get("Messages"):
            return got["Messages"][0]
    raise AssertionError(f"nothing arrived in {url} within {timeout} s")


def test_event_invoke_config_api_with_boto3(lam, sqs, examples):
    name = unique("eic")
    create_function(lam, name, "echo")
    qname, _ = new_queue(sqs, "eic-dest")
    put = lam.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=1, MaximumEventAgeInSeconds=120,
        DestinationConfig={"OnFailure": {"Destination": queue_arn(qname)}})
    assert put["FunctionArn"] == function_arn(name) + ":$LATEST"
    assert put["MaximumRetryAttempts"] == 1
    assert put["MaximumEventAgeInSeconds"] == 120
    assert put["DestinationConfig"] == {"OnSuccess": {},
                                        "OnFailure": {"Destination": queue_arn(qname)}}
    assert abs(put["LastModified"].timestamp() - time.time()) < 60

    got = lam.get_function_event_invoke_config(FunctionName=name)
    assert got["MaximumRetryAttempts"] == 1 and got["FunctionArn"] == put["FunctionArn"]

    # Update merges; Put replaces (omitted settings reset).
    upd = lam.update_function_event_invoke_config(FunctionName=name, MaximumEventAgeInSeconds=300)
    assert upd["MaximumRetryAttempts"] == 1 and upd["MaximumEventAgeInSeconds"] == 300
    assert upd["DestinationConfig"]["OnFailure"]["Destination"] == queue_arn(qname)
    rep = lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    assert "MaximumEventAgeInSeconds" not in rep
    assert rep["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {}}

    # Per version and alias; the list pages.
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    lam.put_function_event_invoke_config(FunctionName=name, Qualifier="1", MaximumRetryAttempts=2)
    lam.put_function_event_invoke_config(FunctionName=f"{name}:live", MaximumRetryAttempts=1)
    listed = lam.list_function_event_invoke_configs(FunctionName=name)["FunctionEventInvokeConfigs"]
    assert sorted(c["FunctionArn"] for c in listed) == sorted(
        function_arn(name) + q for q in (":$LATEST", ":1", ":live"))
    page = lam.list_function_event_invoke_configs(FunctionName=name, MaxItems=2)
    assert len(page["FunctionEventInvokeConfigs"]) == 2 and page["NextMarker"]
    rest = lam.list_function_event_invoke_configs(FunctionName=name, Marker=page["NextMarker"])
    assert len(rest["FunctionEventInvokeConfigs"]) == 1 and "NextMarker" not in rest

    # Delete (204), then 404 with AWS's text.
    lam.delete_function_event_invoke_config(FunctionName=name, Qualifier="live")
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.get_function_event_invoke_config(FunctionName=name, Qualifier="live")
    assert e.value.response["Error"]["Message"] == (
        f"The function {function_arn(name)}:live doesn't have an EventInvokeConfig")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.update_function_event_invoke_config(FunctionName=name, Qualifier="live",
                                                MaximumRetryAttempts=1)

    # Deleted with the function.
    lam.delete_function(FunctionName=name)
    create_function(lam, name, "echo")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function_event_invoke_config(FunctionName=name)
    lam.delete_function(FunctionName=name)


def test_event_invoke_config_errors(lam, sqs, examples):
    name = unique("eic-bad")
    create_function(lam, name, "echo")

    def error_of(**kwargs):
        with pytest.raises(lam.exceptions.ClientError) as e:
            lam.put_function_event_invoke_config(FunctionName=name, **kwargs)
        return e.value.response["Error"]

    err = error_of(MaximumRetryAttempts=3)
    assert err["Code"] == "ValidationException"
    assert "Member must have value less than or equal to 2" in err["Message"]
    err = error_of(MaximumEventAgeInSeconds=21601)
    assert err["Code"] == "ValidationException"
    err = error_of()
    assert err["Code"] == "InvalidParameterValueException"
    assert err["Message"] == "You must specify at least one of error handling or destination setting."
    sqs.create_queue(QueueName="eic-dest.fifo", Attributes={"FifoQueue": "true"})
    err = error_of(DestinationConfig={"OnFailure": {"Destination": queue_arn("eic-dest.fifo")}})
    assert err["Code"] == "InvalidParameterValueException" and "FIFO" in err["Message"]
    err = error_of(DestinationConfig={"OnSuccess": {
        "Destination": f"arn:aws:sns:us-east-1:{ACCOUNT}:topic.fifo"}})
    assert err["Code"] == "InvalidParameterValueException" and "FIFO" in err["Message"]
    err = error_of(DestinationConfig={"OnSuccess": {"Destination": function_arn("missing-fn")}})
    assert err["Message"] == f"The destination ARN {function_arn('missing-fn')} is invalid."
    err = error_of(DestinationConfig={"OnSuccess": {"Destination": function_arn(name)}})
    assert err["Message"] == "You can't specify the function as a destination for itself."
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.put_function_event_invoke_config(FunctionName="no-such-fn", MaximumRetryAttempts=1)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function_event_invoke_config(FunctionName=name)


def test_event_invoke_config_with_the_aws_cli(server, lam, sqs, examples):
    name = unique("eic-cli")
    create_function(lam, name, "echo")
    qname, _ = new_queue(sqs, "eic-cli-dest")
    dest = json.dumps({"OnSuccess": {"Destination": queue_arn(qname)}})
    r = aws(server, "lambda", "put-function-event-invoke-config", "--function-name", name,
            "--maximum-retry-attempts", "0", "--destination-config", dest)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["MaximumRetryAttempts"] == 0
    r = aws(server, "lambda", "update-function-event-invoke-config", "--function-name", name,
            "--maximum-event-age-in-seconds", "600")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["MaximumEventAgeInSeconds"] == 600 and out["MaximumRetryAttempts"] == 0
    r = aws(server, "lambda", "get-function-event-invoke-config", "--function-name", name)
    assert json.loads(r.stdout)["DestinationConfig"]["OnSuccess"]["Destination"] == queue_arn(qname)
    r = aws(server, "lambda", "list-function-event-invoke-configs", "--function-name", name)
    assert len(json.loads(r.stdout)["FunctionEventInvokeConfigs"]) == 1
    r = aws(server, "lambda", "delete-function-event-invoke-config", "--function-name", name)
    assert r.returncode == 0, r.stderr
    r = aws(server, "lambda", "get-function-event-invoke-config", "--function-name", name)
    assert r.returncode != 0 and "ResourceNotFoundException" in r.stderr


def test_dead_letter_config_on_the_function(lam, sqs, examples):
    name = unique("dlq-cfg")
    qname, _ = new_queue(sqs, "dlq-cfg")
    create_function(lam, name, "echo", DeadLetterConfig={"TargetArn": queue_arn(qname)})
    cfg = lam.get_function_configuration(FunctionName=name)
    assert cfg["DeadLetterConfig"] == {"TargetArn": queue_arn(qname)}
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.update_function_configuration(
            FunctionName=name,
            DeadLetterConfig={"TargetArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:t.fifo"})
    assert "FIFO" in e.value.response["Error"]["Message"]
    # A standard SNS topic is a dead-letter target (test_sns.py delivers through one).
    lam.update_function_configuration(
        FunctionName=name, DeadLetterConfig={"TargetArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:t"})
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    lam.update_function_configuration(FunctionName=name, DeadLetterConfig={"TargetArn": ""})
    assert "DeadLetterConfig" not in lam.get_function_configuration(FunctionName=name)


def attempts_table(server, name, rid):
    """`thaw invocations NAME`: the ATTEMPT column of the rows of request `rid`, oldest first."""
    out = subprocess.run([str(THAW_BIN), "--endpoint", server.url, "invocations", name],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    at = lines[0].index("ATTEMPT")
    rows = [line[at:].split("  ")[0].strip() for line in lines[1:] if rid in line]
    return list(reversed(rows))  # the table is newest first


def test_failures_are_retried_then_go_to_on_failure_and_the_dlq(server, lam, sqs, examples):
    name = unique("fails")
    fail_q, fail_url = new_queue(sqs, "on-failure")
    dlq, dlq_url = new_queue(sqs, "dlq")
    create_function(lam, name, "error", DeadLetterConfig={"TargetArn": queue_arn(dlq)})
    lam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnFailure": {"Destination": queue_arn(fail_q)}})
    started = time.monotonic()
    resp = lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 1}')
    assert resp["StatusCode"] == 202
    rid = request_id(resp)

    msg = receive_one(sqs, fail_url)
    elapsed = time.monotonic() - started
    # Two retries, after 60 s and 120 s scaled by 0.01.
    assert elapsed >= 1.8, elapsed
    record = json.loads(msg["Body"])
    assert set(record) == {"version", "timestamp", "requestContext", "requestPayload",
                           "responseContext", "responsePayload"}
    assert record["version"] == "1.0"
    assert record["timestamp"].endswith("Z")
    assert record["requestContext"] == {
        "requestId": rid, "functionArn": function_arn(name) + ":$LATEST",
        "condition": "RetriesExhausted", "approximateInvokeCount": 3}
    assert record["requestPayload"] == {"n": 1}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST",
                                         "functionError": "Unhandled"}
    assert record["responsePayload"]["errorMessage"] == "something went wrong!"

    dead = receive_one(sqs, dlq_url)
    assert dead["Body"] == '{"n": 1}'
    attrs = dead["MessageAttributes"]
    assert attrs["RequestID"] == {"StringValue": rid, "DataType": "String"}
    assert attrs["ErrorCode"] == {"StringValue": "200", "DataType": "Number"}
    assert attrs["ErrorMessage"] == {"StringValue": "something went wrong!", "DataType": "String"}

    # Every attempt is its own record, numbered, with the wait before it (0.6 s, then 1.2 s).
    rows = wait_for(lambda: (lambda r: r if len(r) == 3 else None)(
        attempts_table(server, name, rid)), timeout=10, what="three attempt records")
    assert rows[0] == "1", rows
    waits = [int(re.fullmatch(r"(\d) \(\+(-?\d+) ms\)", r).group(2)) for r in rows[1:]]
    assert [r[0] for r in rows[1:]] == ["2", "3"], rows
    assert waits[0] >= 550 and waits[1] >= 1150, rows


def delivery_failures(server, name):
    """(DeadLetterErrors, DestinationDeliveryFailures) of `name`, from /thaw/environments."""
    status, _, body = http_request(server, "GET", "/thaw/environments")
    assert status == 200, body
    body = json.loads(body)
    return (body["deadLetterErrors"].get(name, 0),
            body["destinationDeliveryFailures"].get(name, 0))


def test_sends_to_deleted_queues_are_counted(server, lam, sqs, examples):
    name = unique("lost")
    fail_q, fail_url = new_queue(sqs, "gone-on-failure")
    dlq, dlq_url = new_queue(sqs, "gone-dlq")
    create_function(lam, name, "error", DeadLetterConfig={"TargetArn": queue_arn(dlq)})
    lam.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": queue_arn(fail_q)}})
    sqs.delete_queue(QueueUrl=fail_url)
    sqs.delete_queue(QueueUrl=dlq_url)
    assert delivery_failures(server, name) == (0, 0)
    for n in range(2):
        lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"n": n}))
    wait_for(lambda: delivery_failures(server, name) == (2, 2), timeout=10,
             what="two DeadLetterErrors and two DestinationDeliveryFailures")


def test_success_goes_to_on_success(lam, sqs, examples):
    name = unique("succeeds")
    ok_q, ok_url = new_queue(sqs, "on-success")
    create_function(lam, name, "echo")
    lam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": queue_arn(ok_q)}})
    resp = lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"hello": "world"}')
    record = json.loads(receive_one(sqs, ok_url)["Body"])
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["requestId"] == request_id(resp)
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"hello": "world"}


def test_a_lambda_destination_is_parsed_by_a_go_function(lam, logs, examples):
    source, target = unique("src"), unique("dest-fn")
    create_function(lam, target, "destination")
    create_function(lam, source, "echo")
    lam.put_function_event_invoke_config(
        FunctionName=source, DestinationConfig={"OnSuccess": {"Destination": function_arn(target)}})
    resp = lam.invoke(FunctionName=source, InvocationType="Event", Payload=b'{"k": [1, 2]}')
    text = wait_for_log(logs, target, lambda t: "destination: " in t, timeout=15)
    line = next(l for l in text.splitlines() if l.startswith("destination: "))
    parsed = json.loads(line[len("destination: "):])
    assert parsed["requestContext"]["requestId"] == request_id(resp)
    assert parsed["requestContext"]["condition"] == "Success"
    assert parsed["requestContext"]["functionArn"] == function_arn(source) + ":$LATEST"
    assert parsed["requestPayload"] == {"k": [1, 2]}
    assert parsed["responsePayload"] == {"k": [1, 2]}
    assert parsed["responseContext"]["statusCode"] == 200


def test_event_age_exceeded_goes_to_on_failure(make_thaw_server, examples):
    server = make_thaw_server("--max-event-age", "1", "--retry-delay-scale", SCALE)
    lam, sqs = boto_client("lambda", server), sqs_client(server.url)
    name = unique("aged")
    q, url = new_queue(sqs, "aged")
    create_function(lam, name, "echo")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    lam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnFailure": {"Destination": queue_arn(q)}})
    resp = lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"old": true}')
    record = json.loads(receive_one(sqs, url)["Body"])
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["requestId"] == request_id(resp)
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert record["requestPayload"] == {"old": True}


def test_a_waiting_retry_survives_kill_9(make_thaw_server, examples):
    # 0.05: the retry is due 3 s after the first failure.
    server = make_thaw_server("--retry-delay-scale", "0.05")
    lam, sqs, logs = (boto_client("lambda", server), sqs_client(server.url),
                      boto_client("logs", server))
    name = unique("k9")
    q, url = new_queue(sqs, "k9")
    create_function(lam, name, "error")
    lam.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": queue_arn(q)}})
    rid = request_id(lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}"))
    wait_for_log(logs, name, lambda t: f"REPORT RequestId: {rid}" in t, timeout=10)
    failed = time.time()
    server.kill9()
    server.start()
    lam, sqs, logs = (boto_client("lambda", server), sqs_client(server.url),
                      boto_client("logs", server))
    record = json.loads(receive_one(sqs, url, timeout=20)["Body"])
    assert record["requestContext"]["requestId"] == rid
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    # Retried at the stored time (not at once after the restart) and not started over: two
    # invocations in all. The destination can be sent before the retry's REPORT is written
    # (as in Lambda, the invocation ends when the runtime asks for its next event), so wait.
    text = wait_for_log(logs, name, lambda t: t.count(f"REPORT RequestId: {rid}") >= 2, timeout=10)
    assert text.count(f"REPORT RequestId: {rid}") == 2, text
    from datetime import datetime
    sent = datetime.fromisoformat(record["timestamp"].replace("Z", "+00:00")).timestamp()
    assert sent - failed >= 2.5, sent - failed
