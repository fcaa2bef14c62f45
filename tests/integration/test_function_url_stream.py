"""Function URLs in RESPONSE_STREAM mode (issue 18) stream for real: the function's stream goes
out chunked as it is written. With the HTTP integration prelude (aws-lambda-go's
LambdaFunctionURLStreamingResponse, Node's awslambda.HttpResponseStream.from) its statusCode,
headers and cookies make the head; without one the answer is a 200 of the stream's bytes. A
function error after the head ends the stream without its last chunk (the client sees a
truncated body); before it, the 502 a BUFFERED URL answers. A function that does not stream is
answered whole. Clients: Python requests (stream=True) and curl --no-buffer.
Functions: examples/functions/go/streamer, go/urlecho, python/echo, nodejs/streaming."""

import io
import os
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
import requests

from conftest import ROLE, ROOT, boto_client, create_function, module_server
from invoke_util import unique

server = module_server("--no-sandbox", examples=True)
NODE_TREE = Path(os.environ.get("THAW_RUNTIMES_DIR", "/usr/local/lib/thaw/runtimes")) / "nodejs"


@pytest.fixture(scope="module")
def lam(server):
    return boto_client("lambda", server)


def url_for(lam, name, mode="RESPONSE_STREAM"):
    out = lam.create_function_url_config(FunctionName=name, AuthType="NONE", InvokeMode=mode)
    return out["FunctionUrl"]


@pytest.fixture(scope="module")
def streamer(lam):
    name = unique("urlstream")
    create_function(lam, name, "streamer", Timeout=30)
    return url_for(lam, name)


def host_of(url):
    return url.split("//", 1)[1].rstrip("/")


def get(server, url, query="", **kw):
    """A streamed GET to the URL by Host header; the caller reads it."""
    return requests.get(server.url + "/" + query, headers={"Host": host_of(url)}, stream=True,
                        timeout=60, **kw)


def read_timed(resp):
    """[(seconds since `resp` was opened, bytes)] per chunk as it arrives, and the error that
    ended the body early, if any."""
    start = time.monotonic()
    pieces, error = [], None
    try:
        for piece in resp.iter_content(chunk_size=None):
            pieces.append((time.monotonic() - start, piece))
    except requests.exceptions.ChunkedEncodingError as e:
        error = e
    return pieces, error


def body_of(pieces):
    return b"".join(p for _, p in pieces)


def test_first_chunk_arrives_long_before_the_function_ends(server, streamer):
    # Four lines 800 ms apart: the function runs >= 2.4 s after its first write.
    resp = get(server, streamer, "?chunks=4&delayMs=800")
    assert resp.status_code == 200
    assert resp.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in resp.headers
    pieces, error = read_timed(resp)
    assert error is None
    assert body_of(pieces) == b"chunk 0\nchunk 1\nchunk 2\nchunk 3\n"
    first = next(at for at, p in pieces if p)
    last = pieces[-1][0]
    # Buffered, all would arrive at once; streamed, the first is >= 2.4 s ahead (margin: 1.2 s).
    assert last - first > 1.2, pieces
    assert pieces[0][1].startswith(b"chunk 0"), pieces


def test_prelude_gives_status_headers_and_cookies(server, streamer):
    resp = get(server, streamer, "?chunks=2&status=207&cookie=flavour%3Doat%3B%20Path%3D%2F")
    assert resp.status_code == 207
    assert resp.headers["content-type"] == "text/plain"
    assert resp.headers["x-streamer"] == "1"
    assert resp.headers["x-amzn-requestid"]
    assert resp.cookies.get("flavour") == "oat"
    pieces, error = read_timed(resp)
    assert error is None and body_of(pieces) == b"chunk 0\nchunk 1\n"


def test_stream_without_prelude_is_200_octet_stream(server, streamer):
    resp = get(server, streamer, "?chunks=3&prelude=0")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/octet-stream"
    pieces, error = read_timed(resp)
    assert error is None and body_of(pieces) == b"chunk 0\nchunk 1\nchunk 2\n"


