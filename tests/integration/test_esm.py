"""SQS as a Lambda trigger (event source mappings) with real clients: boto3 and /usr/bin/aws
drive the API; the Go function examples/functions/go/sqsconsumer (aws-lambda-go's
events.SQSEvent) logs what it parsed, so the event's exact fields are checked as the SDK sees
them. The server runs with --esm-transition-ms so states settle in 150 ms."""

import base64
import json
import time

import botocore.exceptions
import pytest
from botocore.config import Config

from conftest import aws, boto_client, create_function, module_server
from invoke_util import environments, env_var, http_request, log_messages, unique, wait_for
from sqs_util import md5_attributes, md5_body, sqs_client

TRANSITION = ["--esm-transition-ms", "150"]


server = module_server(*TRANSITION, examples=True)


@pytest.fixture(scope="module")
def lam(server):
    return boto_client("lambda", server)


@pytest.fixture(scope="module")
def logs(server):
    return boto_client("logs", server)


@pytest.fixture(scope="module")
def sqs(server):
    return sqs_client(server.url)


def code_of(excinfo):
    return excinfo.value.response["Error"]["Code"]


def message_of(excinfo):
    return excinfo.value.response["Error"]["Message"]


def consumer(lam, partial=False, timeout=10):
    name = unique("sqsc")
    kwargs = {"Environment": env_var("PARTIAL", "1")} if partial else {}
    create_function(lam, name, "sqsconsumer", Timeout=timeout, **kwargs)
    return name


def queue(sqs, name=None, **attributes):
    name = name or unique("esmq")
    if name.endswith(".fifo"):
        attributes.setdefault("FifoQueue", "true")
    url = sqs.create_queue(QueueName=name,
                           Attributes={k: str(v) for k, v in attributes.items()})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    return url, arn


def wait_state(lam, uuid, state, timeout=5):
    return wait_for(lambda: (lambda m: m if m["State"] == state else None)(
        lam.get_event_source_mapping(UUID=uuid)), timeout, what=f"mapping {state}")


def batches(logs, function, prefix="SQSEVENT "):
    """Every event the function parsed (SQSRAW: received), oldest first, one per invocation."""
    out = []
    for line in log_messages(logs, function):
        if line.startswith(prefix):
            out.append(json.loads(line[len(prefix):]))
    return out


def wait_batches(logs, function, predicate, timeout=8):
    return wait_for(lambda: (lambda b: b if predicate(b) else None)(batches(logs, function)),
                    timeout, interval=0.05, what=f"batches of {function}")


def bodies(batch_list):
    return [r["body"] for b in batch_list for r in b["Records"]]


def queue_counts(sqs, url):
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"])


# ---- API ----

