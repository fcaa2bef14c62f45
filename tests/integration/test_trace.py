"""Traces without synchronized clocks (issue 5, part 5): the trace context through every hop
thaw controls, hybrid logical clock stamps, PutTraceSegments, `thaw trace` and its Perfetto
and OTLP exports.

The chain example (examples/functions/go/chain) calls the next function of a list through the
Invoke API and sends its handler span with PutTraceSegments. Each function's clock is set off
with THAW_SKEW_OFFSET_NS: a simulation, since one machine has one clock.
"""

import json
import subprocess
import time

import pytest

from conftest import ROOT, THAW_BIN, boto_client, create_function
from invoke_util import http_request, unique, wait_for

CHAIN = ROOT / "build" / "examples" / "go" / "chain.zip"
ROOT_ID = "1-%08x-%s"


@pytest.fixture(scope="module", autouse=True)
def _zip():
    if not CHAIN.exists():
        pytest.skip(f"{CHAIN} missing: run scripts/build-examples.sh")


def new_root():
    return ROOT_ID % (int(time.time()), unique("r").encode().hex()[-24:].rjust(24, "0"))


def chain(lam, offsets_ms):
    """Deploys one chain function per offset; returns their names, first to last."""
    names = []
    for i, offset in enumerate(offsets_ms):
        name = unique(f"chain{i}")
        create_function(lam, name, CHAIN, Timeout=30, Environment={
            "Variables": {"THAW_SKEW_OFFSET_NS": str(int(offset * 1_000_000))}})
        names.append(name)
    return names


def run_chain(server, names, root):
    status, headers, body = http_request(
        server, "POST", f"/2015-03-31/functions/{names[0]}/invocations",
        json.dumps({"next": names[1:]}).encode(),
        {"Content-Type": "application/json",
         "X-Amzn-Trace-Id": f"Root={root};Parent=53995c3f42cd8ad8;Sampled=1"})
    assert status == 200 and "x-amz-function-error" not in headers, body
    return json.loads(body)


def get_trace(server, root, fmt="json", want=None):
    def fetch():
        status, _, body = http_request(server, "GET", f"/thaw/traces/{root}?format={fmt}")
        if status != 200:
            return None
        return body
    if want is not None:
        # Records reach the store about 100 ms after an invocation ends.
        wait_for(lambda: (b := fetch()) and len(json.loads(b)["spans"]) >= want, 10,
                 what=f"{want} spans in trace {root}")
    body = fetch()
    assert body is not None
    return body


def thaw_cli(server, *args):
    return subprocess.run([str(THAW_BIN), "--endpoint", server.url, *args],
                          capture_output=True, text=True, timeout=60)


def test_skewed_chain_timestamps_wrong_causal_order_right(thaw_server):
    lam = boto_client("lambda", thaw_server)
    # B's clock 2 s behind, C's 150 ms ahead: B's handler "starts" before A called it, even
    # with B's cold start (at 128 MB, on a loaded machine) in between.
    names = chain(lam, [0, -2000, 150])
    root = new_root()
    out = run_chain(thaw_server, names, root)
    assert out["function"] == names[0]

    view = json.loads(get_trace(thaw_server, root, want=6))
    spans = {s["id"]: s for s in view["spans"]}
    assert len(spans) == 6
    kinds = sorted(s["kind"] for s in spans.values())
    assert kinds == ["invocation"] * 3 + ["segment"] * 3

    # The tree: invocation A -> A's handler -> invocation B -> B's handler -> C -> C's handler.
    tree = [(spans[t["id"]]["kind"], spans[t["id"]]["name"], t["depth"]) for t in view["tree"]]
    assert tree == [("invocation", names[0], 0), ("segment", names[0] + " handler", 1),
                    ("invocation", names[1], 2), ("segment", names[1] + " handler", 3),
                    ("invocation", names[2], 4), ("segment", names[2] + " handler", 5)], tree
    by_name = {s["name"]: s for s in spans.values()}
    a_handler, b_handler = by_name[names[0] + " handler"], by_name[names[1] + " handler"]

    # Timestamp order is wrong: B's handler starts before A's handler, the one that called it.
    assert b_handler["startNs"] < a_handler["startNs"]
    ts = view["timestampOrder"]
    assert ts.index(b_handler["id"]) < ts.index(a_handler["id"])
    inverted = {i["span"] for i in view["inversions"]}
    assert b_handler["id"] in inverted
    # Causal order is right: every span comes after all of its ancestors.
    causal = view["causalOrder"]
    for sid, s in spans.items():
        parent = s["parent"]
        while parent in spans:
            assert causal.index(parent) < causal.index(sid), (parent, sid)
            parent = spans[parent]["parent"]
    hlc = lambda s: tuple(map(int, s.split(".")))  # noqa: E731
    assert hlc(a_handler["hlcStart"]) < hlc(b_handler["hlcStart"])
    # Every invocation's HLC window closes after its callee's handler ended.
    inv_a = by_name[names[0]]
    assert hlc(inv_a["hlcEnd"]) > hlc(b_handler["hlcEnd"])

    text = thaw_cli(thaw_server, "trace", root)
    assert text.returncode == 0, text.stderr
    assert "clock says" in text.stdout and names[1] + " handler" in text.stdout
    assert "timestamp order is wrong there" in text.stdout


