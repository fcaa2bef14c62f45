"""The async (Event) queue's limits: bounded memory however many events pile up, only a window
loaded at start, and Lambda's maximum event age.

Events pile up for real: a function with reserved concurrency 1 that sleeps 2 s per event.
The 20,000 Event invokes go through plain keep-alive HTTP (the same InvokeFunction request
boto3 sends, unsigned checks aside), since boto3 alone would spend minutes of CPU on them.
The 1 MiB run is behind `.venv/bin/pytest -m long tests/integration`.
"""

import http.client
import json
import re
import sqlite3
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from conftest import boto_client, create_function, poll, signed_headers, signed_urlopen

EVENTS = 20_000
RSS_GROWTH_LIMIT = 64 << 20
SENDERS = 8


def vm_rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


def async_pending(server):
    with signed_urlopen(server.url + "/thaw/environments", timeout=5) as r:
        return json.load(r)["asyncPending"]


def started_ids(logs, function):
    """Request ids of the START lines in the function's log group."""
    ids = set()
    kw = {"logGroupName": f"/aws/lambda/{function}", "filterPattern": "START"}
    try:
        while True:
            page = logs.filter_log_events(**kw)
            for e in page["events"]:
                if m := re.match(r"START RequestId: (\S+) ", e["message"]):
                    ids.add(m.group(1))
            if not page.get("nextToken"):
                return ids
            kw["nextToken"] = page["nextToken"]
    except ClientError:
        return ids


def stored_ids(state_dir):
    """Request ids still queued in events.db (read after the server has stopped)."""
    db = sqlite3.connect(f"file:{state_dir}/events.db?mode=ro", uri=True)
    try:
        return {row[0] for row in db.execute("SELECT request_id FROM async_events")}
    finally:
        db.close()


def offline_started_ids(state_dir, function):
    """Request ids of the START lines in logs.db (read after the server has stopped)."""
    db = sqlite3.connect(f"file:{state_dir}/logs.db?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT message FROM events WHERE group_name = ?"
                          " AND message LIKE 'START RequestId: %'", (f"/aws/lambda/{function}",))
        return {m.group(1) for (msg,) in rows if (m := re.match(r"START RequestId: (\S+) ", msg))}
    finally:
        db.close()


