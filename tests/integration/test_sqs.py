"""SQS on the front door with real clients: boto3 (JSON protocol) and the aws CLI (query
protocol): queues, messages, attributes, errors, visibility, delays, long polling, redrive."""

import base64
import json
import threading
import time

import botocore.exceptions
import pytest

from conftest import aws
from sqs_util import check_md5, check_received_md5, drain, sqs_client


@pytest.fixture(scope="module")
def sqs(thaw_server):
    return sqs_client(thaw_server.url)


def code_of(excinfo):
    return excinfo.value.response["Error"]["Code"]


def cli_json(server, *args):
    res = aws(server, "sqs", *args)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout) if res.stdout.strip() else {}


# ---- Queues ----

def test_create_get_list_delete(sqs, thaw_server):
    url = sqs.create_queue(QueueName="basic-q")["QueueUrl"]
    assert url == f"{thaw_server.url}/000000000000/basic-q"
    assert sqs.create_queue(QueueName="basic-q")["QueueUrl"] == url  # idempotent
    assert sqs.get_queue_url(QueueName="basic-q")["QueueUrl"] == url
    assert url in sqs.list_queues(QueueNamePrefix="basic")["QueueUrls"]
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.get_queue_url(QueueName="basic-q")
    assert code_of(e) == "AWS.SimpleQueueService.NonExistentQueue"
    assert e.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-query-error"] == \
        "AWS.SimpleQueueService.NonExistentQueue;Sender"


def test_account_from_access_key(thaw_server):
    other = sqs_client(thaw_server.url, access_key="123456789012")
    url = other.create_queue(QueueName="acct-q")["QueueUrl"]
    assert url.endswith("/123456789012/acct-q")
    arn = other.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    assert arn["Attributes"]["QueueArn"] == "arn:aws:sqs:us-east-1:123456789012:acct-q"


def test_create_with_different_attributes_conflicts(sqs):
    sqs.create_queue(QueueName="conflict-q", Attributes={"VisibilityTimeout": "10"})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.create_queue(QueueName="conflict-q", Attributes={"VisibilityTimeout": "20"})
    assert code_of(e) == "QueueAlreadyExists"


def test_list_queues_pagination(sqs):
    names = [f"page-{i:02d}" for i in range(7)]
    for n in names:
        sqs.create_queue(QueueName=n)
    seen = []
    token = None
    while True:
        kw = {"QueueNamePrefix": "page-", "MaxResults": 3}
        if token:
            kw["NextToken"] = token
        r = sqs.list_queues(**kw)
        seen += [u.rsplit("/", 1)[1] for u in r.get("QueueUrls", [])]
        token = r.get("NextToken")
        if not token:
            break
    assert seen == names
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="nothing-like-this")


def test_attributes(sqs):
    url = sqs.create_queue(QueueName="attr-q", Attributes={"DelaySeconds": "2"})["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["DelaySeconds"] == "2"
    assert attrs["VisibilityTimeout"] == "30"
    assert attrs["MaximumMessageSize"] == "1048576"
    assert attrs["MessageRetentionPeriod"] == "345600"
    assert attrs["QueueArn"] == "arn:aws:sqs:us-east-1:000000000000:attr-q"
    assert attrs["ApproximateNumberOfMessages"] == "0"
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "5"})
    one = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
    assert one["Attributes"] == {"VisibilityTimeout": "5"}
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Bogus"])
    assert code_of(e) == "InvalidAttributeName"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Bogus": "1"})
    assert code_of(e) == "InvalidAttributeName"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "99999"})
    assert code_of(e) == "InvalidAttributeValue"


