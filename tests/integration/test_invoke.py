"""Invoke path: what boto3 / the AWS CLI get back from Invoke, checked against real Lambda
(reference: shared/reference/lambda-runtime.md sections 2, 3, 4 and 5.1).

Every test uses its own function (unique name) on the module's shared server.
"""

import base64
import io
import json
import math
import re
import threading
import time
import zipfile
from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError

from conftest import aws, create_function
from invoke_util import (make, REPORT_RE, REQUEST_ID_RE, busy_environment, environments,
                         http_request, json_string_of_size, pid_alive, payload_json, request_id,
                         tail, unique, wait_for, wait_for_log)

MAX_SYNC_REQUEST = 6291456
MAX_ASYNC_REQUEST = 1048576
MAX_RESPONSE = 6291556


@pytest.fixture(scope="module", autouse=True)
def _built(examples):
    """Every test here deploys example zips."""
    return examples


def client_error(excinfo):
    err = excinfo.value.response
    return (err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Code"],
            err["Error"].get("Message", ""))


# --- synchronous echo --------------------------------------------------------------------


def test_invoke_echo_boto3(lam):
    name = make(lam, "echo", "echo")
    resp = lam.invoke(FunctionName=name, Payload=b'{"hello":"world"}')
    assert resp["StatusCode"] == 200
    assert resp["ExecutedVersion"] == "$LATEST"
    assert resp["ResponseMetadata"]["HTTPHeaders"]["x-amz-executed-version"] == "$LATEST"
    assert "FunctionError" not in resp
    assert re.fullmatch(REQUEST_ID_RE, request_id(resp))
    assert resp["Payload"].read() == b'{"hello":"world"}'