def test_create_get_list_update_delete_states(lam, sqs):
    fn = consumer(lam)
    _, arn = queue(sqs)
    created = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=arn)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    uuid = created["UUID"]
    assert len(uuid) == 36
    assert created["State"] == "Creating"
    assert created["StateTransitionReason"] == "USER_INITIATED"
    assert created["BatchSize"] == 10
    assert created["MaximumBatchingWindowInSeconds"] == 0
    assert created["EventSourceArn"] == arn
    assert created["FunctionArn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{fn}"
    assert created["FunctionResponseTypes"] == []
    assert created["EventSourceMappingArn"].endswith(f":event-source-mapping:{uuid}")
    assert abs(created["LastModified"].timestamp() - time.time()) < 60
    assert "ScalingConfig" not in created and "FilterCriteria" not in created

    # Still Creating: an update is refused until the state settles.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.update_event_source_mapping(UUID=uuid, BatchSize=5)
    assert code_of(e) == "ResourceInUseException"
    wait_state(lam, uuid, "Enabled")

    listed = lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
    assert [m["UUID"] for m in listed] == [uuid]
    listed = lam.list_event_source_mappings(FunctionName=fn)["EventSourceMappings"]
    assert [m["UUID"] for m in listed] == [uuid]

    updated = lam.update_event_source_mapping(
        UUID=uuid, BatchSize=5, FunctionResponseTypes=["ReportBatchItemFailures"],
        ScalingConfig={"MaximumConcurrency": 3},
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"body": ["x"]})}]})
    assert updated["State"] == "Updating"
    assert updated["BatchSize"] == 5
    assert updated["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert updated["ScalingConfig"] == {"MaximumConcurrency": 3}
    assert updated["FilterCriteria"]["Filters"][0]["Pattern"] == json.dumps({"body": ["x"]})
    wait_state(lam, uuid, "Enabled")

    assert lam.update_event_source_mapping(UUID=uuid, Enabled=False)["State"] == "Disabling"
    wait_state(lam, uuid, "Disabled")
    assert lam.update_event_source_mapping(UUID=uuid, Enabled=True)["State"] == "Enabling"
    wait_state(lam, uuid, "Enabled")

    deleted = lam.delete_event_source_mapping(UUID=uuid)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert deleted["State"] == "Deleting"

    def gone():
        try:
            lam.get_event_source_mapping(UUID=uuid)
            return False
        except botocore.exceptions.ClientError as err:
            assert err.response["Error"]["Code"] == "ResourceNotFoundException"
            return True
    wait_for(gone, 5, what="mapping deleted")


def test_list_pagination(lam, sqs):
    fn = consumer(lam)
    uuids = set()
    for _ in range(3):
        _, arn = queue(sqs)
        uuids.add(lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=arn,
                                                  Enabled=False)["UUID"])
    seen, marker = [], None
    while True:
        kwargs = {"FunctionName": fn, "MaxItems": 2}
        if marker:
            kwargs["Marker"] = marker
        page = lam.list_event_source_mappings(**kwargs)
        assert len(page["EventSourceMappings"]) <= 2
        seen += [m["UUID"] for m in page["EventSourceMappings"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert sorted(seen) == sorted(uuids)
    paginator = lam.get_paginator("list_event_source_mappings")
    assert {m["UUID"] for p in paginator.paginate(FunctionName=fn)
            for m in p["EventSourceMappings"]} == uuids


def test_validation(lam, sqs, server):
    fn = consumer(lam)
    _, arn = queue(sqs)
    _, fifo_arn = queue(sqs, unique("esmf") + ".fifo")

    def refused(**kwargs):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            lam.create_event_source_mapping(**kwargs)
        return code_of(e), message_of(e)

    assert refused(FunctionName=fn, EventSourceArn=arn, BatchSize=11) == (
        "InvalidParameterValueException",
        "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
        "greater than 10")
    code, _ = refused(FunctionName=fn, EventSourceArn=fifo_arn, BatchSize=11,
                      MaximumBatchingWindowInSeconds=1)
    assert code == "InvalidParameterValueException"
    code, message = refused(FunctionName=fn, EventSourceArn=arn + "-missing")
    assert code == "InvalidParameterValueException"
    assert "AWS.SimpleQueueService.NonExistentQueue" in message
    assert refused(FunctionName="no-such-fn", EventSourceArn=arn) == (
        "InvalidParameterValueException", "Function does not exist")
    code, message = refused(FunctionName=fn, EventSourceArn=arn, FilterCriteria={
        "Filters": [{"Pattern": "not json"}]})
    assert (code, message) == ("InvalidParameterValueException",
                               "Invalid filter pattern definition.")

    _, short_arn = queue(sqs, VisibilityTimeout=5)
    assert refused(FunctionName=fn, EventSourceArn=short_arn) == (
        "InvalidParameterValueException",
        "Queue visibility timeout: 5 seconds is less than Function timeout: 10 seconds")

    # Ranges the model states; botocore's own checks are off so the server's are seen.
    lam_loose = boto_client_with(server, parameter_validation=False)
    for kwargs, field in [({"BatchSize": 0}, "batchSize"),
                          ({"BatchSize": 10001, "MaximumBatchingWindowInSeconds": 1}, "batchSize"),
                          ({"MaximumBatchingWindowInSeconds": 301}, "maximumBatchingWindowInSeconds"),
                          ({"ScalingConfig": {"MaximumConcurrency": 1}},
                           "scalingConfig.maximumConcurrency")]:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            lam_loose.create_event_source_mapping(FunctionName=fn, EventSourceArn=arn, **kwargs)
        assert code_of(e) == "ValidationException", kwargs
        assert f"at '{field}' failed to satisfy constraint" in message_of(e)

    # Good settings: over 10 with a window on a standard queue.
    m = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=arn, BatchSize=100,
                                        MaximumBatchingWindowInSeconds=1)
    assert m["BatchSize"] == 100
    code, message = refused(FunctionName=fn, EventSourceArn=arn)
    assert code == "ResourceConflictException"
    assert m["UUID"] in message
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.get_event_source_mapping(UUID="6f1c8a4e-0000-4000-8000-000000000000")
    assert code_of(e) == "ResourceNotFoundException"


def boto_client_with(server, **config):
    import boto3
    return boto3.client("lambda", endpoint_url=server.url, region_name="us-east-1",
                        aws_access_key_id="AKID", aws_secret_access_key="SECRET",
                        config=Config(retries={"max_attempts": 1}, **config))


def test_aws_cli_crud(lam, sqs, server):
    fn = consumer(lam)
    _, arn = queue(sqs)

    def cli(*args):
        res = aws(server, "lambda", *args)
        assert res.returncode == 0, res.stderr
        return json.loads(res.stdout) if res.stdout.strip() else {}

    created = cli("create-event-source-mapping", "--function-name", fn, "--event-source-arn",
                  arn, "--batch-size", "4", "--function-response-types",
                  "ReportBatchItemFailures")
    assert created["State"] == "Creating" and created["BatchSize"] == 4
    uuid = created["UUID"]
    wait_for(lambda: cli("get-event-source-mapping", "--uuid", uuid)["State"] == "Enabled", 5)
    listed = cli("list-event-source-mappings", "--event-source-arn", arn)
    assert [m["UUID"] for m in listed["EventSourceMappings"]] == [uuid]
    assert cli("update-event-source-mapping", "--uuid", uuid, "--no-enabled")["State"] == \
        "Disabling"
    wait_for(lambda: cli("get-event-source-mapping", "--uuid", uuid)["State"] == "Disabled", 5)
    assert cli("delete-event-source-mapping", "--uuid", uuid)["State"] == "Deleting"
    res = aws(server, "lambda", "create-event-source-mapping", "--function-name", fn,
              "--event-source-arn", arn, "--batch-size", "20")
    assert res.returncode != 0
    assert "InvalidParameterValueException" in res.stderr


# ---- Delivery ----

def test_event_fields_exact_and_deleted(lam, sqs, logs):
    fn = consumer(lam)
    url, arn = queue(sqs)
    attributes = {"color": {"DataType": "String", "StringValue": "blue"},
                  "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01bin"},
                  "n": {"DataType": "Number.int", "StringValue": "42"}}
    sent = sqs.send_message(QueueUrl=url, MessageBody="hello esm", MessageAttributes=attributes,
                            MessageSystemAttributes={"AWSTraceHeader": {
                                "DataType": "String",
                                "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793;"
                                               "Sampled=1"}})
    plain = sqs.send_message(QueueUrl=url, MessageBody="plain")
    before = int(time.time() * 1000)
    uuid = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=arn)["UUID"]
    got = wait_batches(logs, fn, lambda b: len(bodies(b)) >= 2)
    records = {r["messageId"]: r for b in got for r in b["Records"]}
    r = records[sent["MessageId"]]
    assert r["body"] == "hello esm"
    assert r["eventSource"] == "aws:sqs"
    assert r["eventSourceARN"] == arn
    assert r["awsRegion"] == "us-east-1"
    assert r["md5OfBody"] == md5_body("hello esm")
    assert r["md5OfMessageAttributes"] == md5_attributes(attributes)
    assert r["receiptHandle"]
    a = r["attributes"]
    assert a["ApproximateReceiveCount"] == "1"
    assert a["AWSTraceHeader"].startswith("Root=1-5759e988-bd862e3fe1be46a994272793")
    assert a["SenderId"]
    assert int(a["SentTimestamp"]) <= int(a["ApproximateFirstReceiveTimestamp"])
    assert int(a["ApproximateFirstReceiveTimestamp"]) >= before - 1000
    assert "SequenceNumber" not in a and "MessageGroupId" not in a
    ma = r["messageAttributes"]
    assert ma["color"] == {"stringValue": "blue", "stringListValues": [],
                           "binaryListValues": [], "dataType": "String"}
    assert ma["n"]["stringValue"] == "42" and ma["n"]["dataType"] == "Number.int"
    # aws-lambda-go decodes binaryValue as []byte and marshals it back as base64.
    assert base64.b64decode(ma["blob"]["binaryValue"]) == b"\x00\x01bin"
    p = records[plain["MessageId"]]
    assert p["messageAttributes"] == {}
    assert p["md5OfMessageAttributes"] == ""  # null on the wire; Go's string reads ""
    assert "AWSTraceHeader" not in p["attributes"]
    # On the wire: the record's keys, in Lambda's order, and null without attributes.
    raw = {r["messageId"]: r for b in batches(logs, fn, "SQSRAW ") for r in b["Records"]}
    assert list(raw[plain["MessageId"]]) == [
        "messageId", "receiptHandle", "body", "attributes", "messageAttributes",
        "md5OfMessageAttributes", "md5OfBody", "eventSource", "eventSourceARN", "awsRegion"]
    assert raw[plain["MessageId"]]["md5OfMessageAttributes"] is None
    assert raw[sent["MessageId"]]["messageAttributes"]["blob"] == {
        "binaryValue": base64.b64encode(b"\x00\x01bin").decode(), "stringListValues": [],
        "binaryListValues": [], "dataType": "Binary"}
    # A successful batch is deleted.
    wait_for(lambda: queue_counts(sqs, url) == (0, 0), 5, what="queue empty")
    lam.delete_event_source_mapping(UUID=uuid)


