#!/usr/bin/env python3
"""Stream triggers on a fresh `build/thaw serve` (issue 16's measures), each beside its floor in
the same run:
- floor: Invoke (RequestResponse) -> handler start of the Go function stamp;
- Kinesis PutRecord -> handler start and DynamoDB PutItem -> handler start through an event
  source mapping (BatchSize 1, no window), one record at a time so each is measured alone, warm;
- catch-up: a backlog of records put while no mapping exists, then one is created
  (TRIM_HORIZON, BatchSize 100) to the no-op Go function streamsink, timed until every record
  has been delivered; through 1 shard and through 4 (records/s), and for 100,000 records;
  beside it, the rate from the first batch's arrival to the last's (the mapping reads nothing
  while it is Creating, 2 s as on AWS);
- throughput floor: 4 boto3 clients invoking streamsink with 100-record Kinesis events, as 4
  shards' pollers would, without the stream.
The handlers report by UDP datagram (stamp: its start time; streamsink: its batch's record
count), so nothing polls logs. Needs scripts/build-examples.sh.
Usage: .venv/bin/python bench/stream_bench.py [MESSAGES [BACKLOG]]  (defaults 200, 100000)
MESSAGES 0 skips the latencies. THAW_BIN=<path> runs that build instead of build/thaw (to
alternate two builds in one session)."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[1]
N = int(sys.argv[1]) if len(sys.argv) > 1 else 200
BACKLOG = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
ZIPS = ROOT / "build" / "examples" / "go"
ROLE = "arn:aws:iam::000000000000:role/lambda-role"


def client(service, url):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="AKID", aws_secret_access_key="SECRET",
                        config=Config(retries={"max_attempts": 1}, max_pool_connections=32))


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def summary(name, lat, floor=None):
    line = f"{name} ({len(lat)}): p50 {pct(lat, 50):.2f} ms, p99 {pct(lat, 99):.2f} ms"
    if floor:
        line += f"; p50 / floor p50 = {pct(lat, 50) / pct(floor, 50):.2f}x"
    print(line, flush=True)


class Udp:
    """A UDP socket the handlers report to."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.addr = "127.0.0.1:%d" % self.sock.getsockname()[1]

    def stamp(self, want, timeout=10):
        """The handler start (ns) reported for stamp id `want`."""
        self.sock.settimeout(timeout)
        while True:
            ident, ns, _ = self.sock.recv(256).decode().split()
            if ident == want:
                return int(ns)

    def count(self, total, timeout=600):
        """Sums the counts received until `total`; the times the first and the last arrived,
        and the first one's count."""
        self.sock.settimeout(timeout)
        got = int(self.sock.recv(64))
        first, first_n = time.monotonic(), got
        while got < total:
            got += int(self.sock.recv(64))
        return first, time.monotonic(), first_n


def wait_enabled(lam, uuid):
    for _ in range(200):
        if lam.get_event_source_mapping(UUID=uuid)["State"] == "Enabled":
            return
        time.sleep(0.05)
    raise SystemExit(f"mapping {uuid} never Enabled")


