"""Accounts and signatures (issue 14): the account a request acts in comes from its access key
id (a 12-digit key id is that account; --accounts FILE maps named keys); with
--verify-signatures only the file's keys (and functions' own credentials) are accepted and every
SigV4 signature is checked, with AWS's errors per protocol; and Lambda's resource policy
(AddPermission) is enforced on Invoke for callers of another account.
"""

import datetime
import json
import os
import subprocess
from unittest import mock

import boto3
import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import AWS_CLI, REGION, ThawServer, create_function, signed_urlopen
from invoke_util import http_request, unique

OPERATOR = ("AKIAOPERATOR00000000", "operator-secret")
ALICE = ("AKIAALICE00000000000", "alice-secret")  # account 111111111111
BOB = ("222222222222", "bob-secret")              # a 12-digit key id is its account
ACCOUNTS = {"keys": [
    {"accessKeyId": OPERATOR[0], "secretAccessKey": OPERATOR[1], "account": "000000000000"},
    {"accessKeyId": ALICE[0], "secretAccessKey": ALICE[1], "account": "111111111111"},
    {"accessKeyId": BOB[0], "secretAccessKey": BOB[1]},
]}


def client(service, server, key, secret):
    return boto3.client(service, endpoint_url=server.url, region_name=REGION,
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1}))


