"""Helpers for the DynamoDB tests: boto3 clients and resources bound to a server, and tables."""

import itertools

import boto3
from botocore.config import Config

REGION = "us-east-1"
_names = itertools.count()


def ddb_client(url, service="dynamodb", access_key="AKID"):
    return boto3.client(service, endpoint_url=url, region_name=REGION,
                        aws_access_key_id=access_key, aws_secret_access_key="SECRET",
                        config=Config(retries={"max_attempts": 1}, read_timeout=60))


def ddb_resource(url, access_key="AKID"):
    return boto3.resource("dynamodb", endpoint_url=url, region_name=REGION,
                          aws_access_key_id=access_key, aws_secret_access_key="SECRET",
                          config=Config(retries={"max_attempts": 1}, read_timeout=60))


def table_name(prefix="t"):
    return f"{prefix}-{next(_names)}"


def create_table(client, name, hash_key=("pk", "S"), range_key=None, stream=None, **extra):
    """A PAY_PER_REQUEST table; stream is a StreamViewType or None. Waits for ACTIVE."""
    keys = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
    attrs = {hash_key[0]: hash_key[1]}
    if range_key:
        keys.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
        attrs[range_key[0]] = range_key[1]
    for index in extra.get("GlobalSecondaryIndexes", []) + extra.get("LocalSecondaryIndexes", []):
        for k in index["KeySchema"]:
            attrs.setdefault(k["AttributeName"], extra.get("index_types", {}).get(
                k["AttributeName"], "S"))
    extra.pop("index_types", None)
    params = dict(TableName=name, KeySchema=keys, BillingMode="PAY_PER_REQUEST",
                  AttributeDefinitions=[{"AttributeName": n, "AttributeType": t}
                                        for n, t in attrs.items()], **extra)
    if stream:
        params["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream}
    client.create_table(**params)
    client.get_waiter("table_exists").wait(TableName=name,
                                           WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    return name


def stream_records(streams, stream_arn, shard_iterator_type="TRIM_HORIZON"):
    """Every record of every shard of a stream, shard by shard in order."""
    out = []
    description = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]
    for shard in description["Shards"]:
        it = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard["ShardId"],
                                        ShardIteratorType=shard_iterator_type)["ShardIterator"]
        while it:
            page = streams.get_records(ShardIterator=it)
            out.extend(page["Records"])
            if not page["Records"]:
                break
            it = page.get("NextShardIterator")
    return out