def test_failure_redelivered_then_dlq(lam, sqs, logs):
    fn = consumer(lam, timeout=1)
    dlq_url, dlq_arn = queue(sqs)
    url, arn = queue(sqs, VisibilityTimeout=1, RedrivePolicy=json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}))
    sent = sqs.send_message(QueueUrl=url, MessageBody="fail-always")["MessageId"]
    lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=arn)
    got = wait_batches(logs, fn, lambda b: len(b) >= 2, timeout=10)
    counts = [b["Records"][0]["attributes"]["ApproximateReceiveCount"] for b in got]
    assert counts[:2] == ["1", "2"]

    def in_dlq():
        m = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1,
                                AttributeNames=["All"]).get("Messages", [])
        return m[0] if m else None
    moved = wait_for(in_dlq, 10, what="message in the DLQ")
    assert moved["MessageId"] == sent
    assert moved["Body"] == "fail-always"
    time.sleep(0.5)  # no third delivery: the function saw it exactly maxReceiveCount times
    assert len(batches(logs, fn)) == 2


def test_partial_batch_response(lam, sqs, logs):
    fn = consumer(lam, partial=True, timeout=1)
    url, arn = queue(sqs, VisibilityTimeout=1)
    entries = [{"Id": str(i), "MessageBody": body}
               for i, body in enumerate(["ok-1", "fail-2", "ok-3"])]
    ids = {e["Id"]: m["MessageId"] for e, m in
           zip(entries, sqs.send_message_batch(QueueUrl=url, Entries=entries)["Successful"])}
    assert len(ids) == 3
    lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=arn, BatchSize=10,
                                    MaximumBatchingWindowInSeconds=1,
                                    FunctionResponseTypes=["ReportBatchItemFailures"])
    # The failed one comes back after its visibility timeout, alone.
    got = wait_batches(logs, fn, lambda b: bodies(b).count("fail-2") >= 2, timeout=10)
    assert sorted(bodies(got[:1])) == ["fail-2", "ok-1", "ok-3"]
    assert bodies(got).count("ok-1") == 1 and bodies(got).count("ok-3") == 1


