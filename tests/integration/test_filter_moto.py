"""Differential test of Lambda's event filtering against moto's server.

moto has no TestEventPattern (it answers NotImplemented), so its matcher is reached the way
EventBridge uses it: one rule per case, each pattern under "detail" and scoped to its case by
"source", all targeting one SQS queue; one PutEvents per case with the record as its Detail. The
cases whose events reach the queue are the ones moto matched.

The table is src/filter/testdata/cases.json, which pattern_test.cc runs through thaw's engine
(checking `match`, what Lambda's docs say). Here moto must give `moto` where a case sets it and
`match` everywhere else, so thaw and moto differ exactly on the cases that set `moto`; each says
why in `why` (moto's Python equality, arrays of objects, empty containers, nested patterns on
scalars).
"""

import json
from pathlib import Path

import boto3
from botocore.config import Config

from sqs_util import REGION, sqs_client
from test_sqs_moto import moto_url  # noqa: F401 (the moto server fixture)

ROOT = Path(__file__).resolve().parents[2]
CASES = json.loads((ROOT / "src" / "filter" / "testdata" / "cases.json").read_text())["cases"]


def events_client(url):
    return boto3.client("events", endpoint_url=url, region_name=REGION,
                        aws_access_key_id="AKID", aws_secret_access_key="SECRET",
                        config=Config(retries={"max_attempts": 1}))


def moto_matches(url):
    """The names of the cases moto matched."""
    events = events_client(url)
    sqs = sqs_client(url)
    queue_url = sqs.create_queue(QueueName="filter-cases")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for i, case in enumerate(CASES):
        pattern = {"source": [f"case-{i}"], "detail": case["pattern"]}
        events.put_rule(Name=f"case-{i}", EventPattern=json.dumps(pattern))
        events.put_targets(Rule=f"case-{i}", Targets=[{"Id": "q", "Arn": queue_arn}])
    entries = [{"Source": f"case-{i}", "DetailType": "case", "Detail": json.dumps(case["event"])}
               for i, case in enumerate(CASES)]
    for start in range(0, len(entries), 10):
        answer = events.put_events(Entries=entries[start:start + 10])
        assert answer["FailedEntryCount"] == 0, answer
    # moto delivers inside PutEvents, so the queue already holds every match.
    matched = set()
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                       WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            break
        for m in messages:
            matched.add(CASES[int(json.loads(m["Body"])["source"].removeprefix("case-"))]["name"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
    return matched


def test_cases_against_moto(moto_url):  # noqa: F811
    assert len({c["name"] for c in CASES}) == len(CASES), "case names must be unique"
    matched = moto_matches(moto_url)
    wrong = [(c["name"], c.get("moto", c["match"])) for c in CASES
             if (c["name"] in matched) != c.get("moto", c["match"])]
    assert not wrong, "moto answered otherwise than the table says (name, expected):\n" + "\n".join(
        f"  {name}: {expected}" for name, expected in wrong)
    # The documented differences are still differences (each is a case thaw decides otherwise).
    differs = [c for c in CASES if "moto" in c]
    assert differs and all(c["moto"] != c["match"] and c.get("why") for c in differs)
