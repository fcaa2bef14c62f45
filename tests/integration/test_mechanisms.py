"""The seed's invocation mechanisms (docs/mechanisms.md): one handler (examples/functions/go/mech)
under runtime-api, go1.x (net/rpc + gob), spawn, http-sidecar and shim, each in a real sandbox.
Every mechanism must give Lambda's result for a response, a returned error, a panic (with the Go
stack trace), os.Exit, a timeout, an OOM kill and an oversized response, keep the function's
output in the log, and recover on the next invocation. Mechanism-specific failures say what to fix.
"""

import json
import re
import tempfile
import zipfile
from pathlib import Path

import pytest

from conftest import ROLE, ROOT
from sandbox_util import require
from invoke_util import (REPORT_RE, environments, payload_json, request_id, tail, unique,
                         wait_for)

MECHANISMS = ["runtime-api", "go1.x", "spawn", "http-sidecar", "shim"]
# A spawned process per request: its failures end that process, not the environment.
PER_REQUEST = {"spawn"}


@pytest.fixture(scope="module", autouse=True)
def built(examples):
    return examples


def create(lam, mechanism, example=None, zip_bytes=None, handler=None, **overrides):
    """Creates a function running the mech example (or zip_bytes) under `mechanism`."""
    name = unique("mech-" + mechanism.replace(".", ""))
    if zip_bytes is None:
        zip_bytes = (ROOT / (example or f"build/examples/go/mech-{mechanism}.zip")).read_bytes()
    params = dict(FunctionName=name, Role=ROLE, Code={"ZipFile": zip_bytes},
                  Runtime="provided.al2023", Handler=handler or "handler")
    if mechanism == "go1.x":
        params["Runtime"] = "go1.x"
    elif mechanism == "runtime-api":
        params["Handler"] = handler or "bootstrap"
    else:
        params["Tags"] = {"thaw:mechanism": mechanism}
        if mechanism == "shim":
            params["Handler"] = handler or "handler.so"
    params.update(overrides)
    lam.create_function(**params)
    return name


def invoke(lam, name, event):
    resp = lam.invoke(FunctionName=name, LogType="Tail", Payload=json.dumps(event).encode())
    return resp, payload_json(resp)


def report(resp):
    rid = request_id(resp)
    lines = [l for l in tail(resp).splitlines() if l.startswith(f"REPORT RequestId: {rid}\t")]
    assert lines, tail(resp)
    m = re.fullmatch(REPORT_RE.format(rid=rid), lines[-1])
    assert m, lines[-1]
    return m


def wait_idle(server, function, timeout=10):
    """Waits until no environment of `function` is busy: idle, or reset (cold) after a crash."""
    def check():
        envs = environments(server, function)
        return envs if envs and all(e["state"] in ("idle", "cold") for e in envs) else None
    return wait_for(check, timeout, what=f"the environments of {function} to settle")


def pids(server, name):
    return {e["pid"] for e in environments(server, name)}


def warm(lam, server, name):
    """Makes sure `name` has a warm environment; returns its process ids."""
    resp, body = invoke(lam, name, {"action": "echo"})
    assert "FunctionError" not in resp, body
    wait_idle(server, name)
    return pids(server, name)


def assert_recovers(lam, name, server, mechanism, before, reset):
    """The next normal invocation succeeds, in a new process when the failure reset the
    environment (Lambda re-runs init inside that invocation) and in the same one otherwise."""
    wait_idle(server, name)
    resp, body = invoke(lam, name, {"action": "echo", "payload": "again"})
    assert "FunctionError" not in resp, body
    assert body["payload"] == "again" and body["mechanism"] == mechanism
    wait_idle(server, name)
    after = pids(server, name)
    assert (after != before) == reset, (before, after)


