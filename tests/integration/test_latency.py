"""`thaw latency` end to end (docs/latency.md): real latency-a and latency-b on a real server, a
real test host in a network namespace, and injected clock offsets. Checks that NTP's estimate
holds each injected offset (callee's minus A's) within its own bound, that an offset larger than
the one-way delay makes most raw differences negative and almost no corrected one, what the JSON
holds, and that the namespace and the host process are gone afterwards, also after Ctrl-C.

Needs root and iproute2 (`ip netns`); skips with the reason otherwise.
"""

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ROOT, THAW_BIN

CALLS = 300
# A is 0.3 ms ahead; B 1.7 ms behind (B - A = -2.0 ms); the host 2.7 ms behind (-3.0 ms). Both
# are several times the one-way delay of a call on one machine (a few hundred microseconds).
A_OFFSET, B_OFFSET, HOST_OFFSET = 0.3, -1.7, -2.7
INJECTED = {"invoke": B_OFFSET - A_OFFSET, "http": HOST_OFFSET - A_OFFSET}


def netns_unavailable():
    if os.geteuid() != 0:
        return "not root: the test host is a network namespace (ip netns add needs root)"
    if shutil.which("ip") is None:
        return "iproute2's ip is not installed"
    probe = "thaw-lat-probe"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"ip netns add does not work here: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


REASON = netns_unavailable()
if REASON:
    print(f"test_latency: skipped: {REASON}")
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


@pytest.fixture(scope="module")
def zips(request):
    go = ROOT / "build" / "examples" / "go"
    names = ["latency-a.zip", "latency-b.zip", "latency-host"]
    if not all((go / n).exists() for n in names):
        go = request.getfixturevalue("examples").go_dir
    return go


