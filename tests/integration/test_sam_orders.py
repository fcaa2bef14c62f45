"""The example SAM app (examples/sam/orders) through its own script, as the main job runs it:
`thaw deploy -t` brings up the queue, table, topic and the Go, Python and Node.js functions, and
every trigger fires (SQS with a batch item failure, the DynamoDB stream, the SNS fan-out to two
functions, the schedule); a second deploy changes nothing."""

import os
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT

RUNTIMES = Path(os.environ.get("THAW_RUNTIMES_DIR") or "/usr/local/lib/thaw/runtimes")


def test_every_trigger_of_the_example_app_fires():
    missing = [f for f in ("python", "nodejs") if not (RUNTIMES / f / "bootstrap").exists()]
    if missing:
        reason = f"no managed runtime {missing} under {RUNTIMES}: run scripts/setup.sh"
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true: " + reason)
        pytest.skip(reason)
    # rate(1 minute) comes within 3 s at a scale of 0.05.
    res = subprocess.run(["bash", str(ROOT / "examples" / "sam" / "orders" / "run.sh"),
                          "--schedule-time-scale", "0.05"],
                         capture_output=True, text=True, timeout=600,
                         env=dict(os.environ, SCHEDULE_WAIT_S="30"))
    assert res.returncode == 0, f"{res.stdout}\n{res.stderr}"
    for check in ("SQS -> Go", "SQS batch item failure", "DynamoDB stream -> Python",
                  "SNS -> Node.js (ES module)", "SNS -> Node.js (CommonJS)",
                  "Schedule -> Node.js", "second deploy: nothing changed"):
        assert f"PASS {check}" in res.stdout, res.stdout
    assert "FAIL" not in res.stdout
