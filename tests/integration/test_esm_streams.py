"""DynamoDB Streams as a Lambda trigger (stream event source mappings) with real clients: boto3
drives DynamoDB and the mapping API; the Go functions examples/functions/go/ddbconsumer and
streamprobe (aws-lambda-go's events.DynamoDBEvent) log what they parsed, so the event is checked
as the SDK sees it. The server runs with --esm-transition-ms 150 and --retry-delay-scale 0.01
(a failed batch is retried after 10 ms)."""

import json
import time

import pytest

from conftest import boto_client, create_function, module_server
from ddb_util import create_table, ddb_client, table_name
from invoke_util import http_request, log_messages, unique, wait_for
from sqs_util import sqs_client

ARGS = ["--esm-transition-ms", "150", "--retry-delay-scale", "0.01"]

server = module_server(*ARGS, examples=True)


@pytest.fixture(scope="module")
def lam(server):
    return boto_client("lambda", server)


@pytest.fixture(scope="module")
def logs(server):
    return boto_client("logs", server)


@pytest.fixture(scope="module")
def ddb(server):
    return ddb_client(server.url)


@pytest.fixture(scope="module")
def sqs(server):
    return sqs_client(server.url)


def stream_table(ddb, view="NEW_AND_OLD_IMAGES"):
    name = create_table(ddb, table_name("esm"), stream=view)
    return name, ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]


def probe(lam, mode=None, sink=None, sleep_ms=0):
    name = unique("probe")
    variables = {"PROBE_SLEEP_MS": str(sleep_ms)} if sleep_ms else {}
    if mode:
        variables["PROBE_MODE"] = mode
    if sink:
        variables["PROBE_SINK"] = sink
    create_function(lam, name, "streamprobe", Timeout=10,
                    **({"Environment": {"Variables": variables}} if variables else {}))
    return name


def mapping(lam, function, stream_arn, **kwargs):
    kwargs.setdefault("StartingPosition", "TRIM_HORIZON")
    m = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream_arn,
                                        **kwargs)
    return m["UUID"]


def wait_state(lam, uuid, state, timeout=5):
    return wait_for(lambda: (lambda m: m if m["State"] == state else None)(
        lam.get_event_source_mapping(UUID=uuid)), timeout, what=f"mapping {state}")


def batches(logs, function):
    """Every event streamprobe parsed, oldest first, one per invocation."""
    return [json.loads(line[len("STREAMPROBE "):]) for line in log_messages(logs, function)
            if line.startswith("STREAMPROBE ")]


def wait_batches(logs, function, predicate, timeout=10):
    return wait_for(lambda: (lambda b: b if predicate(b) else None)(batches(logs, function)),
                    timeout, interval=0.05, what=f"batches of {function}")


def put(ddb, table, key, **attrs):
    item = {"pk": {"S": key}}
    for k, v in attrs.items():
        item[k] = {"S": str(v)} if not isinstance(v, bool) else {"BOOL": v}
    ddb.put_item(TableName=table, Item=item)


def queue(sqs):
    name = unique("esmdlq")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    return name, url, arn


def receive_all(sqs, url, want, timeout=10):
    got = []

    def more():
        page = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for m in page.get("Messages", []):
            got.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return len(got) >= want

    wait_for(more, timeout, what=f"{want} message(s)")
    return got


def test_stream_mapping_shape(lam, ddb):
    _, arn = stream_table(ddb)
    fn = probe(lam)
    created = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=arn,
                                              StartingPosition="LATEST")
    assert created["State"] == "Creating"
    assert created["StateTransitionReason"] == "User action"
    assert created["BatchSize"] == 100
    assert created["StartingPosition"] == "LATEST"
    assert created["ParallelizationFactor"] == 1
    assert created["MaximumRetryAttempts"] == -1
    assert created["MaximumRecordAgeInSeconds"] == -1
    assert created["BisectBatchOnFunctionError"] is False
    assert created["TumblingWindowInSeconds"] == 0
    assert created["DestinationConfig"] == {"OnFailure": {}}
    assert created["LastProcessingResult"] == "No records processed"
    assert created["FunctionResponseTypes"] == []
    got = wait_state(lam, created["UUID"], "Enabled")
    assert got["EventSourceArn"] == arn


