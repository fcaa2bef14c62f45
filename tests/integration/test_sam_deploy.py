"""`thaw deploy -t template.yaml`: a SAM template with a Go function behind an SQS queue and a
DynamoDB table whose stream feeds another (aliased) function, deployed as a stack; both fire;
a second deploy changes nothing; a removed resource is deleted; an unsupported type is refused
before anything changes; --delete-stack removes everything."""

import json
import os
import subprocess

import pytest

from conftest import ROOT, THAW_BIN, boto_client, poll
from ddb_util import ddb_client
from invoke_util import log_messages
from sqs_util import sqs_client

GO = ROOT / "examples" / "functions" / "go"

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: A queue and a table stream, each feeding a Go function.
Parameters:
  Stage: {{Type: String, Default: dev, AllowedValues: [dev, prod]}}
Globals:
  Function:
    Runtime: provided.al2023
    Handler: bootstrap
    Timeout: 10
    Environment:
      Variables:
        STAGE: !Ref Stage
Resources:
  WorkQueue:
    Type: AWS::SQS::Queue
    Properties: {{VisibilityTimeout: 30}}
  ItemsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{{AttributeName: pk, AttributeType: S}}]
      KeySchema: [{{AttributeName: pk, KeyType: HASH}}]
      BillingMode: PAY_PER_REQUEST
      StreamSpecification: {{StreamViewType: NEW_AND_OLD_IMAGES}}
  QueueFunction:
    Type: AWS::Serverless::Function
    Metadata: {{BuildMethod: go1.x}}
    Properties:
      CodeUri: {sqs}
      Events:
        Work:
          Type: SQS
          Properties: {{Queue: !GetAtt WorkQueue.Arn, BatchSize: 1}}
  StreamFunction:
    Type: AWS::Serverless::Function
    Metadata: {{BuildMethod: go1.x}}
    Properties:
      CodeUri: {ddb}
      AutoPublishAlias: live
      Events:
        Changes:
          Type: DynamoDB
          Properties: {{Stream: !GetAtt ItemsTable.StreamArn, StartingPosition: TRIM_HORIZON}}
{extra}
Outputs:
  QueueUrl: {{Value: !Ref WorkQueue}}
  TableName: {{Value: !Ref ItemsTable}}
  QueueFunctionName: {{Value: !Ref QueueFunction}}
  StreamFunctionName: {{Value: !Ref StreamFunction}}
  StackRegion: {{Value: !Sub "${{AWS::StackName}} in ${{AWS::Region}}"}}
