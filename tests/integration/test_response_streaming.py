"""Response streaming: InvokeWithResponseStream (vnd.amazon.eventstream with PayloadChunk and
InvokeComplete events) read by boto3 and by the AWS SDK for Go v2, against functions that stream
through the Runtime API (aws-lambda-go's io.Reader response, Node's
awslambda.streamifyResponse), and what a plain Invoke of such a function returns."""

import base64
import json
import re
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import ROLE, ROOT, boto_client, module_server
from invoke_util import REPORT_RE, make, unique

server = module_server(examples=True)


@pytest.fixture(scope="module")
def lam(server):
    return boto_client("lambda", server)


@pytest.fixture(scope="module")
def streamer(lam):
    return make(lam, "streamer", "streamer", Timeout=30)


def read_stream(resp):
    """[(seconds since the call, kind, payload or the InvokeComplete dict)] as boto3 yields
    them, one at a time, off the open connection."""
    start = time.monotonic()
    events = []
    for event in resp["EventStream"]:
        at = time.monotonic() - start
        if "PayloadChunk" in event:
            events.append((at, "chunk", event["PayloadChunk"]["Payload"]))
        elif "InvokeComplete" in event:
            events.append((at, "complete", event["InvokeComplete"]))
    return events


def stream(lam, name, event, **kwargs):
    start = time.monotonic()
    resp = lam.invoke_with_response_stream(FunctionName=name, Payload=json.dumps(event), **kwargs)
    head_s = time.monotonic() - start
    return resp, head_s, read_stream(resp)


def chunks_of(events):
    return b"".join(p for _, kind, p in events if kind == "chunk")


def complete_of(events):
    kinds = [kind for _, kind, _ in events]
    assert kinds.count("complete") == 1 and kinds[-1] == "complete", kinds
    return events[-1][2]


def test_chunks_arrive_as_the_function_writes_them(lam, streamer):
    resp, _, events = stream(lam, streamer, {"chunks": 5, "delayMs": 400})
    assert resp["StatusCode"] == 200
    assert resp["ExecutedVersion"] == "$LATEST"
    headers = resp["ResponseMetadata"]["HTTPHeaders"]
    assert headers["content-type"] == "application/vnd.amazon.eventstream"
    assert headers.get("x-amzn-requestid")
    assert chunks_of(events) == b"".join(f"chunk {i}\n".encode() for i in range(5))
    chunk_times = [at for at, kind, _ in events if kind == "chunk"]
    assert len(chunk_times) >= 3, events  # one event per runtime chunk, not one at the end
    complete_at = events[-1][0]
    # The function writes for 1.6 s after its first chunk: the caller has it long before the end.
    assert complete_at - chunk_times[0] > 1.0, events
    assert complete_of(events) == {}


def test_error_mid_stream_ends_with_invoke_complete_error(lam, streamer):
    _, _, events = stream(lam, streamer, {"chunks": 5, "failAfter": 2, "delayMs": 50})
    assert chunks_of(events) == b"chunk 0\nchunk 1\n"
    complete = complete_of(events)
    assert complete["ErrorCode"] == "errorString", complete
    assert complete["ErrorDetails"] == "streamer failed mid-stream", complete


def test_timeout_mid_stream(lam):
    name = make(lam, "streamer-timeout", "streamer", Timeout=2)
    _, _, events = stream(lam, name, {"chunks": 20, "delayMs": 300})
    got = chunks_of(events)
    assert got.startswith(b"chunk 0\n") and b"chunk 19" not in got, got
    complete = complete_of(events)
    assert complete["ErrorCode"] == "Sandbox.Timedout", complete
    assert "Task timed out after 2.00 seconds" in complete["ErrorDetails"], complete


def test_tail_log_in_invoke_complete(lam, streamer):
    _, _, events = stream(lam, streamer, {"chunks": 2}, LogType="Tail")
    complete = complete_of(events)
    log = base64.b64decode(complete["LogResult"]).decode()
    assert any(re.match(REPORT_RE.format(rid=r"[0-9a-f-]+"), line)
               for line in log.splitlines()), log


