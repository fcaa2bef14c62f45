"""DynamoDB tables and items through boto3 (client and resource APIs) and the AWS CLI v2."""

import decimal
import json

import botocore.exceptions
import pytest
from boto3.dynamodb.conditions import Attr, Key

from conftest import aws, module_server
from ddb_util import create_table, ddb_client, ddb_resource, table_name

server = module_server()


@pytest.fixture(scope="module")
def ddb(server):
    return ddb_client(server.url)


def error_of(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def test_create_describe_list_delete(ddb):
    name = table_name("tables")
    create_table(ddb, name, range_key=("sk", "N"))
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["TableArn"] == f"arn:aws:dynamodb:us-east-1:000000000000:table/{name}"
    assert table["KeySchema"][1] == {"AttributeName": "sk", "KeyType": "RANGE"}
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert name in ddb.list_tables()["TableNames"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        create_table(ddb, name)
    assert error_of(e) == ("ResourceInUseException", f"Table already exists: {name}")
    deleted = ddb.delete_table(TableName=name)["TableDescription"]
    assert deleted["TableStatus"] == "DELETING"
    ddb.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ddb.describe_table(TableName=name)
    assert error_of(e) == ("ResourceNotFoundException",
                           f"Requested resource not found: Table: {name} not found")


def test_status_delay_and_waiter(make_thaw_server):
    slow = make_thaw_server("--dynamodb-status-delay-ms", "1500")
    client = ddb_client(slow.url)
    name = table_name("slow")
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    assert client.describe_table(TableName=name)["Table"]["TableStatus"] == "CREATING"
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    assert client.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"
    client.delete_table(TableName=name)
    assert client.describe_table(TableName=name)["Table"]["TableStatus"] == "DELETING"
    client.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 1})


def test_create_validation_texts(ddb):
    def refuse(**params):
        base = dict(TableName="valid-name", BillingMode="PAY_PER_REQUEST",
                    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        base.update(params)
        with pytest.raises(botocore.exceptions.ClientError) as e:
            ddb.create_table(**base)
        code, message = error_of(e)
        assert code == "ValidationException"
        return message

    assert refuse(AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}]) == (
        "One or more parameter values were invalid: Some index key attributes are not defined in"
        " AttributeDefinitions. Keys: [pk], AttributeDefinitions: [id]")
    assert refuse(AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                        {"AttributeName": "x", "AttributeType": "S"}]) == (
        "One or more parameter values were invalid: Number of attributes in KeySchema does not"
        " exactly match number of attributes defined in AttributeDefinitions")
    assert refuse(KeySchema=[{"AttributeName": "pk", "KeyType": "RANGE"}]) == (
        "Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    assert refuse(BillingMode="PROVISIONED") == (
        "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must"
        " both be specified when BillingMode is PROVISIONED")
    assert "at 'tableName' failed to satisfy constraint" in refuse(TableName="bad name!")


def test_list_tables_paginates(ddb):
    names = sorted(table_name("page") for _ in range(3))
    for n in names:
        create_table(ddb, n)
    first = ddb.list_tables(ExclusiveStartTableName="page", Limit=2)
    assert first["TableNames"] == names[:2]
    assert first["LastEvaluatedTableName"] == names[1]
    rest = ddb.list_tables(ExclusiveStartTableName=names[1], Limit=2)
    assert rest["TableNames"][0] == names[2]
    paged = [n for p in ddb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 1})
             for n in p["TableNames"]]
    assert all(n in paged for n in names)