@pytest.mark.parametrize("kwargs,code,text", [
    ({"StartingPosition": "AT_TIMESTAMP", "StartingPositionTimestamp": 1},
     "InvalidParameterValueException", "Unsupported starting position for arn type"),
    ({}, "InvalidParameterValueException", "startingPosition"),
    ({"StartingPosition": "LATEST",
      "DestinationConfig": {"OnSuccess": {"Destination": "arn:aws:sqs:us-east-1:000000000000:q"}}},
     "InvalidParameterValueException", "Unsupported DestinationConfig parameter"),
    ({"StartingPosition": "LATEST", "BatchSize": 10001}, "ValidationException", "batchSize"),
    ({"StartingPosition": "LATEST", "ParallelizationFactor": 11}, "ValidationException",
     "parallelizationFactor"),
    ({"StartingPosition": "LATEST", "MaximumRetryAttempts": 10001}, "ValidationException",
     "maximumRetryAttempts"),
    ({"StartingPosition": "LATEST", "MaximumRecordAgeInSeconds": 30},
     "InvalidParameterValueException", "MaximumRecordAgeInSeconds"),
    ({"StartingPosition": "LATEST", "TumblingWindowInSeconds": 901}, "ValidationException",
     "tumblingWindowInSeconds"),
])
def test_stream_mapping_refusals(lam, ddb, kwargs, code, text):
    _, arn = stream_table(ddb)
    fn = probe(lam)
    with pytest.raises(lam.exceptions.ClientError) as e:
        lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=arn, **kwargs)
    assert e.value.response["Error"]["Code"] == code
    assert text in e.value.response["Error"]["Message"]


def test_event_parsed_by_aws_lambda_go(lam, ddb, logs):
    table, arn = stream_table(ddb)
    fn = unique("ddbc")
    create_function(lam, fn, "ddbconsumer")
    uuid = mapping(lam, fn, arn)
    wait_state(lam, uuid, "Enabled")
    key = {"pk": {"S": "a"}}
    ddb.put_item(TableName=table, Item={**key, "n": {"N": "1"}})
    ddb.update_item(TableName=table, Key=key, UpdateExpression="SET n = :v",
                    ExpressionAttributeValues={":v": {"N": "2"}})
    ddb.delete_item(TableName=table, Key=key)

    def seen():
        text = "\n".join(log_messages(logs, fn))
        return text if all(s in text for s in ("INSERT Keys={pk: \"a\"}",
                                                "MODIFY Keys={pk: \"a\"}",
                                                "REMOVE Keys={pk: \"a\"}")) else None
    text = wait_for(seen, 10, what="INSERT, MODIFY, REMOVE in the log")
    assert "NewImage={n: 2, pk: \"a\"}" in text
    m = wait_for(lambda: (lambda m: m if m["LastProcessingResult"] == "OK" else None)(
        lam.get_event_source_mapping(UUID=uuid)), 5)
    assert m["LastProcessingResult"] == "OK"


def test_records_in_order_and_fast(lam, ddb, logs):
    table, arn = stream_table(ddb)
    fn = probe(lam)
    uuid = mapping(lam, fn, arn, BatchSize=10)
    wait_state(lam, uuid, "Enabled")
    put(ddb, table, "warm")
    wait_batches(logs, fn, lambda b: len(b) >= 1)
    keys = [f"k{i:03}" for i in range(60)]
    for k in keys:
        put(ddb, table, k)
    got = wait_batches(logs, fn, lambda b: sum(x["n"] for x in b) >= 61)
    seqs = [s for b in got for s in b["seqs"]]
    assert seqs == sorted(seqs, key=int) and len(set(seqs)) == len(seqs)
    assert [k for b in got for k in b["keys"]] == ["warm"] + keys
    assert all(b["n"] <= 10 for b in got)
    assert got[0]["arn"] == arn
    # Latency: a put is delivered within a fraction of AWS's 250 ms polling.
    start = time.monotonic()
    put(ddb, table, "timed")
    wait_batches(logs, fn, lambda b: any("timed" in x["keys"] for x in b), timeout=5)
    elapsed = time.monotonic() - start
    print(f"put -> function log: {elapsed * 1000:.0f} ms")
    assert elapsed < 2