def test_exports_open_as_perfetto_and_otlp(thaw_server, tmp_path):
    lam = boto_client("lambda", thaw_server)
    names = chain(lam, [0, -300])
    root = new_root()
    run_chain(thaw_server, names, root)
    get_trace(thaw_server, root, want=4)

    chrome_file = tmp_path / "trace.json"
    res = thaw_cli(thaw_server, "trace", root, "--format", "chrome", "-o", str(chrome_file))
    assert res.returncode == 0, res.stderr
    chrome = json.loads(chrome_file.read_text())
    events = chrome["traceEvents"]
    slices = [e for e in events if e["ph"] == "X"]
    starts = {e["id"]: e for e in events if e["ph"] == "s"}
    ends = {e["id"]: e for e in events if e["ph"] == "f"}
    assert len(slices) == 4
    assert len(starts) == len(ends) == 3  # one arrow per parent link
    for fid, f in ends.items():
        s = starts[fid]
        child = [x for x in slices if x["pid"] == f["pid"] and x["tid"] == f["tid"]]
        parent = [x for x in slices if x["pid"] == s["pid"] and x["tid"] == s["tid"]]
        assert len(child) == 1 and len(parent) == 1
        assert f["ts"] == child[0]["ts"] and f["bp"] == "e"
        assert parent[0]["ts"] <= s["ts"] <= parent[0]["ts"] + parent[0]["dur"]
    names_seen = {e["args"]["name"] for e in events if e["ph"] == "M" and
                  e["name"] == "process_name"}
    assert set(names) <= names_seen
    assert chrome["otherData"]["traceId"] == root

    res = thaw_cli(thaw_server, "trace", f"Root={root};Parent=53995c3f42cd8ad8", "--format",
                   "otlp")
    assert res.returncode == 0, res.stderr
    otlp = json.loads(res.stdout)
    spans = [s for rs in otlp["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]
    assert len(spans) == 4
    ids = {s["spanId"] for s in spans}
    want_trace = root[2:10] + root[11:]
    for s in spans:
        assert s["traceId"] == want_trace and len(s["spanId"]) == 16
        assert int(s["endTimeUnixNano"]) >= int(s["startTimeUnixNano"]) > 0
        if "parentSpanId" in s and s["parentSpanId"] != "53995c3f42cd8ad8":
            assert s["parentSpanId"] in ids
    services = {rs["resource"]["attributes"][0]["value"]["stringValue"]
                for rs in otlp["resourceSpans"]}
    assert set(names) <= services


def test_put_trace_segments_with_boto3(thaw_server):
    xray = boto_client("xray", thaw_server)
    root = new_root()
    now = time.time()
    good = {"trace_id": root, "id": "70de5b6f19ff9a0a", "name": "ec2-host",
            "start_time": now, "end_time": now + 0.002,
            "annotations": {"thaw_hlc_start": f"{int(now * 1e9)}.0"},
            "subsegments": [{"id": "70de5b6f19ff9a0b", "name": "db", "start_time": now + 0.0005,
                             "end_time": now + 0.001}]}
    bad = {"trace_id": "nope", "id": "70de5b6f19ff9a0c", "name": "x", "start_time": now,
           "end_time": now}
    resp = xray.put_trace_segments(TraceSegmentDocuments=[json.dumps(good), json.dumps(bad)])
    unprocessed = resp["UnprocessedTraceSegments"]
    assert [u["Id"] for u in unprocessed] == ["70de5b6f19ff9a0c"]
    assert "trace_id" in unprocessed[0]["Message"]

    view = json.loads(get_trace(thaw_server, root, want=2))
    by_id = {s["id"]: s for s in view["spans"]}
    assert by_id["70de5b6f19ff9a0b"]["parent"] == "70de5b6f19ff9a0a"
    assert by_id["70de5b6f19ff9a0b"]["service"] == "ec2-host"
    assert abs(by_id["70de5b6f19ff9a0a"]["startNs"] - int(now * 1e9)) < 2000


def test_bad_requests_get_clear_errors(thaw_server):
    status, headers, body = http_request(thaw_server, "POST", "/TraceSegments", b"{not json")
    assert status == 400 and headers["x-amzn-errortype"] == "InvalidRequestException", body
    status, headers, body = http_request(thaw_server, "GET",
                                         f"/thaw/traces/{new_root()}?format=json")
    assert status == 404 and headers["x-amzn-errortype"] == "ResourceNotFoundException"
    status, _, body = http_request(thaw_server, "GET", f"/thaw/traces/{new_root()}?format=svg")
    assert status == 400 and b"format must be" in body
    res = thaw_cli(thaw_server, "trace", new_root())
    assert res.returncode == 1 and "no invocation or segment has trace" in res.stderr
    res = thaw_cli(thaw_server, "trace", "a/b")
    assert res.returncode == 2


def test_async_queue_carries_the_trace(thaw_server):
    lam = boto_client("lambda", thaw_server)
    names = chain(lam, [0, -300])
    root = new_root()
    caller_hlc = time.time_ns() + 2_000_000_000  # a caller whose clock is 2 s ahead
    status, headers, body = http_request(
        thaw_server, "POST", f"/2015-03-31/functions/{names[0]}/invocations",
        json.dumps({"next": names[1:]}).encode(),
        {"Content-Type": "application/json", "X-Amz-Invocation-Type": "Event",
         "X-Amzn-Trace-Id": f"Root={root};Parent=53995c3f42cd8ad8;Sampled=1;"
                            f"Hlc={caller_hlc}.0"})
    assert status == 202, body
    view = json.loads(get_trace(thaw_server, root, want=4))
    spans = {s["id"]: s for s in view["spans"]}
    first = [s for s in spans.values() if s["kind"] == "invocation" and s["name"] == names[0]]
    assert len(first) == 1
    inv = first[0]
    assert inv["parent"] == "53995c3f42cd8ad8" and inv["attributes"]["async"] is True
    # The queued stamp was taken in: the invocation is causally after its caller.
    assert tuple(map(int, inv["hlcStart"].split("."))) > (caller_hlc, 0)
    tree = [(spans[t["id"]]["name"], t["depth"]) for t in view["tree"]]
    assert tree == [(names[0], 0), (names[0] + " handler", 1), (names[1], 2),
                    (names[1] + " handler", 3)], tree


def test_cli_invoke_sends_the_trace_header(thaw_server):
    lam = boto_client("lambda", thaw_server)
    names = chain(lam, [0])
    root = new_root()
    res = thaw_cli(thaw_server, "invoke", names[0], "--payload", "{}", "--trace-id",
                   f"Root={root};Parent=53995c3f42cd8ad8;Sampled=1")
    assert res.returncode == 0, res.stderr
    seen = dict(p.split("=", 1) for p in json.loads(res.stdout)["trace"].split(";"))
    assert seen["Root"] == root and seen["Sampled"] == "1" and "Hlc" in seen
    view = json.loads(get_trace(thaw_server, root, want=2))
    assert {s["kind"] for s in view["spans"]} == {"invocation", "segment"}