def test_invoke_echo_cli(lam, thaw_server, tmp_path):
    name = make(lam, "echo-cli", "echo")
    out = tmp_path / "out.json"
    res = aws(thaw_server, "lambda", "invoke", "--function-name", name,
              "--cli-binary-format", "raw-in-base64-out",
              "--payload", '{"from":"cli","n":[1,2,3]}', out)
    assert res.returncode == 0, res.stderr
    meta = json.loads(res.stdout)
    assert meta["StatusCode"] == 200
    assert meta["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in meta
    assert out.read_bytes() == b'{"from":"cli","n":[1,2,3]}'


def test_invoke_cli_tail_and_function_error(lam, thaw_server, tmp_path):
    name = make(lam, "error-cli", "error")
    out = tmp_path / "out.json"
    res = aws(thaw_server, "lambda", "invoke", "--function-name", name,
              "--log-type", "Tail", out)
    assert res.returncode == 0, res.stderr
    meta = json.loads(res.stdout)
    assert meta["StatusCode"] == 200
    assert meta["FunctionError"] == "Unhandled"
    log = base64.b64decode(meta["LogResult"]).decode()
    assert "START RequestId: " in log and "REPORT RequestId: " in log
    assert json.loads(out.read_bytes()) == {"errorMessage": "something went wrong!",
                                            "errorType": "errorString"}


def test_payload_round_trip_through_aws_lambda_go(lam):
    # aws-lambda-go re-encodes json.RawMessage compactly, so the payload is compact; it carries
    # multi-byte UTF-8, escapes, big and odd numbers, which must all survive untouched.
    name = make(lam, "echo-bytes", "echo")
    payload = ('{"s":"caf\u00e9 \u65e5\u672c \U0001f600","esc":"\\u00e9\\n\\t\\"q\\" \\\\",'
               '"n":[0,-1,1.50,12345678901234567890,1e-7,2.5E+10],"t":true,"f":false,"z":null,'
               '"nest":{"a":[{"b":[]},{}]},"pad":"' + "p" * 100000 + '"}').encode()
    resp = lam.invoke(FunctionName=name, Payload=payload)
    assert "FunctionError" not in resp
    assert resp["Payload"].read() == payload


def test_empty_payload_reaches_handler_as_empty_object(lam):
    name = make(lam, "echo-empty", "echo")
    resp = lam.invoke(FunctionName=name)
    assert "FunctionError" not in resp
    assert resp["Payload"].read() == b"{}"
    # The raw runtime sees exactly the bytes the server delivers.
    raw = make(lam, "raw-empty", "rawruntime", Environment={"Variables": {"RAW_MODE": "echo"}})
    resp = lam.invoke(FunctionName=raw)
    assert resp["Payload"].read() == b"{}"


# --- invocation types ----------------------------------------------------------------------


def test_event_invocation_runs_function(lam, logs_client):
    name = make(lam, "event", "echo")
    payload = json.dumps({"marker": "e" * 33}).encode()
    resp = lam.invoke(FunctionName=name, InvocationType="Event", Payload=payload)
    assert resp["StatusCode"] == 202
    assert resp["Payload"].read() == b""
    rid = request_id(resp)
    text = wait_for_log(logs_client, name, lambda t: f"REPORT RequestId: {rid}\t" in t)
    assert f"START RequestId: {rid} Version: $LATEST" in text
    assert f"END RequestId: {rid}" in text
    assert f"echo: {len(payload)} bytes" in text  # the handler got the payload
    report = next(line for line in text.splitlines() if line.startswith(f"REPORT RequestId: {rid}"))
    assert "Status:" not in report


def test_dry_run(lam, thaw_server):
    name = make(lam, "dryrun", "echo")
    resp = lam.invoke(FunctionName=name, InvocationType="DryRun", Payload=b'{"x":1}')
    assert resp["StatusCode"] == 204
    assert resp["Payload"].read() == b""
    assert environments(thaw_server, name) == []  # nothing ran


def test_tail_log_cold_then_warm(lam):
    name = make(lam, "tail", "echo")
    resp = lam.invoke(FunctionName=name, Payload=b'{"k":"v"}', LogType="Tail")
    rid = request_id(resp)
    log = tail(resp)
    lines = log.splitlines()
    assert lines[0].startswith("INIT_START Runtime Version: provided:al2023")
    assert f"START RequestId: {rid} Version: $LATEST" in lines
    assert "echo: 9 bytes" in lines  # the function's own output
    assert f"END RequestId: {rid}" in lines
    assert lines.index(f"START RequestId: {rid} Version: $LATEST") < lines.index("echo: 9 bytes") \
        < lines.index(f"END RequestId: {rid}")
    report = re.fullmatch(REPORT_RE.format(rid=re.escape(rid)), lines[-1])
    assert report, repr(lines[-1])
    assert report["memory"] == "128"
    assert report["init"] is not None  # cold start
    assert report["status"] is None
    used = int(report["used"])
    assert 0 < used < 128, "Max Memory Used must be measured, not the configured size"
    # provided.* bills init: Billed = ceil(Duration + Init Duration).
    total = float(report["duration"]) + float(report["init"])
    assert math.floor(total) <= int(report["billed"]) <= math.ceil(total) + 1

    # No wait needed: with Tail the caller waits for REPORT, i.e. for the runtime's /next.
    warm = lam.invoke(FunctionName=name, Payload=b'{"k":"v"}', LogType="Tail")
    rid2 = request_id(warm)
    lines2 = tail(warm).splitlines()
    assert not any(line.startswith("INIT_START") for line in lines2)
    assert lines2[0] == f"START RequestId: {rid2} Version: $LATEST"
    report2 = re.fullmatch(REPORT_RE.format(rid=re.escape(rid2)), lines2[-1])
    assert report2, repr(lines2[-1])
    assert report2["init"] is None  # Init Duration only on the first invoke
    assert int(report2["billed"]) >= math.floor(float(report2["duration"]))


# --- function errors -------------------------------------------------------------------------


def test_function_error(lam):
    name = make(lam, "error", "error")
    resp = lam.invoke(FunctionName=name, Payload=b"{}")
    assert resp["StatusCode"] == 200
    assert resp["FunctionError"] == "Unhandled"
    assert resp["Payload"].read() == \
        b'{"errorMessage":"something went wrong!","errorType":"errorString"}'


def test_panic_reports_stack_and_resets_environment(lam, thaw_server):
    name = make(lam, "panic", "panic")
    resp = lam.invoke(FunctionName=name, Payload=b"{}", LogType="Tail")
    assert resp["StatusCode"] == 200
    assert resp["FunctionError"] == "Unhandled"
    body = payload_json(resp)
    assert body["errorMessage"] == "boom"
    assert body["errorType"] == "string"  # the type of the panic value
    frames = body["stackTrace"]
    assert isinstance(frames, list) and frames
    assert all(set(f) == {"path", "line", "label"} and isinstance(f["line"], int) for f in frames)
    assert {"path": "panic/main.go", "label": "handler"}.items() <= \
        next(f for f in frames if f["label"] == "handler").items()
    # aws-lambda-go exits 1 after posting /error: the environment is reset.
    rid = request_id(resp)
    log = tail(resp)
    assert f"RequestId: {rid} Error: Runtime exited with error: exit status 1" in log
    assert "\nRuntime.ExitError\n" in log
    assert "Status: error\tError Type: Runtime.ExitError" in log.splitlines()[-1]
    env = wait_for(lambda: [e for e in environments(thaw_server, name) if e["pid"] <= 0],
                   3, what="the panicked environment to lose its process")[0]
    # The next invoke re-initializes (suppressed init) on a fresh process and panics again.
    again = lam.invoke(FunctionName=name, Payload=b"{}", LogType="Tail")
    assert again["FunctionError"] == "Unhandled"
    assert payload_json(again)["errorMessage"] == "boom"
    assert "INIT_START" not in tail(again)  # a reset environment is reused, not re-created
    after = [e for e in environments(thaw_server, name) if e["id"] == env["id"]]
    assert after and after[0]["invocations"] == 2


def test_exit_before_responding(lam):
    name = make(lam, "exit", "exit")
    resp = lam.invoke(FunctionName=name, Payload=b"{}", LogType="Tail")
    rid = request_id(resp)
    assert resp["FunctionError"] == "Unhandled"
    assert payload_json(resp) == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {rid} Error: Runtime exited with error: exit status 3"}
    report = tail(resp).splitlines()[-1]
    m = re.fullmatch(REPORT_RE.format(rid=rid), report)
    assert m, report
    assert (m["status"], m["error_type"]) == ("error", "Runtime.ExitError")
    assert int(m["used"]) > 0, "the runtime ran, so it used memory"


def test_timeout_kills_and_recovers(lam, thaw_server):
    name = make(lam, "timeout", "sleep", Timeout=1)
    result = {}

    def run():
        start = time.monotonic()
        result["resp"] = lam.invoke(FunctionName=name, Payload=b'{"ms":3000}', LogType="Tail")
        result["elapsed"] = time.monotonic() - start
        result["done"] = time.monotonic()

    t = threading.Thread(target=run)
    t.start()
    env = busy_environment(thaw_server, name)
    assert pid_alive(env["pid"])
    t.join(10)
    assert not t.is_alive()
    resp = result["resp"]
    rid = request_id(resp)
    assert env["requestId"] == rid
    assert 0.9 < result["elapsed"] < 2.5
    assert resp["FunctionError"] == "Unhandled"
    assert payload_json(resp) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {rid} Error: Task timed out after 1.00 seconds"}
    log = tail(resp)
    assert re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z " + rid +
                     r" Task timed out after 1\.00 seconds$", log, re.M), log
    report = log.splitlines()[-1]
    m = re.fullmatch(REPORT_RE.format(rid=rid), report)
    assert m and m["status"] == "timeout", report
    assert m["duration"] == "1000.00"
    assert int(m["billed"]) >= 1000
    assert 0 < int(m["used"]) < 128, report
    # The process is killed at the deadline, not left running (0.3 s: slack for a loaded CI box).
    wait_for(lambda: not pid_alive(env["pid"]), max(0.05, result["done"] + 0.3 - time.monotonic()),
             interval=0.005, what=f"pid {env['pid']} to be gone")
    ok = lam.invoke(FunctionName=name, Payload=b'{"ms":10}')
    assert "FunctionError" not in ok
    assert payload_json(ok) == {"slept": 10}
    # The reset environment was reused: same id and log stream, a new process.
    [after] = environments(thaw_server, name)
    assert (after["id"], after["logStream"]) == (env["id"], env["logStream"])
    assert after["pid"] > 0 and after["pid"] != env["pid"]


