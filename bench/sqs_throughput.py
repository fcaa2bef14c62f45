#!/usr/bin/env python3
"""SQS send and receive throughput on one queue of a fresh `build/thaw serve`, beside a SQLite
floor measured in the same run (WAL, synchronous=FULL, as thaw's store): one row inserted and
committed per message, then deleted one per commit, and the same in commits of 10.
Usage: .venv/bin/python bench/sqs_throughput.py [MESSAGES] [CLIENTS]
Two kinds of clients: boto3 (JSON protocol), whose own cost per call is part of its numbers and
on 2 cores is most of them, and bench/sqsload (Go, the same requests signed once), which shows
the server's own throughput and latency."""

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import json

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[1]
N = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
CLIENTS = int(sys.argv[2]) if len(sys.argv) > 2 else 8


def client(url):
    return boto3.client("sqs", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="AKID", aws_secret_access_key="SECRET",
                        config=Config(retries={"max_attempts": 1},
                                      max_pool_connections=CLIENTS * 2))


def parallel(fn, per_client):
    threads = [threading.Thread(target=fn, args=(i, per_client)) for i in range(CLIENTS)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - t0


def sqsload_rows(url):
    """SendMessage (1 and CLIENTS clients), SendMessageBatch and drain with bench/sqsload."""
    go = shutil.which("go") or "/usr/local/go/bin/go"
    out = tempfile.mkdtemp(prefix="thaw-sqsload-")
    subprocess.run([go, "build", "-o", out + "/", "./sqsload"], cwd=ROOT / "bench", check=True)
    rows = []
    for mode, c, n in (("send", 1, N // 2), ("send", CLIENTS, N), ("drain", CLIENTS, 0),
                       ("batch", CLIENTS, N // 10), ("drain", CLIENTS, 0)):
        args = [out + "/sqsload", "-endpoint", url, "-queue", "go", "-mode", mode,
                "-c", str(c), "-name", f"{mode}_c{c}"]
        if n:
            args += ["-n", str(n)]
        r = subprocess.run(args, capture_output=True, text=True, check=True)
        rows.append(json.loads(r.stdout.strip().splitlines()[-1]))
    shutil.rmtree(out)
    return rows


def sqlite_floor(path, batch):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE m (seq INTEGER PRIMARY KEY, body BLOB)")
    body = b"x" * 100
    t0 = time.monotonic()
    for i in range(0, N, batch):
        db.execute("BEGIN IMMEDIATE")
        for k in range(i, min(i + batch, N)):
            db.execute("INSERT INTO m VALUES (?, ?)", (k, body))
        db.execute("COMMIT")
    insert = N / (time.monotonic() - t0)
    t0 = time.monotonic()
    for i in range(0, N, batch):
        db.execute("BEGIN IMMEDIATE")
        for k in range(i, min(i + batch, N)):
            db.execute("DELETE FROM m WHERE seq = ?", (k,))
        db.execute("COMMIT")
    delete = N / (time.monotonic() - t0)
    db.close()
    return insert, delete


def main():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    state = tempfile.mkdtemp(prefix="thaw-sqsbench-")
    proc = subprocess.Popen([str(ROOT / "build" / "thaw"), "serve", "--listen",
                             f"127.0.0.1:{port}", "--state-dir", state],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        c = client(url)
        q = c.create_queue(QueueName="bench")["QueueUrl"]
        per = N // CLIENTS
        clients = [client(url) for _ in range(CLIENTS)]

        def send_one(i, count):
            for k in range(count):
                clients[i].send_message(QueueUrl=q, MessageBody="x" * 100)

        def send_batch(i, count):
            for k in range(0, count, 10):
                clients[i].send_message_batch(QueueUrl=q, Entries=[
                    {"Id": str(j), "MessageBody": "x" * 100} for j in range(10)])

        def receive_delete(i, count):
            got = 0
            while got < count:
                msgs = clients[i].receive_message(QueueUrl=q, MaxNumberOfMessages=10,
                                                  WaitTimeSeconds=1).get("Messages", [])
                if not msgs:
                    return
                clients[i].delete_message_batch(QueueUrl=q, Entries=[
                    {"Id": str(j), "ReceiptHandle": m["ReceiptHandle"]}
                    for j, m in enumerate(msgs)])
                got += len(msgs)

        t_send = parallel(send_one, per)
        t_recv1 = parallel(receive_delete, per)
        t_batch = parallel(send_batch, per)
        t_recv2 = parallel(receive_delete, per)
        total = per * CLIENTS
        go_rows = sqsload_rows(url)
        with tempfile.TemporaryDirectory() as d:
            f1 = sqlite_floor(os.path.join(d, "a.db"), 1)
            f10 = sqlite_floor(os.path.join(d, "b.db"), 10)
        print(f"{total} messages of 100 bytes, {CLIENTS} boto3 clients, one queue")
        print(f"  SendMessage            {total / t_send:8.0f} msg/s")
        print(f"  SendMessageBatch (10)  {total / t_batch:8.0f} msg/s")
        print(f"  Receive+DeleteBatch    {total / t_recv2:8.0f} msg/s "
              f"(after single sends: {total / t_recv1:.0f})")
        print(f"bench/sqsload (Go), {CLIENTS} clients unless said, one queue")
        for r in go_rows:
            if "throughput_msgs" in r:
                print(f"  {'Receive+DeleteBatch ' + r['name']:<22} {r['throughput_msgs']:8.0f} msg/s")
            else:
                per_req = 10 if r["name"].startswith("batch") else 1
                print(f"  {r['name']:<22} {r['throughput_rps'] * per_req:8.0f} msg/s  "
                      f"p50 {r['p50_us'] / 1000:.2f} ms  p99 {r['p99_us'] / 1000:.2f} ms")
        print(f"  SQLite floor, 1/commit   insert {f1[0]:8.0f}/s  delete {f1[1]:8.0f}/s")
        print(f"  SQLite floor, 10/commit  insert {f10[0]:8.0f}/s  delete {f10[1]:8.0f}/s")
    finally:
        proc.terminate()
        proc.wait(10)
        subprocess.run(["rm", "-rf", state])


if __name__ == "__main__":
    main()