def test_put_get_delete_and_key_errors(ddb):
    name = create_table(ddb, table_name("items"), range_key=("sk", "N"))
    item = {"pk": {"S": "a"}, "sk": {"N": "1.50"}, "data": {"M": {"l": {"L": [{"BOOL": True}]}}},
            "ss": {"SS": ["y", "x"]}, "b": {"B": b"\x00\xff"}}
    assert "Attributes" not in ddb.put_item(TableName=name, Item=item)
    got = ddb.get_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"N": "1.5"}},
                       ConsistentRead=True)["Item"]
    assert got["sk"] == {"N": "1.5"} and sorted(got["ss"]["SS"]) == ["x", "y"]
    assert got["b"] == {"B": b"\x00\xff"}
    old = ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"N": "1.5"}},
                       ReturnValues="ALL_OLD")["Attributes"]
    assert old["data"] == item["data"]
    projected = ddb.get_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"N": "1.5"}},
                             ProjectionExpression="pk")["Item"]
    assert projected == {"pk": {"S": "a"}}
    deleted = ddb.delete_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"N": "1.5"}},
                              ReturnValues="ALL_OLD")
    assert deleted["Attributes"]["pk"] == {"S": "a"}
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"N": "1.5"}})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ddb.put_item(TableName=name, Item={"pk": {"N": "1"}, "sk": {"N": "1"}})
    assert error_of(e) == ("ValidationException", "One or more parameter values were invalid:"
                           " Type mismatch for key pk expected: S actual: N")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ddb.put_item(TableName=name, Item={"pk": {"S": "a"}})
    assert error_of(e) == ("ValidationException", "One or more parameter values were invalid:"
                           " Missing the key sk in the item")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ddb.get_item(TableName=name, Key={"pk": {"S": "a"}})
    assert error_of(e) == ("ValidationException",
                           "The provided key element does not match the schema")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ddb.get_item(TableName="missing-table", Key={"pk": {"S": "a"}})
    assert error_of(e) == ("ResourceNotFoundException", "Requested resource not found")


