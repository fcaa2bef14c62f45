"""Differential test: the same boto3 script against thaw and against moto's server (DynamoDB),
answers compared after normalizing what legitimately differs: timestamps, ids, ARNs' accounts,
the order of set members and of Scan results (AWS leaves both unspecified).

Where moto differs from AWS's documentation, thaw follows AWS; each such step is listed in
MOTO_DIFFERS with the documentation it follows in dynamodb_moto_differs.md, and has its own
test here asserting thaw's answer.
"""

import json

import botocore.exceptions
import pytest

from ddb_util import ddb_client
from test_sqs_moto import moto_url  # noqa: F401  (the moto_server fixture)

# Steps whose answers differ because moto differs from AWS (dynamodb_moto_differs.md).
MOTO_DIFFERS = {"create", "delete-table", "update-new-item", "batch-write-too-many"}


def script(url):
    """Runs the script against one server; returns a list of (step, normalized answer)."""
    ddb = ddb_client(url, access_key="123456789012")
    out = []

    def step(name, fn):
        try:
            answer = fn()
            answer.pop("ResponseMetadata", None)
        except botocore.exceptions.ClientError as e:
            answer = {"error": e.response["Error"]["Code"]}
            if "CancellationReasons" in e.response:
                answer["reasons"] = [r.get("Code") for r in e.response["CancellationReasons"]]
            if "Item" in e.response:
                answer["Item"] = e.response["Item"]
        out.append((name, normalize(answer)))
        return answer

    keys = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    defs = [{"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "g", "AttributeType": "S"}]
    step("create", lambda: ddb.create_table(
        TableName="diff", KeySchema=keys, AttributeDefinitions=defs, BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [
            {"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"}}]))
    ddb.get_waiter("table_exists").wait(TableName="diff", WaiterConfig={"Delay": 1})
    step("create-again", lambda: ddb.create_table(
        TableName="diff", KeySchema=keys, AttributeDefinitions=defs, BillingMode="PAY_PER_REQUEST"))
    step("describe-missing", lambda: ddb.describe_table(TableName="nope"))
    step("list", lambda: ddb.list_tables())
    for i, n in enumerate(["-5", "0.5", "3", "10", "250", "1000"]):
        step(f"put-{i}", lambda n=n, i=i: ddb.put_item(TableName="diff", Item={
            "pk": {"S": "p"}, "sk": {"N": n}, "g": {"S": "G" if i % 2 else "H"},
            "tags": {"SS": ["b", "a"]}, "m": {"M": {"x": {"L": [{"N": "1"}, {"NULL": True}]}}}}))
    step("put-other", lambda: ddb.put_item(TableName="diff", Item={"pk": {"S": "q"}, "sk": {"N": "1"}}))
    step("put-return-old", lambda: ddb.put_item(
        TableName="diff", Item={"pk": {"S": "q"}, "sk": {"N": "1"}, "v": {"S": "x"}},
        ReturnValues="ALL_OLD"))
    step("put-type-mismatch", lambda: ddb.put_item(TableName="diff", Item={
        "pk": {"N": "1"}, "sk": {"N": "1"}}))
    step("put-missing-key", lambda: ddb.put_item(TableName="diff", Item={"pk": {"S": "x"}}))
    step("put-empty-set", lambda: ddb.put_item(TableName="diff", Item={
        "pk": {"S": "x"}, "sk": {"N": "1"}, "s": {"SS": []}}))
    step("get", lambda: ddb.get_item(TableName="diff", Key={"pk": {"S": "p"}, "sk": {"N": "3"}}))
    step("get-projection", lambda: ddb.get_item(
        TableName="diff", Key={"pk": {"S": "p"}, "sk": {"N": "3"}},
        ProjectionExpression="#m.x[0], sk", ExpressionAttributeNames={"#m": "m"}))
    step("get-missing", lambda: ddb.get_item(TableName="diff", Key={"pk": {"S": "p"}, "sk": {"N": "4"}}))
    step("get-bad-key", lambda: ddb.get_item(TableName="diff", Key={"pk": {"S": "p"}}))
    step("cond-fail", lambda: ddb.put_item(
        TableName="diff", Item={"pk": {"S": "p"}, "sk": {"N": "3"}},
        ConditionExpression="attribute_not_exists(pk)"))
    step("cond-ok", lambda: ddb.put_item(
        TableName="diff", Item={"pk": {"S": "p"}, "sk": {"N": "3"}, "g": {"S": "G"},
                                "n": {"N": "0.1"}, "tags": {"SS": ["a", "b"]}},
        ConditionExpression="attribute_exists(pk) AND size(tags) = :two",
        ExpressionAttributeValues={":two": {"N": "2"}}))
    step("update-add", lambda: ddb.update_item(
        TableName="diff", Key={"pk": {"S": "p"}, "sk": {"N": "3"}},
        UpdateExpression="SET n = n + :x ADD tags :c, cnt :one REMOVE nothing",
        ExpressionAttributeValues={":x": {"N": "0.2"}, ":c": {"SS": ["c"]}, ":one": {"N": "1"}},
        ReturnValues="ALL_NEW"))
    step("update-updated-old", lambda: ddb.update_item(
        TableName="diff", Key={"pk": {"S": "p"}, "sk": {"N": "3"}},
        UpdateExpression="SET n = :v DELETE tags :a",
        ExpressionAttributeValues={":v": {"N": "7"}, ":a": {"SS": ["a"]}},
        ReturnValues="UPDATED_OLD"))
    step("update-new-item", lambda: ddb.update_item(
        TableName="diff", Key={"pk": {"S": "r"}, "sk": {"N": "9"}},
        UpdateExpression="SET l = list_append(if_not_exists(l, :e), :v)",
        ExpressionAttributeValues={":e": {"L": []}, ":v": {"L": [{"S": "z"}]}},
        ReturnValues="UPDATED_NEW"))
    step("update-cond-fail", lambda: ddb.update_item(
        TableName="diff", Key={"pk": {"S": "p"}, "sk": {"N": "3"}},
        UpdateExpression="SET n = :v", ConditionExpression="n < :v",
        ExpressionAttributeValues={":v": {"N": "1"}}))
    step("update-syntax", lambda: ddb.update_item(
        TableName="diff", Key={"pk": {"S": "p"}, "sk": {"N": "3"}}, UpdateExpression="SET a X b"))
    step("update-unused-value", lambda: ddb.update_item(
        TableName="diff", Key={"pk": {"S": "p"}, "sk": {"N": "3"}}, UpdateExpression="SET a = :a",
        ExpressionAttributeValues={":a": {"S": "1"}, ":b": {"S": "2"}}))
    step("query", lambda: ddb.query(TableName="diff", KeyConditionExpression="pk = :p",
                                    ExpressionAttributeValues={":p": {"S": "p"}}))
    step("query-desc-limit", lambda: ddb.query(
        TableName="diff", KeyConditionExpression="pk = :p AND sk >= :s",
        ExpressionAttributeValues={":p": {"S": "p"}, ":s": {"N": "0"}},
        ScanIndexForward=False, Limit=2))
    step("query-page-2", lambda: ddb.query(
        TableName="diff", KeyConditionExpression="pk = :p AND sk >= :s",
        ExpressionAttributeValues={":p": {"S": "p"}, ":s": {"N": "0"}},
        ScanIndexForward=False, Limit=2,
        ExclusiveStartKey={"pk": {"S": "p"}, "sk": {"N": "250"}}))
    step("query-between-filter", lambda: ddb.query(
        TableName="diff", KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
        FilterExpression="contains(tags, :t)",
        ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"N": "-10"}, ":b": {"N": "100"},
                                   ":t": {"S": "a"}}))
    step("query-count", lambda: ddb.query(TableName="diff", KeyConditionExpression="pk = :p",
                                          ExpressionAttributeValues={":p": {"S": "p"}},
                                          Select="COUNT"))
    step("query-gsi", lambda: ddb.query(TableName="diff", IndexName="by-g",
                                        KeyConditionExpression="g = :g",
                                        ExpressionAttributeValues={":g": {"S": "G"}}))
    step("scan", lambda: ddb.scan(TableName="diff"))
    step("scan-filter", lambda: ddb.scan(TableName="diff", FilterExpression="sk > :z",
                                         ExpressionAttributeValues={":z": {"N": "5"}}))
    step("batch-write", lambda: ddb.batch_write_item(RequestItems={"diff": [
        {"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"N": str(i)}}}} for i in range(5)] + [
        {"DeleteRequest": {"Key": {"pk": {"S": "q"}, "sk": {"N": "1"}}}}]}))
    step("batch-write-too-many", lambda: ddb.batch_write_item(RequestItems={"diff": [
        {"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"N": str(i)}}}} for i in range(26)]}))
    step("batch-get", lambda: ddb.batch_get_item(RequestItems={"diff": {"Keys": [
        {"pk": {"S": "b"}, "sk": {"N": str(i)}} for i in range(3)]}}))
    step("batch-get-too-many", lambda: ddb.batch_get_item(RequestItems={"diff": {"Keys": [
        {"pk": {"S": "b"}, "sk": {"N": str(i)}} for i in range(101)]}}))
    step("tx-cancel", lambda: ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": "diff", "Item": {"pk": {"S": "t"}, "sk": {"N": "1"}}}},
        {"ConditionCheck": {"TableName": "diff", "Key": {"pk": {"S": "b"}, "sk": {"N": "0"}},
                            "ConditionExpression": "attribute_not_exists(pk)"}}]))
    step("tx-get-after-cancel", lambda: ddb.get_item(TableName="diff",
                                                     Key={"pk": {"S": "t"}, "sk": {"N": "1"}}))
    step("tx-ok", lambda: ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": "diff", "Item": {"pk": {"S": "t"}, "sk": {"N": "1"}}}},
        {"Update": {"TableName": "diff", "Key": {"pk": {"S": "b"}, "sk": {"N": "0"}},
                    "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": {"N": "5"}}}},
        {"Delete": {"TableName": "diff", "Key": {"pk": {"S": "b"}, "sk": {"N": "1"}}}}]))
    step("tx-get", lambda: ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": "diff", "Key": {"pk": {"S": "t"}, "sk": {"N": "1"}}}},
        {"Get": {"TableName": "diff", "Key": {"pk": {"S": "b"}, "sk": {"N": "0"}}}},
        {"Get": {"TableName": "diff", "Key": {"pk": {"S": "b"}, "sk": {"N": "1"}}}}]))
    step("delete-item", lambda: ddb.delete_item(TableName="diff",
                                                Key={"pk": {"S": "t"}, "sk": {"N": "1"}},
                                                ReturnValues="ALL_OLD"))
    step("delete-table", lambda: ddb.delete_table(TableName="diff"))
    return out