def test_bisection_isolates_the_poison_record(lam, ddb, logs, sqs, server):
    table, arn = stream_table(ddb)
    fn = probe(lam)
    _, url, dlq = queue(sqs)
    for i in range(8):
        if i == 5:
            put(ddb, table, f"k{i}", poison=True)
        else:
            put(ddb, table, f"k{i}")
    uuid = mapping(lam, fn, arn, BatchSize=8, BisectBatchOnFunctionError=True,
                   MaximumRetryAttempts=0,
                   DestinationConfig={"OnFailure": {"Destination": dlq}})
    [record] = receive_all(sqs, url, 1)
    info = record["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert info["streamArn"] == arn
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    # The OnFailure record may come before the last half's invocation is logged.
    got = wait_batches(logs, fn, lambda b: sorted(
        k for x in b if "k5" not in x["keys"] for k in x["keys"]) == [
            "k0", "k1", "k2", "k3", "k4", "k6", "k7"])
    poisoned = [b for b in got if "k5" in b["keys"]]
    assert poisoned[-1]["keys"] == ["k5"] and poisoned[-1]["seqs"][0] == info["startSequenceNumber"]
    delivered = [k for b in got if "k5" not in b["keys"] for k in b["keys"]]
    assert sorted(delivered) == ["k0", "k1", "k2", "k3", "k4", "k6", "k7"]
    assert got[0]["n"] == 8  # one batch first, then the halves
    stats = mapping_stats(server, uuid)
    shard = stats["Shards"][0]
    assert shard["Bisections"] == 3 and shard["OnFailure"] == 1
    # The invocations, by request id, with their sequence ranges: the poison's alone.
    last = [i for i in shard["Invocations"] if i["Result"] == "FunctionError"][-1]
    assert last["Records"] == 1 and last["FirstSequenceNumber"] == info["startSequenceNumber"]
    assert len(last["RequestId"]) == 36

    def record():
        status, _, body = http_request(server, "GET",
                                       f"/thaw/invocations?requestId={last['RequestId']}")
        found = json.loads(body)["invocations"] if status == 200 else []
        return found or None
    [rec] = wait_for(record, 5, what="the invocation record")
    assert rec["requestId"] == last["RequestId"] and rec["status"] != "success"


def mapping_stats(server, uuid):
    status, _, body = http_request(server, "GET", "/thaw/esm")
    assert status == 200, body
    return next(m for m in json.loads(body)["EventSourceMappings"] if m["UUID"] == uuid)


def test_retries_exhausted_send_the_failure_record(lam, ddb, logs, sqs):
    table, arn = stream_table(ddb)
    fn = probe(lam)
    _, url, dlq = queue(sqs)
    uuid = mapping(lam, fn, arn, BatchSize=1, MaximumRetryAttempts=2,
                   DestinationConfig={"OnFailure": {"Destination": dlq}})
    wait_state(lam, uuid, "Enabled")
    put(ddb, table, "bad", poison=True)
    put(ddb, table, "good")
    [record] = receive_all(sqs, url, 1)
    assert set(record) == {"requestContext", "responseContext", "version", "timestamp",
                           "DDBStreamBatchInfo"}
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["functionArn"].endswith(":function:" + fn)
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST",
                                         "functionError": "Unhandled"}
    info = record["DDBStreamBatchInfo"]
    assert set(info) == {"shardId", "startSequenceNumber", "endSequenceNumber",
                         "approximateArrivalOfFirstRecord", "approximateArrivalOfLastRecord",
                         "batchSize", "streamArn"}
    assert info["shardId"].startswith("shardId-")
    assert info["approximateArrivalOfFirstRecord"].endswith("Z")
    got = wait_batches(logs, fn, lambda b: any("good" in x["keys"] for x in b))
    assert [b["keys"] for b in got] == [["bad"]] * 3 + [["good"]]
    m = lam.get_event_source_mapping(UUID=uuid)
    assert m["LastProcessingResult"] == "OK"


def test_report_batch_item_failures(lam, ddb, logs, sqs):
    table, arn = stream_table(ddb)
    fn = probe(lam, mode="report")
    _, url, dlq = queue(sqs)
    for k in ["a", "b"]:
        put(ddb, table, k)
    put(ddb, table, "c", poison=True)
    put(ddb, table, "d")
    mapping(lam, fn, arn, BatchSize=10, MaximumRetryAttempts=1,
            FunctionResponseTypes=["ReportBatchItemFailures"],
            DestinationConfig={"OnFailure": {"Destination": dlq}})
    [record] = receive_all(sqs, url, 1)
    got = wait_batches(logs, fn, lambda b: len(b) >= 2)
    time.sleep(0.2)
    got = batches(logs, fn)
    # The first attempt, then one retry (MaximumRetryAttempts 1) from the lowest failed record.
    assert [b["keys"] for b in got] == [["a", "b", "c", "d"], ["c", "d"]]
    assert record["DDBStreamBatchInfo"]["batchSize"] == 2
    assert record["DDBStreamBatchInfo"]["startSequenceNumber"] == got[1]["seqs"][0]


