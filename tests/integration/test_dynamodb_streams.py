"""DynamoDB Streams through boto3: the records of inserts, modifies and removes, view types,
shard iterators, shard rollover, disabling and re-enabling, TTL deletions, and a kill -9 loop
that proves an item change and its stream record are committed together."""

import random
import threading
import time

import botocore.exceptions
import pytest

from conftest import module_server
from ddb_util import create_table, ddb_client, stream_records, table_name
from invoke_util import wait_for

server = module_server("--dynamodb-shard-rollover-ms", "600000")


@pytest.fixture(scope="module")
def ddb(server):
    return ddb_client(server.url)


@pytest.fixture(scope="module")
def streams(server):
    return ddb_client(server.url, "dynamodbstreams")


def stream_of(ddb, name):
    return ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]


def test_insert_modify_remove(ddb, streams):
    name = create_table(ddb, table_name("seed"), hash_key=("Id", "N"), stream="NEW_AND_OLD_IMAGES")
    key = {"Id": {"N": "101"}}
    ddb.put_item(TableName=name, Item={**key, "Message": {"S": "New item!"}})
    ddb.put_item(TableName=name, Item={**key, "Message": {"S": "New item!"}})  # no change
    ddb.update_item(TableName=name, Key=key, UpdateExpression="SET Message = :m",
                    ExpressionAttributeValues={":m": {"S": "This item has changed"}})
    ddb.delete_item(TableName=name, Key=key)
    ddb.delete_item(TableName=name, Key=key)  # nothing to delete: no record
    arn = stream_of(ddb, name)
    assert arn.startswith(f"arn:aws:dynamodb:us-east-1:000000000000:table/{name}/stream/")
    records = stream_records(streams, arn)
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    insert, modify, remove = (r["dynamodb"] for r in records)
    assert insert["Keys"] == key and "OldImage" not in insert
    assert insert["NewImage"] == {**key, "Message": {"S": "New item!"}}
    assert modify["OldImage"]["Message"] == {"S": "New item!"}
    assert modify["NewImage"]["Message"] == {"S": "This item has changed"}
    assert "NewImage" not in remove and remove["OldImage"]["Message"]["S"] == "This item has changed"
    sequence = [r["dynamodb"]["SequenceNumber"] for r in records]
    assert all(len(s) >= 21 and s.isdigit() for s in sequence)
    assert [int(s) for s in sequence] == sorted(int(s) for s in sequence)
    for r in records:
        assert r["eventVersion"] == "1.1" and r["eventSource"] == "aws:dynamodb"
        assert r["awsRegion"] == "us-east-1" and len(r["eventID"]) > 0
        assert r["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert r["dynamodb"]["SizeBytes"] > 0
    listed = streams.list_streams(TableName=name)["Streams"]
    assert listed == [{"StreamArn": arn, "TableName": name, "StreamLabel": arn.split("/")[-1]}]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    assert len(shard["ShardId"]) >= 28 and "ParentShardId" not in shard


@pytest.mark.parametrize("view", ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE"])
def test_view_types(ddb, streams, view):
    name = create_table(ddb, table_name("view"), stream=view)
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"N": "2"}})
    records = [r["dynamodb"] for r in stream_records(streams, stream_of(ddb, name))]
    assert len(records) == 2
    for r in records:
        assert r["Keys"] == {"pk": {"S": "a"}} and r["StreamViewType"] == view
    assert ("NewImage" in records[1]) == (view == "NEW_IMAGE")
    assert ("OldImage" in records[1]) == (view == "OLD_IMAGE")
    assert "OldImage" not in records[0]