def code_of(call):
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def cli(server, key, secret, *args):
    """/usr/bin/aws (v2) with these keys; (returncode, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret, AWS_PAGER="",
               AWS_MAX_ATTEMPTS="1", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    r = subprocess.run([AWS_CLI, "--endpoint-url", server.url, "--region", REGION,
                        "--output", "json", *args], capture_output=True, text=True, env=env,
                       timeout=120)
    return r.returncode, r.stdout, r.stderr


@pytest.fixture(scope="module")
def verifying(tmp_path_factory, examples):
    """A server with --accounts and --verify-signatures, and one echo function."""
    base = tmp_path_factory.mktemp("verify")
    (base / "state").mkdir()
    accounts = base / "accounts.json"
    accounts.write_text(json.dumps(ACCOUNTS))
    server = ThawServer(base / "state", base,
                        ["--accounts", str(accounts), "--verify-signatures", "--no-sandbox"])
    server.start()
    lam = client("lambda", server, *OPERATOR)
    create_function(lam, "echo", "echo")
    try:
        yield server
    finally:
        server.close()


def test_right_key_and_secret_work_with_boto3_and_the_cli(verifying):
    lam = client("lambda", verifying, *OPERATOR)
    out = lam.invoke(FunctionName="echo", Payload=b'{"x":1}')
    assert json.loads(out["Payload"].read()) == {"x": 1}
    sqs = client("sqs", verifying, *ALICE)  # JSON protocol
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    assert "/111111111111/q" in url  # the named key's account
    rc, out, err = cli(verifying, *OPERATOR, "lambda", "get-function", "--function-name", "echo")
    assert rc == 0, err
    rc, out, err = cli(verifying, *ALICE, "sqs", "list-queues")  # query protocol
    assert rc == 0, err
    assert "/111111111111/q" in out
    # GetFunction's presigned Code.Location is thaw's own key, accepted for its download.
    location = lam.get_function(FunctionName="echo")["Code"]["Location"]
    assert signed_urlopen(location).status == 200


def test_wrong_secret_is_refused_per_protocol(verifying):
    bad = (OPERATOR[0], "wrong-secret")
    message = ("The request signature we calculated does not match the signature you provided. "
               "Check your AWS Secret Access Key and signing method. Consult the service "
               "documentation for details.")
    assert code_of(lambda: client("lambda", verifying, *bad).list_functions()) == (
        "InvalidSignatureException", message)
    assert code_of(lambda: client("logs", verifying, *bad).describe_log_groups()) == (
        "InvalidSignatureException", message)
    # SQS's JSON protocol names it with its query code (x-amzn-query-error), as test_dispatch
    # expects for a scope mismatch too.
    assert code_of(lambda: client("sqs", verifying, *bad).list_queues()) == (
        "InvalidSignature", message)
    rc, _, err = cli(verifying, *bad, "sqs", "list-queues")
    assert rc != 0 and "SignatureDoesNotMatch" in err, err
    rc, _, err = cli(verifying, *bad, "lambda", "list-functions")
    assert rc != 0 and "InvalidSignatureException" in err, err


def test_unknown_key_is_refused_per_protocol(verifying):
    unknown = ("AKIANOBODY0000000000", "whatever")
    message = "The security token included in the request is invalid."
    assert code_of(lambda: client("lambda", verifying, *unknown).list_functions()) == (
        "UnrecognizedClientException", message)
    assert code_of(lambda: client("sqs", verifying, *unknown).list_queues()) == (
        "UnrecognizedClientException", message)
    # A 12-digit key id is an account, but not a key the file lists.
    assert code_of(lambda: client("lambda", verifying, "333333333333", "x").list_functions())[0] \
        == "UnrecognizedClientException"
    rc, _, err = cli(verifying, *unknown, "sqs", "list-queues")
    assert rc != 0 and "InvalidClientTokenId" in err, err


def at(minutes_ago):
    then = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=minutes_ago)
    return mock.patch.object(botocore.auth, "get_current_datetime", lambda: then)


def test_expired_signatures_are_refused(verifying):
    lam = client("lambda", verifying, *OPERATOR)
    with at(4):
        lam.list_functions()  # within 5 minutes
    with at(6):
        code, message = code_of(lambda: lam.list_functions())
    assert code == "InvalidSignatureException"
    assert message.startswith("Signature expired: ") and message.endswith(" - 5 min.)"), message
    assert " is now earlier than " in message

    # The query protocol allows 15 minutes.
    def query(minutes_ago):
        body = b"Action=ListQueues&Version=2012-11-05"
        request = AWSRequest(method="POST", url=verifying.url + "/", data=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        with at(minutes_ago):
            botocore.auth.SigV4Auth(Credentials(*ALICE), "sqs", REGION).add_auth(request)
        return http_request(verifying, "POST", "/", body, sign=False,
                            headers=dict(request.headers.items()))
    status, _, body = query(10)
    assert status == 200, body
    status, _, body = query(20)
    assert status == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in body and b" - 15 min.)" in body, body


def test_functions_sign_with_their_own_credentials(verifying, examples):
    lam = client("lambda", verifying, *OPERATOR)
    name = unique("callaws")
    create_function(lam, name, "callaws")
    out = lam.invoke(FunctionName=name, Payload=json.dumps(
        {"target": "echo", "payload": {"via": "function"}}).encode())
    text = out["Payload"].read().decode()
    assert "FunctionError" not in out, text
    assert json.loads(text) == {"via": "function"}
    made_up = lam.invoke(FunctionName=name, Payload=json.dumps(
        {"target": name, "action": "get-function", "key": "made-up"}).encode())
    answer = json.loads(made_up["Payload"].read())
    assert (answer["status"], answer["type"]) == (403, "UnrecognizedClientException"), answer


def test_without_verification_any_secret_works(make_thaw_server, examples):
    server = make_thaw_server("--no-sandbox")
    lam = client("lambda", server, "AKIAWHATEVER", "any-secret")
    create_function(lam, "e", "echo")
    assert client("lambda", server, "AKIAWHATEVER", "other").invoke(
        FunctionName="e", Payload=b"{}")["StatusCode"] == 200


# Lambda's resource policy on Invoke, for a caller of another account (111111111111) and the
# function's own (000000000000).

@pytest.fixture(scope="module")
def plain(tmp_path_factory, examples):
    base = tmp_path_factory.mktemp("policy")
    (base / "state").mkdir()
    server = ThawServer(base / "state", base, ["--no-sandbox"])
    server.start()
    try:
        yield server
    finally:
        server.close()


def denied_message(arn, account="111111111111"):
    return (f"User: arn:aws:iam::{account}:root is not authorized to perform: "
            f"lambda:InvokeFunction on resource: {arn} because no resource-based policy allows "
            f"the lambda:InvokeFunction action")


def test_other_account_needs_a_statement_sync_and_event(plain):
    owner = client("lambda", plain, "AKIAOWNER", "s")
    other = client("lambda", plain, "111111111111", "s")
    name = unique("policy")
    arn = create_function(owner, name, "echo")["FunctionArn"]
    assert owner.invoke(FunctionName=name, Payload=b"{}")["StatusCode"] == 200
    # Another account names the function by its ARN (a plain name is a function of its own).
    for kind in ("RequestResponse", "Event", "DryRun"):
        e = pytest.raises(ClientError, other.invoke, FunctionName=arn, InvocationType=kind,
                          Payload=b"{}")
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert e.value.response["Error"]["Code"] == "AccessDeniedException"
        assert e.value.response["Error"]["Message"] == denied_message(arn), kind
    owner.add_permission(FunctionName=name, StatementId="other", Action="lambda:InvokeFunction",
                         Principal="111111111111")
    out = other.invoke(FunctionName=arn, Payload=b'{"from":"other"}')
    assert json.loads(out["Payload"].read()) == {"from": "other"}
    assert other.invoke(FunctionName=arn, InvocationType="Event",
                        Payload=b"{}")["StatusCode"] == 202
    # A third account is still refused; removing the statement refuses the second again.
    third = client("lambda", plain, "333333333333", "s")
    assert code_of(lambda: third.invoke(FunctionName=arn, Payload=b"{}"))[0] == \
        "AccessDeniedException"
    owner.remove_permission(FunctionName=name, StatementId="other")
    assert code_of(lambda: other.invoke(FunctionName=arn, InvocationType="Event",
                                        Payload=b"{}"))[0] == "AccessDeniedException"


def test_permission_applies_to_the_arn_it_was_added_for(plain):
    owner = client("lambda", plain, "AKIAOWNER", "s")
    other = client("lambda", plain, "111111111111", "s")
    name = unique("alias")
    version_arn = create_function(owner, name, "echo", Publish=True)["FunctionArn"]  # NAME:1
    arn = version_arn.rsplit(":", 1)[0]
    owner.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    owner.add_permission(FunctionName=name, Qualifier="live", StatementId="a",
                         Action="lambda:InvokeFunction", Principal="111111111111")
    assert other.invoke(FunctionName=arn, Qualifier="live", Payload=b"{}")["StatusCode"] == 200
    assert other.invoke(FunctionName=f"{arn}:live", Payload=b"{}")["StatusCode"] == 200
    # Not the version the alias points to, nor the function.
    assert code_of(lambda: other.invoke(FunctionName=arn, Qualifier="1", Payload=b"{}")) == (
        "AccessDeniedException", denied_message(version_arn))
    assert code_of(lambda: other.invoke(FunctionName=arn, Payload=b"{}"))[0] == \
        "AccessDeniedException"


def test_principal_org_id_is_refused(plain):
    owner = client("lambda", plain, "AKIAOWNER", "s")
    name = unique("org")
    create_function(owner, name, "echo")
    code, message = code_of(lambda: owner.add_permission(
        FunctionName=name, StatementId="o", Action="lambda:InvokeFunction", Principal="*",
        PrincipalOrgID="o-abcdefghij"))
    assert "PrincipalOrgID is not supported" in message, (code, message)