def test_init_failure(lam, logs_client):
    name = make(lam, "initfail", "initfail")
    resp = lam.invoke(FunctionName=name, Payload=b"{}")
    rid = request_id(resp)
    assert resp["FunctionError"] == "Unhandled"
    assert payload_json(resp) == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {rid} Error: Runtime exited with error: exit status 1"}
    text = wait_for_log(logs_client, name, lambda t: f"REPORT RequestId: {rid}" in t)
    reports = re.findall(r"^INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: (\w+)\tStatus: (\w+)"
                         r"\tError Type: ([\w.]+)$", text, re.M)
    assert reports == [("init", "error", "Runtime.ExitError"),
                       ("invoke", "error", "Runtime.ExitError")], text
    assert text.count("init failing") == 2  # init ran twice: cold, then inside the invoke
    lines = text.splitlines()
    assert lines.index(f"START RequestId: {rid} Version: $LATEST") > \
        next(i for i, line in enumerate(lines) if "Phase: init" in line)


def test_init_failure_reports_memory_used(lam):
    name = make(lam, "initfail-mem", "initfail")
    resp = lam.invoke(FunctionName=name, Payload=b"{}", LogType="Tail")
    m = re.fullmatch(REPORT_RE.format(rid=request_id(resp)), tail(resp).splitlines()[-1])
    assert m and int(m["used"]) > 0