def test_tags(sqs):
    url = sqs.create_queue(QueueName="tag-q", tags={"a": "1"})["QueueUrl"]
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"a": "1"}
    sqs.tag_queue(QueueUrl=url, Tags={"b": "2"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"a": "1", "b": "2"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["a"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"b": "2"}


def test_purge(sqs):
    url = sqs.create_queue(QueueName="purge-q")["QueueUrl"]
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    sqs.purge_queue(QueueUrl=url)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.purge_queue(QueueUrl=url)
    assert code_of(e) == "AWS.SimpleQueueService.PurgeQueueInProgress"


# ---- Messages ----

ATTRIBUTES = {
    "s": {"DataType": "String", "StringValue": "hello ünïcode"},
    "n": {"DataType": "Number", "StringValue": "-12.5e3"},
    "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xffbytes"},
    "c": {"DataType": "String.custom", "StringValue": "x"},
    "nb": {"DataType": "Number.int", "StringValue": "42"},
    "bc": {"DataType": "Binary.gz", "BinaryValue": b"\x1f\x8b"},
}


def test_send_receive_delete_with_attributes(sqs):
    url = sqs.create_queue(QueueName="msg-q")["QueueUrl"]
    body = "héllo\r\nworld <&> \t"
    sent = sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=ATTRIBUTES)
    check_md5(body, ATTRIBUTES, sent)
    r = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"],
                            AttributeNames=["All"], WaitTimeSeconds=1)
    [m] = r["Messages"]
    assert m["Body"] == body and m["MessageId"] == sent["MessageId"]
    assert m["MessageAttributes"] == ATTRIBUTES
    check_received_md5(m)
    assert m["Attributes"]["ApproximateReceiveCount"] == "1"
    assert m["Attributes"]["SenderId"] == "AKID"
    assert abs(int(m["Attributes"]["SentTimestamp"]) - time.time() * 1000) < 60000
    assert "ApproximateFirstReceiveTimestamp" in m["Attributes"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert "Messages" not in sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)


def test_attribute_name_filter_changes_md5(sqs):
    url = sqs.create_queue(QueueName="filter-q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=ATTRIBUTES)
    [m] = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["s", "n"])["Messages"]
    assert set(m["MessageAttributes"]) == {"s", "n"}
    check_received_md5(m)


def test_batches(sqs):
    url = sqs.create_queue(QueueName="batch-q")["QueueUrl"]
    r = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "a", "MessageBody": "one"},
        {"Id": "b", "MessageBody": "two", "MessageAttributes": ATTRIBUTES},
        {"Id": "c", "MessageBody": "three", "DelaySeconds": 901},
    ])
    assert sorted(e["Id"] for e in r["Successful"]) == ["a", "b"]
    [failed] = r["Failed"]
    assert failed["Id"] == "c" and failed["Code"] == "InvalidParameterValue" and failed["SenderFault"]
    msgs = []
    while len(msgs) < 2:
        msgs += sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                    WaitTimeSeconds=1).get("Messages", [])
    entries = [{"Id": f"e{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)]
    cv = sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
        dict(e, VisibilityTimeout=60) for e in entries])
    assert len(cv["Successful"]) == 2
    d = sqs.delete_message_batch(QueueUrl=url, Entries=entries + [
        {"Id": "bad", "ReceiptHandle": "garbage"}])
    assert len(d["Successful"]) == 2
    assert d["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    for kw, code in [
        ({"Entries": []}, "AWS.SimpleQueueService.EmptyBatchRequest"),
        ({"Entries": [{"Id": str(i), "MessageBody": "x"} for i in range(11)]},
         "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"),
        ({"Entries": [{"Id": "x", "MessageBody": "x"}] * 2},
         "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"),
        ({"Entries": [{"Id": "bad id!", "MessageBody": "x"}]},
         "AWS.SimpleQueueService.InvalidBatchEntryId"),
    ]:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            sqs.send_message_batch(QueueUrl=url, **kw)
        assert code_of(e) == code


def test_message_size_limits(sqs):
    url = sqs.create_queue(QueueName="size-q",
                           Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1024)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1025)
    assert code_of(e) == "InvalidParameterValue"
    assert "Message must be shorter than 1024 bytes" in str(e.value)
    # Attributes count too: name + type + value.
    with pytest.raises(botocore.exceptions.ClientError):
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1010, MessageAttributes={
            "k": {"DataType": "String", "StringValue": "0123456789"}})
    big = sqs.create_queue(QueueName="size-big-q")["QueueUrl"]
    # The default maximum, 1 MiB, round trip.
    body = "é" + "z" * (1048576 - 2)
    sent = sqs.send_message(QueueUrl=big, MessageBody=body)
    check_md5(body, None, sent)
    [m] = sqs.receive_message(QueueUrl=big)["Messages"]
    assert m["Body"] == body
    sqs.delete_message(QueueUrl=big, ReceiptHandle=m["ReceiptHandle"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.send_message(QueueUrl=big, MessageBody=body + "z")
    assert "Message must be shorter than 1048576 bytes" in str(e.value)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.send_message_batch(QueueUrl=big, Entries=[
            {"Id": str(i), "MessageBody": "y" * 300_000} for i in range(4)])
    assert code_of(e) == "AWS.SimpleQueueService.BatchRequestTooLong"


def test_errors(sqs, thaw_server):
    missing = f"{thaw_server.url}/000000000000/no-such-queue"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.send_message(QueueUrl=missing, MessageBody="x")
    assert code_of(e) == "AWS.SimpleQueueService.NonExistentQueue"
    url = sqs.create_queue(QueueName="err-q")["QueueUrl"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-handle")
    assert code_of(e) == "ReceiptHandleIsInvalid"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=11)
    assert code_of(e) == "InvalidParameterValue"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="bad \x01 char")
    assert code_of(e) == "InvalidMessageContents"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes={
            "n": {"DataType": "Number", "StringValue": "abc"}})
    assert code_of(e) == "InvalidParameterValue"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.create_queue(QueueName="bad name")
    assert code_of(e) == "InvalidParameterValue"
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [m] = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"],
                                      VisibilityTimeout=10)
    assert code_of(e) == "AWS.SimpleQueueService.MessageNotInflight"