# Kept of a table description: what both must agree on (AWS fills the rest in as it goes).
DESCRIPTION = {"AttributeDefinitions", "TableName", "KeySchema", "BillingModeSummary", "TableStatus",
               "GlobalSecondaryIndexes", "StreamSpecification"}
# moto answers these even when not asked for (dynamodb_moto_differs.md); thaw only when asked.
UNASKED = {"ConsumedCapacity", "ItemCollectionMetrics"}
def canonical(value):
    return json.dumps(value, sort_keys=True, default=str)


TIMES = {"CreationDateTime", "LastUpdateToPayPerRequestDateTime", "LastDecreaseDateTime",
         "LastIncreaseDateTime"}
IDS = {"TableId", "TableArn", "IndexArn", "LatestStreamArn", "LatestStreamLabel"}


def normalize(answer):
    """Replaces what legitimately differs between two servers by placeholders."""
    if isinstance(answer, dict):
        out = {}
        for k, v in answer.items():
            if k in UNASKED:
                continue
            if k in ("TableDescription", "Table"):
                out[k] = normalize({d: v[d] for d in DESCRIPTION if d in v})
            elif k == "BillingModeSummary":
                out[k] = {"BillingMode": v["BillingMode"]}
            elif k == "GlobalSecondaryIndexes":
                out[k] = [{f: i[f] for f in ("IndexName", "KeySchema", "Projection")} for i in v]
            elif k == "Responses" and isinstance(v, dict):
                out[k] = {t: sorted(normalize(items), key=canonical) for t, items in v.items()}
            elif k in TIMES:
                out[k] = "<time>"
            elif k in IDS:
                out[k] = "<id>"
            elif k in ("SS", "NS", "BS"):
                out[k] = sorted(v)
            else:
                out[k] = normalize(v)
        return out
    if isinstance(answer, list):
        return [normalize(x) for x in answer]
    return answer


