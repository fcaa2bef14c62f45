"""Differential test: the same boto3 script against thaw and against moto's server (Kinesis),
answers compared after normalizing what legitimately differs: timestamps, sequence numbers and
shard iterators (opaque, each server its own encoding), ARNs' accounts.

Where moto differs from AWS's documentation, thaw follows AWS; each such step is listed in
MOTO_DIFFERS with the documentation it follows in kinesis_moto_differs.md, and has its own test
here asserting thaw's answer.
"""

import json

import botocore.exceptions

from test_kinesis import kinesis_client
from test_sqs_moto import moto_url  # noqa: F401  (the moto_server fixture)
from conftest import module_server

server = module_server()

# Steps whose answers differ because moto differs from AWS (kinesis_moto_differs.md).
MOTO_DIFFERS = {"put-explicit-max", "get-records-1", "put-records-6mib",
                "get-records-closed-parent"}


def script(url):
    """Runs the script against one server; returns a list of (step, normalized answer)."""
    kin = kinesis_client(url, access_key="123456789012")
    out = []
    saved = {}

    def step(name, fn):
        try:
            answer = fn()
            answer.pop("ResponseMetadata", None)
        except botocore.exceptions.ClientError as e:
            answer = {"error": e.response["Error"]["Code"]}
        out.append((name, normalize(answer)))
        return answer

    step("create", lambda: kin.create_stream(StreamName="diff", ShardCount=2))
    kin.get_waiter("stream_exists").wait(StreamName="diff", WaiterConfig={"Delay": 1})
    step("create-again", lambda: kin.create_stream(StreamName="diff", ShardCount=1))
    step("describe", lambda: kin.describe_stream(StreamName="diff"))
    step("describe-missing", lambda: kin.describe_stream(StreamName="nope"))
    step("summary-open-shards", lambda: {
        k: kin.describe_stream_summary(StreamName="diff")["StreamDescriptionSummary"][k]
        for k in ("StreamName", "StreamStatus", "OpenShardCount", "RetentionPeriodHours")})
    step("list-streams", lambda: {"StreamNames": kin.list_streams()["StreamNames"]})
    step("list-shards", lambda: kin.list_shards(StreamName="diff"))
    for i, key in enumerate(["a", "partition-1", "user-42", "zz"]):
        saved[i] = step(f"put-{i}", lambda key=key, i=i: kin.put_record(
            StreamName="diff", Data=f"d{i}".encode(), PartitionKey=key))
    step("put-explicit", lambda: kin.put_record(StreamName="diff", Data=b"e", PartitionKey="k",
                                                ExplicitHashKey=str(2**128 - 2)))
    step("put-explicit-max", lambda: kin.put_record(
        StreamName="diff", Data=b"m", PartitionKey="k", ExplicitHashKey=str(2**128 - 1)))
    step("put-bad-hash", lambda: kin.put_record(StreamName="diff", Data=b"e", PartitionKey="k",
                                                ExplicitHashKey=str(2**128)))
    step("put-records", lambda: kin.put_records(StreamName="diff", Records=[
        {"Data": f"b{i}".encode(), "PartitionKey": f"k{i}"} for i in range(5)]))
    step("put-records-too-many", lambda: kin.put_records(
        StreamName="diff", Records=[{"Data": b"x", "PartitionKey": "k"}] * 501))
    step("put-records-too-big", lambda: kin.put_records(
        StreamName="diff", Records=[{"Data": b"x" * 1048570, "PartitionKey": "k"}] * 11))
    kin.create_stream(StreamName="diff-big", ShardCount=1)
    kin.get_waiter("stream_exists").wait(StreamName="diff-big", WaiterConfig={"Delay": 1})
    step("put-records-6mib", lambda: {"FailedRecordCount": kin.put_records(
        StreamName="diff-big",
        Records=[{"Data": b"x" * 1048570, "PartitionKey": "k"}] * 6)["FailedRecordCount"]})
    step("put-missing-stream", lambda: kin.put_record(StreamName="nope", Data=b"x",
                                                      PartitionKey="k"))

    def read(shard, kind="TRIM_HORIZON", **extra):
        it = kin.get_shard_iterator(StreamName="diff", ShardId=shard, ShardIteratorType=kind,
                                    **extra)["ShardIterator"]
        return kin.get_records(ShardIterator=it)

    step("get-records-0", lambda: read("shardId-000000000000"))
    step("get-records-1", lambda: read("shardId-000000000001"))
    step("get-records-after", lambda: read("shardId-000000000000", "AFTER_SEQUENCE_NUMBER",
                                           StartingSequenceNumber=saved[0]["SequenceNumber"]))
    step("get-records-latest", lambda: read("shardId-000000000000", "LATEST"))
    step("iterator-missing-shard", lambda: kin.get_shard_iterator(
        StreamName="diff", ShardId="shardId-000000000007", ShardIteratorType="LATEST"))
    step("retention-up", lambda: kin.increase_stream_retention_period(
        StreamName="diff", RetentionPeriodHours=48))
    step("retention-up-shorter", lambda: kin.increase_stream_retention_period(
        StreamName="diff", RetentionPeriodHours=30))
    step("retention-down-too-short", lambda: kin.decrease_stream_retention_period(
        StreamName="diff", RetentionPeriodHours=10))
    step("tags-add", lambda: kin.add_tags_to_stream(StreamName="diff", Tags={"a": "1", "b": "2"}))
    step("tags-remove", lambda: kin.remove_tags_from_stream(StreamName="diff", TagKeys=["a"]))
    step("tags-list", lambda: kin.list_tags_for_stream(StreamName="diff"))
    step("split", lambda: kin.split_shard(StreamName="diff", ShardToSplit="shardId-000000000000",
                                          NewStartingHashKey=str(2**126)))
    kin.get_waiter("stream_exists").wait(StreamName="diff", WaiterConfig={"Delay": 1})
    step("list-shards-after-split", lambda: kin.list_shards(StreamName="diff"))
    step("get-records-closed-parent", lambda: read("shardId-000000000000"))
    step("merge", lambda: kin.merge_shards(StreamName="diff", ShardToMerge="shardId-000000000002",
                                           AdjacentShardToMerge="shardId-000000000003"))
    kin.get_waiter("stream_exists").wait(StreamName="diff", WaiterConfig={"Delay": 1})
    step("list-shards-after-merge", lambda: kin.list_shards(StreamName="diff"))
    step("consumer-register", lambda: {"ConsumerName": kin.register_stream_consumer(
        StreamARN=arn_of(kin), ConsumerName="c")["Consumer"]["ConsumerName"]})
    step("consumer-list", lambda: {"names": [c["ConsumerName"] for c in kin.list_stream_consumers(
        StreamARN=arn_of(kin))["Consumers"]]})
    step("consumer-deregister", lambda: kin.deregister_stream_consumer(
        StreamARN=arn_of(kin), ConsumerName="c"))
    step("delete", lambda: kin.delete_stream(StreamName="diff"))
    return out


