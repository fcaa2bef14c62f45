"""`thaw stress --via event`, `--via sqs` (issue 13, "The seed, through a queue") and `--via sns`
(issue 14): the failing stress functions (loop, panic, exit) driven through an Event invoke
(three attempts with Lambda's retry delays scaled by --retry-delay-scale, the OnFailure
destination's record, the DeadLetterConfig message), through an SQS trigger (a poison message
redelivered after each visibility timeout until the redrive policy moves it to the DLQ) and
through a topic's lambda subscription (SNS's Event invoke, then the same async path; the event
the function got is the events.SNSEvent of the publish), and stress-selfsend feeding itself
until recursive loop detection drops its 17th hop. Each verdict is the CLI's own check of what
the server did (stress_checks.cc); these tests run the command for real and read its table and
JSON, then check that it left no function, queue or topic behind.

Through SNS, the chain of stress-selfsend stops at 16 only because SNS carries the publisher's
X-Amzn-Trace-Id (Lineage and all) to the function, as AWS does; when that row fails, a probe
checks the header directly and its finding is part of the failure.
"""

import json
import re
import subprocess

import pytest

from conftest import THAW_BIN, boto_client, create_function
from invoke_util import http_request, unique, wait_for
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


@pytest.fixture(scope="module", params=["event", "sqs", "sns"])
def via_run(request, server, examples, tmp_path_factory):
    via = request.param
    out = tmp_path_factory.mktemp("stress") / f"stress-{via}.json"
    res = stress(server, examples, out, "--via", via, "--timeout", "1")
    assert out.exists(), f"rc={res.returncode}\n{res.stdout}\n{res.stderr}"
    return via, res, json.loads(out.read_text())


def row(doc, behaviour):
    return next(r for r in doc["results"] if r["behaviour"] == behaviour)


TRACE_ROOT = "1-5759e988-bd862e3fe1be46a994272793"


def sns_drops_the_trace_header(server):
    """Why SNS cannot stop a loop, or None: a Publish's X-Amzn-Trace-Id must reach the
    function it invokes (Lambda counts the hops in its Lineage)."""
    lam = boto_client("lambda", server)
    name = unique("probe-trace")
    arn = create_function(lam, name, "echo")["FunctionArn"]
    sns = boto_client("sns", server)
    topic = sns.create_topic(Name=name)["TopicArn"]
    lam.add_permission(FunctionName=name, StatementId="sns", Action="lambda:InvokeFunction",
                       Principal="sns.amazonaws.com", SourceArn=topic)
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
    header = f"Root={TRACE_ROOT};Parent=53995c3f42cd8ad8;Sampled=1"
    sns.meta.events.register("before-sign.sns.Publish",
                             lambda request, **_: request.headers.add_header(
                                 "X-Amzn-Trace-Id", header))
    sns.publish(TopicArn=topic, Message="{}")

    def record():
        _, _, body = http_request(server, "GET", f"/thaw/invocations?function={name}")
        return json.loads(body)["invocations"]
    [got] = wait_for(record, 10, interval=0.1, what="the probe's invocation record")
    sns.delete_topic(TopicArn=topic)
    if got["trace"]["root"] == TRACE_ROOT:
        return None
    return ("SNS does not carry the publisher's X-Amzn-Trace-Id to Lambda, so recursive "
            f"loop detection cannot count hops through a topic (the function's trace root was "
            f"{got['trace']['root'] or 'none'})")


_probed = {}


def why_failed(via, server, r):
    """What a failed row's assertion says: the row, and for selfsend through SNS the probe's
    finding on the trace header."""
    if r["verdict"] == "pass" or (via, r["behaviour"]) != ("sns", "selfsend"):
        return str(r)
    if "trace" not in _probed:
        _probed["trace"] = sns_drops_the_trace_header(server)
    return f"{r}: {_probed['trace'] or 'the probe found the trace header carried'}"


def test_table_and_json(via_run, server):
    via, res, doc = via_run
    assert (doc["via"], doc["retryDelayScale"]) == (via, float(SCALE))
    assert [r["behaviour"] for r in doc["results"]] == VIA_BEHAVIOURS
    for r in doc["results"]:
        assert r["via"] == via
        assert r["function"] == f"thaw-stress-{via}-{r['behaviour']}"
        assert r["verdict"] == "pass", why_failed(via, server, r)
        assert r["recovered"] is True, r
    assert (doc["passed"], doc["failed"]) == (4, 0)
    assert res.returncode == 0, res.stdout + res.stderr
    header = res.stdout.splitlines()[0].split()
    assert header[:2] == ["BEHAVIOUR", "VIA"] and header[-1] == "VERDICT"
    assert all(line.split()[1] == via for line in res.stdout.splitlines()[1:5])


def test_failures_are_retried_then_dead_lettered(via_run):
    via, _, doc = via_run
    for behaviour in ["loop", "panic", "exit"]:
        observed = row(doc, behaviour)["observed"]
        if via in ("event", "sns"):
            # Retries after 60 s and 120 s, scaled by 0.01.
            assert "+0.60 s" in row(doc, behaviour)["expected"]
            assert re.match(r"3 attempts \(\+[\d.]+ s, \+[\d.]+ s\)", observed), observed
            assert "OnFailure RetriesExhausted x3" in observed
            assert "DLQ RequestID, ErrorCode 200, ErrorMessage" in observed
            if via == "sns":
                # The event the function got (the OnFailure record's requestPayload) is the
                # publish's events.SNSEvent.
                assert row(doc, behaviour)["expected"].startswith("SNS's Event invoke: ")
                assert "; SNSEvent ok; " in observed, observed
        else:
            # Redelivered after each visibility timeout (2 s; the verdict checks the gaps), three
            # receives, then the DLQ.
            assert "2 s apart (visibility timeout)" in row(doc, behaviour)["expected"]
            assert re.match(r"3 receives \(\+[\d.]+ s, \+[\d.]+ s\), DLQ", observed), observed
            assert "DLQ (ReceiveCount" in observed


def test_recursion_is_stopped_at_sixteen(via_run, server):
    via, _, doc = via_run
    # Through SNS too: the publish's trace header reaches the next hop, so the 17th is dropped
    # (not the function's own stop at 24).
    r = row(doc, "selfsend")
    assert r["observed"] == '16 hops, 1 dropped, DLQ {"hop":17}', why_failed(via, server, r)


def test_nothing_left_behind(via_run, server):
    via, _, _ = via_run
    names = [f["FunctionName"] for f in boto_client("lambda", server).list_functions()["Functions"]]
    assert not [n for n in names if n.startswith(f"thaw-stress-{via}-")], names
    queues = sqs_client(server.url).list_queues(QueueNamePrefix="thaw-stress-")
    assert not queues.get("QueueUrls"), queues
    topics = [t["TopicArn"] for t in boto_client("sns", server).list_topics()["Topics"]]
    assert not [t for t in topics if ":thaw-stress-" in t], topics
    mappings = boto_client("lambda", server).list_event_source_mappings()["EventSourceMappings"]
    assert not [m for m in mappings if m["State"] != "Deleting"], mappings


def test_unknown_behaviour_for_via(server, examples, tmp_path):
    res = stress(server, examples, tmp_path / "x.json", "--via", "sqs", "--only", "eventbomb")
    assert res.returncode == 2
    assert "unknown behaviour 'eventbomb' for --via sqs; known: loop panic exit selfsend" in (
        res.stderr)