# ---- Semantics ----

def test_visibility_timeout_and_change(sqs):
    url = sqs.create_queue(QueueName="vis-q", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="v")
    [m] = sqs.receive_message(QueueUrl=url)["Messages"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    time.sleep(1.2)
    [again] = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"]
    assert again["MessageId"] == m["MessageId"]
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"],
                                  VisibilityTimeout=0)
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["MessageId"] == m["MessageId"]


def test_delay_seconds_queue_and_message(sqs):
    url = sqs.create_queue(QueueName="delay-q", Attributes={"DelaySeconds": "1"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="queue-delay")
    sqs.send_message(QueueUrl=url, MessageBody="no-delay", DelaySeconds=0)
    [m] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert m["Body"] == "no-delay"
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessagesDelayed"] == "1"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "1"
    t0 = time.monotonic()
    [d] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
    assert d["Body"] == "queue-delay"
    assert time.monotonic() - t0 < 2.5


def test_long_poll_answered_by_send(sqs, thaw_server):
    url = sqs.create_queue(QueueName="poll-q")["QueueUrl"]
    results = []

    def waiter():
        c = sqs_client(thaw_server.url)
        t0 = time.monotonic()
        r = c.receive_message(QueueUrl=url, WaitTimeSeconds=10)
        results.append((time.monotonic() - t0, r.get("Messages", [])))

    threads = [threading.Thread(target=waiter) for _ in range(20)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    for i in range(20):
        sqs.send_message(QueueUrl=url, MessageBody=f"wake-{i}")
    for t in threads:
        t.join(15)
    assert len(results) == 20
    bodies = sorted(m["Body"] for _, ms in results for m in ms)
    assert bodies == sorted(f"wake-{i}" for i in range(20))
    assert all(elapsed < 5 for elapsed, _ in results)


def test_long_poll_times_out_empty(sqs):
    url = sqs.create_queue(QueueName="poll-empty-q",
                           Attributes={"ReceiveMessageWaitTimeSeconds": "1"})["QueueUrl"]
    t0 = time.monotonic()
    assert "Messages" not in sqs.receive_message(QueueUrl=url)  # the queue's wait
    assert 0.9 < time.monotonic() - t0 < 3
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.receive_message(QueueUrl=url, WaitTimeSeconds=21)
    assert code_of(e) == "InvalidParameterValue"


def test_retention(sqs):
    url = sqs.create_queue(QueueName="retention-q",
                           Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"MessageRetentionPeriod": "59"})
    assert code_of(e) == "InvalidAttributeValue"


def test_redrive_to_dlq(sqs):
    dlq = sqs.create_queue(QueueName="dlq-q")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    src = sqs.create_queue(QueueName="src-q", Attributes={
        "VisibilityTimeout": "0",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}),
    })["QueueUrl"]
    sqs.send_message(QueueUrl=src, MessageBody="poison")
    for _ in range(2):
        assert sqs.receive_message(QueueUrl=src)["Messages"][0]["Body"] == "poison"
    assert "Messages" not in sqs.receive_message(QueueUrl=src)
    [m] = sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"])["Messages"]
    assert m["Body"] == "poison"
    assert m["Attributes"]["DeadLetterQueueSourceArn"].endswith(":src-q")
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [src]
    # The DLQ may refuse sources.
    sqs.set_queue_attributes(QueueUrl=dlq, Attributes={
        "RedriveAllowPolicy": json.dumps({"redrivePermission": "denyAll"})})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.create_queue(QueueName="src2-q", Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})})
    assert code_of(e) == "InvalidParameterValue"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": dlq_arn.replace("dlq-q", "missing"), "maxReceiveCount": 2})})
    assert code_of(e) == "InvalidParameterValue"
    # byQueue: only the listed sources.
    src_arn = dlq_arn.replace("dlq-q", "src-q")
    sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": json.dumps(
        {"redrivePermission": "byQueue", "sourceQueueArns": [src_arn]})})
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})
    sqs.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": policy})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.create_queue(QueueName="src3-q", Attributes={"RedrivePolicy": policy})
    assert code_of(e) == "InvalidParameterValue"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": json.dumps(
            {"redrivePermission": "byQueue"})})
    assert code_of(e) == "InvalidParameterValue"


