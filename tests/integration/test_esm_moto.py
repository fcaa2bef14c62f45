"""Differential test of the event source mapping API for SQS: the same boto3 script against thaw
and against moto's server, answers compared after normalizing what must differ (UUIDs, the
account in ARNs, LastModified).

Where moto differs from AWS, thaw follows AWS; MOTO_LACKS and MOTO_DIFFERS list the differences
and the test checks they are still the only ones:
  - moto leaves out MaximumBatchingWindowInSeconds and FunctionResponseTypes (AWS returns both for
    SQS, 0 and []).
  - StateTransitionReason: AWS says "USER_INITIATED" for SQS; moto "User initiated".
  - States: AWS answers Create with Creating and Update with Updating/Enabling/Disabling, settling
    later; moto settles at once (Enabled, Disabled). Delete answers Deleting in both.
  - BatchSize over 10 without MaximumBatchingWindowInSeconds: AWS refuses it
    (InvalidParameterValueException); moto accepts it.
  - A missing function: AWS answers InvalidParameterValueException "Function does not exist";
    moto ResourceNotFoundException "Function not found: ...".
"""

import io
import json
import zipfile

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from conftest import ThawServer, create_function
from invoke_util import wait_for
from test_sqs_moto import moto_url  # noqa: F401 (the moto_server fixture)

MOTO_LACKS = {"MaximumBatchingWindowInSeconds", "FunctionResponseTypes"}
MOTO_DIFFERS = {"create.State", "update.State", "BatchSize=11", "missing-function"}


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
    return boto3.client("lambda", **kw), boto3.client("sqs", **kw), boto3.client("iam", **kw)


def normalize(value, uuid):
    """Replaces what differs by nature: the UUID, the account, LastModified."""
    if isinstance(value, dict):
        return {k: ("<time>" if k == "LastModified" else normalize(v, uuid))
                for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [normalize(v, uuid) for v in value]
    if isinstance(value, str):
        return value.replace(uuid, "<uuid>").replace("123456789012", "<acct>").replace(
            "000000000000", "<acct>")
    return value


def error(call):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
    return None


def script(url, moto):
    lam, sqs, iam = clients(url)
    q = sqs.create_queue(QueueName="esm-diff")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
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
        create_function(lam, "esmfn", "sqsconsumer")
    out = {}
    created = lam.create_event_source_mapping(FunctionName="esmfn", EventSourceArn=arn)
    uuid = created["UUID"]
    out["create"] = normalize(created, uuid)
    if not moto:
        wait_for(lambda: lam.get_event_source_mapping(UUID=uuid)["State"] == "Enabled", 5)
    out["get"] = normalize(lam.get_event_source_mapping(UUID=uuid), uuid)
    listed = lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
    assert len(listed) == 1
    out["list"] = normalize(listed[0], uuid)
    listed = lam.list_event_source_mappings(FunctionName="esmfn")["EventSourceMappings"]
    assert len(listed) == 1
    out["list-fn"] = normalize(listed[0], uuid)
    out["update"] = normalize(lam.update_event_source_mapping(UUID=uuid, BatchSize=5,
                                                              Enabled=False), uuid)
    if not moto:
        wait_for(lambda: lam.get_event_source_mapping(UUID=uuid)["State"] == "Disabled", 5)
    out["get-disabled"] = normalize(lam.get_event_source_mapping(UUID=uuid), uuid)
    out["BatchSize=11"] = error(lambda: lam.create_event_source_mapping(
        FunctionName="esmfn", EventSourceArn=arn, BatchSize=11))
    out["missing-function"] = error(lambda: lam.create_event_source_mapping(
        FunctionName="nope", EventSourceArn=arn))
    out["delete"] = normalize(lam.delete_event_source_mapping(UUID=uuid), uuid)
    out["get-deleted"] = error(lambda: lam.get_event_source_mapping(UUID=uuid)) \
        if moto else wait_for(lambda: error(lambda: lam.get_event_source_mapping(UUID=uuid)), 5)
    out["get-unknown"] = error(lambda: lam.get_event_source_mapping(
        UUID="6f1c8a4e-0000-4000-8000-000000000000"))
    return out


def test_esm_api_matches_moto(thaw, moto_url):  # noqa: F811
    ours = script(thaw.url, moto=False)
    theirs = script(moto_url, moto=True)
    differs = set()
    for step in ours:
        a, b = ours[step], theirs[step]
        if isinstance(a, dict) and "UUID" in a:
            lacking = set(a) - set(b)
            assert lacking <= MOTO_LACKS, (step, lacking)
            assert set(b) <= set(a), (step, set(b) - set(a))
            for key in b:
                if a[key] != b[key]:
                    differs.add(f"{step}.{key}")
        elif a != b:
            differs.add(step)
    # Update: thaw answers Disabling (AWS), moto Disabled.
    assert ours["update"]["State"] == "Disabling" and theirs["update"]["State"] == "Disabled"
    assert ours["create"]["State"] == "Creating"
    assert ours["missing-function"] == ("InvalidParameterValueException",
                                        "Function does not exist")
    assert ours["BatchSize=11"][0] == "InvalidParameterValueException"
    assert ours["get-deleted"] == theirs["get-deleted"] == (
        "ResourceNotFoundException", "The resource you requested does not exist.")
    # StateTransitionReason differs in every answer.
    reasons = {f"{step}.StateTransitionReason" for step in ours
               if isinstance(ours[step], dict)}
    assert differs == (MOTO_DIFFERS - {"create.StateTransitionReason"}) | reasons, differs
