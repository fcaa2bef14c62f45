"""Invocation records of event source mappings, read back with real clients: boto3 creates a
Kinesis stream and a mapping to the Go function streamprobe (PROBE_SOURCE=kinesis; a record with
"poison" fails its batch), puts records, and GET /thaw/invocations and `thaw invocations` must
show each invocation's mapping UUID, shard, sequence range (as PutRecord returned them), batch
size, attempt and bisection; then `thaw report --stream` draws them. An SQS mapping's records
carry its UUID and queue ARN. The server runs with --retry-delay-scale 0.01."""

import json
import os
import subprocess

import pytest

from conftest import THAW_BIN, boto_client, create_function, module_server
from invoke_util import http_request, unique, wait_for
from sqs_util import sqs_client

server = module_server("--esm-transition-ms", "150", "--retry-delay-scale", "0.01",
                       examples=True)


@pytest.fixture(scope="module")
def lam(server):
    return boto_client("lambda", server)


@pytest.fixture(scope="module")
def kin(server):
    return boto_client("kinesis", server)


def stream(kin, shards=1):
    name = unique("rstream")
    kin.create_stream(StreamName=name, ShardCount=shards)
    kin.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    return name, kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
        "StreamARN"]


def probe(lam):
    name = unique("rprobe")
    create_function(lam, name, "streamprobe", Timeout=10,
                    Environment={"Variables": {"PROBE_SOURCE": "kinesis"}})
    return name


def put(kin, name, key, **data):
    return kin.put_record(StreamName=name, PartitionKey=key,
                          Data=json.dumps({"key": key, **data}).encode())


def records(server, function):
    """The function's invocation records, oldest first."""
    status, _, body = http_request(server, "GET",
                                   f"/thaw/invocations?function={function}&limit=1000")
    assert status == 200, body
    return list(reversed(json.loads(body)["invocations"]))


def wait_records(server, function, n, timeout=15):
    return wait_for(lambda: (lambda r: r if len(r) >= n else None)(records(server, function)),
                    timeout, interval=0.1, what=f"{n} invocation records of {function}")


def thaw(server, *args):
    env = {k: v for k, v in os.environ.items() if k != "THAW_ENDPOINT"}
    res = subprocess.run([str(THAW_BIN), "--endpoint", server.url, *map(str, args)],
                         capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 0, f"thaw {args}: {res.returncode}\n{res.stdout}\n{res.stderr}"
    return res.stdout


def test_a_batch_record_names_its_mapping_shard_and_range(server, lam, kin):
    name, arn = stream(kin)
    fn = probe(lam)
    sent = [put(kin, name, "same", i=i) for i in range(3)]
    uuid = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=arn, BatchSize=10,
                                           StartingPosition="TRIM_HORIZON")["UUID"]
    [r] = wait_records(server, fn, 1)
    src = r["eventSource"]
    assert src["mappingUuid"] == uuid
    assert src["eventSourceArn"] == arn
    assert src["shardId"] == sent[0]["ShardId"] == "shardId-000000000000"
    assert src["startSequenceNumber"] == sent[0]["SequenceNumber"]
    assert src["endSequenceNumber"] == sent[-1]["SequenceNumber"]
    assert src["batchSize"] == 3
    assert src["attempt"] == 1 and src["bisected"] is False
    assert r["status"] == "success"
    # The records waited on the stream since their puts, which came before the mapping.
    assert src["approximateArrivalOfFirstRecord"] <= src["approximateArrivalOfLastRecord"]
    assert src["approximateArrivalOfFirstRecord"] <= src["invokedTime"]
    # Both in whole ms from different stamps: the handler's side may round 1 ms lower.
    assert 0 <= src["iteratorAgeMs"] <= src["putToHandlerMs"] + 1 < 15000
    # The CLI's table shows the batch too.
    out = thaw(server, "invocations", fn)
    assert "EVENT SOURCE" in out.splitlines()[0]
    assert f"shardId-000000000000 ..{sent[0]['SequenceNumber'][-8:]}-" in out
    assert "n=3 try 1" in out


def test_a_failing_batch_is_retried_as_attempt_2(server, lam, kin):
    name, arn = stream(kin)
    fn = probe(lam)
    seq = put(kin, name, "bad", poison=True)["SequenceNumber"]
    lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=arn, BatchSize=10,
                                    StartingPosition="TRIM_HORIZON", MaximumRetryAttempts=2)
    got = wait_records(server, fn, 3)
    assert sorted(r["eventSource"]["attempt"] for r in got) == [1, 2, 3]
    assert {r["status"] for r in got} == {"error"}
    for r in got:
        assert r["eventSource"]["startSequenceNumber"] == seq == r["eventSource"][
            "endSequenceNumber"]
        assert r["eventSource"]["bisected"] is False
    assert "n=1 try 2" in thaw(server, "invocations", fn)


