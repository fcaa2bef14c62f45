"""SNS on the front door with real clients: boto3 and /usr/bin/aws (both the query protocol),
topics, subscriptions, attributes, tags, errors, and delivery: to SQS (the JSON envelope or the
raw message), to Lambda (the Go function examples/functions/go/snsconsumer parses
events.SNSEvent with aws-lambda-go and verifies the signature with the served certificate), and
to a loopback HTTP endpoint with its SubscriptionConfirmation. Durability: a published message
survives kill -9."""

import base64
import http.server
import json
import re
import threading
import urllib.request

import boto3
import botocore.exceptions
import pytest

from conftest import aws, boto_client, create_function
from invoke_util import log_messages, unique, wait_for
from sqs_util import sqs_client

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture(scope="module")
def sns(thaw_server):
    return boto_client("sns", thaw_server)


@pytest.fixture(scope="module")
def sqs(thaw_server):
    return sqs_client(thaw_server.url)


def code_of(excinfo):
    return excinfo.value.response["Error"]["Code"]


def cli_json(server, *args):
    res = aws(server, "sns", *args)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout) if res.stdout.strip() else {}


def queue(sqs, name=None):
    url = sqs.create_queue(QueueName=name or unique("snsq"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    return url, arn


def receive(sqs, url, n=1, timeout=8):
    got = []

    def check():
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                MessageAttributeNames=["All"])
        for m in r.get("Messages", []):
            got.append(m)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return got if len(got) >= n else None
    return wait_for(check, timeout, what=f"{n} message(s) on {url}")


def allow_sns(lam, fn, topic):
    """SNS invokes as sns.amazonaws.com for the topic: the function's policy must say so."""
    lam.add_permission(FunctionName=fn, StatementId=unique("sns"), Action="lambda:InvokeFunction",
                       Principal="sns.amazonaws.com", SourceArn=topic)


# ---- Topics ----

def test_topics_create_list_delete(sns):
    arn = sns.create_topic(Name="basic-topic")["TopicArn"]
    assert arn == "arn:aws:sns:us-east-1:000000000000:basic-topic"
    assert sns.create_topic(Name="basic-topic")["TopicArn"] == arn  # idempotent
    assert arn in [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    sns.delete_topic(TopicArn=arn)
    assert arn not in [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sns.get_topic_attributes(TopicArn=arn)
    assert code_of(e) == "NotFound"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert e.value.response["Error"]["Message"] == "Topic does not exist"
    assert e.value.response["Error"]["Type"] == "Sender"


def test_create_with_other_attributes_is_refused(sns):
    sns.create_topic(Name="attr-topic", Attributes={"DisplayName": "a"})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sns.create_topic(Name="attr-topic", Attributes={"DisplayName": "b"})
    assert code_of(e) == "InvalidParameter"
    for bad in ("has space", "x" * 257, ""):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            sns.create_topic(Name=bad)
        assert code_of(e) == "InvalidParameter"


def test_list_topics_pages_by_100(thaw_server):
    client = boto3.client(
        "sns", endpoint_url=thaw_server.url, region_name="us-east-1",
        aws_access_key_id="222222222222", aws_secret_access_key="SECRET")
    arns = sorted(client.create_topic(Name=f"page-{i:03d}")["TopicArn"] for i in range(105))
    first = client.list_topics()
    assert len(first["Topics"]) == 100 and first["NextToken"]
    second = client.list_topics(NextToken=first["NextToken"])
    assert "NextToken" not in second
    assert sorted(t["TopicArn"] for t in first["Topics"] + second["Topics"]) == arns
    # The paginator follows NextToken.
    pages = client.get_paginator("list_topics").paginate()
    assert len([t for p in pages for t in p["Topics"]]) == 105
    assert all(a.startswith("arn:aws:sns:us-east-1:222222222222:") for a in arns)


def test_topic_attributes(sns):
    arn = sns.create_topic(Name="attrs")["TopicArn"]
    a = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert a["TopicArn"] == arn
    assert a["Owner"] == "000000000000"
    assert a["SubscriptionsConfirmed"] == "0"
    assert a["SubscriptionsPending"] == "0"
    assert a["SubscriptionsDeleted"] == "0"
    policy = json.loads(a["Policy"])
    assert policy["Statement"][0]["Resource"] == arn
    assert json.loads(a["EffectiveDeliveryPolicy"])["http"]["defaultHealthyRetryPolicy"][
        "numRetries"] == 3
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="Shown")
    delivery = '{"http":{"defaultHealthyRetryPolicy":{"numRetries":5}}}'
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DeliveryPolicy", AttributeValue=delivery)
    a = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert a["DisplayName"] == "Shown"
    assert a["DeliveryPolicy"] == delivery
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sns.set_topic_attributes(TopicArn=arn, AttributeName="Bogus", AttributeValue="x")
    assert code_of(e) == "InvalidParameter"


def test_fifo_topics(sns, sqs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sns.create_topic(Name="nofifo.fifo")
    assert code_of(e) == "InvalidParameter"
    arn = sns.create_topic(Name="orders.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    a = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert a["FifoTopic"] == "true" and a["ContentBasedDeduplication"] == "false"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sns.publish(TopicArn=arn, Message="m")
    assert code_of(e) == "InvalidParameter"
    assert "MessageGroupId" in e.value.response["Error"]["Message"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sns.publish(TopicArn=arn, Message="m", MessageGroupId="g")
    assert "ContentBasedDeduplication" in e.value.response["Error"]["Message"]
    first = sns.publish(TopicArn=arn, Message="m", MessageGroupId="g", MessageDeduplicationId="d")
    assert len(first["SequenceNumber"]) == 20
    again = sns.publish(TopicArn=arn, Message="m", MessageGroupId="g", MessageDeduplicationId="d")
    assert again["MessageId"] == first["MessageId"]
    sns.set_topic_attributes(TopicArn=arn, AttributeName="ContentBasedDeduplication",
                             AttributeValue="true")
    assert sns.publish(TopicArn=arn, Message="n", MessageGroupId="g")["MessageId"]


def test_tags(sns):
    arn = sns.create_topic(Name="tagged", Tags=[{"Key": "a", "Value": "1"}])["TopicArn"]
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "b", "Value": "2"}])
    tags = sns.list_tags_for_resource(ResourceArn=arn)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("a", "1"), ("b", "2")]
    sns.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sns.list_tags_for_resource(ResourceArn=arn + "-gone")
    assert code_of(e) == "ResourceNotFound"


# ---- Subscriptions ----

def test_subscriptions_and_attributes(sns, sqs):
    topic = sns.create_topic(Name="subs")["TopicArn"]
    _, qarn = queue(sqs)
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)["SubscriptionArn"]
    assert sub.startswith(topic + ":") and len(sub) == len(topic) + 37
    # Subscribing again returns the same subscription.
    assert sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)["SubscriptionArn"] == sub
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert listed == [{"SubscriptionArn": sub, "Owner": "000000000000", "Protocol": "sqs",
                       "Endpoint": qarn, "TopicArn": topic}]
    assert sub in [s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"]]
    a = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert a["RawMessageDelivery"] == "false"
    assert a["PendingConfirmation"] == "false"
    assert a["Protocol"] == "sqs" and a["Endpoint"] == qarn and a["TopicArn"] == topic
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery",
                                    AttributeValue="true")
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                    AttributeValue='{"k":["v"]}')
    a = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert a["RawMessageDelivery"] == "true"
    assert a["FilterPolicy"] == '{"k":["v"]}'
    assert a["FilterPolicyScope"] == "MessageAttributes"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                        AttributeValue='{"k": "not a list"}')
    assert code_of(e) == "InvalidParameter"
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsConfirmed"] == "1"
    sns.unsubscribe(SubscriptionArn=sub)
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sns.get_subscription_attributes(SubscriptionArn=sub)
    assert code_of(e) == "NotFound"