def latency(server, zips, *args, timeout=300):
    return subprocess.run([str(THAW_BIN), "--endpoint", server.url, "latency", "--zips", str(zips),
                           *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT)


def our_namespaces():
    netns = Path("/run/netns")
    return sorted(p.name for p in netns.iterdir()) if netns.is_dir() else []


def host_processes():
    out = subprocess.run(["pgrep", "-f", "latency-host -listen"], capture_output=True, text=True)
    return out.stdout.split()


@pytest.fixture(scope="module")
def run(thaw_server, zips, tmp_path_factory):
    out = tmp_path_factory.mktemp("latency") / "latency.json"
    before = our_namespaces()
    res = latency(thaw_server, zips, "--calls", CALLS, "--via", "both",
                  "--a-offset-ms", A_OFFSET, "--a-drift-ppm", 0, "--b-offset-ms", B_OFFSET,
                  "--b-drift-ppm", 0, "--host-offset-ms", HOST_OFFSET, "--host-drift-ppm", 0,
                  "--json", out)
    assert res.returncode == 0, f"stdout:\n{res.stdout}\nstderr:\n{res.stderr}"
    print(res.stdout)
    return {"stdout": res.stdout, "json": json.loads(out.read_text()), "before": before}


def runs(report):
    return {r["via"]: r for r in report["runs"]}


def test_estimate_recovers_injected_offset_within_bound(run):
    by_via = runs(run["json"])
    assert set(by_via) == {"invoke", "http"}
    for via, injected in INJECTED.items():
        r = by_via[via]
        estimate = r["analysis"]["estimate"]
        # The truth comes from the flags, not from what thaw says it injected.
        assert r["injected"]["offset_ms_at_estimate"] == pytest.approx(injected, abs=1e-6)
        error = abs(estimate["offset_ms"] - injected)
        assert error <= estimate["bound_ms"] + 1e-3, (via, estimate, injected)
        # A bound as wide as the offset would hold anything: it must be much tighter.
        assert estimate["bound_ms"] < abs(injected) / 4, (via, estimate)
        assert r["within_bound"] is True


def test_large_offset_makes_raw_negative_and_corrected_not(run):
    for via, r in runs(run["json"]).items():
        a = r["analysis"]
        delay = a["delay"]["percentiles"]
        offset = abs(INJECTED[via])
        assert delay["p50"] / 2 < offset, (via, delay)  # the premise
        # A raw difference is negative when the one-way delay is under the offset: for most
        # calls when the delay's p95 is (a quiet box), fewer when only its p75 or p50 is (a
        # loaded box's tail reaches past the 2 ms offset). Each share leaves 10-15 points for
        # the load's jitter (0.88 was seen with p95 under it on a box running two builds); with
        # no offset injected the share is near 0.
        least = next(f for p, f in (("p95", 0.8), ("p75", 0.6), ("p50", 0.4))
                     if delay[p] / 2 < offset)
        assert a["raw"]["negative_fraction"] > least, (via, a["raw"]["negative_fraction"], delay)
        assert a["corrected"]["negative_fraction"] < 0.02, (via, a["corrected"])
        # Corrected, the median difference is a one-way delay: positive and under the round trip.
        median = a["corrected"]["percentiles"]["p50"]
        assert 0 < median < a["delay"]["percentiles"]["p99"], (via, median)


def test_json_has_distributions_and_says_simulation(run):
    report = run["json"]
    assert report["experiment"] == "latency" and report["simulation"] is True
    assert "SIMULATION" in report["note"]
    assert "SIMULATION" in run["stdout"]
    assert report["skew"]["b"]["offset_ms"] == pytest.approx(B_OFFSET)
    for via, r in runs(report).items():
        assert r["calls"] == CALLS and r["failed"] == 0
        assert len(r["exchanges"]) == CALLS
        a = r["analysis"]
        for which in ("raw", "corrected"):
            d = a[which]
            assert d["count"] == CALLS
            assert d["percentiles"]["p1"] <= d["percentiles"]["p50"] <= d["percentiles"]["p99"]
            assert d["cdf"][-1][1] == 1.0
        h = a["histogram"]
        assert sum(h["raw"]) + h["raw_outside"] == CALLS
        assert sum(h["corrected"]) + h["corrected_outside"] == CALLS
        # The raw T2 - T1 recomputed from the exchanges matches the distribution.
        raw = sorted((t2 - t1) / 1e6 for t1, t2, _, _ in r["exchanges"])
        assert raw[0] == pytest.approx(a["raw"]["min"])
        assert sum(x < 0 for x in raw) == a["raw"]["negative"]
        assert r["seed"]["negative_fraction"] == pytest.approx(
            {"invoke": 669 / 10008, "http": 4656 / 10038}[via])
        # HLC stamps keep causal order although the clocks do not.
        assert r["hlc"]["checked"] == CALLS and r["hlc"]["violations"] == 0
        # The callee merged A's Hlc from the trace header on every call.
        assert r["hlc"]["callee_received_hlc"] == CALLS
    # The host answers with its Hlc in X-Amzn-Trace-Id; thaw's Invoke response only echoes A's
    # own header (older than B's stamp in the body) until the server stamps it.
    assert runs(report)["http"]["hlc"]["answer_hlc_from_header"] == CALLS


def test_everything_is_removed(run, lam):
    assert our_namespaces() == run["before"]
    assert not [n for n in os.listdir("/sys/class/net") if n.startswith("thl")]
    assert host_processes() == []
    for name in ("latency-a", "latency-b"):
        with pytest.raises(lam.exceptions.ResourceNotFoundException):
            lam.get_function(FunctionName=name)


def test_ctrl_c_removes_the_test_host(thaw_server, zips):
    before = our_namespaces()
    proc = subprocess.Popen([str(THAW_BIN), "--endpoint", thaw_server.url, "latency", "--zips",
                             str(zips), "--via", "http", "--calls", "1000000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    ns = f"thaw-lat-{proc.pid}"
    deadline = time.monotonic() + 60
    while ns not in our_namespaces() or not host_processes():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the test host never appeared"
        time.sleep(0.05)
    time.sleep(1)  # calls are running
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, (out, err)  # interrupted: a partial run
    assert our_namespaces() == before
    assert host_processes() == []
    assert "A -> host (http)" in out  # what ran before Ctrl-C is still reported


def test_http_way_needs_root(thaw_server, zips):
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is not installed")
    res = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
                          str(THAW_BIN), "--endpoint", thaw_server.url, "latency", "--zips",
                          str(zips), "--via", "http", "--calls", "1"],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 2, res
    assert "needs root" in res.stderr


def test_after_sigkill_the_host_dies_and_the_next_run_removes_the_namespace(thaw_server, zips):
    before = our_namespaces()
    proc = subprocess.Popen([str(THAW_BIN), "--endpoint", thaw_server.url, "latency", "--zips",
                             str(zips), "--via", "http", "--calls", "1000000"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    ns = f"thaw-lat-{proc.pid}"
    deadline = time.monotonic() + 60
    while ns not in our_namespaces() or not host_processes():
        assert proc.poll() is None
        assert time.monotonic() < deadline, "the test host never appeared"
        time.sleep(0.05)
    proc.kill()  # no destructor runs
    proc.wait()
    deadline = time.monotonic() + 10
    while host_processes():  # PR_SET_PDEATHSIG
        assert time.monotonic() < deadline, "latency-host outlived its driver"
        time.sleep(0.05)
    assert ns in our_namespaces()  # left behind, as expected after SIGKILL
    res = latency(thaw_server, zips, "--via", "http", "--calls", 20)
    assert res.returncode == 0, res.stderr
    assert our_namespaces() == before
    assert not os.path.exists(f"/sys/class/net/thl{proc.pid}h")
