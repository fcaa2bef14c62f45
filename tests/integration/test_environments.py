"""Execution environments: reuse, scale-out, throttling and idle reaping, observed through
GET /thaw/environments and /proc (reference: shared/reference/lambda-runtime.md 3.6, 3.7).
"""

import json
import os
import re
import signal
import threading
import time

import pytest
from botocore.exceptions import ClientError

from conftest import boto_client, create_function
from invoke_util import (make, REPORT_RE, environments, payload_json, pid_alive, request_id, tail,
                         unique, wait_for, wait_for_log, wait_idle)


@pytest.fixture(scope="module", autouse=True)
def _built(examples):
    return examples


class Invokes:
    """Synchronous invokes running in threads; result(i) re-raises a thread's exception."""

    def __init__(self, lam, name, payloads):
        self.results = [None] * len(payloads)
        self.threads = [threading.Thread(target=self._run, args=(i, lam, name, p))
                        for i, p in enumerate(payloads)]
        for t in self.threads:
            t.start()

    def _run(self, i, lam, name, payload):
        try:
            self.results[i] = lam.invoke(FunctionName=name, Payload=json.dumps(payload).encode())
        except Exception as e:
            self.results[i] = e

    def join(self, timeout=10):
        for t in self.threads:
            t.join(timeout)
            assert not t.is_alive(), "invoke did not finish"
        return self.results


def busy(server, name, n, timeout=5):
    """Waits until `name` has n environments running an invocation; returns them."""
    def check():
        envs = [e for e in environments(server, name) if e["state"] == "invoking" and e["requestId"]]
        return envs if len(envs) >= n else None
    return wait_for(check, timeout, what=f"{n} busy environments of {name}")


