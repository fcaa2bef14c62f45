"""Lambda's recursive loop detection (issue 13, "Recursion"): the Lineage field of the X-Ray
trace header counts a function's invocations along one chain of events; past 16 the
invocation is dropped with RecursiveInvocationException unless the function's recursion
config (Put/GetFunctionRecursionConfig) is Allow. RecursiveInvocationsDropped is counted per
function in GET /thaw/environments.

The recurse example (examples/functions/go/sdk/recurse) invokes itself through the AWS SDK for
Go v2, which carries _X_AMZN_TRACE_ID on as the call's X-Amzn-Trace-Id.
"""

import hashlib
import json
import time

import botocore.exceptions
import pytest

from conftest import ROOT, aws, boto_client, create_function
from invoke_util import http_request, make, unique

RECURSE = ROOT / "build" / "examples" / "go" / "recurse.zip"
ARN = "arn:aws:lambda:us-east-1:000000000000:function:"


def lineage_hash(name):
    return hashlib.sha256((ARN + name).encode()).hexdigest()[:8]


def trace_header(lineage):
    root = "1-%08x-%s" % (int(time.time()), unique("r").encode().hex()[-24:].rjust(24, "0"))
    return f"Root={root};Parent=53995c3f42cd8ad8;Sampled=0;Lineage={lineage}"


def invoke_with_trace(lam, name, header, payload=b"{}"):
    """Invoke with our own X-Amzn-Trace-Id (botocore sends none outside Lambda)."""
    def add(request, **_):
        request.headers["X-Amzn-Trace-Id"] = header
    lam.meta.events.register("before-sign.lambda.Invoke", add)
    try:
        return lam.invoke(FunctionName=name, Payload=payload)
    finally:
        lam.meta.events.unregister("before-sign.lambda.Invoke", add)


def drops(server, name):
    status, _, body = http_request(server, "GET", "/thaw/environments")
    assert status == 200, body
    return json.loads(body)["recursiveInvocationsDropped"].get(name, 0)


def test_lineage_count_16_is_dropped_and_counted(thaw_server, lam):
    name = make(lam, "rec-echo", "echo")
    mine = lineage_hash(name)
    other = "0f1e2d3c"
    # 15 earlier invocations: this one is the 16th and runs, seeing its count raised.
    out = invoke_with_trace(lam, name, trace_header(f"{other}:30|{mine}:15"))
    assert "FunctionError" not in out
    assert f"Lineage={other}:30|{mine}:16" in out["ResponseMetadata"]["HTTPHeaders"][
        "x-amzn-trace-id"]
    assert drops(thaw_server, name) == 0
    # Another function's count does not matter; the 17th of this one is dropped.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        invoke_with_trace(lam, name, trace_header(f"{other}:30|{mine}:16"))
    err = e.value.response
    assert err["Error"]["Code"] == "RecursiveInvocationException"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "recursive loop" in err["Error"]["Message"]
    assert drops(thaw_server, name) == 1


def test_recursion_config_api_boto3(thaw_server, lam):
    name = make(lam, "rec-cfg", "echo")
    assert lam.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Terminate"
    out = lam.put_function_recursion_config(FunctionName=name, RecursiveLoop="Allow")
    assert out["RecursiveLoop"] == "Allow"
    assert lam.get_function_recursion_config(FunctionName=ARN + name)["RecursiveLoop"] == "Allow"
    # Allow: the 17th invocation runs.
    out = invoke_with_trace(lam, name, trace_header(f"{lineage_hash(name)}:16"))
    assert "FunctionError" not in out
    assert drops(thaw_server, name) == 0
    # Validation as AWS gives it (botocore's own client check is off for the bad enum).
    status, _, body = http_request(
        thaw_server, "PUT", f"/2024-08-31/functions/{name}/recursion-config",
        json.dumps({"RecursiveLoop": "Sometimes"}).encode())
    assert status == 400, body
    assert json.loads(body)["Message"] == (
        "1 validation error detected: Value 'Sometimes' at 'recursiveLoop' failed to satisfy "
        "constraint: Member must satisfy enum value set: [Allow, Terminate]")
    status, _, body = http_request(
        thaw_server, "PUT", f"/2024-08-31/functions/{name}/recursion-config", b"{}")
    assert status == 400, body
    assert "Value null at 'recursiveLoop'" in json.loads(body)["Message"]
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function_recursion_config(FunctionName=unique("rec-missing"))
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.put_function_recursion_config(FunctionName=unique("rec-missing"),
                                          RecursiveLoop="Allow")