def test_partial_batch_unknown_id_fails_whole_batch(lam, sqs, logs):
    fn = consumer(lam, partial=True, timeout=1)
    url, arn = queue(sqs, VisibilityTimeout=1)
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "ok-a"},
                                                  {"Id": "b", "MessageBody": "bogus-id"}])
    lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=arn,
                                    MaximumBatchingWindowInSeconds=1,
                                    FunctionResponseTypes=["ReportBatchItemFailures"])
    # Nothing is deleted: both come back.
    got = wait_batches(logs, fn, lambda b: bodies(b).count("ok-a") >= 2, timeout=10)
    assert bodies(got).count("bogus-id") >= 2


def test_fifo_group_order(lam, sqs, logs):
    fn = consumer(lam)
    url, arn = queue(sqs, unique("esmf") + ".fifo", ContentBasedDeduplication="true")
    sent = []
    for i in range(6):
        for group in ("g1", "g2"):
            body = f"{group}-{i}"
            sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group)
            sent.append(body)
    lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=arn, BatchSize=3)
    got = wait_batches(logs, fn, lambda b: len(bodies(b)) >= 12)
    seen = bodies(got)
    assert sorted(seen) == sorted(sent)
    for group in ("g1", "g2"):
        assert [b for b in seen if b.startswith(group)] == [f"{group}-{i}" for i in range(6)]
    r = got[0]["Records"][0]["attributes"]
    assert r["MessageGroupId"] in ("g1", "g2")
    assert len(r["SequenceNumber"]) == 20 and r["MessageDeduplicationId"]
    assert max(len(b["Records"]) for b in got) <= 3