def arn_of(kin):
    return kin.describe_stream_summary(StreamName="diff")["StreamDescriptionSummary"]["StreamARN"]


OPAQUE = {"SequenceNumber", "StartingSequenceNumber", "EndingSequenceNumber", "ShardIterator",
          "NextShardIterator"}
TIMES = {"StreamCreationTimestamp", "ApproximateArrivalTimestamp"}
# Members one server adds that AWS documents as optional, or that depend on timing.
DROPPED = {"EncryptionType", "EnhancedMonitoring", "StreamModeDetails", "KeyId",
           "MillisBehindLatest", "HasMoreShards", "NextToken", "StreamARN"}


def normalize(answer):
    """Replaces what legitimately differs between two servers by placeholders."""
    if isinstance(answer, dict):
        out = {}
        for k, v in answer.items():
            if k in DROPPED:
                continue
            if k in OPAQUE:
                out[k] = None if v is None else "<opaque>"
            elif k in TIMES:
                out[k] = "<time>"
            elif k == "Data":
                out[k] = v.decode(errors="replace") if isinstance(v, bytes) else v
            else:
                out[k] = normalize(v)
        return out
    if isinstance(answer, list):
        return [normalize(v) for v in answer]
    return answer


def test_same_answers_as_moto(server, moto_url):  # noqa: F811
    ours = script(server.url)
    theirs = script(moto_url)
    assert [s for s, _ in ours] == [s for s, _ in theirs]
    differ = []
    for (step, a), (_, b) in zip(ours, theirs):
        if step in MOTO_DIFFERS:
            continue
        if a != b:
            differ.append(f"{step}:\n  thaw: {json.dumps(a, sort_keys=True)}\n"
                          f"  moto: {json.dumps(b, sort_keys=True)}")
    assert not differ, "\n".join(differ)


