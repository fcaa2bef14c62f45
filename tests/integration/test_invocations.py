"""Invocation records: one per invocation, read through GET /thaw/invocations and
`thaw invocations`. Checked against what the caller saw (latency, X-Amzn-Trace-Id), the REPORT
line of the log tail, and the price table (src/profile/pricing.h).

Uses the example zips already in build/examples/go (scripts/build-examples.sh); it does not
rebuild them.
"""

import base64
import json
import re
import subprocess
import time
import urllib.parse

import pytest

from conftest import ROOT, THAW_BIN, boto_client, create_function
from invoke_util import REPORT_RE, environments, http_request, unique, wait_for, wait_idle

EXAMPLES = ROOT / "build" / "examples" / "go"
X86_GB_S = 0.0000166667
ARM_GB_S = 0.0000133334
PER_REQUEST = 0.20 / 1e6
PHASES = ("queueNs", "acquireNs", "deliveryNs", "handlerNs", "responseNs")


@pytest.fixture(scope="module", autouse=True)
def _zips():
    for name in ("echo", "error", "exit", "sleep", "noop"):
        if not (EXAMPLES / f"{name}.zip").exists():
            pytest.skip(f"{EXAMPLES}/{name}.zip missing: run scripts/build-examples.sh")


def make_fn(lam, prefix, example, **overrides):
    name = unique(prefix)
    create_function(lam, name, EXAMPLES / f"{example}.zip", **overrides)
    return name


def invoke(server, name, payload=b"{}", trace=None, tail=True, kind="RequestResponse"):
    """Raw Invoke; returns (request id, response headers, body, client latency in ns)."""
    headers = {"Content-Type": "application/json", "X-Amz-Invocation-Type": kind}
    if tail:
        headers["X-Amz-Log-Type"] = "Tail"
    if trace:
        headers["X-Amzn-Trace-Id"] = trace
    start = time.monotonic_ns()
    status, h, body = http_request(server, "POST", f"/2015-03-31/functions/{name}/invocations",
                                   body=payload, headers=headers)
    latency = time.monotonic_ns() - start
    assert status in (200, 202), body
    return h["x-amzn-requestid"], h, body, latency


def query(server, **params):
    status, _, body = http_request(server, "GET",
                                   "/thaw/invocations?" + urllib.parse.urlencode(params))
    assert status == 200, body
    return json.loads(body)


def record(server, request_id, timeout=5):
    """The record of `request_id`, once the writer has stored it."""
    def find():
        found = query(server, requestId=request_id)["invocations"]
        return found[0] if found else None
    return wait_for(find, timeout, interval=0.05, what=f"the record of {request_id}")


def report(headers):
    text = base64.b64decode(headers["x-amz-log-result"]).decode()
    line = next(l for l in text.splitlines() if l.startswith("REPORT "))
    m = re.fullmatch(REPORT_RE.format(rid=headers["x-amzn-requestid"]), line)
    assert m, line
    return m


def check_phases(rec, client_latency_ns):
    phases = rec["phases"]
    for key, value in phases.items():
        assert value >= 0, (key, rec)
    total = sum(phases[k] for k in PHASES)
    assert total <= rec["latencyNs"] <= client_latency_ns, rec
    # The phases cover the whole server-side latency (each starts where the last ended).
    assert total >= rec["latencyNs"] - 1000, rec


def check_report(rec, m):
    assert abs(rec["durationMs"] - float(m["duration"])) <= 0.006, (rec, m.group(0))
    assert rec["billedDurationMs"] == int(m["billed"])
    assert rec["memorySizeMB"] == int(m["memory"])
    assert rec["maxMemoryUsedMB"] == int(m["used"])


def expected_cost(billed_ms, memory_mb, price=X86_GB_S):
    return billed_ms * memory_mb / 1024 / 1000 * price + PER_REQUEST