def test_batching_window_gathers(lam, sqs, logs):
    fn = consumer(lam)
    url, arn = queue(sqs)
    uuid = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=arn, BatchSize=50,
                                           MaximumBatchingWindowInSeconds=2)["UUID"]
    wait_state(lam, uuid, "Enabled")
    for i in range(4):
        sqs.send_message(QueueUrl=url, MessageBody=f"w{i}")
        time.sleep(0.1)
    got = wait_batches(logs, fn, lambda b: len(bodies(b)) >= 4, timeout=8)
    # Sent over ~0.4 s, inside one 2 s window: one invocation.
    assert len(got) == 1 and sorted(bodies(got)) == ["w0", "w1", "w2", "w3"]


def test_disable_stops_delivery_enable_resumes(lam, sqs, logs):
    fn = consumer(lam)
    url, arn = queue(sqs)
    uuid = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=arn,
                                           Enabled=False)["UUID"]
    assert wait_state(lam, uuid, "Disabled")["State"] == "Disabled"
    sqs.send_message(QueueUrl=url, MessageBody="held")
    time.sleep(1.0)  # a disabled mapping reads nothing: the message stays visible
    assert queue_counts(sqs, url) == (1, 0)
    assert batches(logs, fn) == []
    lam.update_event_source_mapping(UUID=uuid, Enabled=True)
    wait_batches(logs, fn, lambda b: bodies(b) == ["held"])
    wait_for(lambda: queue_counts(sqs, url) == (0, 0), 5, what="queue empty")


def test_update_to_a_function_already_mapped_is_a_conflict(lam, sqs):
    fn, other = consumer(lam), consumer(lam)
    _, arn = queue(sqs)
    first = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=arn)["UUID"]
    second = lam.create_event_source_mapping(FunctionName=other, EventSourceArn=arn)["UUID"]
    wait_state(lam, second, "Enabled")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.update_event_source_mapping(UUID=second, FunctionName=fn)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert code_of(e) == "ResourceConflictException"
    assert first in message_of(e)
    assert lam.get_event_source_mapping(UUID=second)["FunctionArn"].endswith(":" + other)


def test_deleted_function_leaves_messages_until_it_is_back(lam, sqs, logs):
    """AWS keeps the mapping of a deleted function, Enabled, with no LastProcessingResult for
    SQS. thaw reads nothing meanwhile: a message sent then stays visible (not in flight for the
    visibility timeout after a failed invoke) and is delivered once the function is back."""
    fn = consumer(lam)
    url, arn = queue(sqs, VisibilityTimeout=30)
    uuid = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=arn)["UUID"]
    wait_state(lam, uuid, "Enabled")
    lam.delete_function(FunctionName=fn)
    m = lam.get_event_source_mapping(UUID=uuid)
    assert m["State"] == "Enabled" and "LastProcessingResult" not in m
    sqs.send_message(QueueUrl=url, MessageBody="while gone")
    time.sleep(0.5)  # a reader still running would receive it now and leave it in flight
    assert queue_counts(sqs, url) == (1, 0)
    consumer_again = create_function(lam, fn, "sqsconsumer", Timeout=10)
    assert consumer_again["FunctionName"] == fn
    wait_batches(logs, fn, lambda b: bodies(b) == ["while gone"])
    wait_for(lambda: queue_counts(sqs, url) == (0, 0), 5, what="queue empty")