def unordered_scans(steps):
    """Scan order is the hash of the partition key on AWS; compare scans as sets."""
    out = []
    for name, answer in steps:
        if name.startswith("scan") and isinstance(answer, dict) and "Items" in answer:
            answer = dict(answer, Items=sorted(answer["Items"], key=canonical))
        out.append((name, answer))
    return out


def test_same_answers_as_moto(server_url_pair):
    ours, theirs = server_url_pair
    ours = unordered_scans([(s, a) for s, a in ours if s not in MOTO_DIFFERS])
    theirs = unordered_scans([(s, a) for s, a in theirs if s not in MOTO_DIFFERS])
    assert [s for s, _ in ours] == [s for s, _ in theirs]
    mismatches = [(s, a, b) for (s, a), (_, b) in zip(ours, theirs) if a != b]
    assert not mismatches, "\n".join(f"{s}:\n  thaw: {a}\n  moto: {b}" for s, a, b in mismatches)


def answer(steps, name):
    return dict(steps)[name]


# Each difference from moto, with thaw's answer as AWS documents it (dynamodb_moto_differs.md).
def test_create_table_answers_creating(server_url_pair):
    assert answer(server_url_pair[0], "create")["TableDescription"]["TableStatus"] == "CREATING"


def test_delete_table_answers_deleting(server_url_pair):
    assert answer(server_url_pair[0], "delete-table")["TableDescription"]["TableStatus"] == "DELETING"


