"""SNS delivery semantics with boto3, on a server whose retry delays are scaled down
(--retry-delay-scale 0.001): a FIFO topic delivers to FIFO queues only, with its groups and
deduplication ids, in order per group; an HTTP subscription is retried as its DeliveryPolicy
says (the topic's, or the subscription's own), and EffectiveDeliveryPolicy shows it; an https
subscription to a loopback endpoint with a self-signed certificate gets its messages; a
publisher's X-Amzn-Trace-Id reaches the function (Lineage counted one more) and the queue
(AWSTraceHeader), as AWS passes it on for Lambda's recursive loop detection."""

import hashlib
import http.server
import json
import ssl
import subprocess
import threading

import botocore.exceptions
import pytest

from conftest import boto_client, create_function, module_server
from invoke_util import unique, wait_for
from sqs_util import sqs_client

server = module_server("--retry-delay-scale", "0.001")


@pytest.fixture(scope="module")
def sns(server):
    return boto_client("sns", server)


@pytest.fixture(scope="module")
def sqs(server):
    return sqs_client(server.url)


def queue(sqs, name, **attributes):
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]


def test_fifo_topic_to_fifo_queue_keeps_groups_and_order(sns, sqs):
    topic = sns.create_topic(Name=unique("orders") + ".fifo",
                             Attributes={"FifoTopic": "true"})["TopicArn"]
    _, standard = queue(sqs, unique("std"))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=standard)
    assert e.value.response["Error"]["Code"] == "InvalidParameter"
    assert e.value.response["Error"]["Message"] == (
        "Invalid parameter: Invalid parameter: Endpoint Reason: Please use FIFO SQS queue")
    url, arn = queue(sqs, unique("fq") + ".fifo", FifoQueue="true")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                  Attributes={"RawMessageDelivery": "true"})
    sent = []
    for i in range(6):
        group = "a" if i % 2 == 0 else "b"
        sns.publish(TopicArn=topic, Message=f"{group}{i}", MessageGroupId=group,
                    MessageDeduplicationId=f"d{i}")
        sent.append((group, f"{group}{i}"))
    # A duplicate within the window is not delivered again.
    sns.publish(TopicArn=topic, Message="a0", MessageGroupId="a", MessageDeduplicationId="d0")
    got = []

    def drain():
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                AttributeNames=["MessageGroupId", "MessageDeduplicationId"])
        for m in r.get("Messages", []):
            got.append((m["Attributes"]["MessageGroupId"], m["Body"],
                        m["Attributes"]["MessageDeduplicationId"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return len(got) >= 6
    wait_for(drain, 10, what="six FIFO messages")
    for group in ("a", "b"):
        assert [b for g, b, _ in got if g == group] == [b for g, b in sent if g == group]
    assert {d for _, _, d in got} == {f"d{i}" for i in range(6)}
    r = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
    assert not r.get("Messages")


class Failing(http.server.BaseHTTPRequestHandler):
    """Confirms nothing itself and answers every notification 500."""
    posts = []  # (body, Content-Type)

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Failing.posts.append((body, self.headers["Content-Type"]))
        self.send_response(200 if body["Type"] == "SubscriptionConfirmation" else 500)
        self.end_headers()

    def log_message(self, *args):
        pass


def notifications(message):
    return [(b, t) for b, t in Failing.posts if b["Type"] == "Notification" and
            b["Message"] == message]


def test_delivery_policy_drives_http_retries(sns):
    hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        endpoint = f"http://127.0.0.1:{hook.server_port}/hook"
        topic = sns.create_topic(Name=unique("http"))["TopicArn"]
        sns.set_topic_attributes(TopicArn=topic, AttributeName="DeliveryPolicy", AttributeValue=
                                 json.dumps({"http": {"defaultHealthyRetryPolicy": {
                                     "numRetries": 5, "minDelayTarget": 1, "maxDelayTarget": 4,
                                     "numNoDelayRetries": 1, "backoffFunction": "exponential"}}}))
        effective = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"][
            "EffectiveDeliveryPolicy"])
        assert effective["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 5
        sub = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint,
                            ReturnSubscriptionArn=True)["SubscriptionArn"]
        confirmation = wait_for(
            lambda: next((b for b, _ in Failing.posts if b["Type"] == "SubscriptionConfirmation"
                          and b["TopicArn"] == topic), None), 8, what="the confirmation")
        sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])
        attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
        assert attrs["PendingConfirmation"] == "false"
        assert json.loads(attrs["EffectiveDeliveryPolicy"])["healthyRetryPolicy"][
            "numRetries"] == 5
        sns.publish(TopicArn=topic, Message="topic policy")
        # One attempt and five retries, then no more.
        wait_for(lambda: len(notifications("topic policy")) >= 6, 10, what="six attempts")
        # The subscription's own policy overrides the topic's: two retries, JSON content type.
        sns.set_subscription_attributes(
            SubscriptionArn=sub, AttributeName="DeliveryPolicy", AttributeValue=json.dumps({
                "healthyRetryPolicy": {"numRetries": 2, "minDelayTarget": 1,
                                       "maxDelayTarget": 1},
                "requestPolicy": {"headerContentType": "application/json"}}))
        sns.publish(TopicArn=topic, Message="subscription policy")
        wait_for(lambda: len(notifications("subscription policy")) >= 3, 10,
                 what="three attempts")
        # Any extra retry would have come within the marker's own attempts (milliseconds apart).
        sns.publish(TopicArn=topic, Message="marker")
        wait_for(lambda: len(notifications("marker")) >= 3, 10, what="the marker's attempts")
        assert len(notifications("topic policy")) == 6
        assert len(notifications("subscription policy")) == 3
        assert {t for _, t in notifications("subscription policy")} == {"application/json"}
        with pytest.raises(botocore.exceptions.ClientError) as e:
            sns.set_subscription_attributes(
                SubscriptionArn=sub, AttributeName="DeliveryPolicy",
                AttributeValue=json.dumps({"healthyRetryPolicy": {"numRetries": 101}}))
        assert e.value.response["Error"]["Code"] == "InvalidParameter"
    finally:
        hook.shutdown()