def test_subscribe_refusals(sns):
    topic = sns.create_topic(Name="refusals")["TopicArn"]
    cases = [("sqs", "not-an-arn"), ("lambda", "arn:aws:sqs:us-east-1:000000000000:q"),
             ("http", "http://example.com/hook"), ("email", "a@example.com"), ("carrier", "x")]
    for protocol, endpoint in cases:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            sns.subscribe(TopicArn=topic, Protocol=protocol, Endpoint=endpoint)
        assert code_of(e) == "InvalidParameter", (protocol, endpoint)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sns.subscribe(TopicArn=topic + "-gone", Protocol="sqs",
                      Endpoint="arn:aws:sqs:us-east-1:000000000000:q")
    assert code_of(e) == "NotFound"


# ---- Publishing and delivery to SQS ----

def test_publish_to_sqs_envelope(sns, sqs, thaw_server):
    topic = sns.create_topic(Name="to-sqs")["TopicArn"]
    url, qarn = queue(sqs)
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)["SubscriptionArn"]
    r = sns.publish(TopicArn=topic, Message="hello sqs", Subject="greeting",
                    MessageAttributes={"color": {"DataType": "String", "StringValue": "red"},
                                       "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})
    body = json.loads(receive(sqs, url)[0]["Body"])
    assert body["Type"] == "Notification"
    assert body["MessageId"] == r["MessageId"]
    assert body["TopicArn"] == topic
    assert body["Subject"] == "greeting"
    assert body["Message"] == "hello sqs"
    assert TIMESTAMP.match(body["Timestamp"])
    assert body["SignatureVersion"] == "1" and base64.b64decode(body["Signature"])
    assert body["SigningCertURL"] == f"{thaw_server.url}/thaw/sns/SimpleNotificationService-thaw.pem"
    assert body["UnsubscribeURL"].startswith(f"{thaw_server.url}/?Action=Unsubscribe")
    assert "SigningCertUrl" not in body
    assert body["MessageAttributes"] == {"color": {"Type": "String", "Value": "red"},
                                         "blob": {"Type": "Binary", "Value": "AAE="}}
    # The certificate is served without a signature, as AWS serves its own.
    with urllib.request.urlopen(body["SigningCertURL"], timeout=5) as resp:
        assert resp.read().startswith(b"-----BEGIN CERTIFICATE-----")
    assert sub


def test_raw_delivery_and_structured_messages(sns, sqs):
    topic = sns.create_topic(Name="raw")["TopicArn"]
    url, qarn = queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn,
                  Attributes={"RawMessageDelivery": "true"})
    sns.publish(TopicArn=topic, Message=json.dumps({"default": "d", "sqs": "for sqs"}),
                MessageStructure="json",
                MessageAttributes={"n": {"DataType": "Number", "StringValue": "42"}})
    m = receive(sqs, url)[0]
    assert m["Body"] == "for sqs"
    assert m["MessageAttributes"] == {"n": {"DataType": "Number", "StringValue": "42"}}
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sns.publish(TopicArn=topic, Message='{"sqs":"no default"}', MessageStructure="json")
    assert code_of(e) == "InvalidParameter"


def test_filter_policies(sns, sqs):
    topic = sns.create_topic(Name="filtered")["TopicArn"]
    url_a, arn_a = queue(sqs)
    url_b, arn_b = queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn_a, Attributes={
        "RawMessageDelivery": "true",
        "FilterPolicy": json.dumps({"store": ["example_corp"],
                                    "price": [{"numeric": [">=", 100]}]})})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn_b, Attributes={
        "RawMessageDelivery": "true", "FilterPolicyScope": "MessageBody",
        "FilterPolicy": json.dumps({"$or": [{"kind": [{"prefix": "ord"}]},
                                            {"size": [{"anything-but": ["small"]}]}]})})

    def publish(message, **attrs):
        sns.publish(TopicArn=topic, Message=message, MessageAttributes={
            k: {"DataType": "Number" if isinstance(v, int) else "String", "StringValue": str(v)}
            for k, v in attrs.items()})
    publish("cheap", store="example_corp", price=5)
    publish("dear", store="example_corp", price=500)
    publish(json.dumps({"kind": "order"}))
    publish(json.dumps({"size": "small"}))
    publish("plain text")
    assert [m["Body"] for m in receive(sqs, url_a)] == ["dear"]
    assert [m["Body"] for m in receive(sqs, url_b)] == [json.dumps({"kind": "order"})]
    for bad in ('{"a": 1}', "[]", "not json", json.dumps({str(i): ["x"] for i in range(6)})):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn_a + "x",
                          Attributes={"FilterPolicy": bad})
        assert code_of(e) == "InvalidParameter", bad


