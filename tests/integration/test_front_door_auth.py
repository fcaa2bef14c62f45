"""The front door's authentication and access rules (docs/design.md, Trust boundaries).

Every route needs SigV4 (a header or a presigned query that parses); browsers' requests (an
Origin header, a foreign Host) are refused unless --allow-origin lists them; and a request that
comes from inside a function, whatever key it signs with, gets only the data plane of its
account (invoke, logs, traces), never the control plane or thaw's own /thaw/* routes, unless
the function is tagged thaw:control-plane=allow.
"""

import json

import pytest

from conftest import create_function, signed_headers
from invoke_util import http_request, unique

FUNCTIONS = "/2015-03-31/functions/"
ROLE_ARN = "arn:aws:iam::000000000000:role/lambda-role"


def error_of(headers, body):
    """(x-amzn-ErrorType, message) of an AWS error answer, REST-JSON or JSON 1.1."""
    data = json.loads(body)
    return headers.get("x-amzn-errortype"), data.get("Message") or data.get("message")


def test_unsigned_requests_get_missing_authentication_token(thaw_server):
    for method, path in [("GET", FUNCTIONS), ("GET", "/thaw/environments"),
                         ("GET", "/thaw/invocations"), ("POST", "/TraceSegments"),
                         ("GET", "/2016-08-19/account-settings/"),
                         ("POST", FUNCTIONS + "nobody/invocations")]:
        status, headers, body = http_request(thaw_server, method, path, b"{}", sign=False)
        assert status == 403, (path, body)
        assert error_of(headers, body) == ("MissingAuthenticationTokenException",
                                           "Missing Authentication Token"), path
    # CloudWatch Logs (JSON 1.1) answers in its own shape.
    status, headers, body = http_request(
        thaw_server, "POST", "/", b"{}", sign=False,
        headers={"X-Amz-Target": "Logs_20140328.DescribeLogGroups",
                 "Content-Type": "application/x-amz-json-1.1"})
    assert status == 403
    assert json.loads(body)["__type"] == "MissingAuthenticationTokenException"


def test_malformed_signature_gets_incomplete_signature(thaw_server):
    cases = {
        "Bearer abc": "Authorization header requires 'Credential' parameter.",
        "AWS4-HMAC-SHA256 Credential": "not a valid key=value pair (missing equal-sign)",
        "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda/aws4_request, "
        "SignedHeaders=host;x-amz-date": "Authorization header requires 'Signature' parameter.",
        "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda/nope, "
        "SignedHeaders=host;x-amz-date, Signature=00": "valid terminator: 'aws4_request'",
    }
    for header, message in cases.items():
        status, headers, body = http_request(
            thaw_server, "GET", FUNCTIONS, sign=False,
            headers={"Authorization": header, "X-Amz-Date": "20240101T000000Z"})
        assert status == 403, body
        kind, text = error_of(headers, body)
        assert kind == "IncompleteSignatureException", body
        assert message in text, text
    # No X-Amz-Date nor Date: AWS's own complaint.
    status, headers, body = http_request(
        thaw_server, "GET", FUNCTIONS, sign=False,
        headers={"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda/"
                                  "aws4_request, SignedHeaders=host, Signature=00"})
    assert status == 403
    assert "either a 'X-Amz-Date' or a 'Date' header" in error_of(headers, body)[1]


def test_any_key_that_parses_is_accepted(thaw_server):
    # Signatures are not verified yet: a wrong secret still passes, and so does a presigned URL.
    headers = signed_headers("GET", f"{thaw_server.url}{FUNCTIONS}", b"")
    headers["Authorization"] = headers["Authorization"][:-8] + "00000000"
    status, _, body = http_request(thaw_server, "GET", FUNCTIONS, headers=headers, sign=False)
    assert status == 200, body
    query = ("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240101%2Fus-east-1%2F"
             "lambda%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=60&"
             "X-Amz-SignedHeaders=host&X-Amz-Signature=00")
    status, _, body = http_request(thaw_server, "GET", FUNCTIONS + "?" + query, sign=False)
    assert status == 200, body


