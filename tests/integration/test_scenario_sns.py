"""The seed's cross-account SNS scenario (issue 14, "The seed's scenario, runnable"):
examples/scenarios/sns-cross-account/run.sh, run for real (its own thaw server, the AWS CLI v2,
a Go function), and its three runs read from its PASS/FAIL lines: (1) both policies: delivered
and in the function's CloudWatch log; (2) no topic policy: AuthorizationError; (3) no Lambda
permission: the invoke refused, not retried, the message in the subscription's redrive DLQ.

A run that needs a behaviour the server does not have yet (topic policies enforced, SNS invoking
as sns.amazonaws.com, functions namespaced by account) is skipped with the reason, but only when
a probe of that behaviour on a server of this build shows it missing; any other FAIL fails.
"""

import os
import re
import subprocess
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import REGION, ROOT, THAW_BIN, create_function, module_server
from invoke_util import pid_alive, unique

RUNNER = ROOT / "examples" / "scenarios" / "sns-cross-account" / "run.sh"
A, B = "111111111111", "222222222222"

probe_server = module_server(name="probe_server", examples=True)


def as_account(service, server, account):
    return boto3.client(service, endpoint_url=server.url, region_name=REGION,
                        aws_access_key_id=account, aws_secret_access_key="probe-secret",
                        config=Config(retries={"max_attempts": 1}))


@pytest.fixture(scope="module")
def scenario():
    started = time.monotonic()
    res = subprocess.run([str(RUNNER)], capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, THAW=str(THAW_BIN)))
    elapsed = time.monotonic() - started
    print(f"run.sh: exit {res.returncode} after {elapsed:.1f} s\n{res.stdout}\n{res.stderr}")
    checks = {}
    for line in res.stdout.splitlines():
        m = re.match(r"(PASS|FAIL) run (\d): (.*)", line)
        if m:
            checks.setdefault(int(m.group(2)), []).append((m.group(1), m.group(3)))
    return res, checks, elapsed


# ---- Probes: is a behaviour the scenario needs there? Each returns why not, or None. --------

def topic_policy_not_enforced(server):
    topic = as_account("sns", server, B).create_topic(Name=unique("probe-policy"))["TopicArn"]
    try:
        as_account("sns", server, A).publish(TopicArn=topic, Message="probe")
    except ClientError as e:
        if e.response["Error"]["Code"] == "AuthorizationError":
            return None
        raise
    return (f"SNS topic policies are not enforced yet: account {A} published to a topic of {B} "
            "whose policy does not admit it")


def sns_invokes_without_permission(server):
    lam = as_account("lambda", server, B)
    name = unique("probe-principal")
    arn = create_function(lam, name, "echo")["FunctionArn"]
    sns = as_account("sns", server, B)
    topic = sns.create_topic(Name=unique("probe-principal"))["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="probe")
    logs = as_account("logs", server, B)

    def invoked():
        try:
            return logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        except ClientError:
            return []
    deadline = time.monotonic() + 5
    while not invoked():
        if time.monotonic() > deadline:
            return None
        time.sleep(0.1)
    return ("SNS does not invoke Lambda as sns.amazonaws.com yet: a function whose policy does "
            "not admit it was invoked")


def functions_not_namespaced(server):
    name = unique("probe-account")
    create_function(as_account("lambda", server, A), name, "echo")
    try:
        got = as_account("lambda", server, B).get_function(FunctionName=name)
    except ClientError as e:
        if e.response["Error"]["Code"] == "ResourceNotFoundException":
            return None
        raise
    return (f"functions are not namespaced by account yet: account {B} sees account {A}'s "
            f"function ({got['Configuration']['FunctionArn']})")


# What each run needs besides what main has.
NEEDS = {
    1: [functions_not_namespaced],
    2: [topic_policy_not_enforced],
    3: [sns_invokes_without_permission],
}


def check_run(scenario, probe_server, run, want_passes):
    res, checks, _ = scenario
    got = checks.get(run, [])
    failed = [text for verdict, text in got if verdict == "FAIL"]
    if failed:
        reasons = [r for r in (probe(probe_server) for probe in NEEDS[run]) if r]
        if reasons:
            pytest.skip(f"run {run} waits for: " + "; ".join(reasons))
        pytest.fail(f"run {run} failed:\n" + "\n".join(failed) + f"\n\n{res.stdout}{res.stderr}")
    assert len(got) == want_passes, res.stdout + res.stderr
    return [text for _, text in got]


def test_run1_both_policies_deliver_to_the_log(scenario, probe_server):
    owned, published, logged = check_run(scenario, probe_server, 1, 3)
    assert "arn:aws:lambda:us-east-1:222222222222:function:seed-sns-consumer-" in owned
    assert f"account {A} published to {B}'s topic" in published
    assert "filter-log-events in 222222222222" in logged
    assert "SNS message from arn:aws:sns:us-east-1:222222222222:seed-topic-" in logged


def test_run2_without_topic_policy_publish_is_refused(scenario, probe_server):
    [refused] = check_run(scenario, probe_server, 2, 1)
    assert "(AuthorizationError) when calling the Publish operation" in refused


def test_run3_without_permission_the_message_goes_to_the_dlq(scenario, probe_server):
    published, dlq, not_run = check_run(scenario, probe_server, 3, 3)
    assert "published" in published
    assert "the message is in the subscription's DLQ" in dlq
    assert "the function never logged the message" in not_run


def test_exit_status_and_cleanup(scenario):
    res, checks, elapsed = scenario
    failed = any(v == "FAIL" for run in checks.values() for v, _ in run)
    assert sorted(checks) == [1, 2, 3], res.stdout + res.stderr
    assert res.returncode == (1 if failed else 0), res.stdout + res.stderr
    assert res.stdout.rstrip().endswith("check(s) FAILED" if failed else "every check passed")
    # It started a server of its own, and stopped it.
    pid = int(re.search(r"thaw serve on http://127\.0\.0\.1:\d+ \(pid (\d+)", res.stdout).group(1))
    assert not pid_alive(pid), res.stdout
