"""bench/rie.sh (thaw against the Runtime Interface Emulator) with tiny counts: every row it
promises is there with sane numbers, and the summary table is printed. Skips, saying why, when
RIE cannot be built here (no Go, no module proxy)."""

import json
import os
import shutil
import subprocess

import pytest

from conftest import ROOT


@pytest.fixture(scope="module", autouse=True)
def _examples(examples):
    return examples


def test_rie_peer_rows(tmp_path):
    if not os.path.exists("/usr/bin/aws") or shutil.which("go") is None and not os.path.exists(
            "/usr/local/go/bin/go"):
        pytest.skip("needs the AWS CLI and Go")
    env = dict(os.environ, ROUNDS="1", N="300", NC="2", NS="2", N4="200", OUT=str(tmp_path),
               RIE=str(ROOT / "build" / "bench" / "aws-lambda-rie"))
    res = subprocess.run([str(ROOT / "bench" / "rie.sh")], capture_output=True, text=True,
                         env=env, timeout=240, cwd=ROOT)
    assert res.returncode == 0, f"stdout:\n{res.stdout}\nstderr:\n{res.stderr}"
    if res.stdout.startswith("rie: skipped"):
        pytest.skip(res.stdout.strip())
    rows = {}
    for line in (tmp_path / "rie.jsonl").read_text().splitlines():
        r = json.loads(line)
        rows[r["name"]] = r
    for name in ("floor_chain_r1", "floor_inproc_r1", "thaw_warm_r1", "rie_warm_r1"):
        r = rows[name]
        assert r["errors"] == 0, r
        assert 0 < r["p50_us"] <= r["p99_us"], r
    # One process's chain needs no cross-process wake-ups: it is the lower floor.
    assert rows["floor_inproc_r1"]["p50_us"] < rows["floor_chain_r1"]["p50_us"]
    assert 0 < rows["thaw_first_invoke_r1"]["p50_us"]
    rie_first = rows["rie_first_invoke_r1"]
    assert rie_first["errors"] == 0 and rie_first["first_invoke_count"] == 2, rie_first
    assert 0 < rie_first["ready_p50_us"] and 0 < rie_first["first_invoke_p50_us"]
    start = rows["thaw_startup_r1"]
    assert start["errors"] == 0 and start["ready_count"] == 2, start
    for who in ("thaw", "rie"):
        cpu = rows[f"{who}_cpu_r1"]
        assert cpu["runner_cpu_us_per_invoke"] >= 0 and cpu["function_cpu_us_per_invoke"] >= 0
    assert rows["thaw_c4"]["errors"] == 0 and rows["thaw_c4"]["concurrency"] == 4
    assert "rie_c4" in rows and isinstance(rows["rie_after_c4"]["alive"], bool)
    out = res.stdout
    for label in ("warm p50 (us)", "first invoke p50", "start -> answering", "4 clients:",
                  "floors p50:"):
        assert label in out, out
