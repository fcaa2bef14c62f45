"""SNS and SQS across accounts, with real clients: an access key id of 12 digits is that account
(222222222222 owns the topics, 111111111111 publishes). A topic's Policy admits another account's
Publish and Subscribe, a queue's Policy another account's SendMessage, and SNS delivers as the
service principal sns.amazonaws.com: to another account's queue only if that queue's policy
allows the topic (aws:SourceArn), to a function only if the function's policy allows it, even
in the same account. A refused delivery is a client-side error: tried once, then the
subscription's redrive queue."""

import json
import os
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config
from botocore.credentials import Credentials

from conftest import AWS_CLI, REGION, create_function, module_server, signed_headers
from invoke_util import environments, log_messages, unique, wait_for

OWNER = "222222222222"
OTHER = "111111111111"

server = module_server("--retry-delay-scale", "0.01", examples=True)


def client(service, server, account):
    return boto3.client(service, endpoint_url=server.url, region_name=REGION,
                        aws_access_key_id=account, aws_secret_access_key="SECRET",
                        config=Config(retries={"max_attempts": 1}, read_timeout=60))


def cli(server, account, *args):
    """/usr/bin/aws signed with `account`'s key; CompletedProcess."""
    home = tempfile.mkdtemp(prefix="thaw-aws-")
    for name in ("config", "credentials"):
        open(os.path.join(home, name), "w").close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=account, AWS_SECRET_ACCESS_KEY="SECRET",
               AWS_CONFIG_FILE=os.path.join(home, "config"),
               AWS_SHARED_CREDENTIALS_FILE=os.path.join(home, "credentials"),
               AWS_PAGER="", AWS_MAX_ATTEMPTS="1")
    return subprocess.run([AWS_CLI, "--endpoint-url", server.url, "--region", REGION,
                           "--output", "json", *args],
                          capture_output=True, text=True, env=env, timeout=120)


def code_of(excinfo):
    return excinfo.value.response["Error"]["Code"]


