"""Kinesis as a Lambda trigger (stream event source mappings on Kinesis streams) with real
clients: boto3 drives Kinesis, SQS and the mapping API; the Go function streamprobe, with
PROBE_SOURCE=kinesis, parses aws-lambda-go's events.KinesisEvent and logs what it got, so the
event is checked as the SDK sees it. (The seed's scenario, with kinesisconsumer and the AWS CLI,
is test_scenario_kinesis.py.) The server runs with --retry-delay-scale 0.01."""

import json
import time

import pytest

from conftest import boto_client, create_function, module_server
from invoke_util import log_messages, unique, wait_for
from sqs_util import sqs_client

server = module_server("--esm-transition-ms", "150", "--retry-delay-scale", "0.01",
                       examples=True)


@pytest.fixture(scope="module")
def lam(server):
    return boto_client("lambda", server)


@pytest.fixture(scope="module")
def logs(server):
    return boto_client("logs", server)


@pytest.fixture(scope="module")
def kin(server):
    return boto_client("kinesis", server)


@pytest.fixture(scope="module")
def sqs(server):
    return sqs_client(server.url)


def stream(kin, shards=1):
    name = unique("kstream")
    kin.create_stream(StreamName=name, ShardCount=shards)
    kin.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    return name, kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
        "StreamARN"]


def probe(lam, mode=None, sink=None, sleep_ms=0):
    name = unique("kprobe")
    variables = {"PROBE_SOURCE": "kinesis"}
    if mode:
        variables["PROBE_MODE"] = mode
    if sink:
        variables["PROBE_SINK"] = sink
    if sleep_ms:
        variables["PROBE_SLEEP_MS"] = str(sleep_ms)
    create_function(lam, name, "streamprobe", Timeout=10,
                    Environment={"Variables": variables})
    return name


def mapping(lam, function, arn, **kwargs):
    kwargs.setdefault("StartingPosition", "TRIM_HORIZON")
    return lam.create_event_source_mapping(FunctionName=function, EventSourceArn=arn,
                                           **kwargs)["UUID"]


def wait_enabled(lam, uuid):
    wait_for(lambda: lam.get_event_source_mapping(UUID=uuid)["State"] == "Enabled", 5,
             what="mapping Enabled")


def batches(logs, function):
    return [json.loads(line[len("STREAMPROBE "):]) for line in log_messages(logs, function)
            if line.startswith("STREAMPROBE ")]


def wait_keys(logs, function, n, timeout=15):
    """The batches once they hold at least n records."""
    return wait_for(lambda: (lambda b: b if sum(x["n"] for x in b) >= n else None)(
        batches(logs, function)), timeout, interval=0.05, what=f"{n} records of {function}")


def put(kin, name, key, **data):
    return kin.put_record(StreamName=name, PartitionKey=key,
                          Data=json.dumps({"key": key, **data}).encode())


def test_records_in_order_with_the_stream_arn(lam, kin, logs):
    name, arn = stream(kin)
    fn = probe(lam)
    sent = [put(kin, name, "same", i=i)["SequenceNumber"] for i in range(5)]
    uuid = mapping(lam, fn, arn, BatchSize=2)
    got = wait_keys(logs, fn, 5)
    assert [b["n"] for b in got] == [2, 2, 1]
    assert [s for b in got for s in b["seqs"]] == sent
    assert {b["arn"] for b in got} == {arn}
    assert {n for b in got for n in b["names"]} == {"aws:kinesis:record"}
    m = lam.get_event_source_mapping(UUID=uuid)
    assert m["StartingPosition"] == "TRIM_HORIZON" and m["BatchSize"] == 2
    assert m["LastProcessingResult"] == "OK"


def test_latest_and_at_timestamp(lam, kin, logs):
    name, arn = stream(kin)
    put(kin, name, "before")
    time.sleep(1.1)
    middle = time.time()
    put(kin, name, "after")
    at = probe(lam)
    mapping(lam, at, arn, StartingPosition="AT_TIMESTAMP", StartingPositionTimestamp=middle)
    got = wait_keys(logs, at, 1)
    assert [k for b in got for k in b["keys"]] == ["after"]
    latest = probe(lam)
    wait_enabled(lam, mapping(lam, latest, arn, StartingPosition="LATEST"))
    put(kin, name, "new")
    got = wait_keys(logs, latest, 1)
    assert [k for b in got for k in b["keys"]] == ["new"]


def test_bisection_sends_the_kinesis_failure_record(lam, kin, logs, sqs):
    name, arn = stream(kin)
    fn = probe(lam)
    url = sqs.create_queue(QueueName=unique("kdlq"))["QueueUrl"]
    dlq = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    seqs = [put(kin, name, f"k{i}", **({"poison": True} if i == 5 else {}))["SequenceNumber"]
            for i in range(8)]
    mapping(lam, fn, arn, BatchSize=8, BisectBatchOnFunctionError=True, MaximumRetryAttempts=0,
            DestinationConfig={"OnFailure": {"Destination": dlq}})

    def received():
        page = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
        return [json.loads(m["Body"]) for m in page.get("Messages", [])] or None
    [record] = wait_for(received, 15, what="the OnFailure record")
    assert set(record) == {"requestContext", "responseContext", "version", "timestamp",
                           "KinesisBatchInfo"}
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    info = record["KinesisBatchInfo"]
    assert info["shardId"] == "shardId-000000000000" and info["streamArn"] == arn
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == seqs[5]
    # Kinesis's arrival times carry milliseconds: 2019-11-14T00:38:04.835Z.
    assert len(info["approximateArrivalOfFirstRecord"]) == 24
    got = wait_for(lambda: (lambda b: b if sorted(
        k for x in b if "k5" not in x["keys"] for k in x["keys"]) == [
            f"k{i}" for i in range(8) if i != 5] else None)(batches(logs, fn)), 15,
        what="the other seven records")
    assert got[0]["n"] == 8