def test_tail_is_last_4kb(lam):
    name = make(lam, "tail4k", "logger")
    resp = lam.invoke(FunctionName=name, Payload=b'{"lines":1000}', LogType="Tail")
    rid = request_id(resp)
    log = tail(resp)
    assert len(log.encode()) == 4096
    assert not log.startswith("INIT_START") and "START RequestId" not in log
    lines = log.splitlines()
    assert lines[-4:-2] == ["line 999", "stderr line"]
    assert lines[-2] == f"END RequestId: {rid}"
    assert re.fullmatch(REPORT_RE.format(rid=rid), lines[-1])


def test_event_invocation_has_no_tail(lam, echo_fn):
    resp = lam.invoke(FunctionName=echo_fn, InvocationType="Event", LogType="Tail", Payload=b"{}")
    assert resp["StatusCode"] == 202
    assert "LogResult" not in resp


def test_invoke_by_arn_forms(lam):
    name = make(lam, "arns", "context")
    arn = lam.get_function_configuration(FunctionName=name)["FunctionArn"]
    account = arn.split(":")[4]
    for ref in (arn, f"{account}:function:{name}"):
        out = payload_json(lam.invoke(FunctionName=ref, Payload=b"{}"))
        assert out["function_name"] == name, ref
        assert out["invoked_function_arn"] == arn, ref
    latest = lam.invoke(FunctionName=name, Qualifier="$LATEST", Payload=b"{}")
    assert latest["ExecutedVersion"] == "$LATEST"
    assert payload_json(latest)["invoked_function_arn"] == arn + ":$LATEST"


def test_missing_bootstrap(lam):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.sh", "#!/bin/sh\necho hi\n")
    name = unique("nobootstrap")
    created = create_function(lam, name, "echo", Code={"ZipFile": buf.getvalue()})
    assert created["FunctionName"] == name
    resp = lam.invoke(FunctionName=name, Payload=b"{}")
    rid = request_id(resp)
    assert resp["StatusCode"] == 200
    assert resp["FunctionError"] == "Unhandled"
    assert payload_json(resp) == {
        "errorType": "Runtime.InvalidEntrypoint",
        "errorMessage": f"RequestId: {rid} Error: Couldn't find valid bootstrap(s): "
                        "[/var/task/bootstrap /opt/bootstrap]"}


# --- request validation -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def echo_fn(lam, examples):
    # 1024 MB (0.58 vCPU) and 30 s: at 128 MB (0.07 vCPU) decoding and encoding a 6 MB event
    # in Go can pass the default 3 s timeout on a loaded machine.
    return make(lam, "echo-limits", "echo", MemorySize=1024, Timeout=30)


def test_sync_request_too_large(lam, echo_fn):
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName=echo_fn, Payload=json_string_of_size(MAX_SYNC_REQUEST + 1))
    assert client_error(e) == (413, "RequestEntityTooLargeException",
                               "Request must be smaller than 6291456 bytes for the "
                               "InvokeFunction operation")