def throttle(excinfo):
    err = excinfo.value.response
    return (err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Code"], err.get("Reason"))


def test_warm_reuse(lam, thaw_server):
    name = make(lam, "warm", "context")
    first = payload_json(lam.invoke(FunctionName=name, Payload=b"{}"))
    envs = environments(thaw_server, name)
    assert len(envs) == 1
    pid = envs[0]["pid"]
    assert pid > 0 and pid_alive(pid)
    wait_idle(thaw_server, name)
    second = payload_json(lam.invoke(FunctionName=name, Payload=b"{}"))
    assert second["log_stream_name"] == first["log_stream_name"] == envs[0]["logStream"]
    assert second["request_id"] != first["request_id"]
    after = environments(thaw_server, name)
    assert [(e["id"], e["pid"], e["invocations"]) for e in after] == [(envs[0]["id"], pid, 2)]


def test_scale_out(lam, thaw_server):
    name = make(lam, "scale", "sleep")
    calls = Invokes(lam, name, [{"ms": 1200}] * 3)
    envs = busy(thaw_server, name, 3)
    assert len({e["pid"] for e in envs}) == 3
    assert len({e["logStream"] for e in envs}) == 3
    assert len({e["runtimeApiPort"] for e in envs}) == 3
    for resp in calls.join():
        assert not isinstance(resp, Exception), resp
        assert "FunctionError" not in resp
        assert payload_json(resp) == {"slept": 1200}
    # A later invoke takes a warm environment instead of creating a fourth.
    wait_idle(thaw_server, name)
    assert payload_json(lam.invoke(FunctionName=name, Payload=b'{"ms":1}')) == {"slept": 1}
    assert len(environments(thaw_server, name)) == 3


def test_reserved_concurrency_zero_throttles(lam, thaw_server):
    name = make(lam, "reserved0", "echo")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    for _ in range(2):
        with pytest.raises(ClientError) as e:
            lam.invoke(FunctionName=name, Payload=b"{}")
        assert throttle(e) == (429, "TooManyRequestsException",
                               "ReservedFunctionConcurrentInvocationLimitExceeded")
    assert environments(thaw_server, name) == []
    lam.delete_function_concurrency(FunctionName=name)
    assert lam.invoke(FunctionName=name, Payload=b'{"ok":1}')["Payload"].read() == b'{"ok":1}'


def test_throttled_event_does_not_block_other_functions(lam, logs_client):
    # Lambda keeps a throttled async event and retries it later; meanwhile other functions'
    # events run. Then, once the throttle is lifted, the kept event runs too.
    blocked = make(lam, "async-throttled", "echo")
    other = make(lam, "async-other", "echo")
    lam.put_function_concurrency(FunctionName=blocked, ReservedConcurrentExecutions=0)
    try:
        held = lam.invoke(FunctionName=blocked, InvocationType="Event", Payload=b'{"n":1}')
        assert held["StatusCode"] == 202  # accepted (queued), not a 429
        ran = lam.invoke(FunctionName=other, InvocationType="Event", Payload=b'{"n":2}')
        assert ran["StatusCode"] == 202
        rid = request_id(ran)
        wait_for_log(logs_client, other, lambda t: f"REPORT RequestId: {rid}" in t, timeout=5)
    finally:
        lam.delete_function_concurrency(FunctionName=blocked)
    held_id = request_id(held)
    wait_for_log(logs_client, blocked, lambda t: f"REPORT RequestId: {held_id}" in t, timeout=5)


def test_reserved_concurrency_one(lam, thaw_server):
    name = make(lam, "reserved1", "sleep")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    try:
        slow = Invokes(lam, name, [{"ms": 1500}])
        busy(thaw_server, name, 1)
        with pytest.raises(ClientError) as e:
            lam.invoke(FunctionName=name, Payload=b'{"ms":1}')
        assert throttle(e) == (429, "TooManyRequestsException",
                               "ReservedFunctionConcurrentInvocationLimitExceeded")
        assert e.value.response["ResponseMetadata"]["HTTPHeaders"].get("retry-after")
        [resp] = slow.join()
        assert not isinstance(resp, Exception), resp
        assert payload_json(resp) == {"slept": 1500}
        # The slot is free again once the invocation ended (at the runtime's next /next).
        wait_idle(thaw_server, name)
        assert payload_json(lam.invoke(FunctionName=name, Payload=b'{"ms":1}')) == {"slept": 1}
        assert len(environments(thaw_server, name)) == 1
    finally:
        lam.delete_function_concurrency(FunctionName=name)


def test_account_concurrency_limit(make_thaw_server, examples):
    server = make_thaw_server("--account-concurrency", "2")
    lam = boto_client("lambda", server)
    name = make(lam, "account", "sleep")
    slow = Invokes(lam, name, [{"ms": 1500}] * 2)
    busy(server, name, 2)
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName=name, Payload=b'{"ms":1}')
    assert throttle(e) == (429, "TooManyRequestsException", "ConcurrentInvocationLimitExceeded")
    for resp in slow.join():
        assert not isinstance(resp, Exception), resp
        assert payload_json(resp) == {"slept": 1500}
    wait_idle(server, name)
    assert payload_json(lam.invoke(FunctionName=name, Payload=b'{"ms":1}')) == {"slept": 1}


def test_idle_environment_is_reaped(make_thaw_server, examples):
    server = make_thaw_server("--idle-timeout", "1")
    lam = boto_client("lambda", server)
    name = make(lam, "idle", "echo")
    assert lam.invoke(FunctionName=name, Payload=b'{"a":1}')["Payload"].read() == b'{"a":1}'
    [env] = environments(server, name)
    pid = env["pid"]
    assert pid > 0 and pid_alive(pid)
    wait_for(lambda: not environments(server, name), 5, interval=0.05,
             what="the idle environment to be reaped")
    wait_for(lambda: not pid_alive(pid), 1, what=f"pid {pid} to exit")
    # A new invoke gets a fresh (cold) environment.
    assert lam.invoke(FunctionName=name, Payload=b'{"a":2}')["Payload"].read() == b'{"a":2}'
    [fresh] = environments(server, name)
    assert fresh["id"] != env["id"] and fresh["pid"] != pid


