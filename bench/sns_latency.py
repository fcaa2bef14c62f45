#!/usr/bin/env python3
"""SNS on a fresh `build/thaw serve`: publish -> handler start for a Lambda subscription (the
Go function snsconsumer logs SNSSTART <Unix ns>; one message at a time, so each is measured
alone, warm), beside its floor in the same run: Invoke -> handler start of the same function
with the same event (RequestResponse, and Event as SNS sends it), measured the same way;
publish -> receivable for an SQS subscription (a long poll waiting on the queue), and Publish
throughput from 8 boto3 threads with 1, 10 and 100 raw SQS subscriptions.
Needs scripts/build-examples.sh. Usage: .venv/bin/python bench/sns_latency.py [MESSAGES]"""

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


def client(service, url):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="AKID", aws_secret_access_key="SECRET",
                        config=Config(retries={"max_attempts": 1}, max_pool_connections=32))


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def main():
    state = tempfile.mkdtemp(prefix="thaw-sns-bench-")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([str(ROOT / "build" / "thaw"), "serve", "--listen", f"127.0.0.1:{port}",
                             "--state-dir", state], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        sns, sqs, lam, logs = (client(s, url) for s in ("sns", "sqs", "lambda", "logs"))
        zip_path = ROOT / "build" / "examples" / "go" / "snsconsumer.zip"
        fn = lam.create_function(FunctionName="snsbench", Runtime="provided.al2023",
                                 Role="arn:aws:iam::000000000000:role/lambda-role",
                                 Handler="bootstrap",
                                 Code={"ZipFile": zip_path.read_bytes()})["FunctionArn"]
        topic = sns.create_topic(Name="bench-lambda")["TopicArn"]
        # SNS invokes as sns.amazonaws.com: the function's policy must allow it, as on AWS.
        lam.add_permission(FunctionName="snsbench", StatementId="sns", Principal="sns.amazonaws.com",
                           Action="lambda:InvokeFunction", SourceArn=topic)
        sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn)

        def starts():
            out = {}
            kwargs = {"logGroupName": "/aws/lambda/snsbench"}
            while True:
                try:
                    page = logs.filter_log_events(**kwargs)
                except logs.exceptions.ResourceNotFoundException:
                    return out
                for e in page.get("events", []):
                    m = e["message"]
                    if m.startswith("SNSSTART "):
                        out.setdefault("starts", []).append(int(m.split()[1]))
                if not page.get("nextToken"):
                    return out
                kwargs["nextToken"] = page["nextToken"]

        def to_handler(send, warmup=5):
            """send() N times, one at a time; ms from each call until its SNSSTART."""
            lat = []
            for i in range(N + warmup):
                before = len(starts().get("starts", []))
                t0 = time.time_ns()
                send(i)
                deadline = time.monotonic() + 10
                while True:
                    got = starts().get("starts", [])
                    if len(got) > before:
                        break
                    if time.monotonic() > deadline:
                        raise SystemExit("no SNSSTART")
                    time.sleep(0.002)
                if i >= warmup:  # the first ones start the environment
                    lat.append((max(got) - t0) / 1e6)
            return lat

        lat = to_handler(lambda i: sns.publish(TopicArn=topic, Message=f"m{i}"))
        # The floor, same function and event: what SNS delivers, sent by Invoke directly.
        event = json.dumps({"Records": [{
            "EventVersion": "1.0", "EventSource": "aws:sns",
            "EventSubscriptionArn": topic + ":floor",
            "Sns": {"Type": "Notification", "MessageId": "floor", "TopicArn": topic,
                    "Subject": None, "Message": "floor", "Timestamp": "2026-12-07T00:00:00.000Z",
                    "SignatureVersion": "1", "Signature": "", "SigningCertUrl": "",
                    "UnsubscribeUrl": "", "MessageAttributes": {}}}]})
        sync = to_handler(lambda i: lam.invoke(FunctionName="snsbench", Payload=event), 0)
        event_lat = to_handler(lambda i: lam.invoke(FunctionName="snsbench", Payload=event,
                                                    InvocationType="Event"), 0)
        print(f"publish -> Lambda handler start ({len(lat)} messages): "
              f"p50 {pct(lat, 50):.2f} ms, p99 {pct(lat, 99):.2f} ms")
        for name, floor in (("Invoke RequestResponse", sync), ("Invoke Event", event_lat)):
            print(f"floor: {name} -> handler start ({len(floor)}): p50 {pct(floor, 50):.2f} ms, "
                  f"p99 {pct(floor, 99):.2f} ms; publish p50 / this p50 = "
                  f"{pct(lat, 50) / pct(floor, 50):.2f}x")

        qurl = sqs.create_queue(QueueName="bench-q")["QueueUrl"]
        qarn = sqs.get_queue_attributes(QueueUrl=qurl, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        t2 = sns.create_topic(Name="bench-sqs")["TopicArn"]
        sns.subscribe(TopicArn=t2, Protocol="sqs", Endpoint=qarn,
                      Attributes={"RawMessageDelivery": "true"})
        receiver = client("sqs", url)
        lat = []
        for i in range(N):
            got = {}

            def wait():
                r = receiver.receive_message(QueueUrl=qurl, WaitTimeSeconds=5)
                got["t"] = time.time_ns()
                for m in r.get("Messages", []):
                    receiver.delete_message(QueueUrl=qurl, ReceiptHandle=m["ReceiptHandle"])
            th = threading.Thread(target=wait)
            th.start()
            time.sleep(0.005)  # the long poll is parked
            t0 = time.time_ns()
            sns.publish(TopicArn=t2, Message=f"q{i}")
            th.join()
            lat.append((got["t"] - t0) / 1e6)
        print(f"publish -> SQS receive returns ({len(lat)} messages; includes boto3's receive "
              f"parsing): p50 {pct(lat, 50):.2f} ms, p99 {pct(lat, 99):.2f} ms")

        for subs in (1, 10, 100):
            t = sns.create_topic(Name=f"bench-fan-{subs}")["TopicArn"]
            for k in range(subs):
                sns.subscribe(TopicArn=t, Protocol="sqs",
                              Endpoint=f"arn:aws:sqs:us-east-1:000000000000:fan-{subs}-{k}",
                              Attributes={"RawMessageDelivery": "true"})
                sqs.create_queue(QueueName=f"fan-{subs}-{k}")
            per, threads = N, 8

            def run(_):
                c = client("sns", url)
                for i in range(per // threads):
                    c.publish(TopicArn=t, Message="x")
            ts = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
            t0 = time.monotonic()
            for th in ts:
                th.start()
            for th in ts:
                th.join()
            dt = time.monotonic() - t0
            print(f"Publish throughput, {subs} subscription(s), 8 boto3 threads: "
                  f"{per // threads * threads / dt:.0f}/s")
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