def test_filter_criteria_delivers_matches_and_deletes_the_rest(lam, sqs, logs):
    fn = consumer(lam)
    url, arn = queue(sqs)
    patterns = [{"body": {"kind": ["order"], "qty": [{"numeric": [">", 10]}]}},
                {"body": [{"prefix": "urgent:"}]}]
    lam.create_event_source_mapping(
        FunctionName=fn, EventSourceArn=arn, BatchSize=1,
        FilterCriteria={"Filters": [{"Pattern": json.dumps(p)} for p in patterns]})
    sent = ['{"kind": "order", "qty": 5}', '{"kind": "order", "qty": 11}', "urgent: now",
            "routine", '{"kind": "refund", "qty": 50}', '"urgent: but a JSON string"']
    for body in sent:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    wait_batches(logs, fn, lambda b: len(bodies(b)) >= 2)
    # Messages no filter matches are deleted, not left for another consumer (Lambda's rule).
    wait_for(lambda: queue_counts(sqs, url) == (0, 0), 5, what="queue empty")
    # A JSON string body is parsed, so it is the string the prefix sees.
    assert sorted(bodies(batches(logs, fn))) == sorted(
        ['{"kind": "order", "qty": 11}', "urgent: now", '"urgent: but a JSON string"'])


def test_bad_filter_pattern_is_refused(lam, sqs):
    fn = consumer(lam)
    _, arn = queue(sqs)
    for pattern in ('{"body": []}', '{"body": [{"numeric": ["<", 1, ">", 2]}]}',
                    '{"body": [{"wildcard": "a*"}]}'):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            lam.create_event_source_mapping(
                FunctionName=fn, EventSourceArn=arn,
                FilterCriteria={"Filters": [{"Pattern": pattern}]})
        assert code_of(e) == "InvalidParameterValueException", pattern
        assert message_of(e) == "Invalid filter pattern definition.", pattern


def test_pollers_scale_with_backlog(lam, sqs, logs, server):
    fn = consumer(lam)
    url, arn = queue(sqs)
    for _ in range(4):
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(j), "MessageBody": "sleep:300"} for j in range(10)])
    lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=arn, BatchSize=1,
                                    ScalingConfig={"MaximumConcurrency": 4})
    wait_for(lambda: queue_counts(sqs, url) == (0, 0), 20, interval=0.1, what="backlog drained")

    def records():
        status, _, body = http_request(server, "GET", f"/thaw/invocations?function={fn}&limit=100")
        assert status == 200, body
        found = json.loads(body)["invocations"]
        return found if len(found) >= 40 else None
    found = wait_for(records, 10, what="40 invocation records")
    # Each invocation from its arrival to its answer, as the mapping's pollers see it: more than
    # one ran at once, and never more than MaximumConcurrency. (Environments are no measure: one
    # that has just answered is still busy until its runtime asks for the next event, and a
    # poller's next batch may start another meanwhile, as on Lambda.)
    # startTime is in whole milliseconds: an invocation that starts just after another ends may
    # seem to start before it; 2 ms of slack (each sleeps 300 ms).
    edges = sorted([(r["startTime"] * 1_000_000 + 2_000_000, 1) for r in found] +
                   [(r["startTime"] * 1_000_000 + r["latencyNs"], -1) for r in found],
                   key=lambda e: (e[0], e[1]))
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    assert 1 < peak <= 4, peak


def server_environments(server):
    return [e for e in environments(server) if e["state"] != "dead"]


def test_restart_keeps_mappings(make_thaw_server, examples):
    server = make_thaw_server(*TRANSITION)
    lam = boto_client("lambda", server)
    logs = boto_client("logs", server)
    sqs = sqs_client(server.url)
    fn = consumer(lam)
    url, arn = queue(sqs)
    uuid = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=arn,
                                           BatchSize=7)["UUID"]
    wait_state(lam, uuid, "Enabled")
    server.restart()
    m = lam.get_event_source_mapping(UUID=uuid)
    assert m["State"] == "Enabled" and m["BatchSize"] == 7
    sqs.send_message(QueueUrl=url, MessageBody="after-restart")
    wait_batches(logs, fn, lambda b: "after-restart" in bodies(b))
    # kill -9 while one mapping is Creating and another Deleting: each is settled at start.
    _, arn2 = queue(sqs)
    creating = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=arn2)
    deleting = lam.delete_event_source_mapping(UUID=uuid)
    assert (creating["State"], deleting["State"]) == ("Creating", "Deleting")
    server.kill9()
    server.start()
    assert lam.get_event_source_mapping(UUID=creating["UUID"])["State"] == "Enabled"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.get_event_source_mapping(UUID=uuid)
    assert code_of(e) == "ResourceNotFoundException"
