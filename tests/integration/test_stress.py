"""The stress suite (examples/functions/go/stress, built as stress-<name>.zip): every misbehaving
function gets Lambda's exact outcome, and the next normal invocation ({"ok":true}) of the same
function succeeds. Then `thaw stress --json` end to end.

Tests marked SANDBOX need a sandbox feature (cgroup memory limit and OOM kill, freezing idle
environments, the 512 MB /tmp, the pids limit): they skip on a host without it, and fail
under CI=true (see sandbox_util.require).
"""

import json
import re
import subprocess
import time

import pytest

from conftest import THAW_BIN
from sandbox_util import require
from invoke_util import (REPORT_RE, environments, make, payload_json, pid_alive, request_id,
                         tail, wait_for, wait_for_log, wait_idle)

SANDBOX = pytest.mark.usefixtures("sandbox_enforced")
OK = {"ok": True}
MIB = 1 << 20
BEHAVIOURS = ["loop", "sleep", "eventbomb", "leak", "panic", "nilderef", "exit", "forkbomb",
              "goroutines", "flood", "bigresponse", "tmpfill", "ignoreterm"]
NEEDS_SANDBOX = {"eventbomb", "leak", "forkbomb", "goroutines", "tmpfill"}


@pytest.fixture(scope="module", autouse=True)
def built(examples):
    return examples


@pytest.fixture
def sandbox_enforced(thaw_server):
    require(thaw_server, "memory limit", "pids limit", "freeze between invocations",
            "/tmp size limit")


def deploy(lam, behaviour, **overrides):
    return make(lam, f"stress-{behaviour}", f"stress-{behaviour}", **overrides)


def invoke(lam, name, event=None):
    resp = lam.invoke(FunctionName=name, LogType="Tail",
                      Payload=json.dumps({} if event is None else event).encode())
    return resp, payload_json(resp)


def report(resp):
    """The REPORT line of this invocation in its log tail, matched against REPORT_RE."""
    rid = request_id(resp)
    lines = [line for line in tail(resp).splitlines()
             if line.startswith(f"REPORT RequestId: {rid}\t")]
    assert lines, tail(resp)
    m = re.fullmatch(REPORT_RE.format(rid=rid), lines[-1])
    assert m, lines[-1]
    return m


def assert_platform_error(resp, body, error_type, error):
    """Lambda's answer when the platform ends the invocation: HTTP 200, Unhandled, and
    {"errorType": T, "errorMessage": "RequestId: ID Error: ..."}."""
    assert resp["StatusCode"] == 200
    assert resp.get("FunctionError") == "Unhandled"
    assert body == {"errorType": error_type,
                    "errorMessage": f"RequestId: {request_id(resp)} Error: {error}"}


def assert_out_of_memory(resp, body):
    assert_platform_error(resp, body, "Runtime.OutOfMemory",
                          "Runtime exited with error: signal: killed")
    m = report(resp)
    assert (m["status"], m["error_type"]) == ("error", "Runtime.OutOfMemory"), m.group(0)
    assert m["used"] == m["memory"], "Lambda reports Max Memory Used = Memory Size on an OOM kill"


def assert_recovers(lam, name):
    resp, body = invoke(lam, name, OK)
    assert "FunctionError" not in resp, body
    assert body == OK


@pytest.mark.parametrize("behaviour", ["loop", "sleep"])
def test_timeout(lam, behaviour):
    name = deploy(lam, behaviour, Timeout=2)
    resp, body = invoke(lam, name)
    assert_platform_error(resp, body, "Sandbox.Timedout", "Task timed out after 2.00 seconds")
    m = report(resp)
    assert (m["status"], m["error_type"], m["duration"]) == ("timeout", None, "2000.00")
    assert_recovers(lam, name)


@SANDBOX
def test_eventbomb_out_of_memory(lam):
    name = deploy(lam, "eventbomb", MemorySize=128, Timeout=30)
    resp, body = invoke(lam, name, {"mb": 256})
    assert_out_of_memory(resp, body)
    assert report(resp)["memory"] == "128"
    assert_recovers(lam, name)


@SANDBOX
def test_leak_out_of_memory(lam):
    name = deploy(lam, "leak", MemorySize=128, Timeout=30)
    for i in range(1, 11):
        resp, body = invoke(lam, name, {"mb": 40})
        if "FunctionError" in resp:
            break
        assert body == {"total_mb": 40 * i}
    else:
        pytest.fail(f"no OOM kill after 10 invocations: {body}")
    assert i >= 2, "the first 40 MB fit in 128 MB"
    assert_out_of_memory(resp, body)
    assert_recovers(lam, name)


@pytest.mark.parametrize("behaviour, error_type, message", [
    ("panic", "string", "boom"),
    ("nilderef", "errorString", "runtime error: invalid memory address or nil pointer dereference"),
])
def test_go_panic(lam, behaviour, error_type, message):
    name = deploy(lam, behaviour)
    resp, body = invoke(lam, name)
    assert resp["StatusCode"] == 200
    assert resp["FunctionError"] == "Unhandled"
    # aws-lambda-go's own panic body: the type name of the panic value and a Go stack.
    assert sorted(body) == ["errorMessage", "errorType", "stackTrace"]
    assert (body["errorType"], body["errorMessage"]) == (error_type, message)
    frames = body["stackTrace"]
    assert frames and all(sorted(f) == ["label", "line", "path"] for f in frames), frames
    assert any(f["label"] == "handler" and f["path"] == f"{behaviour}/main.go" for f in frames)
    # It exits 1 after posting /error, before its next /next.
    m = report(resp)
    assert (m["status"], m["error_type"]) == ("error", "Runtime.ExitError")
    assert_recovers(lam, name)