def test_publish_refusals_store_nothing(sns, sqs):
    topic = sns.create_topic(Name="refused")["TopicArn"]
    url, qarn = queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn,
                  Attributes={"RawMessageDelivery": "true"})
    cases = [
        (dict(TopicArn=topic, Message="x" * 262145), "InvalidParameter",
         "Invalid parameter: Message too long"),
        (dict(TopicArn=topic + "-gone", Message="m"), "NotFound", "Topic does not exist"),
        (dict(TopicArn="arn:aws:sns:nope", Message="m"), "InvalidParameter",
         "Invalid parameter: TopicArn"),
        (dict(TopicArn=topic, Message="m", MessageAttributes={
            "n": {"DataType": "Number", "StringValue": "abc"}}), "ParameterValueInvalid", None),
        (dict(TopicArn=topic, Message="m", Subject="line\nbreak"), "InvalidParameter", None),
    ]
    for kwargs, code, message in cases:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            sns.publish(**kwargs)
        assert code_of(e) == code, kwargs.get("TopicArn")
        if message:
            assert e.value.response["Error"]["Message"] == message
    sns.publish(TopicArn=topic, Message="x" * 262144)  # exactly 256 KiB is fine
    got = receive(sqs, url)
    assert [len(m["Body"]) for m in got] == [262144]