def test_split_children_are_read_after_their_parent(lam, kin, logs):
    name, arn = stream(kin)
    fn = probe(lam)
    for i in range(3):
        put(kin, name, f"p{i}")
    kin.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                    NewStartingHashKey=str(2 ** 127))
    kin.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    for i in range(6):
        put(kin, name, f"c{i}")
    mapping(lam, fn, arn, BatchSize=1)
    got = wait_keys(logs, fn, 9)
    keys = [k for b in got for k in b["keys"]]
    assert keys[:3] == ["p0", "p1", "p2"], keys
    assert sorted(keys[3:]) == [f"c{i}" for i in range(6)]


def test_update_shard_count_keeps_each_hash_keys_order(lam, kin, logs):
    # 5 -> 3 shards: the middle child's range overlaps three parents, so Kinesis gets there by
    # merges (through shards closed at once) and each shard names at most two parents. A record
    # put after the rescale must reach the function after every record put before it under the
    # same hash key: here the third parent holds a backlog that a reader waiting only for the
    # first two would overtake.
    name, arn = stream(kin, shards=5)
    fn = probe(lam)
    hashes = [str(int(f * 2 ** 128)) for f in (0.1, 0.3, 0.5, 0.625, 0.9)]
    heavy = hashes[3]  # in the fourth parent [0.6, 0.8) and the middle child [1/3, 2/3)
    for i, h in enumerate(hashes):
        kin.put_record(StreamName=name, PartitionKey=f"a{i}", ExplicitHashKey=h, Data=b"{}")
    for j in range(15):
        kin.put_record(StreamName=name, PartitionKey=f"a3-{j}", ExplicitHashKey=heavy, Data=b"{}")
    kin.update_shard_count(StreamName=name, TargetShardCount=3, ScalingType="UNIFORM_SCALING")
    kin.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    shards = kin.list_shards(StreamName=name)["Shards"]
    assert len([s for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"]]) == 3
    for i, h in enumerate(hashes):
        kin.put_record(StreamName=name, PartitionKey=f"b{i}", ExplicitHashKey=h, Data=b"{}")
    mapping(lam, fn, arn, BatchSize=1)
    got = wait_keys(logs, fn, 25, timeout=30)
    keys = [k for b in got for k in b["keys"]]
    assert len(keys) == 25 and len(set(keys)) == 25, keys
    for i in range(5):
        assert keys.index(f"a{i}") < keys.index(f"b{i}"), keys
    assert max(keys.index(f"a3-{j}") for j in range(15)) < keys.index("b3"), keys


def test_a_missing_stream_is_refused(lam):
    fn = unique("kmissing")
    create_function(lam, fn, "noop")
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        mapping(lam, fn, "arn:aws:kinesis:us-east-1:000000000000:stream/nope")
    assert "Cannot access stream arn:aws:kinesis:us-east-1:000000000000:stream/nope" in str(e.value)


def test_kill9_loop_loses_nothing(make_thaw_server):
    """Records flow into two shards while the mapping delivers them; kill -9 the server at random
    moments and restart it: every record reaches the function, and what comes twice is bounded:
    per kill and shard, the batch in flight and the one before it (whose checkpoint may still
    have been committing). The function sends what it got to an SQS queue (durable in the
    server) before it answers."""
    import random

    srv = make_thaw_server("--esm-transition-ms", "150", "--retry-delay-scale", "0.01")
    lam, kin, sqs = (boto_client("lambda", srv), boto_client("kinesis", srv),
                     sqs_client(srv.url))
    shards = 2
    name, arn = stream(kin, shards)
    sink_name = unique("ksink")
    sink_url = sqs.create_queue(QueueName=sink_name)["QueueUrl"]
    fn = probe(lam, sink=sink_name, sleep_ms=40)
    batch = 5
    wait_enabled(lam, mapping(lam, fn, arn, BatchSize=batch))
    written = []
    rng = random.Random(16)
    kills = 5
    for round_ in range(kills):
        # A backlog of about six batches a shard, so a kill finds batches in flight.
        keys = [f"r{round_}-{i:02}" for i in range(60)]
        for start in range(0, len(keys), 20):
            r = kin.put_records(StreamName=name, Records=[
                {"PartitionKey": k, "Data": json.dumps({"key": k}).encode()}
                for k in keys[start:start + 20]])
            assert r["FailedRecordCount"] == 0
            time.sleep(0.02)
        written += keys
        time.sleep(rng.uniform(0.0, 0.3))
        srv.kill9()
        srv.start()
        lam, kin, sqs = (boto_client("lambda", srv), boto_client("kinesis", srv),
                         sqs_client(srv.url))
    got, seen_ids = [], set()

    def drained():
        page = sqs.receive_message(QueueUrl=sink_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for m in page.get("Messages", []):
            if m["MessageId"] not in seen_ids:
                seen_ids.add(m["MessageId"])
                got.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=sink_url, ReceiptHandle=m["ReceiptHandle"])
        return set(written) <= {k for b in got for k in b["keys"]}

    wait_for(drained, 60, interval=0.01, what="every written record delivered")
    delivered = [k for b in got for k in b["keys"]]
    assert not set(written) - set(delivered)
    duplicates = len(delivered) - len(set(delivered))
    print(f"{len(written)} records, {len(got)} batches, {duplicates} duplicate deliveries, "
          f"{kills} kills")
    assert duplicates <= kills * shards * 2 * batch, duplicates
    # Within a batch (one shard's), records come in sequence order.
    for b in got:
        assert b["seqs"] == sorted(b["seqs"], key=int)
