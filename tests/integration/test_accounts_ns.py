"""Every Lambda and Logs resource belongs to an account (issue 14): the same function name in two
accounts is two functions, ARNs carry the account, lists show the caller's account only, a
cross-account call by ARN reaches the other account's function (Invoke under its resource
policy, anything else refused), a function's logs and its injected credentials are its
account's, and all of it survives a restart.
"""

import json
import sqlite3
import subprocess

import pytest
from botocore.exceptions import ClientError

from conftest import ROOT, THAW_BIN, ThawServer, create_function
from invoke_util import wait_for
from test_accounts import cli, client, code_of

A = ("111111111111", "a-secret")  # a 12-digit key id is its account
B = ("222222222222", "b-secret")
ARN_A = "arn:aws:lambda:us-east-1:111111111111:function:fn"
ARN_B = "arn:aws:lambda:us-east-1:222222222222:function:fn"


@pytest.fixture(scope="module")
def server(tmp_path_factory, examples):
    """One server; accounts A and B each own a function "fn" with different code."""
    base = tmp_path_factory.mktemp("ns")
    (base / "state").mkdir()
    s = ThawServer(base / "state", base, ["--no-sandbox"])
    s.start()
    create_function(client("lambda", s, *A), "fn", "echo")
    create_function(client("lambda", s, *B), "fn", "context")
    try:
        yield s
    finally:
        s.close()


def invoke(lam, name, payload=b'{"hello":"x"}', **kw):
    out = lam.invoke(FunctionName=name, Payload=payload, **kw)
    text = out["Payload"].read().decode()
    assert "FunctionError" not in out, text
    return json.loads(text)


def test_same_name_in_two_accounts_is_two_functions(server):
    a, b = client("lambda", server, *A), client("lambda", server, *B)
    assert invoke(a, "fn") == {"hello": "x"}  # echo
    ctx = invoke(b, "fn")  # context: its own ARN in the invoke context
    assert ctx["invoked_function_arn"] == ARN_B
    assert ctx["function_name"] == "fn"
    assert a.get_function(FunctionName="fn")["Configuration"]["FunctionArn"] == ARN_A
    assert b.get_function(FunctionName="fn")["Configuration"]["FunctionArn"] == ARN_B
    # The operator's account (000000000000) has no "fn".
    op = client("lambda", server, "AKIAOPERATOR", "s")
    assert code_of(lambda: op.get_function(FunctionName="fn"))[0] == "ResourceNotFoundException"


def test_list_functions_shows_the_callers_account_only(server):
    a, b = client("lambda", server, *A), client("lambda", server, *B)
    extra = create_function(a, "only-a", "echo")["FunctionArn"]
    assert extra == "arn:aws:lambda:us-east-1:111111111111:function:only-a"
    names_a = {f["FunctionArn"] for f in a.list_functions()["Functions"]}
    names_b = {f["FunctionArn"] for f in b.list_functions()["Functions"]}
    assert names_a == {ARN_A, extra}
    assert names_b == {ARN_B}
    rc, out, err = cli(server, *B, "lambda", "list-functions")  # the AWS CLI v2
    assert rc == 0, err
    assert [f["FunctionArn"] for f in json.loads(out)["Functions"]] == [ARN_B]


def test_cross_account_invoke_by_arn_needs_a_permission(server):
    a, b = client("lambda", server, *A), client("lambda", server, *B)
    code, message = code_of(lambda: a.invoke(FunctionName=ARN_B, Payload=b"{}"))
    assert code == "AccessDeniedException"
    assert message == ("User: arn:aws:iam::111111111111:root is not authorized to perform: "
                       f"lambda:InvokeFunction on resource: {ARN_B} because no resource-based "
                       "policy allows the lambda:InvokeFunction action")
    b.add_permission(FunctionName="fn", StatementId="a", Action="lambda:InvokeFunction",
                     Principal="111111111111")
    try:
        ctx = invoke(a, ARN_B)  # B's function (context), not A's (echo)
        assert ctx["invoked_function_arn"] == ARN_B
        # A partial ARN names the account too.
        assert invoke(a, "222222222222:function:fn")["invoked_function_arn"] == ARN_B
    finally:
        b.remove_permission(FunctionName="fn", StatementId="a")
    assert code_of(lambda: a.invoke(FunctionName=ARN_B, Payload=b"{}"))[0] == \
        "AccessDeniedException"