def test_publish_batch(sns, sqs):
    topic = sns.create_topic(Name="batch")["TopicArn"]
    url, qarn = queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn,
                  Attributes={"RawMessageDelivery": "true"})
    r = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "a", "Message": "one"},
        {"Id": "b", "Message": "two", "MessageAttributes": {
            "k": {"DataType": "String", "StringValue": "v"}}},
        {"Id": "c", "Message": "x" * 262145},
    ])
    assert sorted(s["Id"] for s in r["Successful"]) == ["a", "b"]
    assert [(f["Id"], f["Code"], f["SenderFault"]) for f in r["Failed"]] == [
        ("c", "InvalidParameter", True)]
    assert sorted(m["Body"] for m in receive(sqs, url, n=2)) == ["one", "two"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
            {"Id": "a", "Message": "1"}, {"Id": "a", "Message": "2"}])
    assert code_of(e) == "BatchEntryIdsNotDistinct"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
            {"Id": str(i), "Message": "m"} for i in range(11)])
    assert code_of(e) == "TooManyEntriesInBatchRequest"


def test_cli(thaw_server, sqs):
    topic = cli_json(thaw_server, "create-topic", "--name", "cli-topic")["TopicArn"]
    url, qarn = queue(sqs)
    sub = cli_json(thaw_server, "subscribe", "--topic-arn", topic, "--protocol", "sqs",
                   "--notification-endpoint", qarn, "--attributes",
                   '{"RawMessageDelivery":"true"}', "--return-subscription-arn")
    assert sub["SubscriptionArn"].startswith(topic + ":")
    out = cli_json(thaw_server, "publish", "--topic-arn", topic, "--message", "from the cli",
                   "--message-attributes",
                   '{"a":{"DataType":"String","StringValue":"b"}}')
    assert len(out["MessageId"]) == 36
    assert receive(sqs, url)[0]["Body"] == "from the cli"
    assert topic in [t["TopicArn"] for t in cli_json(thaw_server, "list-topics")["Topics"]]
    attrs = cli_json(thaw_server, "get-topic-attributes", "--topic-arn", topic)["Attributes"]
    assert attrs["SubscriptionsConfirmed"] == "1"
    res = aws(thaw_server, "sns", "publish", "--topic-arn", topic + "-gone", "--message", "m")
    assert res.returncode != 0 and "NotFound" in res.stderr
    cli_json(thaw_server, "delete-topic", "--topic-arn", topic)


# ---- Delivery to Lambda ----

