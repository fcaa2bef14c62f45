"""Kinesis Data Streams through boto3 and the AWS CLI v2: streams, records, iterators, resharding,
limits and errors with AWS's codes and texts, the stream_exists waiter, CBOR refusal, durability
across kill -9."""

import base64
import datetime
import hashlib
import itertools
import json
import threading
import time
import urllib.error
import urllib.request

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from conftest import aws, module_server, signed_headers

server = module_server()
REGION = "us-east-1"
_names = itertools.count()
MAX_HASH = 2**128 - 1


def kinesis_client(url, access_key="AKID"):
    return boto3.client("kinesis", endpoint_url=url, region_name=REGION,
                        aws_access_key_id=access_key, aws_secret_access_key="SECRET",
                        config=Config(retries={"max_attempts": 1}, read_timeout=60))


def stream_name(prefix="s"):
    return f"{prefix}-{next(_names)}"


@pytest.fixture(scope="module")
def kin(server):
    return kinesis_client(server.url)


def error_of(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def create(kin, name, shards=1, **extra):
    kin.create_stream(StreamName=name, ShardCount=shards, **extra)
    kin.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    return name


def read_shard(kin, name, shard_id, kind="TRIM_HORIZON", **extra):
    it = kin.get_shard_iterator(StreamName=name, ShardId=shard_id, ShardIteratorType=kind,
                                **extra)["ShardIterator"]
    out = []
    for _ in range(50):
        page = kin.get_records(ShardIterator=it)
        out.extend(page["Records"])
        it = page.get("NextShardIterator")
        if not it or not page["Records"]:
            return out, page
    return out, page


def test_create_describe_list_delete(kin):
    name = create(kin, stream_name("life"), shards=3, Tags={"team": "a"})
    d = kin.describe_stream(StreamName=name)["StreamDescription"]
    assert d["StreamStatus"] == "ACTIVE"
    assert d["StreamARN"] == f"arn:aws:kinesis:us-east-1:000000000000:stream/{name}"
    assert d["RetentionPeriodHours"] == 24
    assert d["HasMoreShards"] is False
    assert [s["ShardId"] for s in d["Shards"]] == [f"shardId-00000000000{i}" for i in range(3)]
    assert d["Shards"][0]["HashKeyRange"] == {
        "StartingHashKey": "0", "EndingHashKey": "113427455640312821154458202477256070484"}
    assert d["Shards"][2]["HashKeyRange"]["EndingHashKey"] == str(MAX_HASH)
    assert d["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert isinstance(d["StreamCreationTimestamp"], datetime.datetime)
    page = kin.describe_stream(StreamName=name, Limit=1,
                               ExclusiveStartShardId="shardId-000000000000")["StreamDescription"]
    assert [s["ShardId"] for s in page["Shards"]] == ["shardId-000000000001"]
    assert page["HasMoreShards"] is True
    summary = kin.describe_stream_summary(StreamARN=d["StreamARN"])["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 3 and summary["ConsumerCount"] == 0
    listed = kin.list_streams()
    assert name in listed["StreamNames"]
    assert any(s["StreamARN"] == d["StreamARN"] and s["StreamStatus"] == "ACTIVE"
               for s in listed["StreamSummaries"])
    assert kin.list_tags_for_stream(StreamName=name)["Tags"] == [{"Key": "team", "Value": "a"}]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kin.create_stream(StreamName=name, ShardCount=1)
    assert error_of(e) == ("ResourceInUseException",
                           f"Stream {name} under account 000000000000 already exists.")
    kin.delete_stream(StreamName=name)
    kin.get_waiter("stream_not_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kin.describe_stream(StreamName=name)
    assert error_of(e) == ("ResourceNotFoundException",
                           f"Stream {name} under account 000000000000 not found.")


def test_status_delay_and_waiter(make_thaw_server):
    slow = make_thaw_server("--kinesis-status-delay-ms", "1500")
    kin = kinesis_client(slow.url)
    name = stream_name("slow")
    kin.create_stream(StreamName=name, ShardCount=1)
    assert kin.describe_stream_summary(
        StreamName=name)["StreamDescriptionSummary"]["StreamStatus"] == "CREATING"
    kin.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    assert kin.describe_stream(StreamName=name)["StreamDescription"]["StreamStatus"] == "ACTIVE"
    kin.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                    NewStartingHashKey=str(2**127))
    assert kin.describe_stream(StreamName=name)["StreamDescription"]["StreamStatus"] == "UPDATING"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kin.split_shard(StreamName=name, ShardToSplit="shardId-000000000001",
                        NewStartingHashKey="10")
    assert error_of(e) == ("ResourceInUseException", f"Stream {name} under account 000000000000 "
                           "not ACTIVE, instead in state UPDATING")
    kin.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    kin.delete_stream(StreamName=name)
    assert kin.describe_stream(StreamName=name)["StreamDescription"]["StreamStatus"] == "DELETING"
    kin.get_waiter("stream_not_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})


def test_on_demand_and_validation(kin):
    name = stream_name("od")
    kin.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    s = kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert s["OpenShardCount"] == 4 and s["StreamModeDetails"]["StreamMode"] == "ON_DEMAND"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kin.update_shard_count(StreamName=name, TargetShardCount=8, ScalingType="UNIFORM_SCALING")
    assert error_of(e) == ("ValidationException", f"Request is invalid. Stream {name} under "
                           "account 000000000000 is in On-Demand mode.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kin.create_stream(StreamName="bad name!", ShardCount=1)
    assert error_of(e)[0] == "ValidationException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kin.describe_stream_summary(StreamARN="arn:aws:kinesis:us-east-1:000000000000:stream/nope")
    assert error_of(e) == ("ResourceNotFoundException",
                           "Stream nope under account 000000000000 not found.")


def test_list_streams_and_shards_paginate(kin):
    names = [create(kin, stream_name("page"), shards=3) for _ in range(3)]
    seen = []
    token = None
    while True:
        page = kin.list_streams(Limit=1, **({"NextToken": token} if token else {}))
        seen += page["StreamNames"]
        token = page.get("NextToken")
        if not page["HasMoreStreams"]:
            break
    assert set(names) <= set(seen) and len(seen) == len(set(seen))
    first = kin.list_shards(StreamName=names[0], MaxResults=2)
    assert [s["ShardId"] for s in first["Shards"]] == ["shardId-000000000000",
                                                        "shardId-000000000001"]
    rest = kin.list_shards(NextToken=first["NextToken"])
    assert [s["ShardId"] for s in rest["Shards"]] == ["shardId-000000000002"]
    assert "NextToken" not in rest
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kin.list_shards(StreamName=names[0], NextToken=first["NextToken"])
    assert error_of(e) == ("InvalidArgumentException",
                           "NextToken and StreamName cannot be provided together.")
    after = kin.list_shards(StreamName=names[0], ExclusiveStartShardId="shardId-000000000001")
    assert [s["ShardId"] for s in after["Shards"]] == ["shardId-000000000002"]
    filtered = kin.list_shards(StreamName=names[0], ShardFilter={
        "Type": "AFTER_SHARD_ID", "ShardId": "shardId-000000000000"})
    assert len(filtered["Shards"]) == 2
    # botocore's paginator sends StreamName with NextToken, which AWS refuses too
    # (boto/botocore#2009): thaw answers as AWS does.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        list(kin.get_paginator("list_shards").paginate(
            StreamName=names[1], PaginationConfig={"PageSize": 1}))
    assert error_of(e)[0] == "InvalidArgumentException"


def test_seed_flow_put_base64_json_and_read_back(kin):
    name = create(kin, stream_name("seed"), shards=2)
    payload = {"order": 42, "items": ["a", "b"]}
    put = kin.put_record(StreamName=name, Data=json.dumps(payload).encode(), PartitionKey="order-42")
    assert len(put["SequenceNumber"]) == 56 and put["SequenceNumber"].isdigit()
    assert "EncryptionType" not in put
    expected_shard = 0 if int(hashlib.md5(b"order-42").hexdigest(), 16) < 2**127 else 1
    assert put["ShardId"] == f"shardId-00000000000{expected_shard}"
    records, page = read_shard(kin, name, put["ShardId"])
    assert len(records) == 1
    r = records[0]
    assert json.loads(r["Data"]) == payload
    assert r["PartitionKey"] == "order-42" and r["SequenceNumber"] == put["SequenceNumber"]
    assert "EncryptionType" not in r
    assert abs(r["ApproximateArrivalTimestamp"].timestamp() - time.time()) < 60
    assert page["MillisBehindLatest"] == 0


def test_routing_ordering_and_explicit_hash_key(kin):
    name = create(kin, stream_name("route"), shards=4)
    seqs = {}
    for i in range(40):
        key = f"pk-{i % 8}"
        r = kin.put_record(StreamName=name, Data=f"{key}:{i}".encode(), PartitionKey=key)
        shard = int(hashlib.md5(key.encode()).hexdigest(), 16) // (2**128 // 4)
        assert r["ShardId"] == f"shardId-{shard:012d}"
        assert r["SequenceNumber"] > seqs.get(r["ShardId"], "")
        seqs[r["ShardId"]] = r["SequenceNumber"]
    r = kin.put_record(StreamName=name, Data=b"x", PartitionKey="any", ExplicitHashKey=str(MAX_HASH))
    assert r["ShardId"] == "shardId-000000000003"
    ordered = kin.put_record(StreamName=name, Data=b"y", PartitionKey="any",
                             ExplicitHashKey=str(MAX_HASH),
                             SequenceNumberForOrdering=r["SequenceNumber"])
    assert int(ordered["SequenceNumber"]) > int(r["SequenceNumber"])
    for bad in (str(2**128), "-1", "abc"):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            kin.put_record(StreamName=name, Data=b"x", PartitionKey="k", ExplicitHashKey=bad)
        assert error_of(e) == ("InvalidArgumentException", "Invalid ExplicitHashKey. "
                               "ExplicitHashKey must be in the range: [0, 2^128-1]. Specified "
                               f"value was {bad}")
    # Per shard, in put order.
    for shard in range(4):
        records, _ = read_shard(kin, name, f"shardId-{shard:012d}")
        for key in {r["PartitionKey"] for r in records}:
            nums = [int(r["Data"].decode().split(":")[1]) for r in records
                    if r["PartitionKey"] == key and b":" in r["Data"]]
            assert nums == sorted(nums)


def test_put_records_and_limits(kin):
    name = create(kin, stream_name("batch"), shards=2)
    out = kin.put_records(StreamName=name, Records=[
        {"Data": f"r{i}".encode(), "PartitionKey": f"k{i}"} for i in range(10)])
    assert out["FailedRecordCount"] == 0 and len(out["Records"]) == 10
    assert all(r["ShardId"].startswith("shardId-") for r in out["Records"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kin.put_records(StreamName=name, Records=[{"Data": b"x", "PartitionKey": "k"}] * 501)
    assert error_of(e) == ("ValidationException", "1 validation error detected: Value '501' at "
                           "'records' failed to satisfy constraint: Member must have length "
                           "less than or equal to 500")
    mib = b"x" * (1 << 20)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kin.put_record(StreamName=name, Data=mib, PartitionKey="k")
    assert error_of(e) == ("ValidationException", "1 validation error detected: Value at 'data' "
                           "failed to satisfy constraint: Member must have length less than or "
                           "equal to 1048576")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kin.put_records(StreamName=name, Records=[{"Data": mib[:-10], "PartitionKey": "k"}] * 11)
    assert error_of(e) == ("InvalidArgumentException", "Records size exceeds 10 MB limit")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kin.put_record(StreamName=name, Data=b"x", PartitionKey="k" * 257)
    assert error_of(e)[0] == "ValidationException"
    # Bigger records once the stream allows them.
    kin.update_max_record_size(StreamARN=kin.describe_stream_summary(StreamName=name)[
        "StreamDescriptionSummary"]["StreamARN"], MaxRecordSizeInKiB=2048)
    big = kin.put_record(StreamName=name, Data=mib, PartitionKey="k")
    records, _ = read_shard(kin, name, big["ShardId"], "AT_SEQUENCE_NUMBER",
                            StartingSequenceNumber=big["SequenceNumber"])
    assert records[0]["Data"] == mib
    big_stream = create(kin, stream_name("big"), MaxRecordSizeInKiB=10240)
    kin.put_record(StreamName=big_stream, Data=b"y" * (5 << 20), PartitionKey="k")


def test_put_records_reports_throttled_records(make_thaw_server):
    srv = make_thaw_server("--kinesis-enforce-limits")
    kin = kinesis_client(srv.url)
    name = create(kin, stream_name("throttle"))
    failed = 0
    results = []
    for _ in range(3):
        out = kin.put_records(StreamName=name, Records=[
            {"Data": b"x", "PartitionKey": f"k{i}"} for i in range(500)])
        failed += out["FailedRecordCount"]
        results += out["Records"]
    assert failed >= 500
    bad = [r for r in results if "ErrorCode" in r]
    assert bad[0]["ErrorCode"] == "ProvisionedThroughputExceededException"
    assert bad[0]["ErrorMessage"] == (f"Rate exceeded for shard shardId-000000000000 in stream "
                                      f"{name} under account 000000000000.")
    assert all("SequenceNumber" not in r for r in bad)
    it = kin.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                ShardIteratorType="LATEST")["ShardIterator"]
    # Twelve GetRecords at once: over 5 calls per second per shard.
    clients = [kinesis_client(srv.url) for _ in range(12)]
    codes = []

    def get(c):
        try:
            c.get_records(ShardIterator=it, Limit=1)
            codes.append("ok")
        except botocore.exceptions.ClientError as e:
            codes.append(e.response["Error"]["Code"])

    threads = [threading.Thread(target=get, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert "ProvisionedThroughputExceededException" in codes, codes


def test_iterator_types(kin):
    name = create(kin, stream_name("iter"))
    shard = "shardId-000000000000"
    seqs = [kin.put_record(StreamName=name, Data=str(i).encode(), PartitionKey="k")[
        "SequenceNumber"] for i in range(5)]
    latest = kin.get_shard_iterator(StreamName=name, ShardId=shard,
                                    ShardIteratorType="LATEST")["ShardIterator"]
    middle = time.time()
    time.sleep(0.05)
    seqs.append(kin.put_record(StreamName=name, Data=b"5", PartitionKey="k")["SequenceNumber"])

    def data(records):
        return [r["Data"].decode() for r in records]

    assert data(kin.get_records(ShardIterator=latest)["Records"]) == ["5"]
    assert data(read_shard(kin, name, shard)[0]) == ["0", "1", "2", "3", "4", "5"]
    assert data(read_shard(kin, name, shard, "AT_SEQUENCE_NUMBER",
                           StartingSequenceNumber=seqs[2])[0]) == ["2", "3", "4", "5"]
    assert data(read_shard(kin, name, shard, "AFTER_SEQUENCE_NUMBER",
                           StartingSequenceNumber=seqs[2])[0]) == ["3", "4", "5"]
    assert data(read_shard(kin, name, shard, "AT_TIMESTAMP", Timestamp=middle)[0]) == ["5"]
    page = kin.get_records(ShardIterator=kin.get_shard_iterator(
        StreamName=name, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"], Limit=2)
    assert data(page["Records"]) == ["0", "1"] and page["MillisBehindLatest"] >= 0
    assert data(kin.get_records(ShardIterator=page["NextShardIterator"], Limit=2)["Records"]) == [
        "2", "3"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kin.get_shard_iterator(StreamName=name, ShardId=shard,
                               ShardIteratorType="AT_SEQUENCE_NUMBER")
    assert error_of(e)[0] == "InvalidArgumentException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kin.get_shard_iterator(StreamName=name, ShardId="shardId-000000000009",
                               ShardIteratorType="LATEST")
    assert error_of(e) == ("ResourceNotFoundException", f"Shard shardId-000000000009 in stream "
                           f"{name} under account 000000000000 does not exist")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kin.get_records(ShardIterator=latest, Limit=10001)
    assert error_of(e)[0] == "ValidationException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kin.get_records(ShardIterator="bm90IGFuIGl0ZXJhdG9y")
    assert error_of(e)[0] == "InvalidArgumentException"


def test_split_merge_update_and_child_shards(kin):
    name = create(kin, stream_name("reshard"), shards=2)
    kin.put_record(StreamName=name, Data=b"before", PartitionKey="k", ExplicitHashKey="5")
    kin.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                    NewStartingHashKey=str(2**126))
    kin.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    shards = {s["ShardId"]: s for s in kin.list_shards(StreamName=name)["Shards"]}
    assert "EndingSequenceNumber" in shards["shardId-000000000000"]["SequenceNumberRange"]
    assert shards["shardId-000000000002"]["ParentShardId"] == "shardId-000000000000"
    assert shards["shardId-000000000002"]["HashKeyRange"] == {
        "StartingHashKey": "0", "EndingHashKey": str(2**126 - 1)}
    assert shards["shardId-000000000003"]["HashKeyRange"] == {
        "StartingHashKey": str(2**126), "EndingHashKey": str(2**127 - 1)}
    after = kin.put_record(StreamName=name, Data=b"after", PartitionKey="k", ExplicitHashKey="5")
    assert after["ShardId"] == "shardId-000000000002"
    records, page = read_shard(kin, name, "shardId-000000000000")
    assert [r["Data"] for r in records] == [b"before"]
    assert page.get("NextShardIterator") is None
    assert sorted(c["ShardId"] for c in page["ChildShards"]) == ["shardId-000000000002",
                                                                  "shardId-000000000003"]
    assert page["ChildShards"][0]["ParentShards"] == ["shardId-000000000000"]
    # Merge the two children back; then scale 2 -> 4.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kin.merge_shards(StreamName=name, ShardToMerge="shardId-000000000002",
                         AdjacentShardToMerge="shardId-000000000001")
    assert error_of(e)[0] == "InvalidArgumentException"
    kin.merge_shards(StreamName=name, ShardToMerge="shardId-000000000002",
                     AdjacentShardToMerge="shardId-000000000003")
    merged = kin.list_shards(StreamName=name)["Shards"][-1]
    assert merged["ParentShardId"] == "shardId-000000000002"
    assert merged["AdjacentParentShardId"] == "shardId-000000000003"
    assert merged["HashKeyRange"] == {"StartingHashKey": "0", "EndingHashKey": str(2**127 - 1)}
    out = kin.update_shard_count(StreamName=name, TargetShardCount=4,
                                 ScalingType="UNIFORM_SCALING")
    assert out["CurrentShardCount"] == 2 and out["TargetShardCount"] == 4
    open_shards = kin.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert len(open_shards) == 4
    assert [s["HashKeyRange"]["StartingHashKey"] for s in open_shards] == [
        str(i * 2**126) for i in range(4)]
    assert all(s.get("ParentShardId") for s in open_shards)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kin.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                        NewStartingHashKey="10")
    assert error_of(e)[0] == "ResourceInUseException"


def test_retention_and_tags(kin):
    name = create(kin, stream_name("ret"))
    kin.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    assert kin.describe_stream(StreamName=name)["StreamDescription"]["RetentionPeriodHours"] == 48
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kin.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=30)
    assert error_of(e) == ("InvalidArgumentException", f"Requested retention period (30 hours) "
                           f"for stream {name} can not be shorter than existing retention period "
                           "(48 hours). Use DecreaseRetentionPeriod API.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kin.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=23)
    assert error_of(e) == ("InvalidArgumentException", "Minimum allowed retention period is 24 "
                           "hours. Requested retention period (23 hours) is too short.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kin.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=8761)
    assert error_of(e)[0] == "InvalidArgumentException"
    kin.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=24)
    kin.add_tags_to_stream(StreamName=name, Tags={"a": "1", "b": "2", "c": "3"})
    kin.remove_tags_from_stream(StreamName=name, TagKeys=["b"])
    page = kin.list_tags_for_stream(StreamName=name, Limit=1)
    assert page["Tags"] == [{"Key": "a", "Value": "1"}] and page["HasMoreTags"] is True
    rest = kin.list_tags_for_stream(StreamName=name, ExclusiveStartTagKey="a")
    assert rest["Tags"] == [{"Key": "c", "Value": "3"}] and rest["HasMoreTags"] is False
    arn = kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    kin.tag_resource(ResourceARN=arn, Tags={"d": "4"})
    kin.untag_resource(ResourceARN=arn, TagKeys=["a"])
    assert kin.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "c", "Value": "3"}, {"Key": "d", "Value": "4"}]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kin.add_tags_to_stream(StreamName=name, Tags={f"t{i}": "v" for i in range(60)})
    assert error_of(e)[0] == "InvalidArgumentException"


def test_consumers_registry_and_subscribe_refused(kin):
    name = create(kin, stream_name("efo"))
    arn = kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    c = kin.register_stream_consumer(StreamARN=arn, ConsumerName="app")["Consumer"]
    assert c["ConsumerARN"].startswith(arn + "/consumer/app:")
    assert c["ConsumerStatus"] == "ACTIVE"
    d = kin.describe_stream_consumer(ConsumerARN=c["ConsumerARN"])["ConsumerDescription"]
    assert d["StreamARN"] == arn and d["ConsumerName"] == "app"
    assert [x["ConsumerName"] for x in kin.list_stream_consumers(StreamARN=arn)["Consumers"]] == [
        "app"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kin.subscribe_to_shard(ConsumerARN=c["ConsumerARN"], ShardId="shardId-000000000000",
                               StartingPosition={"Type": "LATEST"})
    code, message = error_of(e)
    assert code == "UnsupportedOperationException" and "GetRecords" in message
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kin.delete_stream(StreamName=name)
    assert error_of(e)[0] == "ResourceInUseException"
    kin.deregister_stream_consumer(StreamARN=arn, ConsumerName="app")
    assert kin.list_stream_consumers(StreamARN=arn)["Consumers"] == []
    kin.register_stream_consumer(StreamARN=arn, ConsumerName="again")
    kin.delete_stream(StreamName=name, EnforceConsumerDeletion=True)


def test_cbor_is_refused_with_the_switches(server):
    url = server.url + "/"
    body = b"\xa1\x6aStreamName\x61x"
    headers = signed_headers("POST", url, body, {
        "Content-Type": "application/x-amz-cbor-1.1",
        "X-Amz-Target": "Kinesis_20131202.DescribeStream"}, service="kinesis")
    req = urllib.request.Request(url, data=body, method="POST", headers=headers)
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    answer = json.loads(e.value.read())
    assert e.value.code == 415
    assert "AWS_CBOR_DISABLE=true" in answer["message"]
    assert "-Daws.cborEnabled=false" in answer["message"]
    assert "CBOR_ENABLED=false" in answer["message"]


def test_streams_are_per_account(server):
    one, two = kinesis_client(server.url, "111111111111"), kinesis_client(server.url,
                                                                           "222222222222")
    name = create(one, stream_name("acct"))
    arn = one.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    assert arn == f"arn:aws:kinesis:us-east-1:111111111111:stream/{name}"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        two.put_record(StreamName=name, Data=b"x", PartitionKey="k")
    assert error_of(e) == ("ResourceNotFoundException",
                           f"Stream {name} under account 222222222222 not found.")
    assert name not in two.list_streams()["StreamNames"]


def test_aws_cli(server):
    name = stream_name("cli")
    r = aws(server, "kinesis", "create-stream", "--stream-name", name, "--shard-count", "1")
    assert r.returncode == 0, r.stderr
    r = aws(server, "kinesis", "wait", "stream-exists", "--stream-name", name)
    assert r.returncode == 0, r.stderr
    data = base64.b64encode(json.dumps({"hello": "cli"}).encode()).decode()
    r = aws(server, "kinesis", "put-record", "--stream-name", name, "--partition-key", "p",
            "--data", data)
    assert r.returncode == 0, r.stderr
    seq = json.loads(r.stdout)["SequenceNumber"]
    r = aws(server, "kinesis", "put-record", "--stream-name", name, "--partition-key", "p",
            "--cli-binary-format", "raw-in-base64-out", "--data", "raw text")
    assert r.returncode == 0, r.stderr
    r = aws(server, "kinesis", "get-shard-iterator", "--stream-name", name, "--shard-id",
            "shardId-000000000000", "--shard-iterator-type", "AT_SEQUENCE_NUMBER",
            "--starting-sequence-number", seq)
    assert r.returncode == 0, r.stderr
    it = json.loads(r.stdout)["ShardIterator"]
    r = aws(server, "kinesis", "get-records", "--shard-iterator", it)
    assert r.returncode == 0, r.stderr
    records = json.loads(r.stdout)["Records"]
    assert json.loads(base64.b64decode(records[0]["Data"])) == {"hello": "cli"}
    assert base64.b64decode(records[1]["Data"]) == b"raw text"
    r = aws(server, "kinesis", "list-shards", "--stream-name", name)
    assert json.loads(r.stdout)["Shards"][0]["ShardId"] == "shardId-000000000000"
    r = aws(server, "kinesis", "describe-stream", "--stream-name", "nope-stream")
    assert r.returncode != 0 and "ResourceNotFoundException" in r.stderr


def test_kill9_keeps_every_acknowledged_record_in_order(make_thaw_server):
    srv = make_thaw_server()
    kin = kinesis_client(srv.url)
    name = create(kin, stream_name("crash"), shards=2)
    acked = {}  # shard -> [(seq, data)] in acknowledgement order
    lock = threading.Lock()
    stop = threading.Event()

    def writer(w):
        client = kinesis_client(srv.url)
        i = 0
        while not stop.is_set():
            data = f"w{w}-{i}".encode()
            try:
                if i % 3 == 0:
                    out = client.put_records(StreamName=name, Records=[
                        {"Data": data + b"-b" + str(j).encode(), "PartitionKey": f"w{w}"}
                        for j in range(3)])
                    with lock:
                        for j, r in enumerate(out["Records"]):
                            acked.setdefault(r["ShardId"], []).append(
                                (r["SequenceNumber"], data + b"-b" + str(j).encode()))
                else:
                    out = client.put_record(StreamName=name, Data=data, PartitionKey=f"w{w}")
                    with lock:
                        acked.setdefault(out["ShardId"], []).append((out["SequenceNumber"], data))
            except Exception:  # the server died mid-request: unacknowledged, may or may not be kept
                return
            i += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while sum(len(v) for v in acked.values()) < 200 and time.monotonic() < deadline:
        time.sleep(0.01)
    srv.kill9()
    stop.set()
    for t in threads:
        t.join(10)
    srv.start()
    kin = kinesis_client(srv.url)
    total = 0
    for shard, expected in acked.items():
        records, _ = read_shard(kin, name, shard)
        got = [(r["SequenceNumber"], r["Data"]) for r in records]
        seqs = [s for s, _ in got]
        assert seqs == sorted(seqs), "records come back in sequence order"
        kept = set(got)
        missing = [e for e in expected if e not in kept]
        assert not missing, f"{len(missing)} acknowledged records lost on {shard}"
        total += len(expected)
    assert total >= 200
    # New records continue after the old ones.
    out = kin.put_record(StreamName=name, Data=b"later", PartitionKey="w0")
    assert out["SequenceNumber"] > max(s for s, _ in acked[out["ShardId"]])