def test_sync_request_at_limit_accepted(lam, echo_fn):
    payload = json_string_of_size(MAX_SYNC_REQUEST)
    resp = lam.invoke(FunctionName=echo_fn, Payload=payload)
    body = resp["Payload"].read()
    assert "FunctionError" not in resp, body[:500]
    assert body == payload


def test_event_request_too_large(lam, echo_fn):
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName=echo_fn, InvocationType="Event",
                   Payload=json_string_of_size(MAX_ASYNC_REQUEST + 1))
    status, code, message = client_error(e)
    assert (status, code) == (413, "RequestEntityTooLargeException")
    assert "1048576 bytes" in message
    ok = lam.invoke(FunctionName=echo_fn, InvocationType="Event",
                    Payload=json_string_of_size(MAX_ASYNC_REQUEST))
    assert ok["StatusCode"] == 202


def test_non_json_payload(lam, echo_fn):
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName=echo_fn, Payload=b"this is not json")
    status, code, message = client_error(e)
    assert (status, code) == (400, "InvalidRequestContentException")
    assert message.startswith("Could not parse request body into json")


def test_unknown_function(lam):
    name = unique("missing")
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName=name, Payload=b"{}")
    status, code, message = client_error(e)
    assert (status, code) == (404, "ResourceNotFoundException")
    assert re.fullmatch(r"Function not found: arn:aws:lambda:us-east-1:\d{12}:function:" + name,
                        message), message


def test_bad_invocation_type_header(thaw_server, lam, echo_fn):
    status, headers, body = http_request(
        thaw_server, "POST", f"/2015-03-31/functions/{echo_fn}/invocations", b"{}",
        {"X-Amz-Invocation-Type": "Bogus", "Content-Type": "application/json"})
    assert status == 400
    assert headers.get("x-amzn-errortype")
    assert "Bogus" in json.loads(body).get("message", json.loads(body).get("Message", ""))
    assert re.fullmatch(REQUEST_ID_RE, headers["x-amzn-requestid"])


# --- response size ---------------------------------------------------------------------------


def test_response_too_large(lam):
    name = make(lam, "big-over", "big", MemorySize=1024, Timeout=30)
    # A JSON string of bytes+2 characters: one byte over the limit.
    resp = lam.invoke(FunctionName=name, Payload=json.dumps({"bytes": MAX_RESPONSE - 1}).encode())
    assert resp["StatusCode"] == 200
    assert resp["FunctionError"] == "Unhandled"
    body = payload_json(resp)
    assert body["errorType"] == "Function.ResponseSizeTooLarge"
    assert "exceeded maximum allowed payload size (6291556 bytes)" in body["errorMessage"]


def test_response_at_limit(lam):
    name = make(lam, "big-at", "big", MemorySize=1024, Timeout=30)
    resp = lam.invoke(FunctionName=name, Payload=json.dumps({"bytes": MAX_RESPONSE - 2}).encode())
    assert "FunctionError" not in resp
    data = resp["Payload"].read()
    assert len(data) == MAX_RESPONSE
    assert data == b'"' + b"x" * (MAX_RESPONSE - 2) + b'"'


# --- what the function sees --------------------------------------------------------------------