@pytest.fixture(scope="module")
def functions(lam):
    # 512 MB (0.29 vCPU) and 15 s: at 128 MB a 7 MB response through gob takes seconds of CPU
    # on a loaded machine. The timeout and OOM tests make their own functions.
    return {m: create(lam, m, MemorySize=512, Timeout=15) for m in MECHANISMS}


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_response_carries_the_context_and_the_log_keeps_output(lam, thaw_server, functions,
                                                                mechanism):
    name = functions[mechanism]
    resp, body = invoke(lam, name, {"action": "log", "message": "hello-" + mechanism,
                                    "payload": {"n": 1}})
    assert resp["StatusCode"] == 200 and "FunctionError" not in resp, body
    assert body == {"mechanism": mechanism, "requestId": request_id(resp), "payload": {"n": 1}}
    log = tail(resp)
    # The seed's complaint about Sparta: the function's own output must reach the log.
    assert f"stdout: hello-{mechanism}" in log and f"stderr: hello-{mechanism}" in log, log
    report(resp)
    env = [e for e in environments(thaw_server, name)]
    assert env and all(e["mechanism"] == mechanism for e in env), env


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_returned_error(lam, thaw_server, functions, mechanism):
    name = functions[mechanism]
    before = warm(lam, thaw_server, name)
    resp, body = invoke(lam, name, {"action": "error", "message": "it failed"})
    assert resp["FunctionError"] == "Unhandled"
    if mechanism in PER_REQUEST:
        # spawn: a failure is the exit status, explained by stderr.
        assert body["errorType"] == "Runtime.ExitError"
        assert body["errorMessage"] == (f"RequestId: {request_id(resp)} Error: Runtime exited "
                                        "with error: exit status 1")
        assert body["stackTrace"][-1] == "it failed"
    else:
        assert body == {"errorMessage": "it failed", "errorType": "errorString"}
    assert_recovers(lam, name, thaw_server, mechanism, before, reset=False)


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_panic_keeps_the_go_stack_trace(lam, thaw_server, functions, mechanism):
    name = functions[mechanism]
    before = warm(lam, thaw_server, name)
    resp, body = invoke(lam, name, {"action": "panic", "message": "boom"})
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorMessage"] == "boom"
    # aws-lambda-go names a panic by its value's type; a process sees only Go's panic text.
    assert body["errorType"] == ("panic" if mechanism in PER_REQUEST else "string")
    frames = body["stackTrace"]
    handle = [f for f in frames if f["label"] == "Handle"]
    assert handle and handle[0]["path"].endswith("mech/logic/logic.go"), frames
    assert handle[0]["line"] > 0
    assert "logic.go" in tail(resp), tail(resp)
    # aws-lambda-go exits after reporting a panic; the environment is reset and re-initialised.
    assert_recovers(lam, name, thaw_server, mechanism, before, reset=mechanism not in PER_REQUEST)


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_exit(lam, thaw_server, functions, mechanism):
    name = functions[mechanism]
    before = warm(lam, thaw_server, name)
    resp, body = invoke(lam, name, {"action": "exit", "code": 3})
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError"
    assert body["errorMessage"] == (f"RequestId: {request_id(resp)} Error: Runtime exited with "
                                    "error: exit status 3")
    assert_recovers(lam, name, thaw_server, mechanism, before, reset=mechanism not in PER_REQUEST)


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_timeout(lam, thaw_server, mechanism):
    name = create(lam, mechanism, Timeout=1)
    before = warm(lam, thaw_server, name)
    resp, body = invoke(lam, name, {"action": "sleep", "ms": 5000})
    assert resp["FunctionError"] == "Unhandled"
    assert body == {"errorType": "Sandbox.Timedout",
                    "errorMessage": f"RequestId: {request_id(resp)} Error: Task timed out after "
                                    "1.00 seconds"}
    assert report(resp)["status"] == "timeout"
    assert_recovers(lam, name, thaw_server, mechanism, before, reset=True)


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_out_of_memory(lam, thaw_server, mechanism):
    require(thaw_server, "memory limit")
    # 128 MB gets 0.072 vCPU: filling it takes a while on a loaded machine.
    name = create(lam, mechanism, MemorySize=128, Timeout=30)
    before = warm(lam, thaw_server, name)
    resp, body = invoke(lam, name, {"action": "alloc", "mb": 400})
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.OutOfMemory", body
    m = report(resp)
    assert m["error_type"] == "Runtime.OutOfMemory"
    assert_recovers(lam, name, thaw_server, mechanism, before, reset=True)


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_oversized_response(lam, thaw_server, functions, mechanism):
    name = functions[mechanism]
    resp, body = invoke(lam, name, {"action": "big", "mb": 7})
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Function.ResponseSizeTooLarge"
    assert body["errorMessage"].startswith(
        "Response payload size exceeded maximum allowed payload size (")
    wait_idle(thaw_server, name)
    resp, body = invoke(lam, name, {"action": "echo", "payload": "after"})
    assert "FunctionError" not in resp and body["payload"] == "after"