class Tls(http.server.BaseHTTPRequestHandler):
    posts = []

    def do_POST(self):
        Tls.posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_https_to_a_self_signed_loopback_endpoint(sns, tmp_path):
    # A local endpoint's certificate is self-signed; thaw delivers to it anyway (see
    # src/sns/https_post.h), as a developer expects of a local SNS.
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost"],
                   check=True, capture_output=True)
    hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Tls)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    hook.socket = context.wrap_socket(hook.socket, server_side=True)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        topic = sns.create_topic(Name=unique("https"))["TopicArn"]
        sub = sns.subscribe(TopicArn=topic, Protocol="https",
                            Endpoint=f"https://localhost:{hook.server_port}/tls",
                            ReturnSubscriptionArn=True)["SubscriptionArn"]
        confirmation = wait_for(
            lambda: next((b for b in Tls.posts if b["Type"] == "SubscriptionConfirmation"), None),
            8, what="the confirmation over TLS")
        sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])
        r = sns.publish(TopicArn=topic, Message="over tls")
        note = wait_for(lambda: next((b for b in Tls.posts if b["Type"] == "Notification"), None),
                        8, what="the notification over TLS")
        assert note["MessageId"] == r["MessageId"] and note["Message"] == "over tls"
        assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"][
            "PendingConfirmation"] == "false"
    finally:
        hook.shutdown()


def test_publish_passes_its_trace_header_to_lambda_and_sqs(server, sns, sqs, examples):
    lam = boto_client("lambda", server)
    name = unique("sns-trace")
    arn = create_function(lam, name, "context")["FunctionArn"]
    # The function's context comes back in its OnSuccess destination record.
    dest_url, dest_arn = queue(sqs, unique("trace-dest"))
    lam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": dest_arn}})
    topic = sns.create_topic(Name=unique("trace"))["TopicArn"]
    lam.add_permission(FunctionName=name, StatementId="sns", Action="lambda:InvokeFunction",
                       Principal="sns.amazonaws.com", SourceArn=topic)
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
    url, queue_arn = queue(sqs, unique("trace-q"))
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn,
                  Attributes={"RawMessageDelivery": "true"})

    # Lambda's hash of the function in Lineage: three hops so far.
    lineage = hashlib.sha256(arn.encode()).hexdigest()[:8]
    root = "1-5759e988-bd862e3fe1be46a994272793"
    header = f"Root={root};Parent=53995c3f42cd8ad8;Sampled=1;Lineage={lineage}:3"

    def add(request, **_):
        request.headers["X-Amzn-Trace-Id"] = header
    sns.meta.events.register("before-sign.sns.Publish", add)
    sns.meta.events.register("before-sign.sns.PublishBatch", add)
    try:
        sns.publish(TopicArn=topic, Message="one")
        sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
            {"Id": "b", "Message": "two"}])
    finally:
        sns.meta.events.unregister("before-sign.sns.Publish", add)
        sns.meta.events.unregister("before-sign.sns.PublishBatch", add)

    got = {}

    def drain():
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                MessageSystemAttributeNames=["AWSTraceHeader"])
        for m in r.get("Messages", []):
            got[m["Body"]] = m.get("Attributes", {}).get("AWSTraceHeader")
        return len(got) >= 2
    wait_for(drain, 10, what="both messages in the subscribed queue")
    assert got == {"one": header, "two": header}

    traces = []

    def records():
        r = sqs.receive_message(QueueUrl=dest_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        traces.extend(json.loads(m["Body"])["responsePayload"]["trace_id"]
                      for m in r.get("Messages", []))
        return len(traces) >= 2
    wait_for(records, 20, what="the function's two OnSuccess records")
    for trace in traces:
        # The publisher's trace, and the function counted once more along it.
        assert trace.startswith(f"Root={root};"), trace
        assert f"Lineage={lineage}:4" in trace, trace