# ---- The query protocol, through the aws CLI ----

def test_cli_query_protocol(thaw_server, sqs):
    # An empty list still carries its result element (the CLI fails on 'ListQueuesResult').
    assert "QueueUrls" not in cli_json(thaw_server, "list-queues", "--queue-name-prefix", "none-")
    url = cli_json(thaw_server, "create-queue", "--queue-name", "cli-q",
                   "--attributes", "VisibilityTimeout=7", "--tags", "k=v")["QueueUrl"]
    assert url.endswith("/000000000000/cli-q")
    attrs = cli_json(thaw_server, "get-queue-attributes", "--queue-url", url,
                     "--attribute-names", "All")["Attributes"]
    assert attrs["VisibilityTimeout"] == "7"
    assert cli_json(thaw_server, "list-queue-tags", "--queue-url", url)["Tags"] == {"k": "v"}
    body = "cli body & <xml> \r\n ok"
    sent = cli_json(thaw_server, "send-message", "--queue-url", url, "--message-body", body,
                    "--message-attributes",
                    json.dumps({"s": {"DataType": "String", "StringValue": "v"},
                                "b": {"DataType": "Binary",
                                      "BinaryValue": base64.b64encode(b"\x00\x01").decode()}}))
    got = cli_json(thaw_server, "receive-message", "--queue-url", url,
                   "--message-attribute-names", "All", "--attribute-names", "All")
    [m] = got["Messages"]
    assert m["Body"] == body
    assert m["MessageId"] == sent["MessageId"]
    assert m["MD5OfBody"] == sent["MD5OfMessageBody"]
    assert m["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert m["Attributes"]["ApproximateReceiveCount"] == "1"
    cli_json(thaw_server, "delete-message", "--queue-url", url, "--receipt-handle",
             m["ReceiptHandle"])
    batch = cli_json(thaw_server, "send-message-batch", "--queue-url", url, "--entries",
                     json.dumps([{"Id": "1", "MessageBody": "a"}, {"Id": "2", "MessageBody": "b"}]))
    assert len(batch["Successful"]) == 2
    listed = cli_json(thaw_server, "list-queues", "--queue-name-prefix", "cli-")
    assert listed["QueueUrls"] == [url]
    # Errors in the query protocol's XML, with its codes.
    res = aws(thaw_server, "sqs", "get-queue-url", "--queue-name", "nope-q")
    assert res.returncode != 0
    assert "AWS.SimpleQueueService.NonExistentQueue" in res.stderr
    res = aws(thaw_server, "sqs", "get-queue-attributes", "--queue-url", url,
              "--attribute-names", "Nope")
    assert "InvalidAttributeName" in res.stderr
    cli_json(thaw_server, "purge-queue", "--queue-url", url)
    cli_json(thaw_server, "delete-queue", "--queue-url", url)
    assert "cli-q" not in str(sqs.list_queues().get("QueueUrls", []))


def test_refusals_take_sqs_shapes(thaw_server):
    import urllib.error
    import urllib.request
    # JSON protocol, unsigned: the query code rides in x-amzn-query-error.
    req = urllib.request.Request(thaw_server.url + "/", data=b"{}", method="POST", headers={
        "X-Amz-Target": "AmazonSQS.ListQueues", "Content-Type": "application/x-amz-json-1.0"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert e.value.headers["x-amzn-query-error"] == "MissingAuthenticationToken;Sender"
    assert json.loads(e.value.read())["__type"].endswith("#MissingAuthenticationToken")
    # Query protocol with a broken signature: XML with the query code.
    req = urllib.request.Request(thaw_server.url + "/", data=b"Action=ListQueues", method="POST",
                                 headers={"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/"
                                          "20250101/us-east-1/sqs/aws4_request",
                                          "Content-Type": "application/x-www-form-urlencoded"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    body = e.value.read().decode()
    assert "<ErrorResponse" in body and "<Code>IncompleteSignature</Code>" in body
    # Query protocol, unsigned: the SQS action in the form says whose error shape to use.
    req = urllib.request.Request(thaw_server.url + "/", data=b"Action=ListQueues&Version=2012-11-05",
                                 method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    body = e.value.read().decode()
    assert "<Code>MissingAuthenticationToken</Code>" in body
