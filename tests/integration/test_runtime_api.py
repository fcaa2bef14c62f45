"""Runtime API (2018-06-01) of each execution environment, checked against rapid's behaviour
(reference: shared/reference/lambda-runtime.md section 1).

Two kinds of tests:
- the identity rule: only the environment's own processes may use its Runtime API; a hostile
  client (this pytest process, or another function) that knows the port and the request id
  gets its connection closed, and the real invocation is not disturbed;
- a raw runtime (examples/functions/go/rawruntime: plain net/http, no aws-lambda-go) that
  misbehaves on purpose and reports what the Runtime API answered.
"""

import base64
import json
import re
import socket
import threading
import time

import pytest

from conftest import create_function
from invoke_util import (make, busy_environment, environments, payload_json, pid_alive, request_id,
                         tail, unique, wait_for, wait_for_log, wait_idle)


@pytest.fixture(scope="module", autouse=True)
def _built(examples):
    return examples


def raw(lam, mode, **overrides):
    return make(lam, f"raw-{mode}", "rawruntime",
                Environment={"Variables": {"RAW_MODE": mode}}, **overrides)


class SlowInvoke:
    """A synchronous invoke of the sleep function running in a thread."""

    def __init__(self, lam, name, ms):
        self.resp = None
        self.error = None
        self.thread = threading.Thread(target=self._run, args=(lam, name, ms))
        self.thread.start()

    def _run(self, lam, name, ms):
        try:
            self.resp = lam.invoke(FunctionName=name, Payload=json.dumps({"ms": ms}).encode())
        except Exception as e:  # reported by result()
            self.error = e

    def result(self, timeout=10):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "invoke did not finish"
        if self.error:
            raise self.error
        return self.resp