def sns_events(logs_client, function):
    return [json.loads(m[len("SNSEVENT "):]) for m in log_messages(logs_client, function)
            if m.startswith("SNSEVENT ")]


def test_lambda_subscription_gets_the_sns_event(sns, lam, logs_client, examples):
    fn = unique("snsfn")
    fn_arn = create_function(lam, fn, "snsconsumer")["FunctionArn"]
    topic = sns.create_topic(Name="to-lambda")["TopicArn"]
    allow_sns(lam, fn, topic)
    sub = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn_arn)["SubscriptionArn"]
    assert sub.startswith(topic + ":")  # confirmed at once
    r = sns.publish(TopicArn=topic, Message="hello lambda",
                    MessageAttributes={"Test": {"DataType": "String", "StringValue": "TestString"},
                                       "TestBinary": {"DataType": "Binary",
                                                      "BinaryValue": b"TestBinary"}})
    sns.publish(TopicArn=topic, Message="with subject", Subject="TestInvoke")
    events = wait_for(lambda: (lambda e: e if len(e) == 2 else None)(sns_events(logs_client, fn)),
                      15, interval=0.1, what="two SNS events")
    by_message = {e["Records"][0]["Sns"]["Message"]: e for e in events}
    record = by_message["hello lambda"]["Records"][0]
    assert record["EventSource"] == "aws:sns"
    assert record["EventVersion"] == "1.0"
    assert record["EventSubscriptionArn"] == sub
    s = record["Sns"]
    assert s["Type"] == "Notification"
    assert s["MessageId"] == r["MessageId"]
    assert s["TopicArn"] == topic
    assert s["SignatureVersion"] == "1"
    assert s["SigningCertUrl"].endswith("/thaw/sns/SimpleNotificationService-thaw.pem")
    assert s["UnsubscribeUrl"].startswith("http://")
    assert s["MessageAttributes"] == {"Test": {"Type": "String", "Value": "TestString"},
                                      "TestBinary": {"Type": "Binary", "Value": "VGVzdEJpbmFyeQ=="}}
    assert by_message["with subject"]["Records"][0]["Sns"]["Subject"] == "TestInvoke"
    # What came over the wire: Subject null when absent, Timestamp with milliseconds.
    raws = [json.loads(m[len("SNSRAW "):]) for m in log_messages(logs_client, fn)
            if m.startswith("SNSRAW ")]
    raw = next(x for x in raws if x["Records"][0]["Sns"]["Message"] == "hello lambda")
    assert raw["Records"][0]["Sns"]["Subject"] is None
    assert TIMESTAMP.match(raw["Records"][0]["Sns"]["Timestamp"])
    # The function verified each signature against the served certificate.
    sigs = [m for m in log_messages(logs_client, fn) if m.startswith("SNSSIG ")]
    assert sigs == ["SNSSIG ok\n", "SNSSIG ok\n"] or sigs == ["SNSSIG ok", "SNSSIG ok"], sigs


def test_missing_function_goes_to_the_redrive_queue(sns, sqs):
    topic = sns.create_topic(Name="to-nowhere")["TopicArn"]
    dlq_url, dlq_arn = queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="lambda",
                  Endpoint="arn:aws:lambda:us-east-1:000000000000:function:does-not-exist",
                  Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})
    r = sns.publish(TopicArn=topic, Message="undeliverable")
    body = json.loads(receive(sqs, dlq_url)[0]["Body"])
    assert body["MessageId"] == r["MessageId"]
    assert body["Message"] == "undeliverable"


def test_topic_as_async_destination(sns, sqs, lam, examples):
    topic = sns.create_topic(Name="destination-topic")["TopicArn"]
    url, qarn = queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn,
                  Attributes={"RawMessageDelivery": "true"})
    fn = unique("snsdest")
    create_function(lam, fn, "echo")
    lam.put_function_event_invoke_config(
        FunctionName=fn, DestinationConfig={"OnSuccess": {"Destination": topic}})
    lam.invoke(FunctionName=fn, InvocationType="Event", Payload=b'{"hello":"destination"}')
    record = json.loads(receive(sqs, url, timeout=15)[0]["Body"])
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestPayload"] == {"hello": "destination"}