"""
EXTRA_TOPIC = "  ExtraTopic:\n    Type: AWS::SNS::Topic\n"
BUCKET = "  Bucket:\n    Type: AWS::S3::Bucket\n"


def write_template(directory, extra):
    path = directory / "template.yaml"
    path.write_text(TEMPLATE.format(sqs=GO / "sqsconsumer", ddb=GO / "ddbconsumer", extra=extra))
    return path


def deploy(server, *args, cwd=ROOT):
    env = dict(os.environ, THAW_ENDPOINT=server.url)
    env["PATH"] = env.get("PATH", "") + ":/usr/local/go/bin"
    return subprocess.run([str(THAW_BIN), "deploy", *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=300, cwd=cwd)


def ok(res):
    assert res.returncode == 0, f"exit {res.returncode}\n{res.stdout}\n{res.stderr}"
    return res


def state_of(directory, stack):
    return json.loads((directory / ".thaw" / f"{stack}.json").read_text())


@pytest.fixture(scope="module")
def stack(thaw_server, tmp_path_factory):
    directory = tmp_path_factory.mktemp("sam")
    write_template(directory, EXTRA_TOPIC)
    # `thaw deploy` alone in the template's directory; the stack is named after the directory.
    first = ok(deploy(thaw_server, "--parameter-overrides", "Stage=prod", cwd=directory))
    return directory, directory.name, first


def test_first_deploy_creates_everything_and_prints_outputs(stack, thaw_server):
    directory, name, first = stack
    assert f"stack {name}: 11 created, 0 updated, 0 replaced, 0 deleted, 0 unchanged" in first.stdout
    outputs = state_of(directory, name)["Outputs"]
    assert outputs["QueueUrl"] in first.stdout
    assert outputs["StackRegion"] == f"{name} in us-east-1"
    assert outputs["QueueFunctionName"].startswith(f"{name}-QueueFunction-")
    lam = boto_client("lambda", thaw_server)
    config = lam.get_function_configuration(FunctionName=outputs["QueueFunctionName"])
    assert config["Environment"]["Variables"] == {"STAGE": "prod"}
    assert config["Timeout"] == 10
    alias = lam.get_alias(FunctionName=outputs["StreamFunctionName"], Name="live")
    assert alias["FunctionVersion"] == "1"
    mappings = lam.list_event_source_mappings(FunctionName=alias["AliasArn"])
    assert len(mappings["EventSourceMappings"]) == 1


def test_queue_and_stream_fire_their_functions(stack, thaw_server):
    directory, name, _ = stack
    outputs = state_of(directory, name)["Outputs"]
    sqs_client(thaw_server.url).send_message(QueueUrl=outputs["QueueUrl"], MessageBody="hi-sam")
    ddb_client(thaw_server.url).put_item(TableName=outputs["TableName"],
                                         Item={"pk": {"S": "k1"}})
    logs = boto_client("logs", thaw_server)
    poll(lambda: any("hi-sam" in m for m in log_messages(logs, outputs["QueueFunctionName"])),
         timeout=30, what="the queue's function")
    poll(lambda: any(m.startswith("INSERT Keys={pk: \"k1\"}")
                     for m in log_messages(logs, outputs["StreamFunctionName"])),
         timeout=30, what="the stream's function")


def test_second_deploy_changes_nothing(stack, thaw_server):
    directory, name, _ = stack
    before = state_of(directory, name)
    lam = boto_client("lambda", thaw_server)
    modified = lam.get_function_configuration(
        FunctionName=before["Outputs"]["QueueFunctionName"])["LastModified"]
    res = ok(deploy(thaw_server, "-t", directory / "template.yaml", "--stack-name", name,
                    "--parameter-overrides", "Stage=prod"))
    assert "0 created, 0 updated, 0 replaced, 0 deleted, 11 unchanged" in res.stdout
    assert state_of(directory, name) == before
    assert lam.get_function_configuration(
        FunctionName=before["Outputs"]["QueueFunctionName"])["LastModified"] == modified


def test_unsupported_type_is_refused_before_any_change(stack, thaw_server, tmp_path):
    directory, name, _ = stack
    before = state_of(directory, name)
    bad = write_template(tmp_path, BUCKET)
    (tmp_path / ".thaw").mkdir()
    (tmp_path / ".thaw" / f"{name}.json").write_text(json.dumps(before))
    res = deploy(thaw_server, "-t", bad, "--stack-name", name)
    assert res.returncode == 2, res.stderr
    assert "Resources.Bucket: type AWS::S3::Bucket is not supported by thaw" in res.stderr
    assert state_of(tmp_path, name) == before
    res = deploy(thaw_server, "-t", bad, "--stack-name", name, "--parameter-overrides", "Stage=qa")
    assert res.returncode == 2 and "is not one of" in res.stderr


def test_removed_resource_is_deleted_then_the_stack(stack, thaw_server):
    directory, name, _ = stack
    topic_arn = state_of(directory, name)["Resources"]["ExtraTopic"]["PhysicalId"]
    sns = boto_client("sns", thaw_server)
    assert topic_arn in [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    before = state_of(directory, name)["Resources"]
    path = write_template(directory, "")
    # Stage back to dev: both functions' configuration is updated in place; so are the queue,
    # the SQS mapping's batch size and the table's TTL (its items stay).
    text = path.read_text().replace("VisibilityTimeout: 30", "VisibilityTimeout: 40")
    text = text.replace("BatchSize: 1}", "BatchSize: 2}")
    text = text.replace("      BillingMode: PAY_PER_REQUEST\n",
                        "      BillingMode: PAY_PER_REQUEST\n"
                        "      TimeToLiveSpecification: {AttributeName: expires, Enabled: true}\n")
    path.write_text(text)
    res = ok(deploy(thaw_server, "--stack-name", name, cwd=directory))
    assert "0 created, 5 updated, 0 replaced, 1 deleted, 5 unchanged" in res.stdout, res.stderr
    assert topic_arn not in [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    after = state_of(directory, name)["Resources"]
    assert "ExtraTopic" not in after
    for same in ("WorkQueue", "ItemsTable", "QueueFunctionWork"):
        assert after[same]["PhysicalId"] == before[same]["PhysicalId"]
    outputs = state_of(directory, name)["Outputs"]
    sqs = sqs_client(thaw_server.url)
    assert sqs.get_queue_attributes(QueueUrl=outputs["QueueUrl"], AttributeNames=[
        "VisibilityTimeout"])["Attributes"]["VisibilityTimeout"] == "40"
    lam = boto_client("lambda", thaw_server)
    assert lam.get_event_source_mapping(
        UUID=after["QueueFunctionWork"]["PhysicalId"])["BatchSize"] == 2
    ddb = ddb_client(thaw_server.url)
    assert ddb.get_item(TableName=outputs["TableName"], Key={"pk": {"S": "k1"}}).get("Item")
    assert ddb.describe_time_to_live(TableName=outputs["TableName"])[
        "TimeToLiveDescription"]["AttributeName"] == "expires"

    ok(deploy(thaw_server, "--stack-name", name, "--delete-stack", cwd=directory))
    assert state_of(directory, name)["Resources"] == {}
    names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    assert outputs["QueueFunctionName"] not in names
    assert outputs["StreamFunctionName"] not in names
    tables = ddb_client(thaw_server.url).list_tables()["TableNames"]
    assert outputs["TableName"] not in tables


def test_deploy_without_dir_or_template_is_a_usage_error(thaw_server, tmp_path):
    res = deploy(thaw_server, cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert "give DIR, or -t TEMPLATE (no template.yaml here)" in res.stderr


KITCHEN = """\
Transform: AWS::Serverless-2016-10-31
Parameters:
  Memory: {{Type: Number, Default: 256, MinValue: 128}}
  WithExtras: {{Type: String, Default: "no"}}
