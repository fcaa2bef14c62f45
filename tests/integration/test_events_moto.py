"""Differential test: the same boto3 script of EventBridge rule calls and EventBridge Scheduler
calls against thaw and against moto's server, answers compared after dropping what must differ
(timestamps, request metadata).

Where moto differs from AWS, thaw follows AWS; those differences are listed in MOTO_DIFFERS and
checked to still be the only ones:
  - put-rule-bad-expression: AWS refuses rate(1 minutes) with ValidationException; moto takes it.
  - get-schedule, get-updated: AWS answers ActionAfterCompletion "NONE" (and
    ScheduleExpressionTimezone "UTC") when none were given; moto leaves them out.
thaw lists rules by name, as AWS does; moto in creation order (sorted here before comparing).
"""

import botocore.exceptions
import boto3
import pytest
from botocore.config import Config

from conftest import REGION
from test_sqs_moto import moto_url  # noqa: F401  (the fixture)

ACCOUNT = "123456789012"
FN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:target"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/scheduler"

MOTO_DIFFERS = {"put-rule-bad-expression", "get-schedule", "get-updated"}


def client(service, url):
    return boto3.client(service, endpoint_url=url, region_name=REGION,
                        aws_access_key_id=ACCOUNT, aws_secret_access_key="SECRET",
                        config=Config(retries={"max_attempts": 1}))


def drop_times(answer):
    if isinstance(answer, dict):
        return {k: drop_times(v) for k, v in answer.items()
                if k not in ("CreationDate", "LastModificationDate", "CreatedBy")}
    if isinstance(answer, list):
        return [drop_times(v) for v in answer]
    return answer


def script(url):
    events, scheduler = client("events", url), client("scheduler", url)
    out = []

    def step(name, fn):
        try:
            answer = fn()
            answer.pop("ResponseMetadata", None)
        except botocore.exceptions.ClientError as e:
            answer = {"error": e.response["Error"]["Code"]}
        if "Rules" in answer:
            answer["Rules"].sort(key=lambda r: r["Name"])
        out.append((name, drop_times(answer)))

    step("put-rule", lambda: events.put_rule(Name="diff-rule", ScheduleExpression="rate(5 minutes)",
                                             Description="five"))
    step("put-rule-disabled", lambda: events.put_rule(Name="diff-off",
                                                      ScheduleExpression="cron(0 12 * * ? *)",
                                                      State="DISABLED"))
    step("put-rule-bad-expression", lambda: events.put_rule(Name="diff-bad",
                                                            ScheduleExpression="rate(1 minutes)"))
    try:  # moto keeps it
        events.delete_rule(Name="diff-bad")
    except botocore.exceptions.ClientError:
        pass
    step("describe-rule", lambda: events.describe_rule(Name="diff-rule"))
    step("describe-missing", lambda: events.describe_rule(Name="diff-missing"))
    step("list-rules", lambda: events.list_rules(NamePrefix="diff-"))
    step("put-targets", lambda: events.put_targets(Rule="diff-rule", Targets=[
        {"Id": "a", "Arn": FN, "Input": '{"x": 1}'}, {"Id": "b", "Arn": FN}]))
    step("put-targets-missing", lambda: events.put_targets(Rule="diff-missing",
                                                           Targets=[{"Id": "a", "Arn": FN}]))
    step("list-targets", lambda: events.list_targets_by_rule(Rule="diff-rule"))
    step("delete-rule-with-targets", lambda: events.delete_rule(Name="diff-rule"))
    step("remove-targets", lambda: events.remove_targets(Rule="diff-rule", Ids=["a", "b"]))
    step("list-targets-empty", lambda: events.list_targets_by_rule(Rule="diff-rule"))
    step("disable", lambda: events.disable_rule(Name="diff-rule"))
    step("describe-disabled", lambda: events.describe_rule(Name="diff-rule"))
    step("enable-missing", lambda: events.enable_rule(Name="diff-missing"))
    step("delete-rule", lambda: events.delete_rule(Name="diff-rule"))
    step("delete-off", lambda: events.delete_rule(Name="diff-off"))
    step("list-rules-empty", lambda: events.list_rules(NamePrefix="diff-"))

    window = {"Mode": "OFF"}
    target = {"Arn": FN, "RoleArn": ROLE, "Input": '{"k": 1}'}
    step("create-schedule", lambda: scheduler.create_schedule(
        Name="diff-s", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow=window,
        Target=target))
    step("create-schedule-again", lambda: scheduler.create_schedule(
        Name="diff-s", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow=window,
        Target=target))
    step("get-schedule", lambda: scheduler.get_schedule(Name="diff-s"))
    step("update-schedule", lambda: scheduler.update_schedule(
        Name="diff-s", ScheduleExpression="cron(0 9 * * ? *)",
        ScheduleExpressionTimezone="Europe/Berlin", FlexibleTimeWindow=window, Target=target,
        State="DISABLED"))
    step("get-updated", lambda: scheduler.get_schedule(Name="diff-s"))
    step("list-schedules", lambda: scheduler.list_schedules(NamePrefix="diff-"))
    step("get-missing", lambda: scheduler.get_schedule(Name="diff-none"))
    step("delete-schedule", lambda: scheduler.delete_schedule(Name="diff-s"))
    step("delete-missing", lambda: scheduler.delete_schedule(Name="diff-s"))
    step("list-empty", lambda: scheduler.list_schedules(NamePrefix="diff-"))
    return out


def test_events_and_scheduler_answer_as_moto_does(server_url, moto_url):  # noqa: F811
    ours, theirs = script(server_url), script(moto_url)
    assert [n for n, _ in ours] == [n for n, _ in theirs]
    differ = {n for (n, a), (_, b) in zip(ours, theirs) if a != b}
    details = {n: (a, b) for (n, a), (_, b) in zip(ours, theirs) if n in differ - MOTO_DIFFERS}
    for n, (a, b) in details.items():
        print(n, "\n  thaw:", a, "\n  moto:", b)
    assert not details, details
    assert differ == MOTO_DIFFERS


@pytest.fixture(scope="module")
def server_url(thaw_server):
    return thaw_server.url
