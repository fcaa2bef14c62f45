"""`thaw stress --via event` and `--via sqs` (issue 13, "The seed, through a queue"): the failing
stress functions (loop, panic, exit) driven through an Event invoke (three attempts with
Lambda's retry delays scaled by --retry-delay-scale, the OnFailure destination's record, the
DeadLetterConfig message) and through an SQS trigger (a poison message redelivered after each
visibility timeout until the redrive policy moves it to the DLQ), and stress-selfsend feeding
itself until recursive loop detection drops its 17th hop. Each verdict is the CLI's own check of
what the server did (stress_checks.cc); these tests run the command for real and read its table
and JSON, then check that it left no function or queue behind.
"""

import json
import re
import subprocess

import pytest

from conftest import THAW_BIN, boto_client
from sqs_util import sqs_client

SCALE = "0.01"
VIA_BEHAVIOURS = ["loop", "panic", "exit", "selfsend"]


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


@pytest.fixture(scope="module", params=["event", "sqs"])
def via_run(request, server, examples, tmp_path_factory):
    via = request.param
    out = tmp_path_factory.mktemp("stress") / f"stress-{via}.json"
    res = stress(server, examples, out, "--via", via, "--timeout", "1")
    assert out.exists(), f"rc={res.returncode}\n{res.stdout}\n{res.stderr}"
    return via, res, json.loads(out.read_text())


def row(doc, behaviour):
    return next(r for r in doc["results"] if r["behaviour"] == behaviour)


def test_table_and_json(via_run):
    via, res, doc = via_run
    assert (doc["via"], doc["retryDelayScale"]) == (via, float(SCALE))
    assert [r["behaviour"] for r in doc["results"]] == VIA_BEHAVIOURS
    for r in doc["results"]:
        assert r["via"] == via
        assert r["function"] == f"thaw-stress-{via}-{r['behaviour']}"
        assert r["verdict"] == "pass", r
        assert r["recovered"] is True, r
    assert (doc["passed"], doc["failed"]) == (4, 0)
    assert res.returncode == 0, res.stdout + res.stderr
    header = res.stdout.splitlines()[0].split()
    assert header[:2] == ["BEHAVIOUR", "VIA"] and header[-1] == "VERDICT"


def test_failures_are_retried_then_dead_lettered(via_run):
    via, _, doc = via_run
    for behaviour in ["loop", "panic", "exit"]:
        observed = row(doc, behaviour)["observed"]
        if via == "event":
            # Retries after 60 s and 120 s, scaled by 0.01.
            assert "+0.60 s" in row(doc, behaviour)["expected"]
            assert re.match(r"3 attempts \(\+[\d.]+ s, \+[\d.]+ s\)", observed), observed
            assert "OnFailure RetriesExhausted x3" in observed
            assert "DLQ RequestID, ErrorCode 200, ErrorMessage" in observed
        else:
            # Redelivered after each visibility timeout (2 s; the verdict checks the gaps), three
            # receives, then the DLQ.
            assert "2 s apart (visibility timeout)" in row(doc, behaviour)["expected"]
            assert re.match(r"3 receives \(\+[\d.]+ s, \+[\d.]+ s\), DLQ", observed), observed
            assert "DLQ (ReceiveCount" in observed


def test_recursion_is_stopped_at_sixteen(via_run):
    _, _, doc = via_run
    assert row(doc, "selfsend")["observed"] == '16 hops, 1 dropped, DLQ {"hop":17}'


def test_nothing_left_behind(via_run, server):
    via, _, _ = via_run
    names = [f["FunctionName"] for f in boto_client("lambda", server).list_functions()["Functions"]]
    assert not [n for n in names if n.startswith(f"thaw-stress-{via}-")], names
    queues = sqs_client(server.url).list_queues(QueueNamePrefix="thaw-stress-")
    assert not queues.get("QueueUrls"), queues
    mappings = boto_client("lambda", server).list_event_source_mappings()["EventSourceMappings"]
    assert not [m for m in mappings if m["State"] != "Deleting"], mappings


def test_unknown_behaviour_for_via(server, examples, tmp_path):
    res = stress(server, examples, tmp_path / "x.json", "--via", "sqs", "--only", "eventbomb")
    assert res.returncode == 2
    assert "unknown behaviour 'eventbomb' for --via sqs; known: loop panic exit selfsend" in (
        res.stderr)