def test_conditions_updates_and_numbers(ddb):
    name = create_table(ddb, table_name("cond"))
    key = {"pk": {"S": "k"}}
    ddb.put_item(TableName=name, Item={**key, "n": {"N": "0.1"}, "tags": {"SS": ["a", "b"]}},
                 ConditionExpression="attribute_not_exists(pk)")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ddb.put_item(TableName=name, Item=key, ConditionExpression="attribute_not_exists(pk)",
                     ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert error_of(e)[0] == "ConditionalCheckFailedException"
    assert e.value.response["Item"]["n"] == {"N": "0.1"}
    updated = ddb.update_item(TableName=name, Key=key,
                              UpdateExpression="SET n = n + :x, l = list_append(if_not_exists(l,"
                                               " :empty), :one) ADD c :inc DELETE tags :a",
                              ExpressionAttributeValues={":x": {"N": "0.2"}, ":empty": {"L": []},
                                                         ":one": {"L": [{"S": "z"}]},
                                                         ":inc": {"N": "5"},
                                                         ":a": {"SS": ["a"]}},
                              ReturnValues="UPDATED_NEW")["Attributes"]
    assert updated == {"n": {"N": "0.3"}, "l": {"L": [{"S": "z"}]}, "c": {"N": "5"},
                       "tags": {"SS": ["b"]}}
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ddb.update_item(TableName=name, Key=key, UpdateExpression="SET n = :big",
                        ExpressionAttributeValues={":big": {"N": "1" * 39}})
    assert error_of(e)[0] == "ValidationException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ddb.update_item(TableName=name, Key=key, UpdateExpression="SET a X b")
    assert error_of(e) == ("ValidationException",
                           'Invalid UpdateExpression: Syntax error; token: "X", near: "a X b"')
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ddb.update_item(TableName=name, Key=key, UpdateExpression="SET pk = :v",
                        ExpressionAttributeValues={":v": {"S": "other"}})
    assert "This attribute is part of the key" in error_of(e)[1]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ddb.put_item(TableName=name, Item={**key, "s": {"SS": []}})
    assert error_of(e)[0] == "ValidationException"


def test_query_order_pagination_and_indexes(ddb):
    name = create_table(
        ddb, table_name("query"), range_key=("sk", "N"),
        GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [
            {"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "pk", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        LocalSecondaryIndexes=[{"IndexName": "by-l", "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"}}])
    numbers = ["-10", "-1.5", "0", "2", "10", "100"]
    for i, n in enumerate(numbers):
        ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"N": n}, "g": {"S": "G"},
                                           "l": {"S": f"l{5 - i}"}, "big": {"S": "x" * 10}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "other"}, "sk": {"N": "1"}})
    q = dict(TableName=name, KeyConditionExpression="pk = :p",
             ExpressionAttributeValues={":p": {"S": "p"}})
    assert [i["sk"]["N"] for i in ddb.query(**q)["Items"]] == numbers
    assert [i["sk"]["N"] for i in ddb.query(**q, ScanIndexForward=False)["Items"]] == numbers[::-1]
    between = ddb.query(TableName=name, KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
                        ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"N": "-2"},
                                                   ":b": {"N": "2"}})
    assert [i["sk"]["N"] for i in between["Items"]] == ["-1.5", "0", "2"]
    pages = list(ddb.get_paginator("query").paginate(**q, PaginationConfig={"PageSize": 4}))
    assert [len(p["Items"]) for p in pages][:2] == [4, 2]
    assert pages[0]["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "2"}}
    filtered = ddb.query(**{**q, "ExpressionAttributeValues": {":p": {"S": "p"}, ":z": {"N": "0"}}},
                         FilterExpression="sk > :z")
    assert filtered["Count"] == 3 and filtered["ScannedCount"] == 6
    count = ddb.query(**q, Select="COUNT")
    assert count["Count"] == 6 and "Items" not in count
    gsi = ddb.query(TableName=name, IndexName="by-g", KeyConditionExpression="g = :g",
                    ExpressionAttributeValues={":g": {"S": "G"}})
    assert gsi["Count"] == 6 and set(gsi["Items"][0]) == {"pk", "sk", "g"}
    lsi = ddb.query(TableName=name, IndexName="by-l", KeyConditionExpression="pk = :p",
                    ExpressionAttributeValues={":p": {"S": "p"}})
    assert [i["l"]["S"] for i in lsi["Items"]] == [f"l{i}" for i in range(6)]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ddb.query(TableName=name, IndexName="by-g", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": {"S": "G"}}, ConsistentRead=True)
    assert error_of(e) == ("ValidationException",
                           "Consistent reads are not supported on global secondary indexes")


def test_query_one_megabyte_page(ddb):
    name = create_table(ddb, table_name("mb"), range_key=("sk", "N"))
    blob = "x" * (300 * 1024)
    for i in range(5):
        ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "v": {"S": blob}})
    page = ddb.query(TableName=name, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "p"}})
    assert page["Count"] == 3 and page["LastEvaluatedKey"]["sk"] == {"N": "2"}
    rest = ddb.query(TableName=name, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "p"}},
                     ExclusiveStartKey=page["LastEvaluatedKey"])
    assert [i["sk"]["N"] for i in rest["Items"]] == ["3", "4"]


def test_scan_segments(ddb):
    name = create_table(ddb, table_name("scan"))
    for i in range(40):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"k{i}"}})
    seen = []
    for segment in range(3):
        for page in ddb.get_paginator("scan").paginate(TableName=name, Segment=segment,
                                                      TotalSegments=3,
                                                      PaginationConfig={"PageSize": 7}):
            seen.extend(i["pk"]["S"] for i in page["Items"])
    assert sorted(seen) == sorted(f"k{i}" for i in range(40))


def test_batches(ddb):
    name = create_table(ddb, table_name("batch"))
    out = ddb.batch_write_item(RequestItems={name: [
        {"PutRequest": {"Item": {"pk": {"S": f"b{i}"}, "v": {"N": str(i)}}}} for i in range(25)]})
    assert out["UnprocessedItems"] == {}
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ddb.batch_write_item(RequestItems={name: [
            {"PutRequest": {"Item": {"pk": {"S": f"c{i}"}}}} for i in range(26)]})
    assert error_of(e)[0] == "ValidationException"
    got = ddb.batch_get_item(RequestItems={name: {"Keys": [{"pk": {"S": f"b{i}"}}
                                                           for i in range(0, 25, 5)]}})
    assert sorted(i["v"]["N"] for i in got["Responses"][name]) == ["0", "10", "15", "20", "5"]
    assert got["UnprocessedKeys"] == {}
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ddb.batch_get_item(RequestItems={name: {"Keys": [{"pk": {"S": f"b{i}"}}
                                                         for i in range(101)]}})
    assert error_of(e) == ("ValidationException",
                           "Too many items requested for the BatchGetItem call")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ddb.batch_get_item(RequestItems={name: {"Keys": [{"pk": {"S": "b1"}}, {"pk": {"S": "b1"}}]}})
    assert error_of(e) == ("ValidationException", "Provided list of item keys contains duplicates")
    ddb.batch_write_item(RequestItems={name: [{"DeleteRequest": {"Key": {"pk": {"S": "b1"}}}}]})
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "b1"}})


