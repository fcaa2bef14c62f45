"""`thaw tune NAME` against a real server.

A CPU-bound Go function (built here: a stdlib-only Runtime API client doing a fixed number of
multiply-adds per event) runs at two memory sizes. Checks the JSON (one entry per size, costs
from the price table, recommendations that follow from the figures), that more memory is faster
when the server sandboxes (the CPU quota is MemorySize/1769 vCPU), and that the original
MemorySize comes back: after a run, after failing invocations and after Ctrl-C.
"""

import json
import math
import os
import signal
import subprocess
import zipfile

import pytest

from conftest import ROOT, THAW_BIN, Examples, create_function, poll
from invoke_util import unique

X86_GB_S = 0.0000166667
ARM_GB_S = 0.0000133334
PER_REQUEST = 0.20 / 1e6
GO = "/usr/local/go/bin/go"

# About 20 ms of work on one vCPU: ~140 ms at 256 MB (0.145 vCPU), ~35 ms at 1024 MB.
BURN = {"n": 20_000_000}

BURN_SOURCE = r"""
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
)

func main() {
	base := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/invocation/"
	for {
		res, err := http.Get(base + "next")
		if err != nil {
			os.Exit(1)
		}
		id := res.Header.Get("Lambda-Runtime-Aws-Request-Id")
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var event struct {
			N int `json:"n"`
		}
		json.Unmarshal(body, &event)
		x := uint64(1)
		for i := 0; i < event.N; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
		out, err := http.Post(base+id+"/response", "application/json",
			bytes.NewBufferString(fmt.Sprintf(`{"x":%d}`, x)))
		if err == nil {
			out.Body.Close()
		}
	}
}
"""


@pytest.fixture(scope="module")
def example_zips(request):
    """The built Go examples; builds them only when missing."""
    examples = Examples(ROOT / "build" / "examples")
    if not (examples.go("noop").exists() and examples.go("error").exists()):
        examples = request.getfixturevalue("examples")
    return examples