def main():
    state = tempfile.mkdtemp(prefix="thaw-stream-bench-")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([os.environ.get("THAW_BIN", str(ROOT / "build" / "thaw")), "serve", "--listen",
                             f"127.0.0.1:{port}", "--state-dir", state],
                            stdout=subprocess.DEVNULL, stderr=open(os.environ.get("THAW_STDERR", os.devnull), "w"))
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        lam, kin, ddb = (client(s, url) for s in ("lambda", "kinesis", "dynamodb"))
        udp = Udp()
        lam.create_function(FunctionName="stamp", Runtime="provided.al2023", Role=ROLE,
                            Handler="bootstrap",
                            Code={"ZipFile": (ZIPS / "stamp.zip").read_bytes()})

        def to_handler(send, warmup=5):
            lat = []
            for i in range(N + warmup):
                ident = f"s{time.time_ns()}"
                t0 = time.time_ns()
                send(ident)
                started = udp.stamp(ident)
                if i >= warmup:
                    lat.append((started - t0) / 1e6)
            return lat

        if N == 0:
            return catch_ups(lam, kin, udp, url)
        floor = to_handler(lambda ident: lam.invoke(
            FunctionName="stamp", Payload=json.dumps({"stamp": ident, "to": udp.addr})))
        summary("floor: Invoke RequestResponse -> handler start", floor)

        kin.create_stream(StreamName="lat", ShardCount=1)
        kin.get_waiter("stream_exists").wait(StreamName="lat", WaiterConfig={"Delay": 1})
        arn = kin.describe_stream_summary(StreamName="lat")["StreamDescriptionSummary"]["StreamARN"]
        uuid = lam.create_event_source_mapping(FunctionName="stamp", EventSourceArn=arn,
                                               StartingPosition="LATEST", BatchSize=1)["UUID"]
        wait_enabled(lam, uuid)
        lat = to_handler(lambda ident: kin.put_record(
            StreamName="lat", PartitionKey="k",
            Data=json.dumps({"stamp": ident, "to": udp.addr}).encode()))
        summary("Kinesis PutRecord -> handler start, BatchSize 1", lat, floor)

        ddb.create_table(
            TableName="lat", AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
        ddb.get_waiter("table_exists").wait(TableName="lat", WaiterConfig={"Delay": 1})
        stream = ddb.describe_table(TableName="lat")["Table"]["LatestStreamArn"]
        uuid = lam.create_event_source_mapping(FunctionName="stamp", EventSourceArn=stream,
                                               StartingPosition="LATEST", BatchSize=1)["UUID"]
        wait_enabled(lam, uuid)
        lat = to_handler(lambda ident: ddb.put_item(TableName="lat", Item={
            "id": {"S": ident}, "stamp": {"S": ident}, "to": {"S": udp.addr}}))
        summary("DynamoDB PutItem -> handler start, BatchSize 1", lat, floor)

        catch_ups(lam, kin, udp, url)
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(state, ignore_errors=True)


def catch_ups(lam, kin, udp, url):
    lam.create_function(FunctionName="sink", Runtime="provided.al2023", Role=ROLE,
                        Handler="bootstrap",
                        Code={"ZipFile": (ZIPS / "streamsink.zip").read_bytes()},
                        Environment={"Variables": {"STREAMSINK_TO": udp.addr}})

    def invoke_floor(threads=4, batches=50, size=100):
        """The throughput floor: `threads` clients invoking streamsink (RequestResponse) with
        Kinesis events of `size` records, as the shards' pollers would, without the stream."""
        record = {"awsRegion": "us-east-1", "eventID": "shardId-000000000000:4" + "9" * 55,
                  "eventName": "aws:kinesis:record", "eventSource": "aws:kinesis",
                  "eventSourceARN": "arn:aws:kinesis:us-east-1:000000000000:stream/floor",
                  "eventVersion": "1.0", "invokeIdentityArn": ROLE,
                  "kinesis": {"approximateArrivalTimestamp": 1545084650.987,
                              "data": "eHh4" * 34, "kinesisSchemaVersion": "1.0",
                              "partitionKey": "12345", "sequenceNumber": "4" + "9" * 55}}
        payload = json.dumps({"Records": [record] * size})

        def run():
            c = client("lambda", url)
            for _ in range(batches):
                c.invoke(FunctionName="sink", Payload=payload)
        run_threads = [threading.Thread(target=run) for _ in range(threads)]
        t0 = time.monotonic()
        for th in run_threads:
            th.start()
        done = udp.count(threads * batches * size)[1]
        for th in run_threads:
            th.join()
        total = threads * batches * size
        print(f"floor: {threads} clients invoking streamsink with {size}-record events: "
              f"{total} records in {done - t0:.2f} s = {total / (done - t0):,.0f} records/s",
              flush=True)

    def catch_up(name, shards, records):
        kin.create_stream(StreamName=name, ShardCount=shards)
        kin.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
        sarn = kin.describe_stream_summary(StreamName=name)[
            "StreamDescriptionSummary"]["StreamARN"]
        payload = b"x" * 100
        t0 = time.monotonic()

        def put(part):
            c = client("kinesis", url)
            for start in range(part, records, 500 * 4):
                entries = [{"Data": payload, "PartitionKey": str(k)}
                           for k in range(start, min(start + 500, records))]
                r = c.put_records(StreamName=name, Records=entries)
                if r["FailedRecordCount"]:
                    raise SystemExit(f"PutRecords failed: {r['Records'][:2]}")
        threads = [threading.Thread(target=put, args=(i * 500,)) for i in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        put_s = time.monotonic() - t0
        t1 = time.monotonic()
        lam.create_event_source_mapping(FunctionName="sink", EventSourceArn=sarn,
                                        StartingPosition="TRIM_HORIZON", BatchSize=100)
        first, done, first_n = udp.count(records)
        took = done - t1
        # The mapping reads nothing while Creating (2 s, as on AWS): the delivery rate is timed
        # from the first batch's arrival to the last's.
        rate = (records - first_n) / (done - first)
        print(f"catch-up: {records} records through {shards} shard(s), BatchSize 100: "
              f"{took:.2f} s from CreateEventSourceMapping = {records / took:,.0f} records/s; "
              f"first batch after {first - t1:.2f} s, then {done - first:.2f} s = "
              f"{rate:,.0f} records/s "
              f"(backlog put with PutRecords in {put_s:.2f} s = {records / put_s:,.0f}/s)",
              flush=True)

    catch_up("one", 1, min(BACKLOG, 20000))
    catch_up("four", 4, min(BACKLOG, 40000))
    catch_up("backlog", 4, BACKLOG)
    invoke_floor()  # last, so that the catch-ups start their sandboxes as they always did


if __name__ == "__main__":
    main()