def test_transactions(ddb):
    name = create_table(ddb, table_name("tx"))
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    items = [
        {"Put": {"TableName": name, "Item": {"pk": {"S": "new"}}}},
        {"ConditionCheck": {"TableName": name, "Key": {"pk": {"S": "a"}},
                            "ConditionExpression": "n = :two",
                            "ExpressionAttributeValues": {":two": {"N": "2"}},
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
    ]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ddb.transact_write_items(TransactItems=items)
    assert error_of(e)[0] == "TransactionCanceledException"
    reasons = e.value.response["CancellationReasons"]
    assert reasons[0] == {"Code": "None"}
    assert reasons[1]["Code"] == "ConditionalCheckFailed"
    assert reasons[1]["Item"] == {"pk": {"S": "a"}, "n": {"N": "1"}}
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "new"}})
    ok = [{"Update": {"TableName": name, "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET n = n + :one",
                      "ExpressionAttributeValues": {":one": {"N": "1"}}}},
          {"Delete": {"TableName": name, "Key": {"pk": {"S": "gone"}}}}]
    ddb.transact_write_items(TransactItems=ok, ClientRequestToken="tok-1")
    ddb.transact_write_items(TransactItems=ok, ClientRequestToken="tok-1")  # idempotent
    got = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": name, "Key": {"pk": {"S": "a"}}}},
        {"Get": {"TableName": name, "Key": {"pk": {"S": "none"}}}}])["Responses"]
    assert got == [{"Item": {"pk": {"S": "a"}, "n": {"N": "2"}}}, {}]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ddb.transact_write_items(TransactItems=ok[:1], ClientRequestToken="tok-1")
    assert error_of(e)[0] == "IdempotentParameterMismatchException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ddb.transact_write_items(TransactItems=[ok[0], ok[0]])
    assert error_of(e) == ("ValidationException",
                           "Transaction request cannot include multiple operations on one item")


def test_consumed_capacity(ddb):
    name = create_table(ddb, table_name("cap"))
    out = ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"S": "x" * 1500}},
                       ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == {"TableName": name, "CapacityUnits": 2.0}
    got = ddb.get_item(TableName=name, Key={"pk": {"S": "a"}}, ReturnConsumedCapacity="TOTAL")
    assert got["ConsumedCapacity"]["CapacityUnits"] == 0.5
    got = ddb.get_item(TableName=name, Key={"pk": {"S": "a"}}, ConsistentRead=True,
                       ReturnConsumedCapacity="TOTAL")
    assert got["ConsumedCapacity"]["CapacityUnits"] == 1.0


def test_ttl_tags_and_update_table(ddb):
    name = create_table(ddb, table_name("meta"))
    arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
    assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "DISABLED"}
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True,
                                                                     "AttributeName": "exp"})
    assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "a"}])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "a"}]
    ddb.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == []
    ddb.update_table(TableName=name, AttributeDefinitions=[{"AttributeName": "g",
                                                            "AttributeType": "S"}],
                     GlobalSecondaryIndexUpdates=[{"Create": {
                         "IndexName": "late", "KeySchema": [{"AttributeName": "g",
                                                             "KeyType": "HASH"}],
                         "Projection": {"ProjectionType": "ALL"}}}])
    ddb.put_item(TableName=name, Item={"pk": {"S": "x"}, "g": {"S": "G"}})
    got = ddb.query(TableName=name, IndexName="late", KeyConditionExpression="g = :g",
                    ExpressionAttributeValues={":g": {"S": "G"}})
    assert got["Count"] == 1
    ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "late"}}])
    assert "GlobalSecondaryIndexes" not in ddb.describe_table(TableName=name)["Table"]