def test_put_records_up_to_10_mib(server):
    """put-records-6mib: AWS's limit is 10 MiB per PutRecords (moto refuses over 5 MiB)."""
    kin = kinesis_client(server.url)
    kin.create_stream(StreamName="big-batch", ShardCount=1)
    kin.get_waiter("stream_exists").wait(StreamName="big-batch", WaiterConfig={"Delay": 1})
    out = kin.put_records(StreamName="big-batch",
                          Records=[{"Data": b"x" * 1048570, "PartitionKey": "k"}] * 6)
    assert out["FailedRecordCount"] == 0
    try:
        kin.put_records(StreamName="big-batch",
                        Records=[{"Data": b"x" * 1048570, "PartitionKey": "k"}] * 11)
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "InvalidArgumentException"
        assert e.response["Error"]["Message"] == "Records size exceeds 10 MB limit"
    else:
        raise AssertionError("an 11 MiB PutRecords was accepted")


def test_explicit_hash_key_max_goes_to_the_last_shard(server):
    """put-explicit-max, get-records-1: EndingHashKey is inclusive (moto answers 500)."""
    kin = kinesis_client(server.url)
    kin.create_stream(StreamName="max-key", ShardCount=2)
    kin.get_waiter("stream_exists").wait(StreamName="max-key", WaiterConfig={"Delay": 1})
    last = kin.list_shards(StreamName="max-key")["Shards"][-1]
    assert last["HashKeyRange"]["EndingHashKey"] == str(2**128 - 1)
    out = kin.put_record(StreamName="max-key", Data=b"m", PartitionKey="k",
                         ExplicitHashKey=str(2**128 - 1))
    assert out["ShardId"] == last["ShardId"]


def test_closed_parent_ends_with_child_shards(server):
    """get-records-closed-parent: at the end of a closed shard NextShardIterator is null and
    ChildShards names its children (moto keeps giving an iterator and no ChildShards)."""
    kin = kinesis_client(server.url)
    kin.create_stream(StreamName="parent", ShardCount=1)
    kin.get_waiter("stream_exists").wait(StreamName="parent", WaiterConfig={"Delay": 1})
    kin.split_shard(StreamName="parent", ShardToSplit="shardId-000000000000",
                    NewStartingHashKey=str(2**127))
    it = kin.get_shard_iterator(StreamName="parent", ShardId="shardId-000000000000",
                                ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    page = kin.get_records(ShardIterator=it)
    assert page.get("NextShardIterator") is None
    assert [c["ShardId"] for c in page["ChildShards"]] == ["shardId-000000000001",
                                                           "shardId-000000000002"]
    assert page["ChildShards"][1]["HashKeyRange"] == {"StartingHashKey": str(2**127),
                                                      "EndingHashKey": str(2**128 - 1)}
