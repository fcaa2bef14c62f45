"""Helpers for the SQS tests: clients bound to a server and SQS's MD5 digests, computed as the
SDKs that check them do (botocore itself no longer checks; Java, .NET and Go v1 do)."""

import hashlib
import struct

import boto3
from botocore.config import Config

REGION = "us-east-1"


def sqs_client(url, access_key="AKID", retries=1):
    return boto3.client(
        "sqs",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=access_key,
        aws_secret_access_key="SECRET",
        config=Config(retries={"max_attempts": retries}, read_timeout=60),
    )


def md5_body(body):
    return hashlib.md5(body.encode()).hexdigest()


def md5_attributes(attributes):
    """MD5OfMessageAttributes: per attribute, sorted by name, length-prefixed name, type,
    a transport byte (1 string, 2 binary) and the length-prefixed value."""
    if not attributes:
        return None
    buf = b""
    for name in sorted(attributes):
        a = attributes[name]
        for part in (name.encode(), a["DataType"].encode()):
            buf += struct.pack(">I", len(part)) + part
        if "BinaryValue" in a:
            value = a["BinaryValue"]
            buf += b"\x02" + struct.pack(">I", len(value)) + value
        else:
            value = a["StringValue"].encode()
            buf += b"\x01" + struct.pack(">I", len(value)) + value
    return hashlib.md5(buf).hexdigest()


def check_md5(sent_body, sent_attributes, answer):
    """Asserts a SendMessage answer's digests match what was sent."""
    assert answer["MD5OfMessageBody"] == md5_body(sent_body)
    assert answer.get("MD5OfMessageAttributes") == md5_attributes(sent_attributes)


def check_received_md5(message):
    assert message["MD5OfBody"] == md5_body(message["Body"])
    assert message.get("MD5OfMessageAttributes") == md5_attributes(message.get("MessageAttributes"))


def drain(sqs, url, max_rounds=50, **kwargs):
    """Receives (and deletes) until a receive comes back empty; returns the messages."""
    got = []
    for _ in range(max_rounds):
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                **kwargs)
        msgs = r.get("Messages", [])
        if not msgs:
            break
        got += msgs
        sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])
    return got