@pytest.fixture(scope="module")
def burn_zip(tmp_path_factory):
    go = GO if os.access(GO, os.X_OK) else "go"
    work = tmp_path_factory.mktemp("burn")
    (work / "main.go").write_text(BURN_SOURCE)
    env = dict(os.environ, CGO_ENABLED="0", GOOS="linux", GOFLAGS="")
    res = subprocess.run([go, "build", "-trimpath", "-ldflags=-s", "-o", "bootstrap", "main.go"],
                         cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    path = work / "burn.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("bootstrap", date_time=(2020, 1, 1, 0, 0, 0))
        info.create_system = 3
        info.external_attr = (0o100755) << 16
        z.writestr(info, (work / "bootstrap").read_bytes())
    return path


def tune_cmd(server, *args):
    return [str(THAW_BIN), "--endpoint", server.url, "tune", *map(str, args)]


def clean_env():
    return {k: v for k, v in os.environ.items() if k != "THAW_ENDPOINT"}


def tune(server, *args, timeout=120):
    return subprocess.run(tune_cmd(server, *args), capture_output=True, text=True,
                          env=clean_env(), timeout=timeout, cwd=ROOT)


def assert_rc(res, rc):
    assert res.returncode == rc, (
        f"exit {res.returncode}, expected {rc}\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}")


def memory_of(lam, name):
    return lam.get_function_configuration(FunctionName=name)["MemorySize"]


def check_costs(report, gb_s):
    assert report["prices"]["gb_second"] == pytest.approx(gb_s, rel=1e-12)
    assert report["prices"]["per_request"] == pytest.approx(PER_REQUEST, rel=1e-12)
    for s in report["sizes"]:
        gb_seconds = s["billed_ms_mean"] * s["memory_mb"] / 1024 / 1000
        cost = s["cost"]
        assert cost["compute_per_invocation"] == pytest.approx(gb_seconds * gb_s, rel=1e-9)
        assert cost["per_invocation"] == pytest.approx(gb_seconds * gb_s + PER_REQUEST, rel=1e-9)
        assert cost["per_million"] == pytest.approx(cost["per_invocation"] * 1e6, rel=1e-9)
        # Billing rounds each warm Duration up to a whole millisecond.
        d = s["duration_ms"]
        assert d["min"] <= d["p50"] <= d["p90"] <= d["p99"] <= d["max"]
        assert d["mean"] <= s["billed_ms_mean"] <= d["mean"] + 1
        assert s["cold_start"]["count"] >= 1
        cold = s["cold_start"]
        assert cold["init_duration_ms"] > 0
        assert cold["billed_ms"] >= math.ceil(cold["duration_ms"])
        assert cold["cost"] == pytest.approx(
            cold["billed_ms"] * s["memory_mb"] / 1024 / 1000 * gb_s + PER_REQUEST, rel=1e-9)
        assert s["max_memory_used_mb"] > 0


def check_recommendations(report):
    """Recomputes the three picks from the per-size figures."""
    sizes = [s for s in report["sizes"] if s["errors"] == 0 and s["warm"] > 0]
    rec = report["recommendations"]
    dur = lambda s: s["duration_ms"]["trimmed_mean"]
    cost = lambda s: s["cost"]["per_invocation"]
    cheapest = min(sizes, key=lambda s: (cost(s), dur(s), s["memory_mb"]))
    fastest = min(sizes, key=lambda s: (dur(s), cost(s), s["memory_mb"]))
    w = report["balanced_weight"]
    max_cost = max(s["cost"]["compute_per_invocation"] for s in sizes)
    max_dur = max(dur(s) for s in sizes)
    score = lambda s: w * s["cost"]["compute_per_invocation"] / max_cost + (1 - w) * dur(s) / max_dur
    balanced = min(sizes, key=lambda s: (score(s), s["memory_mb"]))
    assert rec["cost"]["memory_mb"] == cheapest["memory_mb"]
    assert rec["speed"]["memory_mb"] == fastest["memory_mb"]
    assert rec["balanced"]["memory_mb"] == balanced["memory_mb"]
    assert rec["balanced"]["score"] == pytest.approx(score(balanced), rel=1e-9)
    for s in sizes:
        assert s["balanced_score"] == pytest.approx(score(s), rel=1e-9)
    assert rec["chosen_memory_mb"] == rec[report["strategy"]]["memory_mb"]


def test_cpu_bound_function_is_faster_with_more_memory(thaw_server, lam, burn_zip, tmp_path):
    name = unique("tune")
    create_function(lam, name, burn_zip, MemorySize=512, Timeout=30)
    out = tmp_path / "tune.json"
    res = tune(thaw_server, name, "--memory", "1024,256", "-n", 5, "--warmup", 1,
               "--payload-json", json.dumps(BURN), "--json", out)
    assert_rc(res, 0)
    report = json.loads(out.read_text())

    assert [s["memory_mb"] for s in report["sizes"]] == [256, 1024]
    assert report["architecture"] == "x86_64" and report["count"] == 5
    for s in report["sizes"]:
        assert s["invocations"] == 5 and s["warm"] == 5 and s["errors"] == 0, s
        assert s["vcpu"] == pytest.approx(s["memory_mb"] / 1769)
        # One client: one cold start per size, right after the configuration change.
        assert s["cold_start"]["count"] == 1, s
    check_costs(report, X86_GB_S)
    check_recommendations(report)
    assert report["strategy"] == "cost"

    assert report["original_memory_mb"] == 512 and report["restored"] is True
    assert memory_of(lam, name) == 512
    assert "MemorySize restored to 512 MB" in res.stdout
    assert "recommendation" in res.stdout and "duration and cost against memory size" in res.stdout
    assert res.stderr == ""

    if not report["sandboxed"]:
        pytest.skip("the server does not sandbox here: CPU is not limited by memory")
    small, big = report["sizes"]
    # 4x the memory is 4x the CPU quota; leave room for the machine's noise.
    assert big["duration_ms"]["p50"] * 2 < small["duration_ms"]["p50"], report["sizes"]
    assert report["recommendations"]["speed"]["memory_mb"] == 1024


def test_strategy_weight_and_arch(thaw_server, lam, example_zips, tmp_path):
    name = unique("tune")
    create_function(lam, name, example_zips.go("noop"))
    out = tmp_path / "tune.json"
    res = tune(thaw_server, name, "--memory", "128,256", "-n", 3, "--warmup", 0,
               "--strategy", "balanced", "--balanced-weight", 0.2, "--arch", "arm64",
               "--json", out)
    assert_rc(res, 0)
    report = json.loads(out.read_text())
    assert report["architecture"] == "arm64"
    assert report["balanced_weight"] == 0.2 and report["strategy"] == "balanced"
    assert [s["memory_mb"] for s in report["sizes"]] == [128, 256]
    check_costs(report, ARM_GB_S)
    check_recommendations(report)
    assert memory_of(lam, name) == 128


def test_json_to_stdout(thaw_server, lam, example_zips):
    name = unique("tune")
    create_function(lam, name, example_zips.go("noop"))
    res = tune(thaw_server, name, "--memory", "128", "-n", 2, "--json", "-")
    assert_rc(res, 0)
    report = json.loads(res.stdout)
    assert len(report["sizes"]) == 1
    assert report["recommendations"]["chosen_memory_mb"] == 128


def test_failing_function_is_not_recommended_and_memory_is_restored(thaw_server, lam,
                                                                    example_zips, tmp_path):
    name = unique("tune")
    create_function(lam, name, example_zips.go("error"), MemorySize=384)
    out = tmp_path / "tune.json"
    res = tune(thaw_server, name, "--memory", "128,256", "-n", 2, "--json", out)
    assert_rc(res, 1)
    assert "no memory size ran without errors" in res.stderr
    report = json.loads(out.read_text())
    assert all(s["errors"] == 2 for s in report["sizes"]), report["sizes"]
    assert report["recommendations"]["cost"] is None
    assert report["restored"] is True
    assert memory_of(lam, name) == 384


def test_ctrl_c_restores_memory(thaw_server, lam, burn_zip):
    name = unique("tune")
    create_function(lam, name, burn_zip, MemorySize=640, Timeout=30)
    proc = subprocess.Popen(tune_cmd(thaw_server, name, "--memory", "256,1024", "-n", 1000,
                                     "--payload-json", json.dumps(BURN)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=clean_env(), cwd=ROOT)
    try:
        poll(lambda: memory_of(lam, name) == 256, timeout=20, what="tune to set 256 MB")
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, (stdout, stderr)
    assert "interrupted" in stderr
    assert memory_of(lam, name) == 640


def test_missing_function_exits_one(thaw_server):
    res = tune(thaw_server, "no-such-function", "--memory", "128", "-n", 1)
    assert_rc(res, 1)
    assert "ResourceNotFoundException" in res.stderr, res.stderr
    assert res.stdout == ""


def test_bad_memory_list_exits_two(thaw_server):
    res = tune(thaw_server, "whatever", "--memory", "64,128")
    assert_rc(res, 2)
    assert "outside Lambda's range" in res.stderr
