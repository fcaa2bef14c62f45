"""Differential test of the event source mapping API for DynamoDB streams: the same boto3 script
against thaw and against moto's server, answers compared after normalizing what must differ
(UUIDs, accounts, stream labels, LastModified).

Where moto differs from AWS, thaw follows AWS; the test checks these stay the only differences:
  - moto leaves out what the caller did not give (AWS returns every stream setting with its
    default: MaximumRetryAttempts -1, BisectBatchOnFunctionError false, DestinationConfig
    {"OnFailure": {}}, ...), and LastProcessingResult ("No records processed" on AWS).
  - moto returns Tags {} (AWS does not return Tags from these operations).
  - StateTransitionReason: AWS says "User action" for streams; moto "User initiated".
  - States: AWS answers Create with Creating and Update with Updating, settling later; moto
    settles at once.
"""

import io
import json
import re
import zipfile

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from conftest import ThawServer, create_function
from invoke_util import wait_for
from test_sqs_moto import moto_url  # noqa: F401 (the moto_server fixture)

MOTO_LACKS = {"MaximumBatchingWindowInSeconds", "FunctionResponseTypes", "LastProcessingResult",
              "DestinationConfig", "TumblingWindowInSeconds", "ParallelizationFactor"}
MOTO_EXTRA = {"Tags"}
MOTO_DIFFERS = {"create.State", "update.State", "create.StateTransitionReason",
                "get.StateTransitionReason", "list.StateTransitionReason",
                "update.StateTransitionReason", "get-updated.StateTransitionReason",
                "delete.StateTransitionReason"}


@pytest.fixture(scope="module")
def thaw(tmp_path_factory, examples):
    base = tmp_path_factory.mktemp("thaw")
    (base / "state").mkdir()
    s = ThawServer(base / "state", base, ["--esm-transition-ms", "100"])
    try:
        s.start()
        yield s
    finally:
        s.close()


def clients(url):
    kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="AKID",
              aws_secret_access_key="SECRET", config=Config(retries={"max_attempts": 1}))
    return (boto3.client("lambda", **kw), boto3.client("dynamodb", **kw),
            boto3.client("iam", **kw))


def normalize(value, uuid):
    if isinstance(value, dict):
        return {k: ("<time>" if k == "LastModified" else normalize(v, uuid))
                for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [normalize(v, uuid) for v in value]
    if isinstance(value, str):
        value = value.replace(uuid, "<uuid>").replace("123456789012", "<acct>").replace(
            "000000000000", "<acct>")
        return re.sub(r"/stream/[0-9T:.\-]+$", "/stream/<label>", value)
    return value


def script(url, moto):
    lam, ddb, iam = clients(url)
    ddb.create_table(TableName="esm-stream-diff", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     StreamSpecification={"StreamEnabled": True,
                                          "StreamViewType": "NEW_AND_OLD_IMAGES"})
    arn = ddb.describe_table(TableName="esm-stream-diff")["Table"]["LatestStreamArn"]
    if moto:
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("bootstrap", "#!/bin/sh\n")
        lam.create_function(FunctionName="esmfn", Runtime="provided.al2023", Role=role,
                            Handler="bootstrap", Code={"ZipFile": buf.getvalue()})
    else:
        create_function(lam, "esmfn", "streamprobe")
    out = {}
    created = lam.create_event_source_mapping(
        FunctionName="esmfn", EventSourceArn=arn, StartingPosition="TRIM_HORIZON",
        BatchSize=50, MaximumRetryAttempts=3, BisectBatchOnFunctionError=True,
        MaximumRecordAgeInSeconds=3600)
    uuid = created["UUID"]
    out["create"] = normalize(created, uuid)
    if not moto:
        wait_for(lambda: lam.get_event_source_mapping(UUID=uuid)["State"] == "Enabled", 5)
    out["get"] = normalize(lam.get_event_source_mapping(UUID=uuid), uuid)
    listed = lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
    assert len(listed) == 1
    out["list"] = normalize(listed[0], uuid)
    out["update"] = normalize(lam.update_event_source_mapping(
        UUID=uuid, BatchSize=20, MaximumRetryAttempts=5), uuid)
    if not moto:
        wait_for(lambda: lam.get_event_source_mapping(UUID=uuid)["State"] == "Enabled", 5)
    out["get-updated"] = normalize(lam.get_event_source_mapping(UUID=uuid), uuid)
    out["delete"] = normalize(lam.delete_event_source_mapping(UUID=uuid), uuid)
    try:
        lam.get_event_source_mapping(UUID="6f1c8a4e-0000-4000-8000-000000000000")
        out["get-unknown"] = None
    except botocore.exceptions.ClientError as e:
        out["get-unknown"] = (e.response["Error"]["Code"], e.response["Error"]["Message"])
    return out


def test_stream_esm_api_matches_moto(thaw, moto_url):  # noqa: F811
    ours = script(thaw.url, moto=False)
    theirs = script(moto_url, moto=True)
    differs = set()
    for step in ours:
        a, b = ours[step], theirs[step]
        if isinstance(a, dict) and "UUID" in a:
            lacking = set(a) - set(b)
            assert lacking <= MOTO_LACKS, (step, lacking)
            assert set(b) - set(a) <= MOTO_EXTRA, (step, set(b) - set(a))
            for key in set(a) & set(b):
                if a[key] != b[key]:
                    differs.add(f"{step}.{key}")
        elif a != b:
            differs.add(step)
    assert differs <= MOTO_DIFFERS, differs - MOTO_DIFFERS
    assert ours["create"]["State"] == "Creating" and ours["update"]["State"] == "Updating"
    assert ours["get"]["StateTransitionReason"] == "User action"
    assert ours["get-updated"]["BatchSize"] == theirs["get-updated"]["BatchSize"] == 20
    assert ours["get-updated"]["MaximumRetryAttempts"] == 5
    assert ours["create"]["DestinationConfig"] == {"OnFailure": {}}
    assert ours["create"]["LastProcessingResult"] == "No records processed"
