"""EventBridge rules and EventBridge Scheduler schedules with real boto3 against `thaw serve
--schedule-time-scale 0.005` (a minute lasts 0.3 s): a rate rule fires a Go function with
EventBridge's scheduled event, a target's Input arrives as it is, a disabled rule does not fire,
DeleteRule stops it, Scheduler delivers its Input, rules survive a restart, `thaw schedules`
lists them, and a SAM template's Schedule and ScheduleV2 events deployed by `thaw deploy -t` fire."""

import json
import os
import re
import subprocess
import time

import botocore.exceptions
import pytest

from conftest import (ROOT, THAW_BIN, boto_client, create_function, module_server,
                      signed_urlopen)
from invoke_util import log_messages, unique, wait_for

server = module_server("--schedule-time-scale", "0.005", examples=True)

ROLE = "arn:aws:iam::000000000000:role/scheduler-role"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture(scope="module")
def lam(server):
    return boto_client("lambda", server)


@pytest.fixture(scope="module")
def logs_client(server):
    return boto_client("logs", server)


@pytest.fixture(scope="module")
def events(server):
    return boto_client("events", server)


@pytest.fixture(scope="module")
def scheduler(server):
    return boto_client("scheduler", server)


def raws(logs_client, fn):
    return [m[len("SCHEDRAW "):].strip() for m in log_messages(logs_client, fn)
            if m.startswith("SCHEDRAW ")]


def parsed(logs_client, fn):
    return [json.loads(m[len("SCHEDEVENT "):]) for m in log_messages(logs_client, fn)
            if m.startswith("SCHEDEVENT ")]


def function(lam):
    name = unique("sched")
    arn = create_function(lam, name, "scheduled")["FunctionArn"]
    return name, arn


def allow_rule(lam, fn, rule_arn):
    """A rule invokes as events.amazonaws.com: the function's policy must allow the rule."""
    lam.add_permission(FunctionName=fn, StatementId=unique("ev"), Action="lambda:InvokeFunction",
                       Principal="events.amazonaws.com", SourceArn=rule_arn)


