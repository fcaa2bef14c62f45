"""The seed's Kinesis scenario (issue 16, "The seed's experiments, complete"):
examples/scenarios/kinesis/run.sh, run for real (its own thaw server, the AWS CLI v2, the Go
function examples/functions/go/kinesisconsumer), and read from its PASS/FAIL lines and the
outputfile.txt it leaves: the hand-made Kinesis event decoded into outputfile.txt, then a record
put on a stream and delivered by an event source mapping, decoded in the function's log."""

import json
import os
import subprocess

from conftest import ROOT, THAW_BIN

RUNNER = ROOT / "examples" / "scenarios" / "kinesis" / "run.sh"


def test_seed_kinesis_scenario(tmp_path):
    env = dict(os.environ, THAW=str(THAW_BIN))
    env["PATH"] = env.get("PATH", "") + ":/usr/local/go/bin"
    res = subprocess.run([str(RUNNER), "--out", str(tmp_path)], capture_output=True, text=True,
                         timeout=300, env=env)
    print(res.stdout, res.stderr)
    lines = res.stdout.splitlines()
    failed = [line for line in lines if line.startswith("FAIL")]
    assert res.returncode == 0 and not failed, failed or res.stdout[-2000:]
    passed = [line for line in lines if line.startswith("PASS")]
    output = json.loads((tmp_path / "outputfile.txt").read_text())
    assert output == {"records": 1,
                      "messages": ['{"message": "Hello from the seed", "n": 1}']}, output
    assert "PASS outputfile.txt holds the decoded message" in passed
    delivered = [line for line in passed
                 if line.startswith("PASS function log: aws:kinesis:record shardId-000000000000:")]
    assert delivered and 'data={"message": "Hello through Kinesis", "n": 2}' in delivered[0], passed
    assert any(line.startswith("PASS eventID is shardId-000000000000:") for line in passed), passed
    assert "PASS LastProcessingResult OK" in passed
    assert res.stdout.rstrip().endswith("kinesis: every check passed")