def test_cold_then_warm(thaw_server):
    lam = boto_client("lambda", thaw_server)
    name = make_fn(lam, "rec", "echo", MemorySize=256)
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    cold_id, cold_h, _, cold_latency = invoke(thaw_server, name, trace=trace)
    wait_idle(thaw_server, name)
    warm_id, warm_h, _, warm_latency = invoke(thaw_server, name, trace=trace)

    cold, warm = record(thaw_server, cold_id), record(thaw_server, warm_id)
    for rec in (cold, warm):
        assert rec["function"] == name
        assert rec["version"] == "$LATEST"
        assert rec["mechanism"] == "runtime-api"
        assert rec["architecture"] == "x86_64"
        assert rec["invocationType"] == "RequestResponse"
        assert rec["status"] == "success" and rec["errorType"] == ""
        t = rec["trace"]
        assert (t["root"], t["parent"], t["sampled"]) == (
            "1-5759e988-bd862e3fe1be46a994272793", "53995c3f42cd8ad8", "1")
        assert t["spanId"] == rec["requestId"].replace("-", "")[:16]
        start, end = (tuple(map(int, t[k].split("."))) for k in ("hlcStart", "hlcEnd"))
        assert start < end
        assert rec["cpuTimeNs"] >= 0
        assert abs(rec["startTime"] / 1000 - time.time()) < 60
    assert cold["cold"] is True and warm["cold"] is False
    assert cold["environment"] == warm["environment"]

    check_phases(cold, cold_latency)
    check_phases(warm, warm_latency)
    cold_report, warm_report = report(cold_h), report(warm_h)
    check_report(cold, cold_report)
    check_report(warm, warm_report)
    # Cold: init is part of acquiring the environment and is REPORT's Init Duration.
    assert 0 < cold["phases"]["initNs"] <= cold["phases"]["acquireNs"]
    assert abs(cold["phases"]["initNs"] / 1e6 - float(cold_report["init"])) <= 0.006
    assert warm["phases"]["initNs"] == 0 and warm_report["init"] is None

    for rec in (cold, warm):
        assert rec["gbSeconds"] == pytest.approx(rec["billedDurationMs"] * 256 / 1024 / 1000)
        assert rec["costUsd"] == pytest.approx(expected_cost(rec["billedDurationMs"], 256),
                                               rel=1e-9)

    env = [e for e in environments(thaw_server, name)][0]
    if env["sandboxed"] and env["frozen"]:
        assert cold["phases"]["freezeNs"] > 0
        assert warm["phases"]["acquireNs"] > 0  # the thaw
        assert cold["cpuTimeNs"] > 0


def test_arm64_cost(thaw_server):
    lam = boto_client("lambda", thaw_server)
    name = make_fn(lam, "arm", "noop", MemorySize=1024, Architectures=["arm64"])
    rid, _, _, _ = invoke(thaw_server, name, tail=False)
    rec = record(thaw_server, rid)
    assert rec["architecture"] == "arm64"
    assert rec["costUsd"] == pytest.approx(
        expected_cost(rec["billedDurationMs"], 1024, ARM_GB_S), rel=1e-9)


def test_generated_trace_is_recorded(thaw_server):
    lam = boto_client("lambda", thaw_server)
    name = make_fn(lam, "trace", "noop")
    rid, headers, _, _ = invoke(thaw_server, name, tail=False)
    rec = record(thaw_server, rid)
    sent = dict(p.split("=", 1) for p in headers["x-amzn-trace-id"].split(";"))
    t = rec["trace"]
    assert (t["root"], t["spanId"], t["sampled"], t["hlcEnd"]) == (
        sent["Root"], sent["Parent"], sent["Sampled"], sent["Hlc"])
    assert len(t["parent"]) == 16 and t["parent"] != t["spanId"]


def test_errors_and_timeouts(thaw_server):
    lam = boto_client("lambda", thaw_server)
    err = make_fn(lam, "err", "error")
    crash = make_fn(lam, "crash", "exit")
    slow = make_fn(lam, "slow", "sleep", Timeout=1)

    rid, h, _, _ = invoke(thaw_server, err)
    rec = record(thaw_server, rid)
    assert rec["status"] == "error" and rec["errorType"] == "errorString"
    check_report(rec, report(h))

    rid, h, _, _ = invoke(thaw_server, crash)
    rec = record(thaw_server, rid)
    assert rec["status"] == "error" and rec["errorType"] == "Runtime.ExitError"
    m = report(h)
    check_report(rec, m)
    assert m["status"] == "error"

    rid, h, _, latency = invoke(thaw_server, slow, payload=b'{"ms": 3000}')
    rec = record(thaw_server, rid)
    assert rec["status"] == "timeout"
    assert rec["durationMs"] == pytest.approx(1000.0)
    check_report(rec, report(h))
    check_phases(rec, latency)


def test_event_invocation(thaw_server):
    lam = boto_client("lambda", thaw_server)
    name = make_fn(lam, "event", "noop")
    rid, _, _, _ = invoke(thaw_server, name, tail=False, kind="Event")
    rec = record(thaw_server, rid, timeout=10)
    assert rec["invocationType"] == "Event"
    assert rec["status"] == "success"
    assert rec["phases"]["queueNs"] >= 0