def test_resource_table_api(server):
    resource = ddb_resource(server.url)
    name = table_name("res")
    table = resource.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "user", "KeyType": "HASH"},
                   {"AttributeName": "ts", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "user", "AttributeType": "S"},
                              {"AttributeName": "ts", "AttributeType": "N"}])
    table.wait_until_exists()
    with table.batch_writer() as batch:
        for i in range(30):
            batch.put_item(Item={"user": "u", "ts": i, "price": decimal.Decimal("1.25"),
                                 "tags": {"a", "b"}})
    got = table.get_item(Key={"user": "u", "ts": 3})["Item"]
    assert got["price"] == decimal.Decimal("1.25") and got["tags"] == {"a", "b"}
    result = table.query(KeyConditionExpression=Key("user").eq("u") & Key("ts").between(5, 9),
                         FilterExpression=Attr("ts").ne(7))
    assert [int(i["ts"]) for i in result["Items"]] == [5, 6, 8, 9]
    table.update_item(Key={"user": "u", "ts": 1}, UpdateExpression="ADD price :p",
                      ExpressionAttributeValues={":p": decimal.Decimal("0.75")})
    assert table.get_item(Key={"user": "u", "ts": 1})["Item"]["price"] == 2
    table.delete_item(Key={"user": "u", "ts": 1})
    assert table.scan(Select="COUNT")["Count"] == 29
    table.delete()


def test_aws_cli(server):
    name = table_name("cli")
    r = aws(server, "dynamodb", "create-table", "--table-name", name,
            "--attribute-definitions", "AttributeName=id,AttributeType=S",
            "--key-schema", "AttributeName=id,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST")
    assert r.returncode == 0, r.stderr
    r = aws(server, "dynamodb", "wait", "table-exists", "--table-name", name)
    assert r.returncode == 0, r.stderr
    r = aws(server, "dynamodb", "put-item", "--table-name", name, "--item",
            json.dumps({"id": {"S": "1"}, "v": {"N": "42"}}))
    assert r.returncode == 0, r.stderr
    r = aws(server, "dynamodb", "get-item", "--table-name", name, "--key",
            json.dumps({"id": {"S": "1"}}))
    assert json.loads(r.stdout)["Item"]["v"] == {"N": "42"}
    r = aws(server, "dynamodb", "describe-table", "--table-name", "nope-table")
    assert r.returncode != 0 and "ResourceNotFoundException" in r.stderr


def test_tables_are_per_account(server):
    one, two = ddb_client(server.url, access_key="111111111111"), ddb_client(
        server.url, access_key="222222222222")
    name = create_table(one, table_name("acct"), stream="KEYS_ONLY")
    table = one.describe_table(TableName=name)["Table"]
    assert table["TableArn"] == f"arn:aws:dynamodb:us-east-1:111111111111:table/{name}"
    assert table["LatestStreamArn"].startswith(table["TableArn"] + "/stream/")
    assert name not in two.list_tables()["TableNames"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        two.put_item(TableName=name, Item={"pk": {"S": "x"}})
    assert error_of(e)[0] == "ResourceNotFoundException"
    create_table(two, name)  # the same name in another account is another table
    two.put_item(TableName=name, Item={"pk": {"S": "x"}})
    assert "Item" not in one.get_item(TableName=name, Key={"pk": {"S": "x"}})
    # Another account's table, named by its ARN, is not found either.
    arn = table["TableArn"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        two.get_item(TableName=arn, Key={"pk": {"S": "x"}})
    assert error_of(e)[0] == "ResourceNotFoundException"
    assert one.describe_table(TableName=arn)["Table"]["TableName"] == name
