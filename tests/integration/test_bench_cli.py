"""`thaw bench NAME` against a real server and the Go echo example.

Checks the JSON report's bookkeeping (cold/warm split, warm-up, ordered percentiles, histogram
counts), the open loop's arrival count, and the exit codes (1 for a missing function, 3 for no
server).
"""

import json
import os
import subprocess

import pytest

from conftest import ROOT, THAW_BIN, create_function, free_port
from invoke_util import unique

PERCENTILES = ["p50", "p90", "p99", "p99.9"]


@pytest.fixture(scope="module", autouse=True)
def _examples(examples):
    return examples


def bench(server, *args, timeout=120):
    env = {k: v for k, v in os.environ.items() if k != "THAW_ENDPOINT"}
    cmd = [str(THAW_BIN), "--endpoint", server.url, "bench", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)


def assert_rc(res, rc):
    assert res.returncode == rc, (
        f"exit {res.returncode}, expected {rc}\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}")


def new_echo(lam):
    name = unique("bench")
    create_function(lam, name, "echo")
    return name


def check_summary(summary, count):
    """Invariants of one stats.h summary of `count` samples."""
    assert summary["unit"] == "ms"
    assert summary["count"] == count
    if count == 0:
        return
    values = [summary["min"]] + [summary["percentiles"][p]["value"] for p in PERCENTILES]
    values.append(summary["max"])
    assert values == sorted(values), values
    for p in PERCENTILES:
        est = summary["percentiles"][p]
        lo, hi = est["ci95"]
        assert summary["min"] <= lo <= est["value"] <= hi <= summary["max"], (p, est)
        assert 0 <= est["ci_coverage"] <= 1
    assert summary["min"] <= summary["mean"] <= summary["max"]
    buckets = summary["histogram"]["buckets"]
    assert sum(b["count"] for b in buckets) == count
    assert all(b["low"] < b["high"] for b in buckets)
    assert all(a["high"] == pytest.approx(b["low"]) for a, b in zip(buckets, buckets[1:]))
    cdf = summary["cdf"]
    assert 1 <= len(cdf) <= 200
    assert cdf[-1]["fraction"] == 1.0 and cdf[-1]["value"] == summary["max"]
    assert [c["value"] for c in cdf] == sorted(c["value"] for c in cdf)
    assert summary["normality"]["verdict"] in ("normal", "not normal at 5%", "not tested")


def test_closed_loop_two_clients(thaw_server, lam, tmp_path):
    name = new_echo(lam)
    out = tmp_path / "out.json"
    res = bench(thaw_server, name, "--count", 200, "--concurrency", 2, "--json", out)
    assert_rc(res, 0)
    report = json.loads(out.read_text())
    inv = report["invocations"]
    assert report["mode"] == "closed" and report["concurrency"] == 2 and report["tail"] is True
    assert inv["total"] == 200
    assert report["errors"]["total"] == 0, report["errors"]
    # Two clients start at once on a fresh function: one or two environments, each cold once.
    assert 1 <= inv["cold"] <= 2, inv
    assert report["warmup"] == 20 and inv["warmup_discarded"] == 20
    assert inv["warm"] == 200 - report["warmup"] - inv["cold"]
    assert inv["unclassified"] == 0
    check_summary(report["client_latency"]["warm"], inv["warm"])
    check_summary(report["client_latency"]["cold"], inv["cold"])
    check_summary(report["report_duration"]["warm"], inv["warm"])
    check_summary(report["init_duration"], inv["cold"])
    # The client waits at least as long as the function ran.
    warm = report["client_latency"]["warm"]
    assert warm["percentiles"]["p50"]["value"] >= report["report_duration"]["warm"]["min"]
    assert report["billing"]["memory_size_mb"] == 128
    assert report["billing"]["billed_total_ms"] >= 200
    assert report["throughput_per_s"] > 0
    assert report["send_lag"] is None
    # The human table went to stdout; no progress bar without a terminal.
    assert "client, warm" in res.stdout and "Init Duration" in res.stdout
    assert "histogram of client, warm" in res.stdout
    assert res.stderr == ""


def test_one_client_has_exactly_one_cold_start(thaw_server, lam, tmp_path):
    name = new_echo(lam)
    out = tmp_path / "out.json"
    res = bench(thaw_server, name, "--count", 100, "--concurrency", 1, "--warmup", 5,
                "--json", out)
    assert_rc(res, 0)
    inv = json.loads(out.read_text())["invocations"]
    assert inv["cold"] == 1, inv
    assert inv["warm"] == 100 - 5 - 1


def test_open_loop_rate_and_duration(thaw_server, lam, tmp_path):
    name = new_echo(lam)
    out = tmp_path / "out.json"
    res = bench(thaw_server, name, "--rate", 200, "--duration", "2s", "--json", out)
    assert_rc(res, 0)
    report = json.loads(out.read_text())
    assert report["mode"] == "open" and report["rate_per_s"] == 200
    total = report["invocations"]["total"]
    # Poisson(400) has a standard deviation of 20; the seed fixes the schedule.
    assert 300 <= total <= 500, total
    assert report["errors"]["total"] == 0, report["errors"]
    assert report["send_lag"]["count"] == total
    inv = report["invocations"]
    assert inv["warm"] + inv["cold"] + inv["warmup_discarded"] == total
    check_summary(report["client_latency"]["warm"], inv["warm"])
    assert report["elapsed_s"] >= 1.8


def test_no_tail_is_unclassified(thaw_server, lam, tmp_path):
    name = new_echo(lam)
    out = tmp_path / "out.json"
    res = bench(thaw_server, name, "--count", 50, "--no-tail", "--json", out)
    assert_rc(res, 0)
    report = json.loads(out.read_text())
    inv = report["invocations"]
    assert inv["unclassified"] == 45 and inv["warm"] == 0 and inv["cold"] == 0
    assert report["report_duration"]["unclassified"]["count"] == 0
    check_summary(report["client_latency"]["unclassified"], 45)


def test_missing_function_exits_one(thaw_server):
    res = bench(thaw_server, "no-such-function", "--count", 10)
    assert_rc(res, 1)
    assert "ResourceNotFoundException: Function not found: " \
           "arn:aws:lambda:us-east-1:000000000000:function:no-such-function" in res.stderr, res.stderr
    assert res.stdout == ""


def test_missing_qualifier_exits_one(thaw_server, lam):
    name = new_echo(lam)
    res = bench(thaw_server, name, "--qualifier", "nope", "--count", 10)
    assert_rc(res, 1)
    assert "ResourceNotFoundException" in res.stderr, res.stderr


def test_unreachable_server_exits_three():
    env = {k: v for k, v in os.environ.items() if k != "THAW_ENDPOINT"}
    res = subprocess.run([str(THAW_BIN), "--endpoint", f"http://127.0.0.1:{free_port()}", "bench",
                          "echo", "--count", "5"], capture_output=True, text=True, env=env,
                         timeout=60)
    assert_rc(res, 3)
    assert "cannot connect" in res.stderr