def test_killed_idle_environment_recovers(lam, thaw_server):
    # A runtime that dies while idle (here: SIGKILL from outside) is re-initialized by the
    # next invoke in the same environment, which then succeeds.
    name = make(lam, "killed", "echo")
    assert lam.invoke(FunctionName=name, Payload=b'{"n":1}')["Payload"].read() == b'{"n":1}'
    [env] = wait_idle(thaw_server, name)
    os.kill(env["pid"], signal.SIGKILL)
    wait_for(lambda: environments(thaw_server, name)[0]["pid"] <= 0, 3,
             what="the server to notice the dead runtime")
    resp = lam.invoke(FunctionName=name, Payload=b'{"n":2}')
    assert "FunctionError" not in resp
    assert resp["Payload"].read() == b'{"n":2}'
    [after] = environments(thaw_server, name)
    assert after["id"] == env["id"] and after["pid"] > 0 and after["pid"] != env["pid"]
    assert pid_alive(after["pid"])


def test_suppressed_init_counts_against_timeout(lam, thaw_server):
    # Cold init has its own 10 s limit, so an init slower than the function timeout is fine the
    # first time. After a reset, init re-runs inside the invoke and counts against the function
    # timeout: if it is too slow, every invoke times out ("doom loop", reference 3.1).
    name = make(lam, "slowinit", "rawruntime", Timeout=1,
                Environment={"Variables": {"RAW_MODE": "echo", "INIT_MS": "1300"}})
    start = time.monotonic()
    resp = lam.invoke(FunctionName=name, Payload=b'{"cold":1}', LogType="Tail")
    assert time.monotonic() - start >= 1.3
    assert "FunctionError" not in resp
    assert resp["Payload"].read() == b'{"cold":1}'
    m = re.fullmatch(REPORT_RE.format(rid=request_id(resp)), tail(resp).splitlines()[-1])
    assert m and m["status"] is None
    assert float(m["init"]) >= 1300 and float(m["duration"]) < 1000

    [env] = wait_idle(thaw_server, name)
    os.kill(env["pid"], signal.SIGKILL)  # a reset
    wait_for(lambda: environments(thaw_server, name)[0]["pid"] <= 0, 3,
             what="the server to notice the dead runtime")
    for _ in range(2):
        start = time.monotonic()
        resp = lam.invoke(FunctionName=name, Payload=b'{"warm":1}')
        assert 0.9 <= time.monotonic() - start < 1.3 + 0.5
        rid = request_id(resp)
        assert payload_json(resp) == {
            "errorType": "Sandbox.Timedout",
            "errorMessage": f"RequestId: {rid} Error: Task timed out after 1.00 seconds"}


# A sequential caller's next request can reach thaw after the last response but before the
# runtime's next /next (on AWS the network round trip is longer than that window). It waits a
# few ms for that environment instead of starting a second one (issue 19).
def test_sequential_caller_keeps_one_environment(lam, thaw_server):
    name = make(lam, "sequential", "echo")
    for i in range(1000):
        resp = lam.invoke(FunctionName=name, Payload=json.dumps({"i": i}).encode())
        assert payload_json(resp) == {"i": i}
    envs = environments(thaw_server, name)
    assert len(envs) == 1, [(e["id"], e["invocations"]) for e in envs]
    assert envs[0]["invocations"] == 1000


def test_closed_loop_clients_take_at_most_one_environment_each(lam, thaw_server):
    name = make(lam, "closed-loop", "echo")
    errors = []

    def loop(k):
        client = boto_client("lambda", thaw_server)
        try:
            for i in range(150):
                resp = client.invoke(FunctionName=name, Payload=json.dumps({"k": k, "i": i}).encode())
                assert payload_json(resp) == {"k": k, "i": i}
        except Exception as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=loop, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    envs = environments(thaw_server, name)
    assert 1 <= len(envs) <= 4, [(e["id"], e["invocations"]) for e in envs]
    assert sum(e["invocations"] for e in envs) == 600


def test_sequential_caller_under_reserved_concurrency_one_is_never_throttled(lam, thaw_server):
    name = make(lam, "sequential-reserved1", "echo")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    try:
        for i in range(300):
            assert payload_json(lam.invoke(FunctionName=name, Payload=b'{"n":1}')) == {"n": 1}
    finally:
        lam.delete_function_concurrency(FunctionName=name)
    assert len(environments(thaw_server, name)) == 1
