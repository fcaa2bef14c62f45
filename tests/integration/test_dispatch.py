"""One endpoint, many services (docs/design.md, One endpoint, many services): every service thaw
serves answers on the one port, each request goes to the service its signature's scope,
X-Amz-Target, Action or path names, and a service thaw does not serve, or a scope that
disagrees with the target, gets an error in that service's shape, which the real clients read.
"""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import aws, boto_client, signed_headers
from invoke_util import http_request
from sqs_util import sqs_client


def test_every_service_on_one_port(thaw_server):
    assert "Functions" in boto_client("lambda", thaw_server).list_functions()
    assert "logGroups" in boto_client("logs", thaw_server).describe_log_groups()
    sqs = sqs_client(thaw_server.url)
    url = sqs.create_queue(QueueName="dispatch-q")["QueueUrl"]
    assert url in sqs.list_queues(QueueNamePrefix="dispatch-")["QueueUrls"]
    answer = boto_client("xray", thaw_server).put_trace_segments(TraceSegmentDocuments=[])
    assert answer["UnprocessedTraceSegments"] == []
    assert "TableNames" in boto_client("dynamodb", thaw_server).list_tables()
    assert "Streams" in boto_client("dynamodbstreams", thaw_server).list_streams()
    assert "StreamNames" in boto_client("kinesis", thaw_server).list_streams()
    assert "Rules" in boto_client("events", thaw_server).list_rules()
    assert "Schedules" in boto_client("scheduler", thaw_server).list_schedules()


@pytest.mark.parametrize("service, call, code", [
    # JSON protocols: __type, read by botocore as the error code.
    ("ssm", lambda c: c.describe_parameters(), "UnknownOperationException"),
    # The query protocol: XML.
    ("iam", lambda c: c.list_roles(), "InvalidAction"),
    ("sts", lambda c: c.get_caller_identity(), "InvalidAction"),
])
def test_services_thaw_does_not_serve(thaw_server, service, call, code):
    client = boto_client(service, thaw_server)
    with pytest.raises(ClientError) as e:
        call(client)
    error = e.value.response["Error"]
    assert error["Code"] == code, e.value.response
    assert f"thaw does not serve the {service} service" in error["Message"]


def test_aws_cli_hears_an_unserved_service(thaw_server):
    done = aws(thaw_server, "sts", "get-caller-identity")
    assert done.returncode != 0
    assert "InvalidAction" in done.stderr and "does not serve the sts service" in done.stderr


def test_scope_and_target_must_agree(thaw_server):
    url = f"http://127.0.0.1:{thaw_server.port}/"
    target = {"X-Amz-Target": "AmazonSQS.ListQueues",
              "Content-Type": "application/x-amz-json-1.0"}
    # Signed for Lambda, addressed to SQS.
    status, headers, body = http_request(
        thaw_server, "POST", "/", b"{}", sign=False,
        headers=signed_headers("POST", url, b"{}", target, service="lambda"))
    assert status == 403, body
    error = json.loads(body)
    assert error["__type"].endswith("InvalidSignature"), error
    assert error["message"] == "Credential should be scoped to correct service: 'sqs'. "
    assert headers["x-amzn-query-error"] == "InvalidSignature;Sender"
    # Signed for SQS, it is answered.
    status, headers, body = http_request(
        thaw_server, "POST", "/", b"{}", sign=False,
        headers=signed_headers("POST", url, b"{}", target, service="sqs"))
    assert status == 200, body


def test_unknown_operations_in_each_shape(thaw_server):
    status, headers, body = http_request(thaw_server, "GET", "/2015-03-31/nothing-here")
    assert status == 404
    assert headers.get("x-amzn-errortype") == "UnknownOperationException"
    status, headers, body = http_request(
        thaw_server, "POST", "/", b"{}",
        headers={"X-Amz-Target": "AmazonSQS.Frobnicate",
                 "Content-Type": "application/x-amz-json-1.0"})
    assert status == 400, body
    assert "Frobnicate" in json.loads(body)["message"]
