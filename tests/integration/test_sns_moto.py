"""Differential test for SNS: the same boto3 script against thaw and against moto's server,
answers compared after normalizing what must differ (ids, ARNs' UUIDs, URLs, timestamps,
signatures).

Where moto differs from AWS, thaw follows AWS; those steps are listed in MOTO_DIFFERS and
thaw's answer is checked on its own:
  - CreateTopic of an existing name with other attributes: AWS refuses it (InvalidParameter);
    moto returns the existing topic.
  - GetTopicAttributes: moto leaves out SubscriptionsDeleted and reports its own
    EffectiveDeliveryPolicy; thaw answers AWS's set.
  - A deduplicated FIFO publish: AWS answers with the original's MessageId; moto makes a new one.
  - A FIFO publish without a deduplication id on a topic without content-based deduplication:
    moto's text lacks AWS's "Invalid parameter: " prefix.
  - A FIFO publish without MessageGroupId: AWS answers InvalidParameter ("The MessageGroupId
    parameter is required for FIFO topics", moto's own PublishBatch text); moto's Publish
    answers MissingParameter.
  - A FIFO publish: AWS answers with the SequenceNumber; moto leaves it out.
  - A standard queue subscribed to a FIFO topic: AWS refuses it (InvalidParameter, "Please use
    FIFO SQS queue"); moto accepts it.
  - The envelope's SignatureVersion: AWS's default (a topic's SignatureVersion attribute unset)
    is 1; moto signs with 2.
"""

import json
import re

import boto3
import botocore.exceptions
from botocore.config import Config

from sqs_util import sqs_client
from test_sqs_moto import moto_url  # noqa: F401 (the fixture)