def test_function_that_does_not_stream_is_one_chunk(lam):
    name = make(lam, "echo", "echo")
    _, _, events = stream(lam, name, {"hello": "world"})
    chunks = [p for _, kind, p in events if kind == "chunk"]
    assert len(chunks) == 1
    assert json.loads(chunks[0]) == {"hello": "world"}
    assert complete_of(events) == {}


def test_plain_invoke_of_streaming_function_returns_the_whole(lam, streamer):
    resp = lam.invoke(FunctionName=streamer, Payload=json.dumps({"chunks": 4, "delayMs": 20}))
    assert resp["StatusCode"] == 200
    assert "FunctionError" not in resp
    assert resp["Payload"].read() == b"chunk 0\nchunk 1\nchunk 2\nchunk 3\n"


def test_function_url_response_keeps_the_http_prelude(lam, streamer):
    _, _, events = stream(lam, streamer, {"chunks": 2, "url": True})
    body = chunks_of(events)
    prelude, sep, rest = body.partition(b"\0" * 8)
    assert sep, body
    assert json.loads(prelude) == {"statusCode": 200, "headers": {"Content-Type": "text/plain"}}
    assert rest == b"chunk 0\nchunk 1\n"


def test_errors_before_the_stream_are_aws_errors(lam):
    with pytest.raises(ClientError) as e:
        lam.invoke_with_response_stream(FunctionName=unique("missing"), Payload=b"{}")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_big_stream_is_paced_after_6_mb(lam, streamer):
    # 10 MiB: the first 6 MiB pass at once, the other 4 MiB at 2 MiB/s: at least 2 s.
    start = time.monotonic()
    _, _, events = stream(lam, streamer, {"chunks": 40, "size": 256 * 1024})
    elapsed = time.monotonic() - start
    assert len(chunks_of(events)) == 40 * 256 * 1024
    assert complete_of(events) == {}
    assert elapsed > 1.9, elapsed


def test_small_stream_is_not_paced(lam, streamer):
    start = time.monotonic()
    _, _, events = stream(lam, streamer, {"chunks": 16, "size": 256 * 1024})
    assert len(chunks_of(events)) == 16 * 256 * 1024
    assert time.monotonic() - start < 1.8  # 4 MiB, all within the unthrottled part


@pytest.fixture(scope="module")
def go_client(tmp_path_factory):
    """tests/go/streamclient, built with the Go toolchain (the module proxy or its cache)."""
    go = shutil.which("go") or "/usr/local/go/bin/go"
    if not os.access(go, os.X_OK):
        pytest.fail("no Go toolchain (scripts/setup.sh installs it)")
    out = tmp_path_factory.mktemp("go") / "streamclient"
    subprocess.run([go, "build", "-o", str(out), "."], cwd=ROOT / "tests" / "go" / "streamclient",
                   check=True, timeout=600, env=dict(os.environ, CGO_ENABLED="0"))
    return out


def go_stream(go_client, server, name, event):
    # The SDK for Go v2 sometimes closes its own connection under a stream it is still reading
    # ("use of closed network connection": aws/aws-sdk-go-v2 issues 1825 and 2737, the
    # transport's write loop closing the conn). Only that error is retried, at most twice.
    for _ in range(3):
        proc = subprocess.run([str(go_client), server.url, name, json.dumps(event)],
                              capture_output=True, text=True, timeout=60)
        if "use of closed network connection" not in proc.stderr:
            break
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()], proc.stderr