def test_control_plane_on_another_accounts_function_is_refused(server):
    a = client("lambda", server, *A)
    code, message = code_of(lambda: a.get_function(FunctionName=ARN_B))
    assert code == "AccessDeniedException"
    assert message.startswith("User: arn:aws:iam::111111111111:root is not authorized to "
                              "perform: lambda:GetFunction on resource: " + ARN_B), message
    assert code_of(lambda: a.delete_function(FunctionName=ARN_B))[0] == "AccessDeniedException"
    assert code_of(lambda: a.list_tags(Resource=ARN_B))[0] == "AccessDeniedException"
    # B's function is untouched.
    b = client("lambda", server, *B)
    assert b.get_function(FunctionName="fn")["Configuration"]["FunctionArn"] == ARN_B
    rc, _, err = cli(server, *A, "lambda", "get-function", "--function-name", ARN_B)
    assert rc != 0 and "AccessDeniedException" in err, err


def test_layers_belong_to_an_account(server):
    a, b = client("lambda", server, *A), client("lambda", server, *B)
    zip_bytes = (ROOT / "build" / "examples" / "layers" / "data-a.zip").read_bytes()
    arn = a.publish_layer_version(LayerName="lib", Content={"ZipFile": zip_bytes})[
        "LayerVersionArn"]
    assert arn == "arn:aws:lambda:us-east-1:111111111111:layer:lib:1"
    assert [l["LayerArn"] for l in a.list_layers()["Layers"]] == [
        "arn:aws:lambda:us-east-1:111111111111:layer:lib"]
    assert b.list_layers()["Layers"] == []
    assert code_of(lambda: b.get_layer_version(LayerName="lib", VersionNumber=1))[0] == \
        "ResourceNotFoundException"
    assert a.get_layer_version_by_arn(Arn=arn)["LayerVersionArn"] == arn
    # B's functions cannot take A's layer (thaw has no layer permissions).
    assert code_of(lambda: create_function(b, "with-layer", "echo", Layers=[arn]))[0] == \
        "InvalidParameterValueException"
    fn = create_function(a, "with-layer", "echo", Layers=[arn])
    assert fn["Layers"][0]["Arn"] == arn


