"""SQS FIFO queues with boto3: group order, a group locked while in flight, deduplication by id
and by content, sequence numbers, FIFO-only parameters."""

import botocore.exceptions
import pytest

from sqs_util import sqs_client


@pytest.fixture(scope="module")
def sqs(thaw_server):
    return sqs_client(thaw_server.url)


def code_of(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_group_order_and_lock(sqs):
    url = sqs.create_queue(QueueName="order.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    seqs = []
    for i in range(5):
        for g in ("a", "b"):
            r = sqs.send_message(QueueUrl=url, MessageBody=f"{g}{i}", MessageGroupId=g,
                                 MessageDeduplicationId=f"{g}{i}")
            seqs.append(int(r["SequenceNumber"]))
            assert len(r["SequenceNumber"]) == 20
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    got = {"a": [], "b": []}
    while len(got["a"]) + len(got["b"]) < 10:
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3, AttributeNames=["All"])
        msgs = r.get("Messages", [])
        assert msgs
        for m in msgs:
            got[m["Attributes"]["MessageGroupId"]].append(m["Body"])
        # While these are in flight their groups are locked: nothing more from them.
        again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        locked = {m["Attributes"]["MessageGroupId"] for m in msgs}
        assert not any(m["Body"][0] in locked for m in again)
        for m in msgs + again:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            if m in again:
                got[m["Body"][0]].append(m["Body"])
    assert got["a"] == [f"a{i}" for i in range(5)]
    assert got["b"] == [f"b{i}" for i in range(5)]


def test_deduplication(sqs):
    url = sqs.create_queue(QueueName="dedup.fifo", Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    first = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    second = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    assert first["MessageId"] == second["MessageId"]
    by_id = sqs.send_message(QueueUrl=url, MessageBody="other", MessageGroupId="g",
                             MessageDeduplicationId="same-id")
    again = sqs.send_message(QueueUrl=url, MessageBody="different body", MessageGroupId="g",
                             MessageDeduplicationId="same-id")
    assert by_id["MessageId"] == again["MessageId"]
    r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
    assert [m["Body"] for m in r["Messages"]] == ["same", "other"]
    assert r["Messages"][1]["Attributes"]["MessageDeduplicationId"] == "same-id"


def test_fifo_parameters(sqs):
    url = sqs.create_queue(QueueName="params.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
    assert code_of(e) == "MissingParameter"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    assert code_of(e) == "InvalidParameterValue"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g",
                         MessageDeduplicationId="d", DelaySeconds=1)
    assert code_of(e) == "InvalidParameterValue"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.create_queue(QueueName="nofifo", Attributes={"FifoQueue": "true"})
    assert code_of(e) == "InvalidParameterValue"
    std = sqs.create_queue(QueueName="std-for-fifo")["QueueUrl"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.send_message(QueueUrl=std, MessageBody="x", MessageDeduplicationId="d")
    assert code_of(e) == "InvalidParameterValue"
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["FifoQueue"] == "true"
    assert attrs["ContentBasedDeduplication"] == "false"