def test_malformed_item_failures_fail_the_batch(lam, ddb, logs):
    table, arn = stream_table(ddb)
    fn = probe(lam, mode="malformed")
    put(ddb, table, "a")
    put(ddb, table, "p", poison=True)
    mapping(lam, fn, arn, BatchSize=10, MaximumRetryAttempts=1,
            FunctionResponseTypes=["ReportBatchItemFailures"])
    got = wait_batches(logs, fn, lambda b: len(b) >= 2)
    assert got[0]["keys"] == got[1]["keys"] == ["a", "p"]


def test_filter_criteria_skip_records(lam, ddb, logs, server):
    table, arn = stream_table(ddb)
    fn = probe(lam)
    pattern = json.dumps({"dynamodb": {"NewImage": {"pk": {"S": [{"prefix": "keep"}]}}}})
    uuid = mapping(lam, fn, arn, FilterCriteria={"Filters": [{"Pattern": pattern}]})
    wait_state(lam, uuid, "Enabled")
    for k in ["drop1", "keep1", "drop2", "keep2"]:
        put(ddb, table, k)
    got = wait_batches(logs, fn, lambda b: sum(x["n"] for x in b) >= 2)
    assert [k for b in got for k in b["keys"]] == ["keep1", "keep2"]
    stats = wait_for(lambda: (lambda s: s if s["Shards"][0]["Filtered"] == 2 else None)(
        mapping_stats(server, uuid)), 5)
    assert stats["Shards"][0]["RecordsBehind"] == 0


def test_disable_enable_resumes_after_the_checkpoint(lam, ddb, logs, server):
    table, arn = stream_table(ddb)
    fn = probe(lam)
    uuid = mapping(lam, fn, arn)
    wait_state(lam, uuid, "Enabled")
    for k in ["a", "b", "c"]:
        put(ddb, table, k)
    wait_batches(logs, fn, lambda b: sum(x["n"] for x in b) == 3)
    # The function has logged the records; wait until the poller has its answer too (else the
    # batch is still in flight at the disable, and comes again, as it may).
    wait_for(lambda: mapping_stats(server, uuid)["Shards"][0]["Records"] == 3, 5,
             what="the last batch answered")
    lam.update_event_source_mapping(UUID=uuid, Enabled=False)
    wait_state(lam, uuid, "Disabled")
    for k in ["d", "e", "f"]:
        put(ddb, table, k)
    time.sleep(0.5)
    assert sum(x["n"] for x in batches(logs, fn)) == 3
    lam.update_event_source_mapping(UUID=uuid, Enabled=True)
    wait_state(lam, uuid, "Enabled")
    got = wait_batches(logs, fn, lambda b: sum(x["n"] for x in b) >= 6)
    time.sleep(0.3)
    assert [k for b in batches(logs, fn) for k in b["keys"]] == ["a", "b", "c", "d", "e", "f"]
    assert got