Conditions:
  Extras: !Equals [!Ref WithExtras, "yes"]
Globals:
  Function:
    Runtime: provided.al2023
    Handler: bootstrap
    MemorySize: !Ref Memory
    Tags: {{team: thaw}}
Resources:
  Topic:
    Type: AWS::SNS::Topic
  Stream:
    Type: AWS::Kinesis::Stream
    Properties: {{ShardCount: 1}}
  Failures:
    Type: AWS::SQS::Queue
  Table:
    Type: AWS::Serverless::SimpleTable
    Properties:
      PrimaryKey: {{Name: id, Type: Number}}
  Layer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer/
      CompatibleRuntimes: [provided.al2023]
  SnsFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {sns}
      Layers: [!Ref Layer]
      Events:
        Note:
          Type: SNS
          Properties: {{Topic: !Ref Topic}}
  KinesisFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {kinesis}
      Events:
        Records:
          Type: Kinesis
          Properties: {{Stream: !GetAtt Stream.Arn, StartingPosition: TRIM_HORIZON, BatchSize: 5}}
  FailingFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {error}
      ReservedConcurrentExecutions: 2
      EventInvokeConfig:
        MaximumRetryAttempts: 0
        DestinationConfig:
          OnFailure: {{Type: SQS, Destination: !GetAtt Failures.Arn}}
  ExtraQueue:
    Type: AWS::SQS::Queue
    Condition: Extras
Outputs:
  TopicArn: {{Value: !Ref Topic}}
  StreamName: {{Value: !Ref Stream}}
  FailuresUrl: {{Value: !Ref Failures}}
  TableName: {{Value: !Ref Table}}
  LayerArn: {{Value: !Ref Layer}}
  Sns: {{Value: !Ref SnsFunction}}
  Kinesis: {{Value: !Ref KinesisFunction}}
  Failing: {{Value: !Ref FailingFunction}}