def test_error_after_the_first_chunk_ends_the_stream(server, streamer):
    resp = get(server, streamer, "?chunks=4&failAfter=1&delayMs=300")
    assert resp.status_code == 200  # the head went out with the first chunk
    pieces, error = read_timed(resp)
    assert body_of(pieces) == b"chunk 0\n"
    assert error is not None, "a failed stream must not look complete"


def test_curl_no_buffer_sees_the_first_line_early(server, streamer):
    curl = shutil.which("curl")
    if not curl:
        pytest.skip("no curl on PATH")
    proc = subprocess.Popen(
        [curl, "--no-buffer", "-sS", "-H", "Host: " + host_of(streamer),
         server.url + "/?chunks=3&delayMs=1000"], stdout=subprocess.PIPE)
    start = time.monotonic()
    first = proc.stdout.readline()
    first_at = time.monotonic() - start
    rest = proc.stdout.read()
    end_at = time.monotonic() - start
    assert proc.wait(timeout=30) == 0
    assert first == b"chunk 0\n" and rest == b"chunk 1\nchunk 2\n"
    assert end_at - first_at > 1.0, (first_at, end_at)


def test_errors_before_the_head_are_502(lam, server):
    name = unique("urlstream-err")
    create_function(lam, name, "urlecho")
    url = url_for(lam, name)
    resp = get(server, url, "?mode=error")
    assert resp.status_code == 502
    assert resp.headers["x-amzn-requestid"]


def test_go_prelude_from_an_io_reader(lam, server):
    name = unique("urlstream-echo")
    create_function(lam, name, "urlecho")
    url = url_for(lam, name)
    resp = get(server, url, "?mode=prelude")
    assert resp.status_code == 201
    assert resp.headers["x-streamed"] == "1" and resp.cookies.get("s") == "1"
    assert resp.content == b"streamed body"


def test_function_that_does_not_stream_is_answered_whole(lam, server):
    name = unique("urlstream-py")
    create_function(lam, name, "python/echo")
    url = url_for(lam, name)
    resp = get(server, url, "?x=1")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/json"
    assert "transfer-encoding" not in resp.headers
    assert int(resp.headers["content-length"]) == len(resp.content)
    assert resp.json()["event"]["rawQueryString"] == "x=1"


def test_buffered_url_is_unchanged(lam, server):
    name = unique("urlstream-buf")
    create_function(lam, name, "urlecho")
    url = url_for(lam, name, mode="BUFFERED")
    resp = get(server, url, "?mode=status&code=418")
    assert resp.status_code == 418 and resp.content == b"status"
    assert "transfer-encoding" not in resp.headers
    assert resp.headers["content-length"] == "6"
    assert get(server, url, "?mode=error").status_code == 502


@pytest.fixture(scope="module")
def node_url(lam):
    if not (NODE_TREE / "bootstrap").exists():
        reason = f"no managed Node.js runtime at {NODE_TREE}: run scripts/setup-node-runtime.sh"
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true: " + reason)
        pytest.skip(reason)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo("index.js")
        info.external_attr = 0o644 << 16
        z.writestr(info, (ROOT / "examples/functions/nodejs/streaming/index.js").read_text())
    name = unique("node-urlstream")
    lam.create_function(FunctionName=name, Runtime="nodejs20.x", Role=ROLE,
                        Handler="index.handler", Code={"ZipFile": buf.getvalue()}, Timeout=10)
    return url_for(lam, name)


def test_node_http_response_stream_from(server, node_url):
    resp = get(server, node_url, "?chunks=4&delayMs=700")
    assert resp.status_code == 202
    assert resp.headers["content-type"] == "text/plain"
    assert resp.headers["x-node-stream"] == "1"
    assert resp.cookies.get("node") == "1"
    pieces, error = read_timed(resp)
    assert error is None
    assert body_of(pieces) == b"chunk 0\nchunk 1\nchunk 2\nchunk 3\n"
    first = next(at for at, p in pieces if p)
    assert pieces[-1][0] - first > 1.0, pieces


def test_node_error_mid_stream_ends_the_stream(server, node_url):
    resp = get(server, node_url, "?chunks=4&fail=1&delayMs=300")
    assert resp.status_code == 202
    pieces, error = read_timed(resp)
    assert body_of(pieces) == b"chunk 0\n"
    assert error is not None