def test_thaw_esm_command(lam, ddb, logs, server):
    import subprocess

    from conftest import THAW_BIN
    table, arn = stream_table(ddb)
    fn = probe(lam)
    uuid = mapping(lam, fn, arn)
    wait_state(lam, uuid, "Enabled")
    put(ddb, table, "x")
    wait_batches(logs, fn, lambda b: len(b) == 1)
    res = subprocess.run([str(THAW_BIN), "esm", "--endpoint", server.url], capture_output=True,
                         text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    print(res.stdout)
    assert uuid in res.stdout and "shardId-" in res.stdout


def test_kill9_loop_loses_nothing(make_thaw_server):
    """Writes while the mapping delivers, kill -9 the server at random moments, restart: every
    record reaches the function, and only the batch in flight at a kill and the one before it
    (whose checkpoint may still have been committing) can come twice. The function sends what
    it got to an SQS queue (durable in the server) before it answers."""
    import random

    srv = make_thaw_server(*ARGS)
    lam, ddb, sqs = boto_client("lambda", srv), ddb_client(srv.url), sqs_client(srv.url)
    table, arn = stream_table(ddb)
    sink_name, sink_url, _ = queue(sqs)
    fn = probe(lam, sink=sink_name, sleep_ms=40)
    batch = 5
    uuid = mapping(lam, fn, arn, BatchSize=batch)
    wait_state(lam, uuid, "Enabled")
    written = []
    rng = random.Random(16)
    kills = 5
    for round_ in range(kills):
        for i in range(20):
            key = f"r{round_}-{i:02}"
            put(ddb, table, key)
            written.append(key)
        time.sleep(rng.uniform(0.0, 0.3))
        srv.kill9()
        srv.start()
        lam, ddb, sqs = boto_client("lambda", srv), ddb_client(srv.url), sqs_client(srv.url)
    got, seen_ids = [], set()

    def drained():
        page = sqs.receive_message(QueueUrl=sink_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for m in page.get("Messages", []):
            if m["MessageId"] not in seen_ids:
                seen_ids.add(m["MessageId"])
                got.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=sink_url, ReceiptHandle=m["ReceiptHandle"])
        keys = {k for b in got for k in b["keys"]}
        return set(written) <= keys

    wait_for(drained, 60, interval=0.01, what="every written record delivered")
    delivered = [k for b in got for k in b["keys"]]
    missing = set(written) - set(delivered)
    assert not missing
    duplicates = len(delivered) - len(set(delivered))
    print(f"{len(written)} records, {len(got)} batches, {duplicates} duplicate deliveries, "
          f"{kills} kills")
    assert duplicates <= kills * 2 * batch, duplicates
    # Per shard, a batch never goes back before the previous one except to redeliver.
    for b in got:
        assert b["seqs"] == sorted(b["seqs"], key=int)


def test_parallelization_keeps_each_items_order(lam, ddb, logs):
    table, arn = stream_table(ddb)
    fn = probe(lam)
    for n in range(3):
        for k in range(8):
            ddb.put_item(TableName=table, Item={"pk": {"S": f"k{k}"}, "n": {"N": str(n)}})
    uuid = mapping(lam, fn, arn, BatchSize=4, ParallelizationFactor=4)
    assert lam.get_event_source_mapping(UUID=uuid)["ParallelizationFactor"] == 4
    got = wait_batches(logs, fn, lambda b: sum(x["n"] for x in b) >= 24)
    # A key's records (INSERT, then MODIFYs) come in order, whatever batch they are in.
    by_key = {}
    for b in got:
        assert b["n"] <= 4
        for key, name in zip(b["keys"], b["names"]):
            by_key.setdefault(key, []).append(name)
    assert by_key == {f"k{k}": ["INSERT", "MODIFY", "MODIFY"] for k in range(8)}


def test_poll_interval_gives_aws_timing(make_thaw_server, examples):
    srv = make_thaw_server(*ARGS, "--poll-interval", "250")
    lam, ddb = boto_client("lambda", srv), ddb_client(srv.url)
    logs_ = boto_client("logs", srv)
    table, arn = stream_table(ddb)
    fn = probe(lam)
    uuid = mapping(lam, fn, arn)
    wait_state(lam, uuid, "Enabled")
    put(ddb, table, "a")
    got = wait_batches(logs_, fn, lambda b: len(b) == 1)
    assert got[0]["keys"] == ["a"]


def test_on_failure_to_an_sns_topic(lam, ddb, sqs, server):
    sns = boto_client("sns", server)
    topic = sns.create_topic(Name=unique("esmfail"))["TopicArn"]
    _, url, queue_arn = queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn,
                  Attributes={"RawMessageDelivery": "true"})
    table, arn = stream_table(ddb)
    fn = probe(lam)
    put(ddb, table, "bad", poison=True)
    mapping(lam, fn, arn, MaximumRetryAttempts=0,
            DestinationConfig={"OnFailure": {"Destination": topic}})
    [record] = receive_all(sqs, url, 1)
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["DDBStreamBatchInfo"]["batchSize"] == 1
    assert record["DDBStreamBatchInfo"]["streamArn"] == arn


def test_tumbling_window_parsed_by_aws_lambda_go(lam, ddb, logs):
    table, arn = stream_table(ddb)
    fn = probe(lam, mode="window")
    uuid = mapping(lam, fn, arn, TumblingWindowInSeconds=2)
    wait_state(lam, uuid, "Enabled")
    for k in ["a", "b", "c"]:
        put(ddb, table, k)

    def windows():
        lines = [json.loads(line[len("STREAMWINDOW "):]) for line in log_messages(logs, fn)
                 if line.startswith("STREAMWINDOW ")]
        keys = [k for w in lines for k in w["keys"]]
        finals = [w for w in lines if w["final"]]
        return lines if keys == ["a", "b", "c"] and finals and finals[-1]["start"] == lines[-1][
            "start"] else None
    got = wait_for(windows, 10, interval=0.1, what="the window's final invoke")
    by_window = {}
    for w in got:
        by_window.setdefault(w["start"], []).append(w)
    for start, invokes in by_window.items():
        # State carries from one invoke to the next; the final one has the window's count.
        assert invokes[0]["state"] in ({}, None)
        count = 0
        for w in invokes:
            assert (w["state"] or {}).get("n", "0") == str(count)
            count += len(w["keys"])
        assert invokes[-1]["final"] and invokes[-1]["end"] > start