def test_sidecar_maps_an_api_gateway_event_to_http(lam, functions):
    name = functions["http-sidecar"]
    event = {"version": "2.0", "rawPath": "/hello", "rawQueryString": "name=seed",
             "headers": {"accept": "text/plain"},
             "requestContext": {"http": {"method": "GET", "path": "/hello"}},
             "isBase64Encoded": False}
    resp, body = invoke(lam, name, event)
    assert "FunctionError" not in resp, body
    assert body["statusCode"] == 200
    assert body["body"] == "hello seed from GET /hello"
    assert body["headers"]["content-type"].startswith("text/plain")
    assert body["isBase64Encoded"] is False


def one_file_zip(name, data, mode=0o755):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "f.zip"
        with zipfile.ZipFile(path, "w") as z:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.create_system = 3
            info.external_attr = (0o100000 | mode) << 16
            z.writestr(info, data)
        return path.read_bytes()


def init_error(lam, name):
    resp, body = invoke(lam, name, {"action": "echo"})
    assert resp["FunctionError"] == "Unhandled", body
    return body


def test_sidecar_that_never_listens_says_what_to_fix(lam):
    name = create(lam, "http-sidecar", zip_bytes=one_file_zip("handler", b"#!/bin/sh\nexec sleep 30\n"),
                  Environment={"Variables": {"THAW_READY_TIMEOUT_MS": "300"}})
    body = init_error(lam, name)
    assert body["errorType"] == "Runtime.InitError"
    assert "did not answer below 500 within 300 ms" in body["errorMessage"]
    assert "listen on 127.0.0.1:$PORT" in body["errorMessage"]


def test_sidecar_that_exits_says_so(lam):
    name = create(lam, "http-sidecar", zip_bytes=one_file_zip("handler", b"#!/bin/sh\nexit 4\n"))
    body = init_error(lam, name)
    assert "exited before it became ready (exit status 4)" in body["errorMessage"], body


def test_shim_without_the_symbol_says_what_to_fix(lam):
    lib = Path("/usr/lib/x86_64-linux-gnu/libz.so.1").resolve().read_bytes()
    name = create(lam, "shim", zip_bytes=one_file_zip("handler.so", lib, 0o644))
    body = init_error(lam, name)
    assert body["errorType"] == "Runtime.InvalidEntrypoint"
    assert "does not export thaw_shim_invoke" in body["errorMessage"], body


def test_go1x_binary_without_rpc_says_what_to_fix(lam):
    # The runtime-api build uses -tags lambda.norpc: it cannot serve Function.Ping.
    norpc = (ROOT / "build/examples/go/mech/runtime-api").read_bytes()
    name = create(lam, "go1.x", zip_bytes=one_file_zip("handler", norpc))
    body = init_error(lam, name)
    assert "Function.Ping" in body["errorMessage"] and "lambda.norpc" in body["errorMessage"], body


def test_missing_handler_file_is_an_invalid_entrypoint(lam):
    name = create(lam, "spawn", handler="nothere")
    body = init_error(lam, name)
    assert body["errorType"] == "Runtime.InvalidEntrypoint"
    assert "/var/task/nothere does not exist" in body["errorMessage"], body


def test_mechanism_tag_is_validated_and_a_change_retires_environments(lam, thaw_server):
    from botocore.exceptions import ClientError
    with pytest.raises(ClientError) as err:
        create(lam, "bogus", example="build/examples/go/mech-spawn.zip")
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "thaw:mechanism must be one of" in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as err:
        create(lam, "go1.x", Tags={"thaw:mechanism": "spawn"})
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"

    # A tag change applies at once: the spawn environment is retired, the next one is native.
    name = create(lam, "spawn", example="build/examples/go/mech-spawn.zip")
    resp, body = invoke(lam, name, {"action": "echo"})
    assert body["mechanism"] == "spawn"
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    with pytest.raises(ClientError) as err:
        lam.tag_resource(Resource=arn, Tags={"thaw:mechanism": "rpc"})
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
    lam.tag_resource(Resource=arn, Tags={"thaw:mechanism": "runtime-api"})
    # The spawn binary is not a Runtime API client: without /var/task/bootstrap thaw says so.
    body = init_error(lam, name)
    assert body["errorType"] == "Runtime.InvalidEntrypoint", body
    live = [e for e in environments(thaw_server, name) if e["state"] not in ("stopping", "dead")]
    assert live and all(e["mechanism"] == "runtime-api" for e in live), live
