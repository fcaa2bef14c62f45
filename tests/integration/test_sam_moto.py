"""Differential test: the same CloudFormation template deployed by `thaw deploy -t` and by moto's
server (CreateStack), the intrinsic functions' results (Outputs) and the made resources
compared. Account ids and the random part of generated names are normalised; moto's account is
123456789012, thaw's 000000000000.

Where moto differs from CloudFormation's documentation, thaw follows CloudFormation:
  - Fn::Select over a Ref to a CommaDelimitedList parameter: CloudFormation selects from the
    list ("b"); moto indexes the unsplit text (",").
  - Fn::Or over conditions that name other conditions (Either: IsProd or NotProd, with
    NotProd true): CloudFormation gives true; moto false.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import boto3
import pytest

from conftest import ROOT, THAW_BIN

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Env: {Type: String, Default: dev, AllowedValues: [dev, prod]}
  Zones: {Type: CommaDelimitedList, Default: "a,b,c"}
Mappings:
  Sizes:
    dev: {Retention: 3600}
    prod: {Retention: 7200}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
  Either: !Or [!Condition IsProd, !Condition NotProd]
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      MessageRetentionPeriod: !FindInMap [Sizes, !Ref Env, Retention]
  NamedQueue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${AWS::StackName}-named"
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt Queue.Arn
        maxReceiveCount: 4
  Topic:
    Type: AWS::SNS::Topic
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      BillingMode: PAY_PER_REQUEST
  ProdQueue:
    Type: AWS::SQS::Queue
    Condition: IsProd
Outputs:
  QueueUrl: {Value: !Ref Queue}
  QueueName: {Value: !GetAtt Queue.QueueName}
  QueueArn: {Value: !GetAtt Queue.Arn}
  NamedUrl: {Value: !Ref NamedQueue}
  TopicArn: {Value: !Ref Topic}
  TopicName: {Value: !GetAtt Topic.TopicName}
  TableName: {Value: !Ref Table}
  TableArn: {Value: !GetAtt Table.Arn}
  Joined: {Value: !Join ["-", [!Ref Env, !Select [1, !Ref Zones]]]}
  Split: {Value: !Select [2, !Split [",", "x,y,z"]]}
  Subbed: {Value: !Sub ["${A}/${AWS::Region}/${AWS::Partition}/${AWS::AccountId}", {A: !Ref Env}]}
  IfProd: {Value: !If [IsProd, big, small]}
  EitherText: {Value: !If [Either, "one", "none"]}
  Zone: {Value: !Select [0, !GetAZs ""]}
  Stack: {Value: !Ref "AWS::StackName"}
  Suffix: {Value: !Ref "AWS::URLSuffix"}
"""


MOTO_DIFFERS = {"Joined": "dev-b", "EitherText": "one"}


def _moto_server_path():
    for candidate in (os.environ.get("MOTO_SERVER"), str(ROOT / ".venv" / "bin" / "moto_server"),
                      shutil.which("moto_server")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def moto_url():
    path = _moto_server_path()
    if path is None:
        pytest.skip("moto_server not installed (scripts/setup-test-env.sh installs moto[server])")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([path, "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("moto_server did not start")
            time.sleep(0.1)
    yield url
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(10)


def client(service, url):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="AKID", aws_secret_access_key="SECRET")


def normalise(value, url):
    value = value.replace(url, "ENDPOINT").replace("123456789012", "ACCOUNT")
    value = value.replace("000000000000", "ACCOUNT")
    value = re.sub(r"https?://[^/]*queue\.amazonaws\.com", "ENDPOINT", value)
    value = re.sub(r"https?://sqs\.us-east-1\.amazonaws\.com", "ENDPOINT", value)
    # STACK-LogicalId-RANDOM: the random part differs by design.
    return re.sub(r"(stk-(Queue|Topic|Table))-[A-Za-z0-9]{8,}", r"\1-RANDOM", value)


def queue_attributes(url, outputs):
    """The Queue's retention and NamedQueue's redrive policy, as each server answers them."""
    sqs = client("sqs", url)
    queue = sqs.get_queue_url(QueueName=outputs["QueueName"])["QueueUrl"]
    named = sqs.get_queue_url(QueueName="stk-named")["QueueUrl"]
    retention = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["MessageRetentionPeriod"])
    redrive = sqs.get_queue_attributes(QueueUrl=named, AttributeNames=["RedrivePolicy"])
    policy = json.loads(redrive["Attributes"]["RedrivePolicy"])
    return (retention["Attributes"]["MessageRetentionPeriod"], int(policy["maxReceiveCount"]),
            policy["deadLetterTargetArn"].split(":")[-1] == outputs["QueueName"])


def thaw_outputs(server, tmp_path, env):
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    res = subprocess.run([str(THAW_BIN), "--endpoint", server.url, "deploy", "-t",
                          str(tmp_path / "template.yaml"), "--stack-name", "stk",
                          "--parameter-overrides", f"Env={env}"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    state = json.loads((tmp_path / ".thaw" / "stk.json").read_text())
    return state["Outputs"]


def moto_outputs(url, env):
    cfn = client("cloudformation", url)
    cfn.create_stack(StackName="stk", TemplateBody=TEMPLATE,
                     Parameters=[{"ParameterKey": "Env", "ParameterValue": env}])
    stack = cfn.describe_stacks(StackName="stk")["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def test_outputs_as_moto(thaw_server, moto_url, tmp_path):
    raw_ours = thaw_outputs(thaw_server, tmp_path, "dev")
    raw_theirs = moto_outputs(moto_url, "dev")
    assert queue_attributes(thaw_server.url, raw_ours) == queue_attributes(moto_url, raw_theirs) \
        == ("3600", 4, True)
    ours = {k: normalise(v, thaw_server.url) for k, v in raw_ours.items()}
    theirs = {k: normalise(v, moto_url) for k, v in raw_theirs.items()}
    # moto's differences (above): thaw's values checked here, moto's left out.
    for key, aws in MOTO_DIFFERS.items():
        assert ours.pop(key) == aws
        theirs.pop(key)
    assert len(theirs) == 14, theirs
    mismatches = {k: (ours.get(k), theirs.get(k)) for k in set(ours) | set(theirs)
                  if ours.get(k) != theirs.get(k)}
    assert not mismatches, "\n".join(f"{k}: thaw {a!r}, moto {b!r}" for k, (a, b) in
                                     sorted(mismatches.items()))