def test_foreign_host_and_origin_are_refused(thaw_server):
    port = thaw_server.port
    for host in [f"evil.example:{port}", f"127.0.0.1:{port + 1}", "attacker.test"]:
        status, headers, body = http_request(thaw_server, "GET", FUNCTIONS,
                                             headers={"Host": host})
        assert status == 403, (host, body)
        kind, text = error_of(headers, body)
        assert kind == "AccessDeniedException"
        assert "Host" in text
    for host in [f"localhost:{port}", f"127.0.0.1:{port}", f"LOCALHOST:{port}"]:
        status, _, body = http_request(thaw_server, "GET", FUNCTIONS, headers={"Host": host})
        assert status == 200, (host, body)
    status, headers, body = http_request(thaw_server, "GET", FUNCTIONS,
                                         headers={"Origin": "http://evil.example"})
    assert status == 403
    kind, text = error_of(headers, body)
    assert kind == "AccessDeniedException"
    assert "--allow-origin http://evil.example" in text
    status, _, _ = http_request(thaw_server, "GET", FUNCTIONS, headers={"Origin": "null"})
    assert status == 403


def test_allow_origin_lets_that_origin_in(make_thaw_server):
    server = make_thaw_server("--allow-origin", "http://app.local:3000",
                              "--allow-origin", "http://other.local")
    for origin in ["http://app.local:3000", "http://other.local"]:
        status, _, body = http_request(server, "GET", FUNCTIONS, headers={"Origin": origin})
        assert status == 200, (origin, body)
    status, _, _ = http_request(server, "GET", FUNCTIONS,
                                headers={"Origin": "http://app.local:3001"})
    assert status == 403
    # Still signed: an allowed origin is no way around authentication.
    status, _, _ = http_request(server, "GET", FUNCTIONS, sign=False,
                                headers={"Origin": "http://app.local:3000"})
    assert status == 403


def test_cross_site_form_post_cannot_create_a_function(thaw_server, lam, examples):
    name = unique("csrf")
    body = json.dumps({"FunctionName": name, "Runtime": "provided.al2023", "Role": ROLE_ARN,
                       "Handler": "bootstrap",
                       "Code": {"ZipFile": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}}).encode()
    # What a web page's <form enctype="text/plain"> sends: no credentials, the page's Origin.
    for headers in [{"Content-Type": "text/plain", "Origin": "http://evil.example"},
                    {"Content-Type": "text/plain"}]:
        status, _, answer = http_request(thaw_server, "POST", FUNCTIONS, body, sign=False,
                                         headers=headers)
        assert status == 403, answer
    names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    assert name not in names


# ---- requests from inside a function --------------------------------------------------------

def call_from(lam, caller, **event):
    """Invokes the callaws function `caller` with `event`; returns what it answered."""
    resp = lam.invoke(FunctionName=caller, Payload=json.dumps(event).encode())
    payload = json.loads(resp["Payload"].read())
    assert "FunctionError" not in resp, payload
    return payload


def assert_denied(answer, action, caller, resource):
    assert answer["status"] == 403, answer
    assert answer["type"] == "AccessDeniedException", answer
    message = json.loads(answer["body"])["Message"]
    assert message.startswith(
        f"User: arn:aws:sts::000000000000:assumed-role/lambda-role/{caller} is not authorized "
        f"to perform: {action} on resource: {resource}"), message


@pytest.fixture(scope="module")
def functions(thaw_server, lam, examples):
    names = {"caller": unique("caller"), "victim": unique("victim"),
             "manager": unique("manager")}
    create_function(lam, names["caller"], "callaws", Timeout=30)
    create_function(lam, names["victim"], "echo")
    create_function(lam, names["manager"], "callaws", Timeout=30,
                    Tags={"thaw:control-plane": "allow"})
    return names