def send_events(server, function, count, payload):
    """count Event invokes from SENDERS keep-alive connections; returns the request ids."""
    path = f"/2015-03-31/functions/{function}/invocations"
    # Signed once, as bench/load does: the front door parses signatures but does not verify them.
    headers = {"X-Amz-Invocation-Type": "Event", "Content-Type": "application/json",
               **signed_headers("POST", server.url + path, payload)}

    def worker(n):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        ids = []
        try:
            for _ in range(n):
                conn.request("POST", path, body=payload, headers=headers)
                resp = conn.getresponse()
                body = resp.read()
                assert resp.status == 202, (resp.status, body[:300])
                ids.append(resp.getheader("x-amzn-RequestId"))
        finally:
            conn.close()
        return ids

    shares = [count // SENDERS + (1 if i < count % SENDERS else 0) for i in range(SENDERS)]
    with ThreadPoolExecutor(SENDERS) as pool:
        return [rid for ids in pool.map(worker, shares) for rid in ids]


class RssSampler:
    """The largest VmRSS of a process, sampled every 100 ms in the background."""

    def __init__(self, pid):
        self.pid = pid
        self.peak = vm_rss(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, vm_rss(self.pid))

    def stop(self):
        self._stop.set()
        self._thread.join()
        return max(self.peak, vm_rss(self.pid))


def pile_up_and_restart(make_thaw_server, event_bytes):
    server = make_thaw_server()
    lam = boto_client("lambda", server)
    logs = boto_client("logs", server)
    create_function(lam, "slowq", "sleep", Timeout=30)
    lam.put_function_concurrency(FunctionName="slowq", ReservedConcurrentExecutions=1)
    # Warm the server's own paths (an environment, the stores) before the baseline.
    lam.invoke(FunctionName="slowq", Payload=b'{"ms": 1}')
    baseline = vm_rss(server.proc.pid)

    # Each event sleeps 2 s, so few run while 20,000 arrive.
    head = b'{"ms": 2000, "pad": "'
    payload = head + b"x" * (event_bytes - len(head) - 2) + b'"}'
    assert len(payload) == event_bytes
    sampler = RssSampler(server.proc.pid)
    started = time.monotonic()
    ids = send_events(server, "slowq", EVENTS, payload)
    peak = sampler.stop()
    assert len(set(ids)) == EVENTS
    growth = peak - baseline
    print(f"{event_bytes} B events: RSS {baseline >> 20} MiB -> peak {peak >> 20} MiB")
    assert growth < RSS_GROWTH_LIMIT, \
        f"RSS grew by {growth >> 20} MiB with {EVENTS} queued events of {event_bytes} B"
    # One slot, 2 s per event: at most one event every two seconds has left the queue (the
    # 1 MiB run sends for half an hour on a loaded box).
    assert async_pending(server) > EVENTS - ((time.monotonic() - started) / 2 + 200)

    # A restart loads only a window: the new server stays small too.
    server.restart()
    time.sleep(1)
    restarted = vm_rss(server.proc.pid)
    assert restarted - baseline < RSS_GROWTH_LIMIT, \
        f"the restarted server holds {restarted >> 20} MiB (baseline {baseline >> 20} MiB)"
    # One slot, 2 s per event: at most one event every two seconds has left the queue (the
    # 1 MiB run sends for half an hour on a loaded box).
    assert async_pending(server) > EVENTS - ((time.monotonic() - started) / 2 + 200)
    # It delivers from the stored queue: one more event starts.
    before = started_ids(logs, "slowq")
    poll(lambda: started_ids(logs, "slowq") - before, timeout=30,
         what="an event run by the restarted server")
    assert server.stop() == 0

    # Every accepted event was delivered or is still stored (both read with the server down).
    delivered = offline_started_ids(server.state_dir, "slowq")
    stored = stored_ids(server.state_dir)
    missing = set(ids) - delivered - stored
    assert not missing, f"{len(missing)} of {EVENTS} accepted events were lost"
    print(f"delivered {len(delivered & set(ids))}, still stored {len(stored)}")


def test_queued_events_keep_memory_bounded(make_thaw_server, examples):
    pile_up_and_restart(make_thaw_server, 64 << 10)


@pytest.mark.long
def test_queued_1mib_events_keep_memory_bounded(make_thaw_server, examples):
    pile_up_and_restart(make_thaw_server, 1 << 20)


def test_events_older_than_max_age_are_dropped(make_thaw_server, examples):
    server = make_thaw_server("--max-event-age", "1")
    lam = boto_client("lambda", server)
    logs = boto_client("logs", server)
    create_function(lam, "aged", "sleep", Timeout=30)
    lam.put_function_concurrency(FunctionName="aged", ReservedConcurrentExecutions=1)
    lam.invoke(FunctionName="aged", Payload=b'{"ms": 1}')  # warm

    def event(ms):
        resp = lam.invoke(FunctionName="aged", InvocationType="Event",
                          Payload=json.dumps({"ms": ms}).encode())
        assert resp["StatusCode"] == 202
        return resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]

    first = event(2500)  # holds the only slot for 2.5 s
    late = event(1)  # 2.5 s old when the slot frees: past the 1 s limit
    poll(lambda: async_pending(server) == 0, timeout=20, what="the queue to empty")
    started = started_ids(logs, "aged")
    assert first in started
    assert late not in started, "an event older than MaximumEventAgeInSeconds ran"
    assert re.search(rf"dropping event {late} .*EventAgeExceeded", server.stderr()), \
        server.stderr()[-2000:]
    # A fresh event still runs.
    fresh = event(1)
    poll(lambda: fresh in started_ids(logs, "aged"), timeout=20, what="a fresh event to run")