def test_iterator_types(ddb, streams):
    name = create_table(ddb, table_name("iter"), stream="KEYS_ONLY")
    for i in range(3):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"k{i}"}})
    arn = stream_of(ddb, name)
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    records = stream_records(streams, arn)
    second = records[1]["dynamodb"]["SequenceNumber"]

    def read(kind, **extra):
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType=kind,
                                        **extra)["ShardIterator"]
        page = streams.get_records(ShardIterator=it, Limit=10)
        return [r["dynamodb"]["Keys"]["pk"]["S"] for r in page["Records"]], page

    assert read("AT_SEQUENCE_NUMBER", SequenceNumber=second)[0] == ["k1", "k2"]
    assert read("AFTER_SEQUENCE_NUMBER", SequenceNumber=second)[0] == ["k2"]
    latest, page = read("LATEST")
    assert latest == [] and page["NextShardIterator"]
    ddb.put_item(TableName=name, Item={"pk": {"S": "k3"}})
    after = streams.get_records(ShardIterator=page["NextShardIterator"])
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in after["Records"]] == ["k3"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    one = streams.get_records(ShardIterator=it, Limit=1)
    assert len(one["Records"]) == 1
    with pytest.raises(botocore.exceptions.ClientError) as e:
        streams.get_shard_iterator(StreamArn=arn, ShardId="shardId-00000000000000000000-00000000",
                                   ShardIteratorType="TRIM_HORIZON")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_disable_and_enable_again(ddb, streams):
    name = create_table(ddb, table_name("toggle"), stream="NEW_IMAGE")
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}})
    first = stream_of(ddb, name)
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    description = streams.describe_stream(StreamArn=first)["StreamDescription"]
    assert description["StreamStatus"] == "DISABLED"
    shard = description["Shards"][0]
    assert "EndingSequenceNumber" in shard["SequenceNumberRange"]
    it = streams.get_shard_iterator(StreamArn=first, ShardId=shard["ShardId"],
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    page = streams.get_records(ShardIterator=it)
    assert len(page["Records"]) == 1 and page.get("NextShardIterator") is None
    ddb.put_item(TableName=name, Item={"pk": {"S": "b"}})  # no stream: no record
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    assert e.value.response["Error"]["Code"] == "ValidationException"
    time.sleep(0.002)  # labels have millisecond resolution
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True,
                                                          "StreamViewType": "KEYS_ONLY"})
    second = stream_of(ddb, name)
    assert second != first
    ddb.put_item(TableName=name, Item={"pk": {"S": "c"}})
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in stream_records(streams, second)] == ["c"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in stream_records(streams, first)] == ["a"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True,
                                                              "StreamViewType": "KEYS_ONLY"})
    assert e.value.response["Error"]["Code"] == "ResourceInUseException"


def test_shard_rollover(make_thaw_server):
    fast = make_thaw_server("--dynamodb-shard-rollover-ms", "300")
    ddb, streams = ddb_client(fast.url), ddb_client(fast.url, "dynamodbstreams")
    name = create_table(ddb, table_name("roll"), stream="KEYS_ONLY")
    ddb.put_item(TableName=name, Item={"pk": {"S": "before"}})
    arn = stream_of(ddb, name)
    wait_for(lambda: len(streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]) > 1,
             timeout=5, what="a second shard")
    ddb.put_item(TableName=name, Item={"pk": {"S": "after"}})
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    parent, child = shards[0], shards[1]
    assert child["ParentShardId"] == parent["ShardId"]
    assert "EndingSequenceNumber" in parent["SequenceNumberRange"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=parent["ShardId"],
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    page = streams.get_records(ShardIterator=it)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in page["Records"]] == ["before"]
    assert page.get("NextShardIterator") is None
    keys = [r["dynamodb"]["Keys"]["pk"]["S"] for r in stream_records(streams, arn)]
    assert keys[0] == "before" and "after" in keys