def test_bisected_halves_are_marked(server, lam, kin):
    name, arn = stream(kin)
    fn = probe(lam)
    seqs = [put(kin, name, f"k{i}", **({"poison": True} if i == 3 else {}))["SequenceNumber"]
            for i in range(4)]
    lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=arn, BatchSize=4,
                                    StartingPosition="TRIM_HORIZON", MaximumRetryAttempts=0,
                                    BisectBatchOnFunctionError=True)
    # 4 (fails) -> 2 ok + 2 (fails) -> 1 ok + 1 (fails, given up)
    got = wait_records(server, fn, 5)
    # Records are listed as invocations end, and a failed half's environment can end after the
    # next half has run elsewhere, so compare without order.
    shapes = sorted((r["eventSource"]["batchSize"], r["eventSource"]["bisected"], r["status"],
                     r["eventSource"]["startSequenceNumber"], r["eventSource"]["endSequenceNumber"])
                    for r in got)
    assert shapes == sorted([(4, False, "error", seqs[0], seqs[3]),
                             (2, True, "success", seqs[0], seqs[1]),
                             (2, True, "error", seqs[2], seqs[3]),
                             (1, True, "success", seqs[2], seqs[2]),
                             (1, True, "error", seqs[3], seqs[3])]), shapes
    assert "half" in thaw(server, "invocations", fn)


def test_an_sqs_batch_record_names_its_mapping_and_queue(server, lam):
    sqs = sqs_client(server.url)
    url = sqs.create_queue(QueueName=unique("rq"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    fn = unique("recho")
    create_function(lam, fn, "echo")
    uuid = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=queue_arn,
                                           BatchSize=10)["UUID"]
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    [r] = wait_records(server, fn, 1)
    src = r["eventSource"]
    assert src["mappingUuid"] == uuid and src["eventSourceArn"] == queue_arn
    assert src["batchSize"] == 1 and src["attempt"] == 1
    assert "shardId" not in src


def test_report_draws_the_stream_section(server, lam, kin, tmp_path):
    """The real path: a 2-shard stream, a mapping, puts, then `thaw invocations --json` and
    `thaw report --stream`; the section's data matches the records."""
    name, arn = stream(kin, shards=2)
    fn = probe(lam)
    sent = [put(kin, name, f"key-{i}", i=i) for i in range(40)]
    sent.append(put(kin, name, "key-0", poison=True))  # fails once: MaximumRetryAttempts=1
    shards = sorted({s["ShardId"] for s in sent})
    assert len(shards) == 2, "the keys should hash to both shards"
    lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=arn, BatchSize=8,
                                    StartingPosition="TRIM_HORIZON", MaximumRetryAttempts=1)
    # Every record delivered (the poison one twice, then given up).
    wait_for(lambda: sum(r["eventSource"]["batchSize"] for r in records(server, fn)
                         if r["eventSource"]["attempt"] == 1) >= 41 and
             any(r["eventSource"]["attempt"] == 2 for r in records(server, fn)), 20,
             interval=0.2, what="every record delivered and the retry")
    got = records(server, fn)
    listing = tmp_path / "stream.json"
    listing.write_text(thaw(server, "invocations", fn, "--json", "-n", 10000))
    out = tmp_path / "report"
    thaw(server, "report", "--stream", listing, "--out", out)
    data = json.loads((out / "report.json").read_text())
    section = next(s for s in data["sections"] if s["id"] == "stream")
    assert section["status"] == "ok"
    charts = {c["id"]: c for c in section["charts"]}
    assert set(charts) == {"stream-iterator-age", "stream-batch-size", "stream-attempts",
                           "stream-put-to-handler"}
    age = charts["stream-iterator-age"]
    assert sorted(s["name"] for s in age["series"]) == shards
    assert age["points"] == len(got)
    sizes = {p[0]: p[1] for p in charts["stream-batch-size"]["series"][0]["points"]}
    assert sum(sizes.values()) == len(got)
    assert int(max(sizes, key=int)) <= 8
    whole = {p[0]: p[1] for p in charts["stream-attempts"]["series"][0]["points"]}
    assert whole["2"] >= 1 and sum(whole.values()) == len(got)
    cdf = charts["stream-put-to-handler"]["series"][0]["points"]
    assert len(cdf) == len(got) and cdf[-1][1] == 1.0
    assert all(a[0] <= b[0] for a, b in zip(cdf, cdf[1:]))
    rows = {row[0]: row for row in section["tables"][0]["rows"]}
    assert sorted(rows) == shards
    assert sum(int(row[2]) for row in rows.values()) == 41  # records of first attempts
    assert "41 records" in section["note"]
    html = (out / "report.html").read_text()
    assert 'id="stream-iterator-age"' in html and 'id="stream"' in html