def queue(sqs, name=None):
    url = sqs.create_queue(QueueName=name or unique("q"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    return url, arn


def receive(sqs, url, n=1, timeout=10):
    got = []

    def check():
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                MessageAttributeNames=["All"])
        for m in r.get("Messages", []):
            got.append(m)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return got if len(got) >= n else None
    return wait_for(check, timeout, what=f"{n} message(s) on {url}")


def empty(sqs, url):
    r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    return not r.get("Messages")


def allow(principal, action, resource, condition=None):
    statement = {"Effect": "Allow", "Principal": principal, "Action": action,
                 "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@pytest.fixture(scope="module")
def owner(server):
    return {s: client(s, server, OWNER) for s in ("sns", "sqs", "lambda", "logs")}


@pytest.fixture(scope="module")
def other(server):
    return {s: client(s, server, OTHER) for s in ("sns", "sqs")}


def test_cross_account_publish_needs_the_topic_policy(server, owner, other):
    topic = owner["sns"].create_topic(Name=unique("t"))["TopicArn"]
    assert f":{OWNER}:" in topic
    url, qarn = queue(owner["sqs"])
    owner["sns"].subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        other["sns"].publish(TopicArn=topic, Message="refused")
    assert code_of(e) == "AuthorizationError"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert e.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{OTHER}:root is not authorized to perform: SNS:Publish on "
        f"resource: {topic} because no resource-based policy allows the SNS:Publish action")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        other["sns"].publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
            {"Id": "a", "Message": "refused"}])
    assert code_of(e) == "AuthorizationError"
    res = cli(server, OTHER, "sns", "publish", "--topic-arn", topic, "--message", "refused")
    assert res.returncode != 0
    assert "AuthorizationError" in res.stderr and "SNS:Publish" in res.stderr
    assert empty(owner["sqs"], url)
    # The owner sees AWS's default policy, then grants the other account Publish.
    default = json.loads(owner["sns"].get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    assert default["Id"] == "__default_policy_ID"
    assert default["Statement"][0]["Condition"] == {"StringEquals": {"AWS:SourceOwner": OWNER}}
    owner["sns"].set_topic_attributes(
        TopicArn=topic, AttributeName="Policy",
        AttributeValue=allow({"AWS": f"arn:aws:iam::{OTHER}:root"}, "sns:Publish", topic))
    r = other["sns"].publish(TopicArn=topic, Message="delivered")
    res = cli(server, OTHER, "sns", "publish", "--topic-arn", topic, "--message", "by cli")
    assert res.returncode == 0, res.stderr
    bodies = {json.loads(m["Body"])["Message"]: json.loads(m["Body"])
              for m in receive(owner["sqs"], url, n=2)}
    assert bodies["delivered"]["MessageId"] == r["MessageId"]
    assert "by cli" in bodies
    # Publish only: the rest of the topic stays the owner's.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        other["sns"].get_topic_attributes(TopicArn=topic)
    assert code_of(e) == "AuthorizationError"


def test_a_bad_topic_policy_is_refused_and_nothing_stored(owner):
    bad = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
                                     "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        owner["sns"].create_topic(Name=unique("bad"), Attributes={"Policy": bad})
    assert code_of(e) == "InvalidParameter"
    topic = owner["sns"].create_topic(Name=unique("t"))["TopicArn"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        owner["sns"].set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=bad)
    assert code_of(e) == "InvalidParameter"
    assert e.value.response["Error"]["Message"].startswith("Invalid parameter: Policy Error: ")
    policy = owner["sns"].get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"]
    assert json.loads(policy)["Id"] == "__default_policy_ID"


def test_sns_to_a_queue_of_another_account_needs_its_policy(owner, other):
    # The subscriber (111) subscribes its own queue to the owner's topic; SNS then sends to it
    # only if the queue's policy lets the topic's sns.amazonaws.com in.
    topic = owner["sns"].create_topic(Name=unique("t"))["TopicArn"]
    url, qarn = queue(other["sqs"])
    assert f":{OTHER}:" in qarn
    with pytest.raises(botocore.exceptions.ClientError) as e:
        other["sns"].subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
    assert code_of(e) == "AuthorizationError"
    owner["sns"].set_topic_attributes(
        TopicArn=topic, AttributeName="Policy",
        AttributeValue=allow({"AWS": OTHER}, ["sns:Subscribe"], topic))
    dlq_url, dlq_arn = queue(other["sqs"])
    sub = other["sns"].subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=qarn, ReturnSubscriptionArn=True,
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})},
    )["SubscriptionArn"]
    listed = owner["sns"].list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [(s["SubscriptionArn"], s["Owner"]) for s in listed] == [(sub, OTHER)]

    r = owner["sns"].publish(TopicArn=topic, Message="denied")
    dead = receive(other["sqs"], dlq_url)[0]
    assert json.loads(dead["Body"])["MessageId"] == r["MessageId"]
    assert dead["MessageAttributes"]["ErrorCode"]["StringValue"] == "403"
    assert "sqs:sendmessage" in dead["MessageAttributes"]["ErrorMessage"]["StringValue"]
    assert empty(other["sqs"], url)

    other["sqs"].set_queue_attributes(QueueUrl=url, Attributes={"Policy": allow(
        {"Service": "sns.amazonaws.com"}, "sqs:SendMessage", qarn,
        {"ArnEquals": {"aws:SourceArn": topic}})})
    r = owner["sns"].publish(TopicArn=topic, Message="allowed")
    got = json.loads(receive(other["sqs"], url)[0]["Body"])
    assert got["MessageId"] == r["MessageId"] and got["TopicArn"] == topic
    assert empty(other["sqs"], dlq_url)