def thaw_cli(server, *args):
    res = subprocess.run([str(THAW_BIN), "--endpoint", server.url, "invocations", *args],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_filters_over_api_and_cli(thaw_server):
    lam = boto_client("lambda", thaw_server)
    ok = make_fn(lam, "fok", "noop")
    bad = make_fn(lam, "fbad", "error")
    ok_ids = [invoke(thaw_server, ok, tail=False)[0]]
    wait_idle(thaw_server, ok)
    ok_ids.append(invoke(thaw_server, ok, tail=False)[0])
    bad_id = invoke(thaw_server, bad, tail=False)[0]
    for rid in ok_ids + [bad_id]:
        record(thaw_server, rid)

    ids = lambda **p: [r["requestId"] for r in query(thaw_server, **p)["invocations"]]
    assert ids(function=ok) == ok_ids[::-1]  # newest first
    assert ids(function=ok, cold="true") == ok_ids[:1]
    assert ids(function=ok, cold="false") == ok_ids[1:]
    assert ids(function=ok, limit=1) == ok_ids[1:]
    assert ids(function=bad, status="error") == [bad_id]
    assert ids(function=ok, status="error,timeout") == []
    assert ids(function=ok, since=int(time.time() * 1000) + 60000) == []
    assert ids(function=ok, since=int(time.time() * 1000) - 60000) == ok_ids[::-1]
    body = query(thaw_server, function=ok)
    assert body["dropped"] == 0 and "us-east-1" in body["priceSource"]
    for bad_params in ({"limit": 0}, {"cold": "maybe"}, {"status": "fine"}):
        status, _, _ = http_request(
            thaw_server, "GET", "/thaw/invocations?" + urllib.parse.urlencode(bad_params))
        assert status == 400

    listed = json.loads(thaw_cli(thaw_server, ok, "--json"))
    assert [r["requestId"] for r in listed] == ok_ids[::-1]
    assert [r["requestId"] for r in json.loads(thaw_cli(thaw_server, ok, "--cold", "--json"))] \
        == ok_ids[:1]
    assert [r["requestId"] for r in json.loads(thaw_cli(thaw_server, ok, "--warm", "--json"))] \
        == ok_ids[1:]
    assert [r["requestId"] for r in json.loads(thaw_cli(thaw_server, bad, "--errors", "--json"))] \
        == [bad_id]
    assert json.loads(thaw_cli(thaw_server, ok, "--errors", "--json")) == []
    assert len(json.loads(thaw_cli(thaw_server, "--limit", "1", "--json"))) == 1
    table = thaw_cli(thaw_server, ok).splitlines()
    assert table[0].split()[:3] == ["START", "FUNCTION", "REQUEST"]
    assert ok_ids[1] in table[1] and "warm" in table[1] and "success" in table[1]
    assert ok_ids[0] in table[2] and "cold" in table[2]


def test_records_survive_restart_and_kill(make_thaw_server):
    server = make_thaw_server()
    lam = boto_client("lambda", server)
    name = make_fn(lam, "durable", "noop")
    first = invoke(server, name, tail=False)[0]
    record(server, first)
    server.restart()
    assert query(server, requestId=first)["invocations"][0]["requestId"] == first
    # A kill -9 loses at most the records of the last flush interval (100 ms).
    second = invoke(server, name, tail=False)[0]
    time.sleep(0.5)
    server.kill9()
    server.start()
    found = [r["requestId"] for r in query(server, function=name)["invocations"]]
    assert found == [second, first]


def test_recording_can_be_paused(thaw_server):
    lam = boto_client("lambda", thaw_server)
    name = make_fn(lam, "pause", "noop")
    path = "/thaw/invocations/recording?enabled="
    assert http_request(thaw_server, "POST", path + "false")[0] == 200
    try:
        paused = invoke(thaw_server, name, tail=False)[0]
    finally:
        assert http_request(thaw_server, "POST", path + "true")[0] == 200
    recorded = invoke(thaw_server, name, tail=False)[0]
    record(thaw_server, recorded)
    assert query(thaw_server, requestId=paused)["invocations"] == []
    assert http_request(thaw_server, "POST", path + "maybe")[0] == 400


def test_no_records(make_thaw_server):
    server = make_thaw_server("--no-records")
    lam = boto_client("lambda", server)
    name = make_fn(lam, "norec", "noop")
    invoke(server, name, tail=False)
    status, _, body = http_request(server, "GET", "/thaw/invocations")
    assert status == 503 and b"--no-records" in body
    assert not (server.state_dir / "invocations.db").exists()