"""


def test_sns_kinesis_layer_table_and_invoke_config(thaw_server, tmp_path):
    (tmp_path / "layer").mkdir()
    (tmp_path / "layer" / "data.txt").write_text("layer data\n")
    (tmp_path / "template.yaml").write_text(KITCHEN.format(
        sns=GO / "snsconsumer", kinesis=GO / "kinesisconsumer", error=GO / "error"))
    res = ok(deploy(thaw_server, "--stack-name", "kitchen", cwd=tmp_path))
    state = state_of(tmp_path, "kitchen")
    out = state["Outputs"]
    assert "ExtraQueue" not in state["Resources"]  # its Condition is false
    assert {"SnsFunctionNote", "SnsFunctionNotePermission", "KinesisFunctionRecords",
            "FailingFunctionEventInvokeConfig"} <= set(state["Resources"]), res.stderr

    lam = boto_client("lambda", thaw_server)
    config = lam.get_function_configuration(FunctionName=out["Sns"])
    assert config["MemorySize"] == 256
    assert [layer["Arn"] for layer in config["Layers"]] == [out["LayerArn"]]
    assert lam.list_tags(Resource=config["FunctionArn"])["Tags"] == {"team": "thaw"}
    assert lam.get_function_concurrency(
        FunctionName=out["Failing"])["ReservedConcurrentExecutions"] == 2
    table = ddb_client(thaw_server.url).describe_table(TableName=out["TableName"])["Table"]
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "N"}]

    boto_client("sns", thaw_server).publish(TopicArn=out["TopicArn"], Message="to-sns-fn")
    boto_client("kinesis", thaw_server).put_record(StreamName=out["StreamName"], Data=b"rec",
                                                   PartitionKey="p")
    lam.invoke(FunctionName=out["Failing"], InvocationType="Event", Payload=b"{}")
    logs = boto_client("logs", thaw_server)
    poll(lambda: any(m.startswith("SNSEVENT") and "to-sns-fn" in m
                     for m in log_messages(logs, out["Sns"])), timeout=30, what="SNS delivery")
    poll(lambda: any(m.startswith("KINESISRECORDS 1") for m in log_messages(logs, out["Kinesis"])),
         timeout=30, what="the Kinesis mapping")
    sqs = sqs_client(thaw_server.url)
    got = poll(lambda: sqs.receive_message(QueueUrl=out["FailuresUrl"]).get("Messages"),
               timeout=30, what="the OnFailure destination")
    assert json.loads(got[0]["Body"])["requestContext"]["condition"] == "RetriesExhausted"

    # The condition turned on adds its queue, and nothing else changes.
    res = ok(deploy(thaw_server, "--stack-name", "kitchen", "--parameter-overrides",
                    "WithExtras=yes", cwd=tmp_path))
    assert "stack kitchen: 1 created, 0 updated, 0 replaced, 0 deleted" in res.stdout, res.stderr
    # New tags: the three functions are updated (one tag changed, one added).
    path = tmp_path / "template.yaml"
    path.write_text(path.read_text().replace("Tags: {team: thaw}", "Tags: {team: core, env: dev}"))
    res = ok(deploy(thaw_server, "--stack-name", "kitchen", "--parameter-overrides",
                    "WithExtras=yes", cwd=tmp_path))
    assert "stack kitchen: 0 created, 3 updated, 0 replaced, 0 deleted" in res.stdout, res.stderr
    assert lam.list_tags(Resource=config["FunctionArn"])["Tags"] == {"team": "core", "env": "dev"}
    path.write_text(path.read_text().replace("Tags: {team: core, env: dev}", "Tags: {env: dev}"))
    ok(deploy(thaw_server, "--stack-name", "kitchen", "--parameter-overrides", "WithExtras=yes",
              cwd=tmp_path))
    assert lam.list_tags(Resource=config["FunctionArn"])["Tags"] == {"env": "dev"}

    # A topic is replaced on a change; its subscription and permission follow the new ARN.
    path.write_text(path.read_text().replace("  Topic:\n    Type: AWS::SNS::Topic\n",
                                             "  Topic:\n    Type: AWS::SNS::Topic\n"
                                             "    Properties: {DisplayName: news}\n"))
    res = ok(deploy(thaw_server, "--stack-name", "kitchen", "--parameter-overrides",
                    "WithExtras=yes", cwd=tmp_path))
    assert "0 created, 0 updated, 3 replaced, 0 deleted" in res.stdout, res.stderr
    topic = state_of(tmp_path, "kitchen")["Outputs"]["TopicArn"]
    assert topic != out["TopicArn"]
    boto_client("sns", thaw_server).publish(TopicArn=topic, Message="to-new-topic")
    poll(lambda: any(m.startswith("SNSEVENT") and "to-new-topic" in m
                     for m in log_messages(logs, out["Sns"])), timeout=30, what="the new topic")

    ok(deploy(thaw_server, "--stack-name", "kitchen", "--delete-stack", cwd=tmp_path))
    assert state_of(tmp_path, "kitchen")["Resources"] == {}
