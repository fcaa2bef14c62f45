"""The seed's DynamoDB scenario (issue 15, "The seed's scenario"):
examples/scenarios/dynamodb-stream/run.sh, run for real (its own thaw server, the AWS CLI v2,
the Go function examples/functions/go/ddbconsumer), and read from its PASS/FAIL lines: the
three records INSERT, MODIFY, REMOVE read back through the Streams API with their images, and
the function's log showing them parsed as an events.DynamoDBEvent."""

import os
import re
import subprocess

from conftest import ROOT, THAW_BIN

RUNNER = ROOT / "examples" / "scenarios" / "dynamodb-stream" / "run.sh"


def test_seed_dynamodb_scenario():
    env = dict(os.environ, THAW=str(THAW_BIN))
    env["PATH"] = env.get("PATH", "") + ":/usr/local/go/bin"
    res = subprocess.run([str(RUNNER)], capture_output=True, text=True, timeout=300, env=env)
    print(res.stdout, res.stderr)
    lines = res.stdout.splitlines()
    failed = [line for line in lines if line.startswith("FAIL")]
    assert res.returncode == 0 and not failed, failed or res.stdout[-2000:]
    passed = [line for line in lines if line.startswith("PASS")]
    assert "PASS records: 3, in order INSERT MODIFY REMOVE" in passed
    for i, name in enumerate(["INSERT", "MODIFY", "REMOVE"], 1):
        assert any(line.startswith(f"PASS record {i}: {name} ") for line in passed), passed
        assert any(re.match(rf"PASS function log: {name} Keys=\{{Id: 101\}}", line)
                   for line in passed), passed
    assert any(line.startswith("PASS mapping ") and "Enabled" in line for line in passed), passed
    assert "PASS function log: 3 records delivered by the mapping, in order INSERT MODIFY REMOVE " \
        in passed, passed
    assert "PASS mapping LastProcessingResult: OK" in passed
    assert res.stdout.rstrip().endswith("dynamodb-stream: every check passed")
