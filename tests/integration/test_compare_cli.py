"""`thaw compare` against a real server.

Runs the mechanism example under all five mechanisms with small counts and checks the JSON: one
row per mechanism with every figure present and positive, spawn slower warm than runtime-api (it
execs a Go binary per request, the seed's point), ratios and memory overheads that follow from
the figures, and the functions gone afterwards unless --keep.
"""

import json
import os
import subprocess

import pytest

from conftest import ROOT, THAW_BIN

MECHANISMS = ["runtime-api", "go1.x", "spawn", "http-sidecar", "shim"]
RATIOS = {"warm_p50": ("warm", "client_p50_ms"), "warm_p99": ("warm", "client_p99_ms"),
          "init": ("cold", "init_ms"), "throughput": ("throughput", "per_s"),
          "cpu": ("cpu", "ms_per_invocation")}


@pytest.fixture(scope="module")
def zips(request):
    """The directory of mech-<mechanism>.zip; builds the examples only when one is missing."""
    go = ROOT / "build" / "examples" / "go"
    if not all((go / f"mech-{m}.zip").exists() for m in MECHANISMS):
        go = request.getfixturevalue("examples").go_dir
    return go


def compare(server, *args, timeout=90):
    env = {k: v for k, v in os.environ.items() if k != "THAW_ENDPOINT"}
    return subprocess.run([str(THAW_BIN), "--endpoint", server.url, "compare", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)


def assert_rc(res, rc):
    assert res.returncode == rc, (
        f"exit {res.returncode}, expected {rc}\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}")


def compare_functions(lam):
    return sorted(f["FunctionName"] for f in lam.list_functions()["Functions"]
                  if f["FunctionName"].startswith("compare-"))


def test_every_mechanism(thaw_server, lam, zips, tmp_path):
    out = tmp_path / "compare.json"
    res = compare(thaw_server, "--zips", zips, "-n", 20, "--cold", 2, "--concurrency", 2,
                  "--throughput-time", 0.5, "--json", out)
    assert_rc(res, 0)
    report = json.loads(out.read_text())
    assert report["baseline"] == "runtime-api"
    assert report["config"] == {"count": 20, "cold": 2, "concurrency": 2, "throughput_s": 0.5,
                                "warmup": 10, "cpu_samples": 20, "memory_mb": 1769}
    rows = {m["mechanism"]: m for m in report["mechanisms"]}
    assert list(rows) == MECHANISMS
    sandboxed = all(m["sandboxed"] for m in rows.values())
    for name, m in rows.items():
        assert m["errors"] == {"count": 0, "first": ""}, name
        assert m["function"] == "compare-" + name.replace(".", "")
        assert m["cold"]["count"] == 2 and m["warm"]["count"] == 20, (name, m)
        figures = [m["cold"]["init_ms"], m["cold"]["client_ms"], m["warm"]["client_p50_ms"],
                   m["warm"]["client_p99_ms"], m["warm"]["duration_p50_ms"],
                   m["warm"]["duration_p99_ms"], m["throughput"]["per_s"]]
        if sandboxed:  # memory and CPU come from the sandbox's cgroup
            figures += [m["memory"]["max_kib"], m["cpu"]["ms_per_invocation"]]
            assert m["cpu"]["samples"] == 20
        assert all(f is not None and f > 0 for f in figures), (name, m)
        assert m["warm"]["client_p50_ms"] <= m["warm"]["client_p99_ms"]
        # A cold invocation's client latency includes its init.
        assert m["cold"]["client_ms"] > m["cold"]["init_ms"]

    base = rows["runtime-api"]
    assert rows["spawn"]["warm"]["client_p50_ms"] > base["warm"]["client_p50_ms"]
    for m in rows.values():
        for ratio, (group, field) in RATIOS.items():
            value = m["ratios"][ratio]
            if m[group][field] is None or base[group][field] is None:
                assert value is None
            else:
                assert value == pytest.approx(m[group][field] / base[group][field], rel=1e-9)
        if sandboxed:
            assert m["memory"]["overhead_kib"] == m["memory"]["max_kib"] - base["memory"]["max_kib"]
    assert base["ratios"]["warm_p50"] == 1 and base["memory"]["overhead_kib"] in (0, None)

    lines = res.stdout.splitlines()
    for name in MECHANISMS:
        assert sum(1 for l in lines if l.split()[:1] == [name]) == 1, res.stdout
    assert compare_functions(lam) == []


def test_keep_and_json_to_stdout(thaw_server, lam, zips):
    res = compare(thaw_server, "--zips", zips, "--mechanisms", "spawn", "-n", 2, "--cold", 1,
                  "-c", 1, "--throughput-time", 0.1, "--keep", "--json", "-")
    assert_rc(res, 0)
    report = json.loads(res.stdout)
    assert [m["mechanism"] for m in report["mechanisms"]] == ["spawn"]
    assert report["baseline"] is None and report["mechanisms"][0]["ratios"]["warm_p50"] is None
    assert compare_functions(lam) == ["compare-spawn"]
    # A second run updates the kept function and, not having created it, keeps it.
    assert_rc(compare(thaw_server, "--zips", zips, "--mechanisms", "spawn", "-n", 1, "--cold", 1,
                      "-c", 1, "--throughput-time", 0.1), 0)
    assert compare_functions(lam) == ["compare-spawn"]
    lam.delete_function(FunctionName="compare-spawn")


def test_usage_errors(thaw_server, tmp_path):
    res = compare(thaw_server, "--mechanisms", "runtime-api,lambda")
    assert_rc(res, 2)
    assert "unknown mechanism 'lambda'" in res.stderr
    res = compare(thaw_server, "--zips", tmp_path)
    assert_rc(res, 2)
    assert "mech-runtime-api.zip is missing" in res.stderr
