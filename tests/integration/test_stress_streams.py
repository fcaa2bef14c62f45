"""`thaw stress --via kinesis` and `--via dynamodb` (issue 16): the failing stress functions
behind a stream trigger. loop (a timeout) and leak (Runtime.OutOfMemory) block their shard: the
record is retried MaximumRetryAttempts (2) times while nothing after it is delivered, then the
OnFailure record (RetryAttemptsExhausted, KinesisBatchInfo / DDBStreamBatchInfo for its sequence
number) and the shard moves on; panic's poison record in a batch of six is bisected down to
itself (BisectBatchOnFunctionError, MaximumRetryAttempts 0) and alone reaches OnFailure; and
stress-selfsend puts two records to its own stream (or two items to its own table) for each it
gets, which Lambda does not stop: /thaw/esm shows records and iterator age growing until the run
disables the mapping. Each verdict is the CLI's own check (stress_checks.cc); these tests run
the command for real, read its table and JSON, and check it left nothing behind. leak needs the
sandbox's memory limit: without it its row is only checked to fail, and its test skips."""

import json
import subprocess

import pytest

from conftest import THAW_BIN, boto_client
from ddb_util import ddb_client
from sandbox_util import enforced, require
from sqs_util import sqs_client

SCALE = "0.01"
BEHAVIOURS = ["loop", "panic", "leak", "selfsend"]
INFO = {"kinesis": "KinesisBatchInfo", "dynamodb": "DDBStreamBatchInfo"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from conftest import ThawServer
    base = tmp_path_factory.mktemp("thaw")
    (base / "state").mkdir()
    s = ThawServer(base / "state", base,
                   ("--retry-delay-scale", SCALE, "--esm-transition-ms", "100"))
    try:
        s.start()
        yield s
    finally:
        s.close()


def stress(server, examples, out, *args):
    return subprocess.run([str(THAW_BIN), "--endpoint", server.url, "stress",
                           "--examples", str(examples.go_dir), "--json", str(out), *args],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module", params=["kinesis", "dynamodb"])
def via_run(request, server, examples, tmp_path_factory):
    via = request.param
    out = tmp_path_factory.mktemp("stress") / f"stress-{via}.json"
    res = stress(server, examples, out, "--via", via, "--timeout", "1")
    assert out.exists(), f"rc={res.returncode}\n{res.stdout}\n{res.stderr}"
    return via, res, json.loads(out.read_text())


def row(doc, behaviour):
    return next(r for r in doc["results"] if r["behaviour"] == behaviour)


def test_table_and_json(via_run, server):
    via, res, doc = via_run
    assert doc["via"] == via
    assert [r["behaviour"] for r in doc["results"]] == BEHAVIOURS
    oom = "memory limit" in enforced(server)
    for r in doc["results"]:
        assert r["function"] == f"thaw-stress-{via}-{r['behaviour']}"
        if r["behaviour"] == "leak" and not oom:
            assert r["verdict"] == "FAIL", r  # no OOM kill without the memory limit
            continue
        assert r["verdict"] == "pass", r
        assert r["recovered"] is True, r
    assert (doc["passed"], doc["failed"]) == ((4, 0) if oom else (3, 1))
    assert res.returncode == (0 if oom else 1), res.stdout + res.stderr
    header = res.stdout.splitlines()[0].split()
    assert header[:2] == ["BEHAVIOUR", "VIA"] and header[-1] == "VERDICT"


@pytest.mark.parametrize("behaviour,outcome", [("loop", "timeout: "),
                                               ("leak", "error Runtime.OutOfMemory: ")])
def test_a_failing_record_blocks_its_shard(via_run, server, behaviour, outcome):
    via, _, doc = via_run
    if behaviour == "leak":
        require(server, "memory limit")
    r = row(doc, behaviour)
    assert INFO[via] in r["expected"]
    assert r["observed"].startswith(
        outcome + "3 attempts blocking the shard (FunctionError), then 2/2 after it OK; "
        f"OnFailure RetryAttemptsExhausted x3, {INFO[via]} 1 record"), r["observed"]


def test_the_poison_record_is_bisected_out(via_run):
    via, _, doc = via_run
    observed = row(doc, "panic")["observed"]
    assert "poison alone failed, 5/5 others OK" in observed, observed
    assert f"OnFailure RetryAttemptsExhausted x1, {INFO[via]} 1 record" in observed, observed
    bisections = int(observed.split(" bisections")[0].split(", ")[-1])
    assert bisections >= 2, observed  # 6 -> 3 -> 1 or 2


def test_the_event_bomb_grows_until_disabled(via_run):
    _, _, doc = via_run
    observed = row(doc, "selfsend")["observed"]
    assert observed.startswith("records ") and observed.endswith("; disabled: stopped"), observed


def test_nothing_left_behind(via_run, server):
    via, _, _ = via_run
    lam = boto_client("lambda", server)
    names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    assert not [n for n in names if n.startswith(f"thaw-stress-{via}-")], names
    queues = sqs_client(server.url).list_queues(QueueNamePrefix=f"thaw-stress-{via}-")
    assert not queues.get("QueueUrls"), queues
    if via == "kinesis":
        streams = boto_client("kinesis", server).list_streams()["StreamNames"]
        assert not [s for s in streams if s.startswith("thaw-stress-")], streams
    else:
        tables = ddb_client(server.url).list_tables()["TableNames"]
        assert not [t for t in tables if t.startswith("thaw-stress-")], tables
    mappings = lam.list_event_source_mappings()["EventSourceMappings"]
    assert not [m for m in mappings if m["State"] != "Deleting"], mappings


def test_unknown_behaviour_for_a_stream(server, examples, tmp_path):
    res = stress(server, examples, tmp_path / "x.json", "--via", "kinesis", "--only", "exit")
    assert res.returncode == 2
    assert "unknown behaviour 'exit' for --via kinesis; known: loop panic leak selfsend" in (
        res.stderr)