def test_go_sdk_reads_the_stream_incrementally(go_client, server, streamer):
    events, stderr = go_stream(go_client, server, streamer, {"chunks": 4, "delayMs": 400})
    assert "status 200 version $LATEST" in stderr
    chunks = [e for e in events if "chunk" in e]
    assert "".join(e["chunk"] for e in chunks) == "chunk 0\nchunk 1\nchunk 2\nchunk 3\n"
    assert "complete" in events[-1]
    assert events[-1]["t"] - chunks[0]["t"] > 0.8, events
    complete = events[-1]["complete"]
    assert complete["errorCode"] == ""
    assert "REPORT RequestId:" in base64.b64decode(complete["logResult"]).decode()


def test_go_sdk_sees_error_mid_stream(go_client, server, streamer):
    events, _ = go_stream(go_client, server, streamer, {"chunks": 4, "failAfter": 1})
    assert [e["chunk"] for e in events if "chunk" in e] == ["chunk 0\n"]
    assert events[-1]["complete"]["errorCode"] == "errorString"


NODE_TREE = Path(os.environ.get("THAW_RUNTIMES_DIR", "/usr/local/lib/thaw/runtimes")) / "nodejs"


@pytest.fixture(scope="module")
def node_streamer(lam):
    if not (NODE_TREE / "bootstrap").exists():
        reason = f"no managed Node.js runtime at {NODE_TREE}: run scripts/setup-node-runtime.sh"
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true: " + reason)
        pytest.skip(reason)
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo("index.js")
        info.external_attr = 0o644 << 16
        z.writestr(info, (ROOT / "examples/functions/nodejs/streaming/index.js").read_text())
    name = unique("node-stream")
    lam.create_function(FunctionName=name, Runtime="nodejs20.x", Role=ROLE,
                        Handler="index.handler", Code={"ZipFile": buf.getvalue()}, Timeout=10)
    return name


def test_node_streamify_response(lam, node_streamer):
    _, _, events = stream(lam, node_streamer, {"chunks": 4, "delayMs": 300})
    assert chunks_of(events) == b"chunk 0\nchunk 1\nchunk 2\nchunk 3\n"
    chunk_times = [at for at, kind, _ in events if kind == "chunk"]
    assert events[-1][0] - chunk_times[0] > 0.6, events
    assert complete_of(events) == {}


def test_node_streamify_error_mid_stream(lam, node_streamer):
    _, _, events = stream(lam, node_streamer, {"chunks": 4, "fail": True, "delayMs": 50})
    assert chunks_of(events) == b"chunk 0\n"
    complete = complete_of(events)
    assert complete["ErrorCode"] == "Error", complete
    assert "node stream failed" in complete["ErrorDetails"], complete


def test_bench_stream_shows_time_to_first_byte(server, streamer, tmp_path):
    from conftest import THAW_BIN
    payload = tmp_path / "event.json"
    payload.write_text(json.dumps({"chunks": 3, "delayMs": 100}))
    env = {k: v for k, v in os.environ.items() if k != "THAW_ENDPOINT"}
    cmd = [str(THAW_BIN), "--endpoint", server.url, "bench", streamer, "--stream", "-n", "12",
           "--warmup", "1", "--payload", str(payload)]
    text = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert text.returncode == 0, text.stderr
    assert "first byte, warm" in text.stdout, text.stdout
    res = subprocess.run(cmd + ["--json", "-"], capture_output=True, text=True, env=env,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["errors"]["total"] == 0, report["errors"]
    first = report["time_to_first_byte"]["warm"]
    total = report["client_latency"]["warm"]
    assert first["count"] == total["count"] > 0
    # The first chunk leaves at once; the whole takes the two 100 ms sleeps more.
    assert first["percentiles"]["p50"]["value"] + 150 < total["percentiles"]["p50"]["value"], (
        first, total)
    print(text.stdout)


def test_plain_invoke_of_node_streaming_function_returns_the_whole(lam, node_streamer):
    resp = lam.invoke(FunctionName=node_streamer, Payload=json.dumps({"chunks": 3}))
    assert resp["StatusCode"] == 200
    assert "FunctionError" not in resp
    assert resp["Payload"].read() == b"chunk 0\nchunk 1\nchunk 2\n"