def test_context_environment(lam, thaw_server):
    name = make(lam, "context", "context", MemorySize=256, Timeout=7, Handler="custom.handler",
                Environment={"Variables": {"USER_GREETING": "hi there", "TZ": ":UTC"}})
    resp = lam.invoke(FunctionName=name, Payload=b"{}")
    assert "FunctionError" not in resp
    out = payload_json(resp)
    env = out["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{name}"
    stream = env["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", stream), stream
    today = datetime.now(timezone.utc).strftime("%Y/%m/%d")
    assert stream.startswith(today) or stream[:10] < today  # (a run across midnight UTC)
    assert env["AWS_REGION"] == "us-east-1"
    assert env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["_HANDLER"] == "custom.handler"
    assert env["TZ"] == ":UTC"
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        assert env.get(key), key
    assert env["AWS_ENDPOINT_URL"] == thaw_server.url
    assert env["USER_GREETING"] == "hi there"
    assert out["cwd"] == env["LAMBDA_TASK_ROOT"]
    # lambdacontext reads the same variables.
    assert (out["function_name"], out["function_version"], out["memory_limit_in_mb"]) == \
        (name, "$LATEST", 256)
    assert (out["log_group_name"], out["log_stream_name"]) == (f"/aws/lambda/{name}", stream)
    # The runtime API address is this environment's own endpoint.
    listed = environments(thaw_server, name)
    assert len(listed) == 1
    assert env["AWS_LAMBDA_RUNTIME_API"] == f"127.0.0.1:{listed[0]['runtimeApiPort']}"
    assert listed[0]["logStream"] == stream


def test_context_request_id_deadline_and_arn(lam):
    name = make(lam, "ctx-id", "context", Timeout=7)
    function_arn = lam.get_function_configuration(FunctionName=name)["FunctionArn"]
    before = time.time() * 1000
    resp = lam.invoke(FunctionName=name, Payload=b"{}")
    after = time.time() * 1000
    out = payload_json(resp)
    assert out["request_id"] == request_id(resp)
    assert before + 7000 - 50 <= out["deadline_ms"] <= after + 7000 + 50
    assert out["invoked_function_arn"] == function_arn
    # Generated X-Ray header when the caller sent none; Parent is this invocation's span, and
    # thaw adds its hybrid logical clock stamp; Lineage counts this function's first invocation
    # in the chain (recursive loop detection, test_recursion.py).
    m = re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=([0-9a-f]{16});Sampled=[01];"
                     r"Lineage=[0-9a-f]{8}:1;Hlc=\d+\.\d+", out["trace_id"])
    assert m, out["trace_id"]
    assert m.group(1) == out["request_id"].replace("-", "")[:16]


def hlc_of(header):
    fields = dict(p.split("=", 1) for p in header.split(";"))
    l, c = fields["Hlc"].split(".")
    return fields, (int(l), int(c))


def test_trace_context_passes_through(thaw_server, lam):
    # As Lambda does: the caller's Root and Sampled (and other fields) reach the function, whose
    # Parent is the invocation's own span. The caller's Hlc stamp is taken in: a stamp 1 s
    # ahead of this clock still orders caller < function < answer.
    name = make(lam, "ctx-trace", "context")
    ahead = time.time_ns() + 1_000_000_000
    trace = ("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;"
             f"Lineage=a87bd80c:0;Hlc={ahead}.7")
    status, headers, body = http_request(
        thaw_server, "POST", f"/2015-03-31/functions/{name}/invocations", b"{}",
        {"X-Amzn-Trace-Id": trace, "Content-Type": "application/json"})
    assert status == 200, body
    out = json.loads(body)
    assert out["request_id"] == headers["x-amzn-requestid"]
    span = out["request_id"].replace("-", "")[:16]
    seen, seen_hlc = hlc_of(out["trace_id"])
    assert seen["Root"] == "1-5759e988-bd862e3fe1be46a994272793"
    assert seen["Parent"] == span
    # Another function's Lineage entry is kept; this function's own is added.
    assert seen["Sampled"] == "1" and re.fullmatch(r"a87bd80c:0\|[0-9a-f]{8}:1", seen["Lineage"])
    answer, answer_hlc = hlc_of(headers["x-amzn-trace-id"])
    assert answer["Root"] == seen["Root"] and answer["Parent"] == span
    assert (ahead, 7) < seen_hlc < answer_hlc
    assert seen_hlc[0] == ahead  # the clock has not caught up with the caller's yet


def test_client_context_arrives(lam):
    name = make(lam, "ctx-cc", "context")
    cc = {"client": {"installation_id": "inst-1", "app_title": "thaw-test",
                     "app_version_code": "42", "app_package_name": "dev.thaw.test"},
          "custom": {"color": "blue"}, "env": {"platform": "linux"}}
    resp = lam.invoke(FunctionName=name, Payload=b"{}",
                      ClientContext=base64.b64encode(json.dumps(cc).encode()).decode())
    assert "FunctionError" not in resp
    # lambdacontext.ClientContext has no json tag on Client, so Go writes it back as "Client".
    got = payload_json(resp)["client_context"]
    assert got == {"Client": cc["client"], "custom": cc["custom"], "env": cc["env"]}