def code_of(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_rate_rule_fires_with_the_scheduled_event(events, lam, logs_client, server):
    fn, fn_arn = function(lam)
    rule = unique("every-minute")
    rule_arn = events.put_rule(Name=rule, ScheduleExpression="rate(1 minute)")["RuleArn"]
    assert rule_arn == f"arn:aws:events:us-east-1:000000000000:rule/{rule}"
    allow_rule(lam, fn, rule_arn)
    events.put_targets(Rule=rule, Targets=[{"Id": "fn", "Arn": fn_arn}])
    got = wait_for(lambda: (lambda e: e if len(e) >= 2 else None)(parsed(logs_client, fn)), 15,
                   interval=0.1, what="two scheduled events")
    raw = json.loads(raws(logs_client, fn)[0])
    assert set(raw) == {"version", "id", "detail-type", "source", "account", "time", "region",
                        "resources", "detail"}
    assert raw["version"] == "0"
    assert UUID.match(raw["id"])
    assert raw["detail-type"] == "Scheduled Event"
    assert raw["source"] == "aws.events"
    assert raw["account"] == "000000000000"
    assert TIME.match(raw["time"])
    assert raw["region"] == "us-east-1"
    assert raw["resources"] == [rule_arn]
    assert raw["detail"] == {}
    # aws-lambda-go's events.CloudWatchEvent read it.
    assert got[0]["detail-type"] == "Scheduled Event" and got[0]["resources"] == [rule_arn]
    assert got[0]["id"] != got[1]["id"]
    events.remove_targets(Rule=rule, Ids=["fn"])
    events.delete_rule(Name=rule)


def test_rule_without_permission_does_not_invoke(events, lam, logs_client):
    fn, fn_arn = function(lam)
    rule = unique("unallowed")
    events.put_rule(Name=rule, ScheduleExpression="rate(1 minute)")
    events.put_targets(Rule=rule, Targets=[{"Id": "fn", "Arn": fn_arn}])
    time.sleep(1.5)
    assert raws(logs_client, fn) == []
    events.remove_targets(Rule=rule, Ids=["fn"])
    events.delete_rule(Name=rule)


def test_input_is_delivered_as_is(events, lam, logs_client):
    fn, fn_arn = function(lam)
    rule = unique("with-input")
    rule_arn = events.put_rule(Name=rule, ScheduleExpression="cron(* * * * ? *)")["RuleArn"]
    allow_rule(lam, fn, rule_arn)
    events.put_targets(Rule=rule, Targets=[{"Id": "a", "Arn": fn_arn,
                                            "Input": '{"hello": "world", "n": [1, 2]}'}])
    got = wait_for(lambda: raws(logs_client, fn), 15, interval=0.1, what="an invocation")
    assert got[0] == '{"hello": "world", "n": [1, 2]}'
    events.remove_targets(Rule=rule, Ids=["a"])
    events.delete_rule(Name=rule)


def test_disabled_rule_does_not_fire_until_enabled(events, lam, logs_client):
    fn, fn_arn = function(lam)
    rule = unique("disabled")
    rule_arn = events.put_rule(Name=rule, ScheduleExpression="rate(1 minute)",
                               State="DISABLED")["RuleArn"]
    allow_rule(lam, fn, rule_arn)
    events.put_targets(Rule=rule, Targets=[{"Id": "fn", "Arn": fn_arn}])
    assert events.describe_rule(Name=rule)["State"] == "DISABLED"
    time.sleep(1.5)  # five periods
    assert raws(logs_client, fn) == []
    events.enable_rule(Name=rule)
    wait_for(lambda: raws(logs_client, fn), 15, interval=0.1, what="an invocation once enabled")
    events.disable_rule(Name=rule)
    time.sleep(0.5)
    n = len(raws(logs_client, fn))
    time.sleep(1.5)
    assert len(raws(logs_client, fn)) == n
    events.remove_targets(Rule=rule, Ids=["fn"])
    events.delete_rule(Name=rule)


def test_delete_rule_stops_it(events, lam, logs_client):
    fn, fn_arn = function(lam)
    rule = unique("deleted")
    rule_arn = events.put_rule(Name=rule, ScheduleExpression="rate(1 minute)")["RuleArn"]
    allow_rule(lam, fn, rule_arn)
    events.put_targets(Rule=rule, Targets=[{"Id": "fn", "Arn": fn_arn}])
    wait_for(lambda: raws(logs_client, fn), 15, interval=0.1, what="an invocation")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        events.delete_rule(Name=rule)
    assert code_of(e) == "ValidationException"
    assert "targets" in e.value.response["Error"]["Message"]
    events.remove_targets(Rule=rule, Ids=["fn"])
    events.delete_rule(Name=rule)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        events.describe_rule(Name=rule)
    assert code_of(e) == "ResourceNotFoundException"
    time.sleep(1.0)  # an Event already queued still runs
    n = len(raws(logs_client, fn))
    time.sleep(1.5)
    assert len(raws(logs_client, fn)) == n


def test_rule_api_shapes(events):
    rule = unique("shapes")
    events.put_rule(Name=rule, ScheduleExpression="cron(0 12 ? * MON-FRI *)",
                    Description="weekdays")
    d = events.describe_rule(Name=rule)
    assert d["Name"] == rule and d["ScheduleExpression"] == "cron(0 12 ? * MON-FRI *)"
    assert d["State"] == "ENABLED" and d["Description"] == "weekdays"
    assert d["EventBusName"] == "default"
    assert rule in [r["Name"] for r in events.list_rules(NamePrefix=rule)["Rules"]]
    events.put_targets(Rule=rule, Targets=[
        {"Id": "1", "Arn": "arn:aws:lambda:us-east-1:000000000000:function:x", "Input": "{}"},
        {"Id": "2", "Arn": "arn:aws:lambda:us-east-1:000000000000:function:y",
         "InputPath": "$.detail"}])
    targets = events.list_targets_by_rule(Rule=rule)["Targets"]
    assert [t["Id"] for t in targets] == ["1", "2"]
    assert targets[0]["Input"] == "{}" and targets[1]["InputPath"] == "$.detail"
    events.remove_targets(Rule=rule, Ids=["1", "2"])
    assert events.list_targets_by_rule(Rule=rule)["Targets"] == []
    for bad in ["rate(1 minutes)", "rate(5 minute)", "cron(0 12 * * * *)", "at(2030-01-01T00:00:00)"]:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            events.put_rule(Name=rule, ScheduleExpression=bad)
        assert code_of(e) == "ValidationException"
        assert e.value.response["Error"]["Message"] == "Parameter ScheduleExpression is not valid."
    events.delete_rule(Name=rule)


def test_scheduler_delivers_its_input(scheduler, lam, logs_client, server):
    fn, fn_arn = function(lam)
    name = unique("sch")
    arn = scheduler.create_schedule(
        Name=name, ScheduleExpression="rate(1 minute)", ScheduleExpressionTimezone="Europe/Berlin",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": fn_arn, "RoleArn": ROLE, "Input": '{"k": 1}'})["ScheduleArn"]
    assert arn == f"arn:aws:scheduler:us-east-1:000000000000:schedule/default/{name}"
    got = wait_for(lambda: raws(logs_client, fn), 15, interval=0.1, what="a scheduled invocation")
    assert got[0] == '{"k": 1}'
    s = scheduler.get_schedule(Name=name)
    assert s["ScheduleExpression"] == "rate(1 minute)"
    assert s["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert s["State"] == "ENABLED" and s["GroupName"] == "default"
    assert s["Target"] == {"Arn": fn_arn, "RoleArn": ROLE, "Input": '{"k": 1}',
                           "RetryPolicy": {"MaximumEventAgeInSeconds": 86400,
                                           "MaximumRetryAttempts": 185}}
    assert s["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert name in [x["Name"] for x in scheduler.list_schedules(NamePrefix=name)["Schedules"]]
    # What thaw schedules shows.
    with signed_urlopen(server.url + "/thaw/schedules") as r:
        listed = {x["Name"]: x for x in json.loads(r.read())["Schedules"]}
    assert listed[name]["Expression"] == "rate(1 minute)" and "NextRun" in listed[name]
    scheduler.update_schedule(Name=name, ScheduleExpression="rate(1 minute)", State="DISABLED",
                              FlexibleTimeWindow={"Mode": "OFF"},
                              Target={"Arn": fn_arn, "RoleArn": ROLE, "Input": '{"k": 1}'})
    assert scheduler.get_schedule(Name=name)["State"] == "DISABLED"
    time.sleep(0.5)
    n = len(raws(logs_client, fn))
    time.sleep(1.5)
    assert len(raws(logs_client, fn)) == n
    with pytest.raises(botocore.exceptions.ClientError) as e:
        scheduler.create_schedule(Name=name, ScheduleExpression="rate(1 minute)",
                                  FlexibleTimeWindow={"Mode": "OFF"},
                                  Target={"Arn": fn_arn, "RoleArn": ROLE})
    assert code_of(e) == "ConflictException"
    scheduler.delete_schedule(Name=name)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        scheduler.get_schedule(Name=name)
    assert code_of(e) == "ResourceNotFoundException"


def test_scheduler_refuses_bad_expressions_and_zones(scheduler):
    target = {"Arn": "arn:aws:lambda:us-east-1:000000000000:function:x", "RoleArn": ROLE}
    for expression, zone in [("rate(2 minute)", "UTC"), ("cron(0 0 * * * *)", "UTC"),
                             ("at(2030-02-30T00:00:00)", "UTC"),
                             ("at(2030-01-01T00:00:00)", "Mars/Olympus")]:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            scheduler.create_schedule(Name=unique("bad"), ScheduleExpression=expression,
                                      ScheduleExpressionTimezone=zone,
                                      FlexibleTimeWindow={"Mode": "OFF"}, Target=target)
        assert code_of(e) == "ValidationException", expression


def test_rules_survive_a_restart(make_thaw_server, examples):
    srv = make_thaw_server("--schedule-time-scale", "0.005")
    events, lam = boto_client("events", srv), boto_client("lambda", srv)
    logs_client = boto_client("logs", srv)
    fn, fn_arn = function(lam)
    rule = unique("durable")
    rule_arn = events.put_rule(Name=rule, ScheduleExpression="rate(1 minute)")["RuleArn"]
    allow_rule(lam, fn, rule_arn)
    events.put_targets(Rule=rule, Targets=[{"Id": "fn", "Arn": fn_arn, "Input": '"before"'}])
    srv.kill9()
    srv.start()
    assert events.describe_rule(Name=rule)["ScheduleExpression"] == "rate(1 minute)"
    assert events.list_targets_by_rule(Rule=rule)["Targets"][0]["Input"] == '"before"'
    wait_for(lambda: raws(logs_client, fn), 15, interval=0.1, what="an invocation after restart")


SAM_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Ticker:
    Type: AWS::Serverless::Function
    Metadata: {{BuildMethod: go1.x}}
    Properties:
      CodeUri: {code}
      Runtime: provided.al2023
      Handler: bootstrap
      FunctionName: {name}
      Events:
        Tick:
          Type: Schedule
          Properties: {{Schedule: rate(1 minute), Input: '{{"from": "rule"}}', Enabled: {enabled}}}
        Daily:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(* * * * ? *)
            ScheduleExpressionTimezone: Europe/Berlin
            Input: '{{"from": "v2"}}'
"""


def sam_deploy(server, *args, cwd):
    env = dict(os.environ, THAW_ENDPOINT=server.url)
    env["PATH"] = env.get("PATH", "") + ":/usr/local/go/bin"
    res = subprocess.run([str(THAW_BIN), "deploy", *map(str, args)], capture_output=True,
                         text=True, env=env, timeout=300, cwd=cwd)
    assert res.returncode == 0, f"exit {res.returncode}\n{res.stdout}\n{res.stderr}"
    return res


def test_sam_schedule_events_fire(server, events, scheduler, logs_client, tmp_path):
    fn = unique("samsched")
    template = tmp_path / "template.yaml"
    code = ROOT / "examples" / "functions" / "go" / "scheduled"
    template.write_text(SAM_TEMPLATE.format(code=code, name=fn, enabled="true"))
    sam_deploy(server, "-t", template, "--stack-name", "schedstack", cwd=tmp_path)
    got = wait_for(lambda: (lambda r: r if {'{"from": "rule"}', '{"from": "v2"}'} <= set(r)
                            else None)(raws(logs_client, fn)), 20, interval=0.1,
                   what="both schedules' inputs")
    assert set(got) == {'{"from": "rule"}', '{"from": "v2"}'}
    rules = [r for r in events.list_rules(NamePrefix="schedstack")["Rules"]]
    assert len(rules) == 1 and rules[0]["ScheduleExpression"] == "rate(1 minute)"
    schedules = scheduler.list_schedules(NamePrefix="schedstack")["Schedules"]
    assert len(schedules) == 1
    # Enabled: false in the template disables the rule.
    template.write_text(SAM_TEMPLATE.format(code=code, name=fn, enabled="false"))
    sam_deploy(server, "-t", template, "--stack-name", "schedstack", cwd=tmp_path)
    assert events.describe_rule(Name=rules[0]["Name"])["State"] == "DISABLED"
    sam_deploy(server, "-t", template, "--stack-name", "schedstack", "--delete-stack",
               cwd=tmp_path)
    assert events.list_rules(NamePrefix="schedstack")["Rules"] == []
    assert scheduler.list_schedules(NamePrefix="schedstack")["Schedules"] == []


def test_thaw_schedules_lists_rules_and_schedules(server, events, scheduler):
    rule = unique("listed-rule")
    events.put_rule(Name=rule, ScheduleExpression="cron(0 12 ? * MON-FRI *)")
    name = unique("listed-sch")
    scheduler.create_schedule(Name=name, ScheduleExpression="cron(0 9 * * ? *)",
                              ScheduleExpressionTimezone="America/New_York",
                              FlexibleTimeWindow={"Mode": "OFF"},
                              Target={"Arn": "arn:aws:lambda:us-east-1:000000000000:function:f",
                                      "RoleArn": ROLE})
    res = subprocess.run([str(THAW_BIN), "schedules", "--endpoint", server.url],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["KIND", "NAME", "EXPRESSION", "ZONE", "STATE", "TARGETS", "FIRED",
                                "NEXT_RUN"]
    mine = [line for line in lines if rule in line or name in line]
    assert len(mine) == 2
    assert any("cron(0 12 ? * MON-FRI *)" in line and "ENABLED" in line for line in mine)
    sch = next(line for line in mine if name in line)
    assert "America/New_York" in sch and " f " in sch
    assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", sch)
    events.delete_rule(Name=rule)
    scheduler.delete_schedule(Name=name)


def test_scheduler_start_and_end_dates(scheduler):
    import datetime
    start = datetime.datetime(2031, 1, 1, tzinfo=datetime.timezone.utc)
    end = datetime.datetime(2031, 6, 1, tzinfo=datetime.timezone.utc)
    target = {"Arn": "arn:aws:lambda:us-east-1:000000000000:function:x", "RoleArn": ROLE}
    name = unique("dated")
    scheduler.create_schedule(Name=name, ScheduleExpression="rate(1 day)", StartDate=start,
                              EndDate=end, FlexibleTimeWindow={"Mode": "OFF"}, Target=target)
    s = scheduler.get_schedule(Name=name)
    assert s["StartDate"] == start and s["EndDate"] == end
    with pytest.raises(botocore.exceptions.ClientError) as e:
        scheduler.create_schedule(Name=unique("dated"), ScheduleExpression="rate(1 day)",
                                  StartDate=end, EndDate=start,
                                  FlexibleTimeWindow={"Mode": "OFF"}, Target=target)
    assert code_of(e) == "ValidationException"
    scheduler.delete_schedule(Name=name)


def test_list_pages(events, scheduler):
    prefix = unique("page")
    target = {"Arn": "arn:aws:lambda:us-east-1:000000000000:function:x", "RoleArn": ROLE}
    for i in range(3):
        events.put_rule(Name=f"{prefix}-{i}", ScheduleExpression="rate(1 day)")
        scheduler.create_schedule(Name=f"{prefix}-{i}", ScheduleExpression="rate(1 day)",
                                  FlexibleTimeWindow={"Mode": "OFF"}, Target=target)
    first = events.list_rules(NamePrefix=prefix, Limit=2)
    assert [r["Name"] for r in first["Rules"]] == [f"{prefix}-0", f"{prefix}-1"]
    rest = events.list_rules(NamePrefix=prefix, Limit=2, NextToken=first["NextToken"])
    assert [r["Name"] for r in rest["Rules"]] == [f"{prefix}-2"] and "NextToken" not in rest
    pages = scheduler.get_paginator("list_schedules").paginate(
        NamePrefix=prefix, PaginationConfig={"PageSize": 2})
    assert [[s["Name"] for s in p["Schedules"]] for p in pages] == [
        [f"{prefix}-0", f"{prefix}-1"], [f"{prefix}-2"]]
    for i in range(3):
        events.delete_rule(Name=f"{prefix}-{i}")
        scheduler.delete_schedule(Name=f"{prefix}-{i}")