def test_recursion_config_survives_restart(make_thaw_server):
    server = make_thaw_server()
    lam = boto_client("lambda", server)
    name = make(lam, "rec-durable", "echo")
    lam.put_function_recursion_config(FunctionName=name, RecursiveLoop="Allow")
    server.restart()
    lam = boto_client("lambda", server)
    assert lam.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Allow"
    # Deleting the function forgets it: a new one of that name starts at Terminate.
    lam.delete_function(FunctionName=name)
    create_function(lam, name, "echo")
    assert lam.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Terminate"


def test_recursion_config_api_aws_cli(thaw_server, lam):
    name = make(lam, "rec-cli", "echo")
    r = aws(thaw_server, "lambda", "put-function-recursion-config", "--function-name", name,
            "--recursive-loop", "Allow")
    if "invalid choice" in r.stderr.lower():
        version = aws(thaw_server, "--version").stdout.strip()
        pytest.skip(f"{version} predates PutFunctionRecursionConfig (2024-08-31)")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"RecursiveLoop": "Allow"}
    r = aws(thaw_server, "lambda", "get-function-recursion-config", "--function-name", name)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"RecursiveLoop": "Allow"}


@pytest.fixture
def recurse_zip():
    if not RECURSE.exists():
        pytest.skip(f"{RECURSE} missing: run scripts/build-examples.sh")
    return RECURSE


def test_go_sdk_self_invocation_is_stopped_at_16(thaw_server, lam, recurse_zip):
    name = make(lam, "rec-go", recurse_zip, Timeout=60)
    out = lam.invoke(FunctionName=name, Payload=json.dumps({"depth": 1}))
    assert "FunctionError" not in out, out["Payload"].read()
    deepest = json.loads(out["Payload"].read())
    assert deepest["depth"] == 16
    assert deepest["error"] == "RecursiveInvocationException"
    assert f"Lineage={lineage_hash(name)}:16" in deepest["trace"]
    assert drops(thaw_server, name) == 1


def test_go_sdk_self_invocation_with_allow_goes_on(thaw_server, lam, recurse_zip):
    name = make(lam, "rec-go-allow", recurse_zip, Timeout=60)
    lam.put_function_recursion_config(FunctionName=name, RecursiveLoop="Allow")
    # The chain ends itself at 18, past where Terminate would have stopped it.
    out = lam.invoke(FunctionName=name, Payload=json.dumps({"depth": 1, "stop": 18}))
    assert "FunctionError" not in out, out["Payload"].read()
    deepest = json.loads(out["Payload"].read())
    assert (deepest["depth"], deepest["error"]) == (18, "")
    assert f"Lineage={lineage_hash(name)}:18" in deepest["trace"]
    assert drops(thaw_server, name) == 0


def test_sqs_keeps_the_senders_trace_header_as_aws_trace_header(thaw_server):
    # An SDK inside a function sends its _X_AMZN_TRACE_ID as X-Amzn-Trace-Id; SQS keeps it (and
    # the Lineage with it) as the message's AWSTraceHeader for the trigger to pass on.
    sqs = boto_client("sqs", thaw_server)
    url = sqs.create_queue(QueueName=unique("rec-q"))["QueueUrl"]
    header = trace_header("a87bd80c:3")

    def add(request, **_):
        request.headers["X-Amzn-Trace-Id"] = header
    sqs.meta.events.register("before-sign.sqs.SendMessage", add)
    sqs.send_message(QueueUrl=url, MessageBody="one")
    sqs.meta.events.unregister("before-sign.sqs.SendMessage", add)
    # An explicit system attribute wins.
    sqs.send_message(QueueUrl=url, MessageBody="two", MessageSystemAttributes={
        "AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-0-0;Lineage=0f1e2d3c:1"}})
    got = {}
    for _ in range(10):
        out = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                  MessageSystemAttributeNames=["AWSTraceHeader"])
        for m in out.get("Messages", []):
            got[m["Body"]] = m.get("Attributes", {}).get("AWSTraceHeader")
        if len(got) == 2:
            break
    assert got == {"one": header, "two": "Root=1-0-0;Lineage=0f1e2d3c:1"}