def test_ttl_removes_with_service_identity(ddb, streams):
    name = create_table(ddb, table_name("ttl"), stream="NEW_AND_OLD_IMAGES")
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True,
                                                                     "AttributeName": "exp"})
    now = int(time.time())
    ddb.put_item(TableName=name, Item={"pk": {"S": "old"}, "exp": {"N": str(now - 10)}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "new"}, "exp": {"N": str(now + 3600)}})
    wait_for(lambda: "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "old"}}),
             timeout=10, what="the expired item to go")
    assert "Item" in ddb.get_item(TableName=name, Key={"pk": {"S": "new"}})
    records = stream_records(streams, stream_of(ddb, name))
    removes = [r for r in records if r["eventName"] == "REMOVE"]
    assert len(removes) == 1
    assert removes[0]["userIdentity"] == {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
    assert all("userIdentity" not in r for r in records if r["eventName"] != "REMOVE")


def test_kill9_loses_nothing_and_splits_nothing(make_thaw_server):
    srv = make_thaw_server()
    ddb = ddb_client(srv.url)
    name = create_table(ddb, table_name("crash"), stream="NEW_AND_OLD_IMAGES")
    writers, keys_per_writer = 4, 5
    # Per key: the states an item may be in (None: absent). An acknowledged write narrows it
    # to one; a write whose answer was lost adds its state as a possibility.
    possible = {f"w{w}k{k}": {None} for w in range(writers) for k in range(keys_per_writer)}
    lock = threading.Lock()
    running = threading.Event()
    running.set()
    stop = threading.Event()
    acked = [0]

    def writer(w):
        client = ddb_client(srv.url)
        rng = random.Random(w)
        version = 0
        while not stop.is_set():
            running.wait()
            key = f"w{w}k{rng.randrange(keys_per_writer)}"
            version += 1
            op = rng.choice(["put", "update", "delete"])
            state = None if op == "delete" else version
            try:
                if op == "put":
                    client.put_item(TableName=name, Item={"pk": {"S": key}, "v": {"N": str(version)}})
                elif op == "update":
                    client.update_item(TableName=name, Key={"pk": {"S": key}},
                                       UpdateExpression="SET v = :v",
                                       ExpressionAttributeValues={":v": {"N": str(version)}})
                else:
                    client.delete_item(TableName=name, Key={"pk": {"S": key}})
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):
                with lock:
                    possible[key].add(state)
                time.sleep(0.05)
                continue
            with lock:
                possible[key] = {state}
                acked[0] += 1

    def state_of(item):
        return None if item is None else int(item["v"]["N"])

    threads = [threading.Thread(target=writer, args=(w,), daemon=True) for w in range(writers)]
    for t in threads:
        t.start()
    try:
        for _ in range(4):
            before = acked[0]
            wait_for(lambda: acked[0] >= before + 40, timeout=20, what="acknowledged writes")
            srv.kill9()
            running.clear()
            time.sleep(0.1)  # let the writers see their failures
            srv.start()
            with lock:
                items = {i["pk"]["S"]: i for i in ddb_client(srv.url).scan(TableName=name,
                                                                             ConsistentRead=True)["Items"]}
                for key, states in possible.items():
                    assert state_of(items.get(key)) in states, (key, states, items.get(key))
            running.set()
    finally:
        stop.set()
        running.set()
        for t in threads:
            t.join(10)
    client = ddb_client(srv.url)
    items = {i["pk"]["S"]: i for i in client.scan(TableName=name, ConsistentRead=True)["Items"]}
    # Replay the stream: every record continues from the previous one of its key, and the last
    # one of each key is the item as it is now.
    replay = {}
    records = stream_records(ddb_client(srv.url, "dynamodbstreams"), stream_of(client, name))
    for r in records:
        key = r["dynamodb"]["Keys"]["pk"]["S"]
        assert r["dynamodb"].get("OldImage") == replay.get(key), (key, r)
        new = r["dynamodb"].get("NewImage")
        assert new != r["dynamodb"].get("OldImage")
        assert r["eventName"] == ("REMOVE" if new is None else
                                  "INSERT" if key not in replay or replay[key] is None else "MODIFY")
        replay[key] = new
    assert {k: v for k, v in replay.items() if v is not None} == items