MOTO_DIFFERS = {"create-conflict", "attributes", "fifo-dedup-same-id", "fifo-no-dedup",
                "fifo-no-group", "fifo-publish", "fifo-subscribe-standard"}

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def script(url):
    sns = boto3.client("sns", endpoint_url=url, region_name="us-east-1",
                       aws_access_key_id="123456789012", aws_secret_access_key="SECRET",
                       config=Config(retries={"max_attempts": 1}))
    sqs = sqs_client(url, access_key="123456789012")
    out = []

    def step(name, fn):
        try:
            answer = fn()
            answer.pop("ResponseMetadata", None)
        except botocore.exceptions.ClientError as e:
            answer = {"error": e.response["Error"]["Code"],
                      "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
        out.append((name, normalize(answer, url)))
        return answer

    topic = step("create", lambda: sns.create_topic(Name="diff-topic",
                                                    Attributes={"DisplayName": "d"},
                                                    Tags=[{"Key": "team", "Value": "a"}]))["TopicArn"]
    step("create-again", lambda: sns.create_topic(Name="diff-topic"))
    step("create-conflict", lambda: sns.create_topic(Name="diff-topic",
                                                     Attributes={"DisplayName": "other"}))
    step("create-bad-name", lambda: sns.create_topic(Name="bad name"))
    step("create-fifo-no-attribute", lambda: sns.create_topic(Name="diff.fifo"))
    attrs = step("attributes", lambda: sns.get_topic_attributes(TopicArn=topic))
    step("attributes-missing", lambda: sns.get_topic_attributes(TopicArn=topic + "-gone"))
    step("set-display-name", lambda: sns.set_topic_attributes(
        TopicArn=topic, AttributeName="DisplayName", AttributeValue="shown"))
    step("list", lambda: sns.list_topics())
    step("tags", lambda: sns.list_tags_for_resource(ResourceArn=topic))
    step("tag", lambda: sns.tag_resource(ResourceArn=topic, Tags=[{"Key": "env", "Value": "dev"}]))
    step("untag", lambda: sns.untag_resource(ResourceArn=topic, TagKeys=["team"]))
    step("tags-after", lambda: sns.list_tags_for_resource(ResourceArn=topic))
    step("tags-missing", lambda: sns.list_tags_for_resource(ResourceArn=topic + "-gone"))

    q = sqs.create_queue(QueueName="diff-sns-q")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    raw_q = sqs.create_queue(QueueName="diff-sns-raw")["QueueUrl"]
    raw_arn = sqs.get_queue_attributes(QueueUrl=raw_q, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    sub = step("subscribe", lambda: sns.subscribe(TopicArn=topic, Protocol="sqs",
                                                  Endpoint=qarn))["SubscriptionArn"]
    step("subscribe-again", lambda: sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn))
    raw_sub = step("subscribe-raw", lambda: sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=raw_arn,
        Attributes={"RawMessageDelivery": "true"}, ReturnSubscriptionArn=True))["SubscriptionArn"]
    step("subscribe-missing-topic", lambda: sns.subscribe(TopicArn=topic + "-gone",
                                                          Protocol="sqs", Endpoint=qarn))
    step("list-by-topic", lambda: sns.list_subscriptions_by_topic(TopicArn=topic))
    step("list-subscriptions", lambda: sns.list_subscriptions())
    step("sub-attributes", lambda: sns.get_subscription_attributes(SubscriptionArn=sub))
    step("set-filter", lambda: sns.set_subscription_attributes(
        SubscriptionArn=raw_sub, AttributeName="FilterPolicy",
        AttributeValue=json.dumps({"color": ["red", "green"]})))
    step("set-filter-bad", lambda: sns.set_subscription_attributes(
        SubscriptionArn=raw_sub, AttributeName="FilterPolicy",
        AttributeValue=json.dumps({"color": "red"})))
    step("set-filter-too-many-keys", lambda: sns.set_subscription_attributes(
        SubscriptionArn=raw_sub, AttributeName="FilterPolicy",
        AttributeValue=json.dumps({str(i): ["x"] for i in range(6)})))
    step("sub-attributes-raw", lambda: sns.get_subscription_attributes(SubscriptionArn=raw_sub))

    attributes = {"color": {"DataType": "String", "StringValue": "red"},
                  "n": {"DataType": "Number", "StringValue": "7"}}
    step("publish", lambda: sns.publish(TopicArn=topic, Message="hello", Subject="s",
                                        MessageAttributes=attributes))
    step("publish-filtered-out", lambda: sns.publish(
        TopicArn=topic, Message="blue one",
        MessageAttributes={"color": {"DataType": "String", "StringValue": "blue"}}))
    step("publish-missing", lambda: sns.publish(TopicArn=topic + "-gone", Message="m"))
    step("publish-too-long", lambda: sns.publish(TopicArn=topic, Message="x" * 262145))
    step("publish-structured-bad", lambda: sns.publish(TopicArn=topic, Message="not json",
                                                       MessageStructure="json"))
    received = step("receive", lambda: sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10,
                                                WaitTimeSeconds=2))
    step("receive-raw", lambda: sqs.receive_message(QueueUrl=raw_q, MaxNumberOfMessages=10,
                                                    WaitTimeSeconds=2,
                                                    MessageAttributeNames=["All"]))
    step("batch", lambda: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "a", "Message": "one"}, {"Id": "b", "Message": "two"}]))
    step("batch-dup-ids", lambda: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "a", "Message": "one"}, {"Id": "a", "Message": "two"}]))
    step("batch-too-many", lambda: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": str(i), "Message": "m"} for i in range(11)]))

    fifo = step("fifo-create", lambda: sns.create_topic(
        Name="diff.fifo", Attributes={"FifoTopic": "true"}))["TopicArn"]
    fq = sqs.create_queue(QueueName="diff-sns-fifo.fifo", Attributes={"FifoQueue": "true"})[
        "QueueUrl"]
    fq_arn = sqs.get_queue_attributes(QueueUrl=fq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    step("fifo-subscribe", lambda: sns.subscribe(TopicArn=fifo, Protocol="sqs", Endpoint=fq_arn,
                                                 Attributes={"RawMessageDelivery": "true"}))
    step("fifo-subscribe-standard", lambda: sns.subscribe(TopicArn=fifo, Protocol="sqs",
                                                          Endpoint=qarn))
    step("fifo-no-group", lambda: sns.publish(TopicArn=fifo, Message="m"))
    step("fifo-no-dedup", lambda: sns.publish(TopicArn=fifo, Message="m", MessageGroupId="g"))
    one = step("fifo-publish", lambda: sns.publish(TopicArn=fifo, Message="m",
                                                   MessageGroupId="g",
                                                   MessageDeduplicationId="d"))
    two = sns.publish(TopicArn=fifo, Message="m", MessageGroupId="g", MessageDeduplicationId="d")
    out.append(("fifo-dedup-same-id", one["MessageId"] == two["MessageId"]))
    step("fifo-receive", lambda: sqs.receive_message(
        QueueUrl=fq, MaxNumberOfMessages=10, WaitTimeSeconds=2,
        AttributeNames=["MessageGroupId", "MessageDeduplicationId"]))

    step("unsubscribe", lambda: sns.unsubscribe(SubscriptionArn=sub))
    step("sub-attributes-gone", lambda: sns.get_subscription_attributes(SubscriptionArn=sub))
    step("delete", lambda: sns.delete_topic(TopicArn=topic))
    step("delete-again", lambda: sns.delete_topic(TopicArn=topic))
    step("list-after", lambda: sns.list_topics())
    return out, attrs, received


def normalize(answer, url):
    """Replaces what legitimately differs between two servers by placeholders."""
    if isinstance(answer, dict):
        out = {}
        for k, v in answer.items():
            if k in ("MessageId", "ReceiptHandle", "SequenceNumber", "MD5OfBody",
                     "MD5OfMessageAttributes", "Timestamp", "Signature", "SigningCertURL",
                     "UnsubscribeURL", "SignatureVersion"):
                out[k] = "<" + k + ">"
            elif k == "Body" and v.startswith("{"):
                out[k] = normalize(json.loads(v), url)
            elif k in ("Successful", "Failed"):
                out[k] = sorted((normalize(x, url) for x in v), key=lambda e: e.get("Id", ""))
            elif k in ("Topics", "Subscriptions", "Messages", "Tags"):
                out[k] = sorted((normalize(x, url) for x in v), key=json.dumps)
            else:
                out[k] = normalize(v, url)
        return out
    if isinstance(answer, list):
        return [normalize(x, url) for x in answer]
    if isinstance(answer, str):
        return UUID.sub("<uuid>", answer.replace(url, "<url>"))
    return answer


def test_same_answers_as_moto(thaw_server, moto_url):  # noqa: F811
    ours, our_attrs, our_receive = script(thaw_server.url)
    theirs, _, _ = script(moto_url)
    # The documented differences, as AWS answers them.
    assert dict(ours)["create-conflict"]["error"] == "InvalidParameter"
    assert our_attrs["Attributes"]["SubscriptionsDeleted"] == "0"
    assert dict(ours)["fifo-dedup-same-id"] is True
    assert dict(ours)["fifo-no-dedup"]["error"] == "InvalidParameter"
    assert dict(ours)["fifo-no-group"]["error"] == "InvalidParameter"
    assert "SequenceNumber" in dict(ours)["fifo-publish"]
    assert dict(ours)["fifo-subscribe-standard"]["error"] == "InvalidParameter"
    fifo_received = dict(ours)["fifo-receive"]["Messages"]
    assert [m["Attributes"] for m in fifo_received] == [
        {"MessageGroupId": "g", "MessageDeduplicationId": "d"}]
    envelope = json.loads(our_receive["Messages"][0]["Body"])
    assert envelope["SignatureVersion"] == "1"
    ours = [(s, a) for s, a in ours if s not in MOTO_DIFFERS]
    theirs = [(s, a) for s, a in theirs if s not in MOTO_DIFFERS]
    assert [s for s, _ in ours] == [s for s, _ in theirs]
    mismatches = [(s, a, b) for (s, a), (_, b) in zip(ours, theirs) if a != b]
    assert not mismatches, "\n".join(f"{s}:\n  thaw: {a}\n  moto: {b}" for s, a, b in mismatches)
