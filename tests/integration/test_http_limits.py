"""The front door held or flooded (security review F5): request heads must arrive in time, each
route's body limit is enforced from the request head before any body is read, and connections
are capped (the one waiting longest for its request head makes room). Under a flood of
half-open connections and oversized bodies, invokes still answer and the server's memory stays
bounded."""

import json
import resource
import socket
import threading
import time

import pytest

from invoke_util import make, payload_json


@pytest.fixture(scope="module", autouse=True)
def _built(examples):
    return examples


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


# Any SigV4 header that parses passes the front door (signatures are not verified), and the Host
# must be this server's: otherwise the answer would be the front door's 403, not the route's.
AUTH = ("Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261207/us-east-1/lambda/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=00\r\nX-Amz-Date: 20261207T000000Z\r\n")


def ours(server, head):
    """`head` with "Host: a" made this server's name, and signed for its service as the SDKs
    sign (the front door dispatches on the credential scope)."""
    auth = AUTH
    if "X-Amz-Target: Logs_" in head:
        auth = AUTH.replace("/lambda/", "/logs/")
    elif " /TraceSegments " in head:
        auth = AUTH.replace("/lambda/", "/xray/")
    return head.replace("Host: a\r\n", f"Host: 127.0.0.1:{server.port}\r\n{auth}")


def head_only(server, head, timeout=10):
    """Sends a request head (no body) and returns (status, body) of the answer."""
    s = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    try:
        s.sendall(ours(server, head).encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            assert chunk, f"closed without an answer: {data!r}"
            data += chunk
        top, rest = data.split(b"\r\n\r\n", 1)
        status = int(top.split()[1])
        length = 0
        for line in top.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v)
        while len(rest) < length:
            chunk = s.recv(65536)
            if not chunk:
                break
            rest += chunk
        return status, rest
    finally:
        s.close()


def test_route_limits_answer_from_the_head(thaw_server):
    # Nothing of these bodies is ever sent: the answer must come from the head alone.
    status, body = head_only(thaw_server,
                             "POST /2015-03-31/functions/nope/invocations HTTP/1.1\r\n"
                             "Host: a\r\nContent-Length: 6291457\r\n\r\n")
    assert status == 413
    err = json.loads(body)
    assert err["Type"] == "User"
    assert err["Message"] == \
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    status, body = head_only(thaw_server,
                             "POST /2015-03-31/functions/nope/invocations HTTP/1.1\r\n"
                             "Host: a\r\nX-Amz-Invocation-Type: Event\r\n"
                             "Content-Length: 1048577\r\n\r\n")
    assert status == 413
    assert b"1048576 bytes" in body
    status, body = head_only(thaw_server,
                             "POST /2015-03-31/functions HTTP/1.1\r\nHost: a\r\n"
                             f"Content-Length: {79 << 20}\r\n\r\n")
    assert status == 413
    assert b"CreateFunction" in body
    status, body = head_only(thaw_server,
                             "PUT /2015-03-31/functions/f/configuration HTTP/1.1\r\nHost: a\r\n"
                             f"Content-Length: {2 << 20}\r\n\r\n")
    assert status == 413
    assert b"UpdateFunctionConfiguration" in body
    status, body = head_only(thaw_server,
                             "POST / HTTP/1.1\r\nHost: a\r\n"
                             "X-Amz-Target: Logs_20140328.PutLogEvents\r\n"
                             "Content-Type: application/x-amz-json-1.1\r\n"
                             f"Content-Length: {4 << 20}\r\n\r\n")
    assert status == 413
    assert b"SerializationException" in body
    status, _ = head_only(thaw_server,
                          "POST /TraceSegments HTTP/1.1\r\nHost: a\r\n"
                          f"Content-Length: {8 << 20}\r\n\r\n")
    assert status == 413


def test_slow_request_head_is_dropped(thaw_server):
    s = socket.create_connection(("127.0.0.1", thaw_server.port), timeout=20)
    try:
        s.sendall(b"GET /2015-03-31/functions/ HTTP/1.1\r\nHost: a\r\nX-Slow")
        start = time.monotonic()
        assert s.recv(1) == b""
        waited = time.monotonic() - start
        assert 8 < waited < 15, waited
    finally:
        s.close()


def test_flood_of_half_open_connections_and_big_bodies(lam, thaw_server):
    name = make(lam, "flood", "echo")
    for _ in range(3):
        assert payload_json(lam.invoke(FunctionName=name, Payload=b'{"warm":1}')) == {"warm": 1}
    pid = thaw_server.proc.pid
    idle = vm_rss_kib(pid)

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 12000)), hard))
    peak = [idle]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], vm_rss_kib(pid))
            time.sleep(0.02)

    big = b"x" * (79 << 20)
    statuses = []

    def send_big(i):
        path = "/2015-03-31/functions" if i % 2 else f"/2015-03-31/functions/{name}/invocations"
        try:
            s = socket.create_connection(("127.0.0.1", thaw_server.port), timeout=60)
            s.sendall(ours(thaw_server, f"POST {path} HTTP/1.1\r\nHost: a\r\n"
                           f"Content-Length: {len(big)}\r\n\r\n").encode())
            try:
                s.sendall(big)
            except (BrokenPipeError, ConnectionResetError):
                pass
            reply = s.recv(64)
            statuses.append(int(reply.split()[1]) if reply else 0)
            s.close()
        except OSError as e:
            statuses.append(repr(e))

    sampler = threading.Thread(target=sample)
    sampler.start()
    half_open = []
    try:
        for _ in range(5000):
            try:
                s = socket.create_connection(("127.0.0.1", thaw_server.port), timeout=5)
                s.sendall(b"POST /2015-03-31/functions/f/invocations HTTP/1.1\r\nHost: a\r\nContent-")
                half_open.append(s)
            except OSError:
                pass  # refused or dropped to make room: what the cap is for
        senders = [threading.Thread(target=send_big, args=(i,)) for i in range(20)]
        for t in senders:
            t.start()
        # Meanwhile invokes answer, promptly.
        for i in range(10):
            start = time.monotonic()
            resp = lam.invoke(FunctionName=name, Payload=json.dumps({"i": i}).encode())
            assert payload_json(resp) == {"i": i}
            assert time.monotonic() - start < 5
        for t in senders:
            t.join(120)
        assert statuses == [413] * 20, statuses
    finally:
        stop.set()
        sampler.join()
        for s in half_open:
            s.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    grown_mib = (peak[0] - idle) / 1024
    print(f"server RSS: idle {idle} KiB, peak {peak[0]} KiB, grown {grown_mib:.1f} MiB")
    assert grown_mib < 64, f"server RSS grew {grown_mib:.1f} MiB under the flood"
    # Still healthy afterwards.
    assert payload_json(lam.invoke(FunctionName=name, Payload=b'{"after":1}')) == {"after": 1}