def test_logs_belong_to_the_functions_account(server):
    a, b = client("lambda", server, *A), client("lambda", server, *B)
    invoke(a, "fn", b'{"mark":"in-a"}')
    invoke(b, "fn", b'{"mark":"in-b"}')
    logs_a, logs_b = client("logs", server, *A), client("logs", server, *B)

    def messages(logs):
        try:
            events = logs.filter_log_events(logGroupName="/aws/lambda/fn")["events"]
        except ClientError:
            return None
        return "".join(e["message"] for e in events)
    wait_for(lambda: (messages(logs_a) or "").count("END RequestId") >= 1, timeout=10,
             what="A's log events")
    wait_for(lambda: (messages(logs_b) or "").count("END RequestId") >= 1, timeout=10,
             what="B's log events")
    groups_a = logs_a.describe_log_groups()["logGroups"]
    groups_b = logs_b.describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]
    assert {g["logGroupName"] for g in groups_b} == {"/aws/lambda/fn"}
    assert "/aws/lambda/fn" in {g["logGroupName"] for g in groups_a}
    assert groups_b[0]["logGroupArn"] == \
        "arn:aws:logs:us-east-1:222222222222:log-group:/aws/lambda/fn"
    # Each account's stream holds its own function's invocations only: B's function (context)
    # never logged A's payload.
    b_stream = logs_b.describe_log_streams(logGroupName="/aws/lambda/fn")["logStreams"]
    a_stream = logs_a.describe_log_streams(logGroupName="/aws/lambda/fn")["logStreams"]
    assert {s["logStreamName"] for s in b_stream}.isdisjoint(
        {s["logStreamName"] for s in a_stream})
    # The operator's account sees neither.
    op = client("logs", server, "AKIAOPERATOR", "s")
    assert "/aws/lambda/fn" not in {g["logGroupName"] for g in op.describe_log_groups()["logGroups"]}
    # `thaw logs --account` reads another account's group.
    r = subprocess.run([str(THAW_BIN), "--endpoint", server.url, "logs", "fn", "--account",
                        "222222222222"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "END RequestId" in r.stdout, r.stdout


def test_injected_credentials_act_in_the_functions_account(server):
    # A queue "from-fn" in B and one in the operator's account: the function of B, signing
    # with its injected credentials, finds and feeds B's.
    sqs_b, sqs_op = client("sqs", server, *B), client("sqs", server, "AKIAOPERATOR", "s")
    url_b = sqs_b.create_queue(QueueName="from-fn")["QueueUrl"]
    url_op = sqs_op.create_queue(QueueName="from-fn")["QueueUrl"]
    assert url_b != url_op
    b = client("lambda", server, *B)
    create_function(b, "caller", "callaws")
    out = invoke(b, "caller", json.dumps({"action": "send-message", "target": "from-fn",
                                          "payload": {"n": 1}}).encode())
    assert out["status"] == 200, out
    assert json.loads(out["body"])["QueueUrl"] == url_b
    got = sqs_b.receive_message(QueueUrl=url_b, WaitTimeSeconds=1)["Messages"]
    assert json.loads(got[0]["Body"]) == {"n": 1}
    assert "Messages" not in sqs_op.receive_message(QueueUrl=url_op)
    # Invoking "fn" by name with its credentials reaches its own account's fn (context).
    ctx = invoke(b, "caller", json.dumps({"target": "fn", "payload": {}}).encode())
    assert ctx["invoked_function_arn"] == ARN_B


def test_both_accounts_survive_a_restart(tmp_path, examples):
    (tmp_path / "state").mkdir()
    s = ThawServer(tmp_path / "state", tmp_path, ["--no-sandbox"])
    s.start()
    try:
        create_function(client("lambda", s, *A), "fn", "echo")
        create_function(client("lambda", s, *B), "fn", "context")
        s.kill9()
        s.start()
        a, b = client("lambda", s, *A), client("lambda", s, *B)
        assert [f["FunctionArn"] for f in a.list_functions()["Functions"]] == [ARN_A]
        assert [f["FunctionArn"] for f in b.list_functions()["Functions"]] == [ARN_B]
        assert invoke(a, "fn") == {"hello": "x"}
        assert invoke(b, "fn")["invoked_function_arn"] == ARN_B
    finally:
        s.close()


def test_state_from_before_accounts_is_000000000000s(tmp_path, examples):
    """A state dir whose lambda_functions has no account column (thaw before accounts): its
    functions load as 000000000000's, under their old names."""
    (tmp_path / "state").mkdir()
    s = ThawServer(tmp_path / "state", tmp_path, ["--no-sandbox"])
    s.start()
    op = client("lambda", s, "AKIAOPERATOR", "s")
    create_function(op, "old", "echo")
    assert s.stop() == 0
    db = sqlite3.connect(tmp_path / "state" / "state.db")
    db.execute("ALTER TABLE lambda_functions DROP COLUMN account")  # the old schema
    db.commit()
    db.close()
    s.start()
    try:
        fn = op.get_function(FunctionName="old")["Configuration"]
        assert fn["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:old"
        assert invoke(op, "old") == {"hello": "x"}
        a = client("lambda", s, *A)
        assert code_of(lambda: a.get_function(FunctionName="old"))[0] == \
            "ResourceNotFoundException"
        db = sqlite3.connect(tmp_path / "state" / "state.db")
        assert db.execute("SELECT account FROM lambda_functions WHERE name = 'old'").fetchall() \
            == [("000000000000",)]
        db.close()
    finally:
        s.close()