def test_function_error_takes_the_async_path_to_a_topic_dlq(sns, sqs, lam, examples):
    # The function's dead-letter target is a topic; its raw SQS subscriber shows what arrived.
    dlq_topic = sns.create_topic(Name="function-dlq")["TopicArn"]
    url, qarn = queue(sqs)
    sns.subscribe(TopicArn=dlq_topic, Protocol="sqs", Endpoint=qarn,
                  Attributes={"RawMessageDelivery": "true"})
    fn = unique("snsfail")
    fn_arn = create_function(lam, fn, "snsconsumer",
                             DeadLetterConfig={"TargetArn": dlq_topic})["FunctionArn"]
    lam.put_function_event_invoke_config(FunctionName=fn, MaximumRetryAttempts=0)
    topic = sns.create_topic(Name="to-failing")["TopicArn"]
    allow_sns(lam, fn, topic)
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn_arn)
    r = sns.publish(TopicArn=topic, Message="fail please")
    m = receive(sqs, url, timeout=15)[0]
    event = json.loads(m["Body"])
    assert event["Records"][0]["Sns"]["MessageId"] == r["MessageId"]
    assert set(m["MessageAttributes"]) == {"RequestID", "ErrorCode", "ErrorMessage"}
    assert "failed" in m["MessageAttributes"]["ErrorMessage"]["StringValue"]


# ---- HTTP ----

class Hook(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.append((dict(self.headers), json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_http_subscription_confirms_and_delivers(sns):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        Hook.received = []
        topic = sns.create_topic(Name="to-http")["TopicArn"]
        endpoint = f"http://127.0.0.1:{server.server_address[1]}/hook"
        r = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint)
        assert r["SubscriptionArn"] == "pending confirmation"
        headers, confirm = wait_for(lambda: Hook.received[0] if Hook.received else None, 8,
                                    what="SubscriptionConfirmation")
        assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
        assert confirm["Type"] == "SubscriptionConfirmation"
        assert confirm["TopicArn"] == topic
        pending = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        assert pending[0]["SubscriptionArn"] == "PendingConfirmation"
        # Visiting the SubscribeURL (unsigned, as a browser or SDK does) confirms it.
        with urllib.request.urlopen(confirm["SubscribeURL"], timeout=5) as resp:
            assert b"<SubscriptionArn>" in resp.read()
        sub = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"][0]
        assert sub["SubscriptionArn"].startswith(topic + ":")
        sns.publish(TopicArn=topic, Message="over http")
        headers, note = wait_for(lambda: Hook.received[1] if len(Hook.received) > 1 else None, 8,
                                 what="Notification")
        assert headers["x-amz-sns-message-type"] == "Notification"
        assert headers["x-amz-sns-topic-arn"] == topic
        assert headers["x-amz-sns-subscription-arn"] == sub["SubscriptionArn"]
        assert note["Message"] == "over http"
        assert "SigningCertURL" in note
    finally:
        server.shutdown()


# ---- Durability ----

def test_published_messages_survive_kill9(make_thaw_server):
    server = make_thaw_server()
    sns = boto_client("sns", server)
    sqs = sqs_client(server.url)
    topic = sns.create_topic(Name="durable")["TopicArn"]
    url, qarn = queue(sqs, "durable-q")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn,
                  Attributes={"RawMessageDelivery": "true"})
    ids = [sns.publish(TopicArn=topic, Message=f"m{i}")["MessageId"] for i in range(20)]
    assert len(set(ids)) == 20
    server.kill9()
    server.start()
    sns = boto_client("sns", server)
    sqs = sqs_client(server.url)
    assert topic in [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    assert len(sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]) == 1
    # At least once: a delivery that reached the queue just before the kill, but whose row was
    # not yet deleted, is sent again, so count distinct bodies.
    want = {f"m{i}" for i in range(20)}
    bodies = set()

    def all_bodies():
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for m in r.get("Messages", []):
            bodies.add(m["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return bodies >= want
    wait_for(all_bodies, 8, what="the 20 published messages")
    assert bodies == want
