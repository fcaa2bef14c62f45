"""SQS durability: kill -9 of the server under a send load loses no acknowledged message, and a
deleted message does not come back."""

import threading
import time

from sqs_util import drain, sqs_client


def test_kill9_under_send_load_loses_nothing(make_thaw_server):
    server = make_thaw_server()
    sqs = sqs_client(server.url)
    url = sqs.create_queue(QueueName="durable-q", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    fifo = sqs.create_queue(QueueName="durable.fifo", Attributes={
        "FifoQueue": "true", "VisibilityTimeout": "1"})["QueueUrl"]

    # Some messages sent and deleted before the crash must stay deleted.
    for i in range(5):
        sqs.send_message(QueueUrl=url, MessageBody=f"gone-{i}")
    deleted = drain(sqs, url)
    assert len(deleted) == 5

    acked = {url: set(), fifo: set()}
    lock = threading.Lock()
    stop = threading.Event()

    def sender(worker):
        client = sqs_client(server.url)
        i = 0
        while not stop.is_set():
            body = f"w{worker}-{i}"
            target = fifo if worker % 4 == 0 else url
            try:
                if target == fifo:
                    client.send_message(QueueUrl=fifo, MessageBody=body, MessageGroupId=f"g{worker}",
                                        MessageDeduplicationId=body)
                elif i % 3 == 0:
                    client.send_message_batch(QueueUrl=url, Entries=[
                        {"Id": str(k), "MessageBody": f"{body}-{k}"} for k in range(5)])
                    with lock:
                        acked[url].update(f"{body}-{k}" for k in range(5))
                    i += 1
                    continue
                else:
                    client.send_message(QueueUrl=url, MessageBody=body)
            except Exception:  # the server is gone: this send was never acknowledged
                return
            with lock:
                acked[target].add(body)
            i += 1

    threads = [threading.Thread(target=sender, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    time.sleep(2.0)
    server.kill9()
    stop.set()
    for t in threads:
        t.join(30)
    total = len(acked[url]) + len(acked[fifo])
    assert total > 100, f"only {total} sends were acknowledged before the kill"

    server.start()
    sqs = sqs_client(server.url)
    got = [m["Body"] for m in drain(sqs, url, max_rounds=100000)]
    assert not any(b.startswith("gone-") for b in got)
    missing = acked[url] - set(got)
    assert not missing, f"{len(missing)} acknowledged message(s) lost, e.g. {sorted(missing)[:5]}"
    # No receive happened before the kill, so nothing may come twice.
    assert len(got) == len(set(got))

    fifo_got = []
    for _ in range(100000):
        r = sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10)
        msgs = r.get("Messages", [])
        if not msgs:
            break
        fifo_got += [m["Body"] for m in msgs]
        sqs.delete_message_batch(QueueUrl=fifo, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])
    missing = acked[fifo] - set(fifo_got)
    assert not missing, f"{len(missing)} acknowledged FIFO message(s) lost"
    assert len(fifo_got) == len(set(fifo_got))
    # Each group's messages come back in the order they were sent.
    by_group = {}
    for b in fifo_got:
        w, i = b[1:].split("-")
        by_group.setdefault(w, []).append(int(i))
    assert all(v == sorted(v) for v in by_group.values())
    print(f"acknowledged before kill -9: {len(acked[url])} standard, {len(acked[fifo])} FIFO; "
          f"recovered {len(got)} + {len(fifo_got)}")


def test_in_flight_message_reappears_after_kill9(make_thaw_server):
    server = make_thaw_server()
    sqs = sqs_client(server.url)
    url = sqs.create_queue(QueueName="inflight-q", Attributes={"VisibilityTimeout": "2"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="in flight")
    [m] = sqs.receive_message(QueueUrl=url)["Messages"]
    server.kill9()
    server.start()
    sqs = sqs_client(server.url)
    # Still in flight after the restart (its receive was committed), then visible again.
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    [again] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5,
                                  AttributeNames=["ApproximateReceiveCount"])["Messages"]
    assert again["MessageId"] == m["MessageId"]
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