def test_updated_new_returns_only_updated_attributes(server_url_pair):
    assert answer(server_url_pair[0], "update-new-item") == {"Attributes": {"l": {"L": [{"S": "z"}]}}}


def test_batch_write_refuses_more_than_25(server_url_pair):
    assert answer(server_url_pair[0], "batch-write-too-many") == {"error": "ValidationException"}


def test_consumed_capacity_only_when_asked(thaw_server):
    ddb = ddb_client(thaw_server.url)
    ddb.create_table(TableName="unasked", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    put = ddb.put_item(TableName="unasked", Item={"pk": {"S": "a"}})
    assert "ConsumedCapacity" not in put
    batch = ddb.batch_write_item(RequestItems={"unasked": [{"PutRequest": {"Item": {"pk": {"S": "b"}}}}]})
    assert "ConsumedCapacity" not in batch and "ItemCollectionMetrics" not in batch
    asked = ddb.put_item(TableName="unasked", Item={"pk": {"S": "c"}}, ReturnConsumedCapacity="TOTAL")
    assert asked["ConsumedCapacity"] == {"TableName": "unasked", "CapacityUnits": 1.0}


@pytest.fixture(scope="module")
def server_url_pair(thaw_server, moto_url):  # noqa: F811
    ours = script(thaw_server.url)
    return [(s, a) for s, a in ours], script(moto_url)