@pytest.mark.parametrize("key", ["", "made-up", "account"])
def test_function_cannot_drive_the_control_plane(lam, functions, key):
    caller, victim = functions["caller"], functions["victim"]
    victim_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{victim}"
    before = lam.get_function(FunctionName=victim)["Configuration"]["CodeSha256"]
    answer = call_from(lam, caller, action="update-code", target=victim, key=key)
    assert_denied(answer, "lambda:UpdateFunctionCode", caller, victim_arn)
    assert lam.get_function(FunctionName=victim)["Configuration"]["CodeSha256"] == before
    answer = call_from(lam, caller, action="get-function", target=victim, key=key)
    assert_denied(answer, "lambda:GetFunction", caller, victim_arn)
    answer = call_from(lam, caller, action="environments", key=key)
    assert_denied(answer, "thaw:ListEnvironments", caller, "*")
    # The data plane stays open: Invoke of another function of the account.
    out = call_from(lam, caller, target=victim, payload={"hello": key or "own"}, key=key)
    assert out == {"hello": key or "own"}


def test_function_reads_its_own_configuration(lam, functions):
    caller = functions["caller"]
    answer = call_from(lam, caller, action="get-function", target=caller)
    assert answer["status"] == 200, answer
    assert json.loads(answer["body"])["Configuration"]["FunctionName"] == caller


def test_function_credentials_are_its_own(lam, functions, examples):
    # Each function's environment carries temporary credentials of its own role, as Lambda's.
    envs = []
    for _ in range(2):
        name = unique("ctx")
        create_function(lam, name, "context")
        envs.append(call_from(lam, name)["env"])
    for env in envs:
        assert env["AWS_ACCESS_KEY_ID"].startswith("ASIA") and len(env["AWS_ACCESS_KEY_ID"]) == 20
        assert len(env["AWS_SECRET_ACCESS_KEY"]) == 40
        assert env["AWS_SESSION_TOKEN"]
    assert envs[0]["AWS_ACCESS_KEY_ID"] != envs[1]["AWS_ACCESS_KEY_ID"]
    assert envs[0]["AWS_SESSION_TOKEN"] != envs[1]["AWS_SESSION_TOKEN"]


def test_tag_lets_a_function_manage(lam, functions):
    manager, victim = functions["manager"], functions["victim"]
    answer = call_from(lam, manager, action="get-function", target=victim, key="made-up")
    assert answer["status"] == 200, answer
    assert json.loads(answer["body"])["Configuration"]["FunctionName"] == victim
    answer = call_from(lam, manager, action="environments")
    assert answer["status"] == 200, answer
    assert "environments" in json.loads(answer["body"])


def test_unsandboxed_function_is_found_by_its_process_group(make_thaw_server, examples):
    from conftest import boto_client
    server = make_thaw_server("--no-sandbox")
    lam = boto_client("lambda", server)
    caller, victim = unique("caller"), unique("victim")
    create_function(lam, caller, "callaws", Timeout=30)
    create_function(lam, victim, "echo")
    answer = call_from(lam, caller, action="update-code", target=victim, key="account")
    assert_denied(answer, "lambda:UpdateFunctionCode", caller,
                  f"arn:aws:lambda:us-east-1:000000000000:function:{victim}")
    answer = call_from(lam, caller, action="environments", key="made-up")
    assert answer["status"] == 403 and answer["type"] == "AccessDeniedException", answer
    assert call_from(lam, caller, target=victim, payload={"x": 1}) == {"x": 1}
    # The operator, on the same machine and user, still may.
    status, _, _ = http_request(server, "GET", "/thaw/environments")
    assert status == 200


def test_functions_may_manage_flag(make_thaw_server, examples):
    from conftest import boto_client
    server = make_thaw_server("--functions-may-manage")
    lam = boto_client("lambda", server)
    caller, victim = unique("caller"), unique("victim")
    create_function(lam, caller, "callaws", Timeout=30)
    create_function(lam, victim, "echo")
    answer = call_from(lam, caller, action="get-function", target=victim, key="made-up")
    assert answer["status"] == 200, answer
    answer = call_from(lam, caller, action="environments")
    assert answer["status"] == 200, answer