def refused(port, request, timeout=3.0):
    """Sends `request` on a fresh connection to the Runtime API port; returns the bytes the
    server answered before closing (b"" when it closed or reset the connection unanswered).
    A server that parks the request (GET /next) makes the recv time out: that fails."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    got = b""
    try:
        try:
            s.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            return got
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                return got
            except socket.timeout:
                pytest.fail(f"the Runtime API kept a foreign connection open; got {got!r}")
            if not chunk:
                return got
            got += chunk
    finally:
        s.close()


# --- identity rule -------------------------------------------------------------------------


def test_foreign_client_gets_no_event(lam, thaw_server):
    name = make(lam, "victim-next", "sleep")
    call = SlowInvoke(lam, name, 1500)
    env = busy_environment(thaw_server, name)
    port = env["runtimeApiPort"]
    assert port > 0
    got = refused(port, b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n"
                        b"Host: 127.0.0.1\r\n\r\n")
    assert got == b"", got
    resp = call.result()
    assert "FunctionError" not in resp
    assert payload_json(resp) == {"slept": 1500}
    assert request_id(resp) == env["requestId"]


def test_foreign_client_cannot_post_response(lam, thaw_server):
    name = make(lam, "victim-post", "sleep")
    call = SlowInvoke(lam, name, 1500)
    env = busy_environment(thaw_server, name)
    rid = env["requestId"]
    body = b'"pwned"'
    for verb in (b"response", b"error"):
        got = refused(env["runtimeApiPort"],
                      b"POST /2018-06-01/runtime/invocation/" + rid.encode() + b"/" + verb +
                      b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        assert got == b"", got
    resp = call.result()
    assert "FunctionError" not in resp
    assert payload_json(resp) == {"slept": 1500}


def test_foreign_function_is_refused(lam, thaw_server):
    victim = make(lam, "victim-fn", "sleep")
    attacker = make(lam, "attacker", "attacker")
    lam.invoke(FunctionName=attacker, Payload=b'{"port":1,"request_id":"warm"}')  # warm it up
    call = SlowInvoke(lam, victim, 2000)
    env = busy_environment(thaw_server, victim)
    resp = lam.invoke(FunctionName=attacker, Payload=json.dumps(
        {"port": env["runtimeApiPort"], "request_id": env["requestId"]}).encode())
    assert "FunctionError" not in resp
    out = payload_json(resp)
    for what in ("next", "response"):
        assert out[what]["status"] == 0, out  # no HTTP answer at all
        assert out[what]["error"], out
        assert "Timeout" not in out[what]["error"], out  # closed, not parked
    victim_resp = call.result()
    assert payload_json(victim_resp) == {"slept": 2000}


def test_refusing_foreign_connections_costs_only_the_environment(lam, thaw_server):
    """The peer check reads the environment's own processes, not all of /proc: with a thousand
    unrelated processes on the machine, 500 foreign connections are refused in about a second
    (a scan of /proc for each took 40 s on a loaded 2-core box), and the victim's invocation is
    unharmed."""
    import subprocess
    strangers = [subprocess.Popen(["sleep", "120"]) for _ in range(1000)]
    try:
        victim = make(lam, "victim-cheap", "sleep")
        call = SlowInvoke(lam, victim, 2000)
        env = busy_environment(thaw_server, victim)
        start = time.monotonic()
        for _ in range(500):
            assert refused(env["runtimeApiPort"], b"GET /2018-06-01/runtime/invocation/next "
                           b"HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") == b""
        took = time.monotonic() - start
        print(f"500 foreign connections refused in {took:.3f} s")
        assert took < 5, f"500 refusals took {took:.2f} s"
        assert payload_json(call.result(timeout=20)) == {"slept": 2000}
    finally:
        for p in strangers:
            p.kill()
        for p in strangers:
            p.wait()


# --- a raw runtime that misbehaves ------------------------------------------------------------


def test_response_for_wrong_request_id(lam):
    name = raw(lam, "badid")
    resp = lam.invoke(FunctionName=name, Payload=b"{}")
    assert "FunctionError" not in resp
    out = payload_json(resp)
    for key in ("bad_id", "early"):  # during an invoke, and before any invoke
        assert out[key]["status"] == 400, out
        assert json.loads(out[key]["body"]) == {"errorMessage": "Invalid request ID",
                                                "errorType": "InvalidRequestID"}
    # /init/error is allowed only before the first /next.
    assert out["init_error"]["status"] == 403, out
    body = json.loads(out["init_error"]["body"])
    assert body["errorType"] == "InvalidStateTransition"
    assert body["errorMessage"].startswith("State transition from Running to InitError")
    # The wrong posts did not end the invocation: the correct one after them was delivered.
    second = lam.invoke(FunctionName=name, Payload=b"{}")
    assert payload_json(second)["bad_id"]["status"] == 400


def test_response_twice(lam, thaw_server):
    name = raw(lam, "twice")
    first = lam.invoke(FunctionName=name, Payload=b"{}")
    assert "FunctionError" not in first
    assert payload_json(first) == {"n": 1, "late": None}
    wait_idle(thaw_server, name)  # the extra posts happen after the caller got its answer
    second = lam.invoke(FunctionName=name, Payload=b"{}")
    out = payload_json(second)
    assert out["n"] == 2  # same process, so the extra posts did not break the environment
    late = out["late"]
    assert late["first"]["status"] == 202
    assert json.loads(late["first"]["body"]) == {"status": "OK"}
    for verb, target in (("second", "InvocationResponse"), ("error", "InvocationErrorResponse")):
        assert late[verb]["status"] == 403, late
        body = json.loads(late[verb]["body"])
        assert body["errorType"] == "InvalidStateTransition"
        assert body["errorMessage"].startswith(f"State transition from ResponseSent to {target}")


def test_invocation_ends_at_next_not_at_response(lam, thaw_server, logs_client):
    # The caller gets the response as soon as it is posted; the invoke phase (Duration, END,
    # REPORT, the environment being busy) lasts until the runtime calls /next again.
    name = raw(lam, "linger")
    start = time.monotonic()
    resp = lam.invoke(FunctionName=name, Payload=b'{"ms":1500}')
    elapsed = time.monotonic() - start
    assert resp["Payload"].read() == b'"answered"'
    assert elapsed < 1.0, elapsed
    rid = request_id(resp)
    [env] = environments(thaw_server, name)
    assert (env["state"], env["requestId"]) == ("invoking", rid)
    # Meanwhile another invoke needs another environment.
    other = lam.invoke(FunctionName=name, Payload=b'{"ms":0}')
    assert other["Payload"].read() == b'"answered"'
    assert len(environments(thaw_server, name)) == 2
    text = wait_for_log(logs_client, name, lambda t: f"REPORT RequestId: {rid}" in t)
    lines = text.splitlines()
    report = next(line for line in lines if line.startswith(f"REPORT RequestId: {rid}"))
    duration = float(re.search(r"\tDuration: (\d+\.\d\d) ms", report)[1])
    assert 1500 <= duration < 3000, report
    assert lines.index("done lingering") < lines.index(f"END RequestId: {rid}")


def test_error_body_passed_through(lam):
    name = raw(lam, "error")
    resp = lam.invoke(FunctionName=name, Payload=b"{}", LogType="Tail")
    assert resp["StatusCode"] == 200
    assert resp["FunctionError"] == "Unhandled"
    assert resp["Payload"].read() == \
        b'{"errorMessage":"custom failure","errorType":"MyError","stackTrace":["a","b"]}'
    assert "Status:" not in tail(resp).splitlines()[-1]  # the runtime survives a posted error


def test_init_error(lam, logs_client):
    name = raw(lam, "initerror")
    resp = lam.invoke(FunctionName=name, Payload=b"{}")
    rid = request_id(resp)
    assert resp["FunctionError"] == "Unhandled"
    assert resp["Payload"].read() == b'{"errorMessage":"config missing","errorType":"ConfigError"}'
    text = wait_for_log(logs_client, name, lambda t: f"REPORT RequestId: {rid}" in t)
    assert text.count("posting init/error\n") == 2, text  # cold init, then inside the invoke
    reports = re.findall(r"^INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: (\w+)\tStatus: (\w+)"
                         r"\tError Type: ([\w.]+)$", text, re.M)
    assert reports == [("init", "error", "Runtime.ConfigError"),
                       ("invoke", "error", "Runtime.ConfigError")], text
    report = next(line for line in text.splitlines() if line.startswith("REPORT"))
    assert "\tStatus: error\tError Type: Runtime.ConfigError" in report


def test_runtime_exits_at_once(lam):
    name = raw(lam, "exit0")
    resp = lam.invoke(FunctionName=name, Payload=b"{}", LogType="Tail")
    rid = request_id(resp)
    assert resp["FunctionError"] == "Unhandled"
    # Exit code 0 has its own wording in rapid.
    assert payload_json(resp) == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {rid} Error: Runtime exited without providing a reason"}
    assert "Phase: invoke\tStatus: error\tError Type: Runtime.ExitError" in tail(resp)


def test_next_headers(lam):
    name = raw(lam, "headers", Timeout=9)
    arn = lam.get_function_configuration(FunctionName=name)["FunctionArn"]
    cc = {"custom": {"k": "v"}, "env": {}, "client": {"installation_id": "i"}}
    cc_text = json.dumps(cc, separators=(",", ":"))
    before = int(time.time() * 1000)
    resp = lam.invoke(FunctionName=name, Payload=b'{"x": 1}',
                      ClientContext=base64.b64encode(cc_text.encode()).decode())
    after = int(time.time() * 1000)
    out = payload_json(resp)
    h = out["headers"]
    assert out["event"] == '{"x": 1}'  # the payload, byte for byte
    assert h["Lambda-Runtime-Aws-Request-Id"] == request_id(resp)
    assert re.fullmatch(r"\d+", h["Lambda-Runtime-Deadline-Ms"])
    assert before + 9000 - 50 <= int(h["Lambda-Runtime-Deadline-Ms"]) <= after + 9000 + 50
    assert h["Lambda-Runtime-Invoked-Function-Arn"] == arn
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=[01];"
                        r"Lineage=[0-9a-f]{8}:1;Hlc=\d+\.\d+", h["Lambda-Runtime-Trace-Id"])
    assert h["Lambda-Runtime-Client-Context"] == cc_text  # base64-decoded JSON text
    assert "Lambda-Runtime-Cognito-Identity" not in h  # only non-empty headers are sent
    assert h["Content-Type"] == "application/json"


def test_raw_echo_keeps_bytes_and_content_type(lam):
    name = raw(lam, "echo")
    payload = b'  {\n  "a" : [ 1 ,2.50e0 ],\t"s": "\\u00e9\xc3\xa9<&>"\n}  '
    resp = lam.invoke(FunctionName=name, Payload=payload)
    assert "FunctionError" not in resp
    assert resp["Payload"].read() == payload
    assert resp["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/json"


# --- internal extension ---------------------------------------------------------------------


def test_sigterm_internal_extension(lam, thaw_server, logs_client):
    name = make(lam, "sigterm", "sigterm")
    resp = lam.invoke(FunctionName=name, Payload=b'{"sig":"term"}', LogType="Tail")
    assert "FunctionError" not in resp
    assert resp["Payload"].read() == b'{"sig":"term"}'
    assert "WARNING" not in tail(resp)  # "Failed to register internal extension" would be here
    env = environments(thaw_server, name)[0]
    # With an extension registered, a shutdown sends SIGTERM before SIGKILL: retire the
    # environment by changing the configuration, and the handler's line appears.
    lam.update_function_configuration(FunctionName=name, Description="retire")
    text = wait_for_log(logs_client, name, lambda t: "SIGTERM received" in t)
    assert "Failed to register internal extension" not in text
    # ... and then it is gone (SIGKILL at the end of the 500 ms budget, as it does not exit).
    wait_for(lambda: not pid_alive(env["pid"]), 3, what="the retired runtime to exit")
    assert all(e["id"] != env["id"] for e in environments(thaw_server, name))
