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
    # The burst's invocation records, and the report's stream section drawn from them.
    burst = json.loads((tmp_path / "stream-invocations.json").read_text())
    sources = [r["eventSource"] for r in burst]
    assert sum(s["batchSize"] for s in sources if s["attempt"] == 1) == 200
    assert {s["shardId"] for s in sources} == {"shardId-000000000000", "shardId-000000000001"}
    assert any(s["attempt"] >= 2 for s in sources)
    report = subprocess.run([str(THAW_BIN), "report", "--stream", str(tmp_path /
                             "stream-invocations.json"), "--out", str(tmp_path / "report")],
                            capture_output=True, text=True, timeout=60)
    assert report.returncode == 0, report.stderr
    data = json.loads((tmp_path / "report" / "report.json").read_text())
    stream = next(s for s in data["sections"] if s["id"] == "stream")
    assert stream["status"] == "ok" and "200 records" in stream["note"], stream["note"]