@pytest.mark.parametrize("mode,payload,expect,error", [
    ("none", b"{}", b"null", None),
    ("err", b"{}", b"null", None),
    ("in", b'{"name":"thaw"}', b"null", None),
    ("ctxinerr", b'{"name":"thaw"}', b'{"greeting":"hello thaw"}', None),
    ("ctxin", b'{"name":"thaw"}', b"null", None),
    ("ctxin", b"{}", b'{"errorMessage":"name is required","errorType":"errorString"}',
     "Unhandled"),
    ("out", b"{}", b'{"greeting":"hello"}', None),
])
def test_handler_signatures(lam, mode, payload, expect, error):
    name = make(lam, f"sig-{mode}", "signatures", Environment={"Variables": {"SIGNATURE": mode}})
    resp = lam.invoke(FunctionName=name, Payload=payload, LogType="Tail")
    assert resp.get("FunctionError") == error
    assert resp["Payload"].read() == expect
    if mode == "in":
        assert "hello thaw\n" in tail(resp)


def test_handler_signature_unknown_exits(lam):
    name = make(lam, "sig-bad", "signatures", Environment={"Variables": {"SIGNATURE": "bogus"}})
    resp = lam.invoke(FunctionName=name, Payload=b"{}", LogType="Tail")
    rid = request_id(resp)
    assert payload_json(resp) == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {rid} Error: Runtime exited with error: exit status 2"}
    assert 'unknown SIGNATURE "bogus"' in tail(resp)


# --- qualifiers ---------------------------------------------------------------------------------


def wait_updated(lam, name):
    wait_for(lambda: lam.get_function_configuration(FunctionName=name)
             .get("LastUpdateStatus", "Successful") == "Successful", 10,
             interval=0.05, what=f"{name} update to finish")


def test_qualifier_runs_published_version(lam, examples):
    name = make(lam, "qual", "context", Environment={"Variables": {"USER_STAGE": "v1"}})
    wait_updated(lam, name)
    published = lam.publish_version(FunctionName=name)
    assert published["Version"] == "1"
    lam.update_function_configuration(FunctionName=name,
                                      Environment={"Variables": {"USER_STAGE": "v2"}})
    wait_updated(lam, name)
    lam.update_function_code(FunctionName=name, ZipFile=examples.go("echo").read_bytes())
    wait_updated(lam, name)

    latest = lam.invoke(FunctionName=name, Payload=b'{"probe":true}')
    assert latest["ExecutedVersion"] == "$LATEST"
    assert latest["Payload"].read() == b'{"probe":true}'  # new code: echo

    v1 = lam.invoke(FunctionName=name, Qualifier="1", Payload=b"{}")
    assert v1["ExecutedVersion"] == "1"
    out = payload_json(v1)
    assert out["env"]["USER_STAGE"] == "v1"  # old configuration
    assert out["function_version"] == "1"
    assert out["invoked_function_arn"] == published["FunctionArn"]
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[1\][0-9a-f]{32}", out["log_stream_name"])


def test_alias_and_unknown_qualifiers(lam):
    name = make(lam, "alias", "context")
    lam.publish_version(FunctionName=name)
    alias = lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    resp = lam.invoke(FunctionName=name, Qualifier="live", Payload=b"{}")
    assert resp["ExecutedVersion"] == "1"
    out = payload_json(resp)
    assert out["function_version"] == "1"
    assert out["invoked_function_arn"] == alias["AliasArn"]
    by_name = lam.invoke(FunctionName=f"{name}:live", Payload=b"{}")
    assert by_name["ExecutedVersion"] == "1"
    for bad in ("7", "nope"):
        with pytest.raises(ClientError) as e:
            lam.invoke(FunctionName=name, Qualifier=bad, Payload=b"{}")
        assert client_error(e)[:2] == (404, "ResourceNotFoundException"), bad


# --- other runtimes -------------------------------------------------------------------------------


def test_python_awslambdaric_echo(lam):
    name = make(lam, "py", "python/echo")
    resp = lam.invoke(FunctionName=name, Payload=b'{"hello":"python"}')
    assert "FunctionError" not in resp, resp["Payload"].read()
    assert payload_json(resp) == {"event": {"hello": "python"}, "request_id": request_id(resp),
                                  "function_name": name}