def test_exit(lam):
    name = deploy(lam, "exit")
    resp, body = invoke(lam, name)
    assert_platform_error(resp, body, "Runtime.ExitError", "Runtime exited with error: exit status 1")
    m = report(resp)
    assert (m["status"], m["error_type"]) == ("error", "Runtime.ExitError")
    assert_recovers(lam, name)


@SANDBOX
def test_forkbomb_meets_pids_limit(lam):
    # 1024 MB: each sleeping child holds ~0.9 MB, so the pids limit comes before the memory one.
    name = deploy(lam, "forkbomb", MemorySize=1024, Timeout=60)
    resp, body = invoke(lam, name)
    if resp.get("FunctionError"):
        assert_platform_error(resp, body, "Sandbox.Timedout", "Task timed out after 60.00 seconds")
    else:
        assert "resource temporarily unavailable" in body["error"], body
        assert 0 < body["started"] < 1024, body
    assert_recovers(lam, name)
    assert lam.list_functions()["Functions"]


@SANDBOX
def test_goroutines_frozen_while_idle(lam, thaw_server):
    name = deploy(lam, "goroutines")
    _, first = invoke(lam, name)
    assert first["counter"] > 0
    wait_idle(thaw_server, name)
    time.sleep(2)
    resp, second = invoke(lam, name)
    assert "FunctionError" not in resp
    assert second["previous"] == first["counter"]
    assert second["counter_at_start"] - second["previous"] < 50, \
        f"the goroutine ran while the environment was idle: {second}"
    assert_recovers(lam, name)


def test_flood(lam):
    name = deploy(lam, "flood")
    resp, body = invoke(lam, name, {"mb": 20})
    assert "FunctionError" not in resp
    assert body["written"] >= 20 * MIB
    assert "\nflood " in tail(resp)
    assert report(resp)["status"] is None
    assert_recovers(lam, name)
    assert lam.list_functions()["Functions"]


def test_bigresponse(lam):
    # Building and sending 7 MB took over the default 3 s on a box running a TSan build.
    name = deploy(lam, "bigresponse", Timeout=15)
    resp, body = invoke(lam, name)
    assert resp["StatusCode"] == 200
    assert resp["FunctionError"] == "Unhandled"
    assert body == {"errorType": "Function.ResponseSizeTooLarge",
                    "errorMessage": "Response payload size exceeded maximum allowed payload size "
                                    "(6291556 bytes)."}
    # The runtime got 413 and aws-lambda-go exited, as Lambda's REPORT shows for it.
    m = report(resp)
    assert (m["status"], m["error_type"]) == ("error", "Runtime.ExitError")
    assert_recovers(lam, name)


@SANDBOX
def test_tmpfill_meets_ephemeral_storage(lam):
    name = deploy(lam, "tmpfill", Timeout=60)
    resp, body = invoke(lam, name)
    assert "FunctionError" not in resp, body
    assert "no space left on device" in body["error"], body
    assert 400 * MIB <= body["written"] <= 520 * MIB, body
    assert_recovers(lam, name)


def test_ignoreterm_is_killed_after_the_budget(lam, logs_client, thaw_server):
    name = deploy(lam, "ignoreterm")
    resp, body = invoke(lam, name)
    assert "FunctionError" not in resp and body == OK
    env = wait_idle(thaw_server, name)[0]
    # A configuration change shuts the idle environment down: SIGTERM (the function registered
    # an internal extension for it), ignored, then SIGKILL at the end of the 500 ms budget.
    start = time.monotonic()
    lam.update_function_configuration(FunctionName=name, Description="shut down")
    wait_for(lambda: not any(e["id"] == env["id"] for e in environments(thaw_server, name)), 2.5,
             what="the environment to be gone")
    assert time.monotonic() - start < 2.5
    if env["pid"] > 1:
        wait_for(lambda: not pid_alive(env["pid"]), 1, what=f"pid {env['pid']} to be gone")
    wait_for_log(logs_client, name, lambda text: "SIGTERM received, ignoring it" in text)
    assert_recovers(lam, name)


# --- thaw stress ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stress_run(thaw_server, examples, tmp_path_factory):
    out = tmp_path_factory.mktemp("stress") / "stress.json"
    res = subprocess.run([str(THAW_BIN), "--endpoint", thaw_server.url, "stress",
                          "--examples", str(examples.go_dir), "--json", str(out)],
                         capture_output=True, text=True, timeout=900)
    assert out.exists(), f"rc={res.returncode}\n{res.stdout}\n{res.stderr}"
    return res, json.loads(out.read_text())


def test_stress_json(stress_run):
    res, doc = stress_run
    rows = doc["results"]
    assert [r["behaviour"] for r in rows] == BEHAVIOURS
    for r in rows:
        assert r["function"] == f"thaw-stress-{r['behaviour']}"
        assert r["expected"] and r["observed"]
        assert r["verdict"] == ("pass" if not r["details"] else "FAIL"), r
        assert r["recovered"] is True, r
        assert r["verdict"] in res.stdout
    assert doc["passed"] + doc["failed"] == len(BEHAVIOURS)
    assert doc["passed"] == sum(r["verdict"] == "pass" for r in rows)
    assert res.returncode == (0 if doc["failed"] == 0 else 1), res.stderr
    assert "BEHAVIOUR" in res.stdout and "VERDICT" in res.stdout


@pytest.mark.parametrize("behaviour", BEHAVIOURS)
def test_stress_verdict(stress_run, thaw_server, behaviour):
    if behaviour in NEEDS_SANDBOX:
        require(thaw_server, "memory limit", "pids limit", "freeze between invocations",
                "/tmp size limit")
    row = next(r for r in stress_run[1]["results"] if r["behaviour"] == behaviour)
    assert row["verdict"] == "pass", row