def test_sqs_send_to_another_account_needs_the_queue_policy(server, owner, other):
    url, qarn = queue(owner["sqs"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        other["sqs"].send_message(QueueUrl=url, MessageBody="refused")
    assert code_of(e) == "AccessDenied"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert e.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{OTHER}:root is not authorized to perform: sqs:sendmessage on "
        f"resource: {qarn} because no resource-based policy allows the sqs:sendmessage action")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        other["sqs"].send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "x"}])
    assert code_of(e) == "AccessDenied"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        other["sqs"].receive_message(QueueUrl=url)
    assert code_of(e) == "AccessDenied"
    res = cli(server, OTHER, "sqs", "send-message", "--queue-url", url, "--message-body", "x")
    assert res.returncode != 0 and "AccessDenied" in res.stderr
    # The query protocol's XML error.
    body = urllib.parse.urlencode({"Action": "SendMessage", "QueueUrl": url,
                                   "MessageBody": "x", "Version": "2012-11-05"}).encode()
    headers = signed_headers("POST", server.url + "/", body,
                             {"Content-Type": "application/x-www-form-urlencoded"},
                             service="sqs", credentials=Credentials(OTHER, "SECRET"))
    req = urllib.request.Request(server.url + "/", data=body, method="POST", headers=headers)
    with pytest.raises(urllib.error.HTTPError) as http:
        urllib.request.urlopen(req, timeout=10)
    assert http.value.code == 403
    xml = http.value.read().decode()
    assert "<Code>AccessDenied</Code>" in xml and "<Type>Sender</Type>" in xml
    assert empty(owner["sqs"], url)

    owner["sqs"].set_queue_attributes(QueueUrl=url, Attributes={"Policy": allow(
        {"AWS": f"arn:aws:iam::{OTHER}:root"}, "sqs:SendMessage", qarn)})
    other["sqs"].send_message(QueueUrl=url, MessageBody="allowed")
    res = cli(server, OTHER, "sqs", "send-message", "--queue-url", url, "--message-body", "cli")
    assert res.returncode == 0, res.stderr
    assert sorted(m["Body"] for m in receive(owner["sqs"], url, n=2)) == ["allowed", "cli"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        other["sqs"].receive_message(QueueUrl=url)  # SendMessage only
    assert code_of(e) == "AccessDenied"


def test_sns_to_lambda_needs_the_function_policy(server, owner):
    fn = unique("snsacct")
    fn_arn = create_function(owner["lambda"], fn, "snsconsumer")["FunctionArn"]
    topic = owner["sns"].create_topic(Name=unique("t"))["TopicArn"]
    dlq_url, dlq_arn = queue(owner["sqs"])
    owner["sns"].subscribe(
        TopicArn=topic, Protocol="lambda", Endpoint=fn_arn,
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})
    # No permission for sns.amazonaws.com: refused, not retried, to the redrive queue at once.
    r = owner["sns"].publish(TopicArn=topic, Message="no permission")
    dead = receive(owner["sqs"], dlq_url)
    assert len(dead) == 1
    body = json.loads(dead[0]["Body"])
    assert body["MessageId"] == r["MessageId"] and body["Message"] == "no permission"
    assert body["Type"] == "Notification" and "SigningCertURL" in body
    attrs = dead[0]["MessageAttributes"]
    assert attrs["ErrorCode"]["StringValue"] == "403"
    assert attrs["ErrorMessage"]["StringValue"].startswith(
        "User: sns.amazonaws.com is not authorized to perform: lambda:InvokeFunction")
    assert set(attrs) == {"RequestID", "ErrorCode", "ErrorMessage"}
    # Exactly one attempt: SNS gave up at once (one log line), and the function never ran.
    gave_up = [line for line in server.stderr().splitlines()
               if r["MessageId"] in line and "failed" in line]
    assert len(gave_up) == 1, gave_up
    assert environments(server, fn) == []
    assert empty(owner["sqs"], dlq_url)

    owner["lambda"].add_permission(FunctionName=fn, StatementId="sns", Principal="sns.amazonaws.com",
                                   Action="lambda:InvokeFunction", SourceArn=topic)
    r = owner["sns"].publish(TopicArn=topic, Message="with permission")
    wait_for(lambda: any("with permission" in m for m in log_messages(owner["logs"], fn)), 15,
             interval=0.1, what="the function's log of the delivered message")
    assert empty(owner["sqs"], dlq_url)
    # A permission for another topic does not do.
    other_topic = owner["sns"].create_topic(Name=unique("t"))["TopicArn"]
    owner["sns"].subscribe(
        TopicArn=other_topic, Protocol="lambda", Endpoint=fn_arn,
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})
    r = owner["sns"].publish(TopicArn=other_topic, Message="wrong topic")
    assert json.loads(receive(owner["sqs"], dlq_url)[0]["Body"])["MessageId"] == r["MessageId"]


def test_unsubscribe_url_works_unsigned(server, owner):
    topic = owner["sns"].create_topic(Name=unique("t"))["TopicArn"]
    _, qarn = queue(owner["sqs"])
    sub = owner["sns"].subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)["SubscriptionArn"]
    url = (server.url + "/?Action=Unsubscribe&SubscriptionArn=" +
           urllib.parse.quote(sub, safe=""))
    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.status == 200
        assert b"<UnsubscribeResponse" in resp.read()
    assert owner["sns"].list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
