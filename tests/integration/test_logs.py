"""Function logs through the CloudWatch Logs JSON 1.1 API (boto3 and the real AWS CLI v2).

Expected: the Lambda text log format of shared/reference/lambda-runtime.md section 4.1, stored
in log group /aws/lambda/NAME with one stream per execution environment.
"""

import base64
import concurrent.futures
import itertools
import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
import zipfile

import pytest
from botocore.exceptions import ClientError

from conftest import ROOT, aws, create_function, poll, signed_urlopen

STREAM_RE = re.compile(r"^(\d{4})/(\d{2})/(\d{2})/\[\$LATEST\]([0-9a-f]{32})$")
_counter = itertools.count()


def fname(tag):
    return f"logs-{tag}-{next(_counter)}-{os.getpid() % 1000}"



def cli_json(server, *args):
    res = aws(server, *args)
    assert res.returncode == 0, f"aws {' '.join(map(str, args))} -> {res.returncode}\n{res.stderr}"
    return json.loads(res.stdout)


def invoke(lam, name, payload):
    """Synchronous invoke; returns (request id, response body bytes, response)."""
    resp = lam.invoke(FunctionName=name, Payload=json.dumps(payload).encode(), LogType="Tail")
    body = resp["Payload"].read()
    request_id = resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    return request_id, body, resp


def group_events(logs_client, group):
    """Every event of the group, in order, via filter_log_events pages."""
    events, kw = [], {"logGroupName": group}
    while True:
        page = logs_client.filter_log_events(**kw)
        events.extend(page["events"])
        if not page.get("nextToken"):
            return events
        kw["nextToken"] = page["nextToken"]


def wait_for_report(logs_client, name, request_id, timeout=8.0):
    """Polls until the REPORT line of request_id is stored; returns the group's events."""
    needle = f"REPORT RequestId: {request_id}"

    def ready():
        try:
            events = group_events(logs_client, f"/aws/lambda/{name}")
        except ClientError:
            return None
        return events if any(e["message"].startswith(needle) for e in events) else None
    return poll(ready, timeout=timeout, what=f"{needle} in the logs of {name}")


def index_of(messages, predicate, start=0, what=""):
    for i in range(start, len(messages)):
        if predicate(messages[i]):
            return i
    pytest.fail(f"no message {what!r} at or after index {start} in:\n" + "".join(
        m if m.endswith("\n") else m + "\n" for m in messages))


def assert_in_order(messages, matchers):
    """Each matcher (a prefix string or a compiled regex) matches a later message than the last."""
    pos = -1
    for m in matchers:
        if isinstance(m, str):
            pos = index_of(messages, lambda s, m=m: s.startswith(m), pos + 1, m)
        else:
            pos = index_of(messages, lambda s, m=m: m.search(s), pos + 1, m.pattern)
    return pos


@pytest.fixture(scope="module")
def logged(lam, logs_client, examples):
    """The logger function, invoked once with {"lines": 3}; its logs stored."""
    name = fname("logger")
    create_function(lam, name, "logger")
    request_id, body, _ = invoke(lam, name, {"lines": 3})
    assert json.loads(body) == "ok"
    events = wait_for_report(logs_client, name, request_id)
    streams = {e["logStreamName"] for e in events}
    assert len(streams) == 1, streams
    return {"name": name, "group": f"/aws/lambda/{name}", "request_id": request_id,
            "stream": streams.pop()}


def test_get_log_events_cli_in_order(thaw_server, logged):
    out = cli_json(thaw_server, "logs", "get-log-events", "--log-group-name", logged["group"],
                   "--log-stream-name", logged["stream"], "--start-from-head")
    messages = [e["message"] for e in out["events"]]
    rid = logged["request_id"]
    assert_in_order(messages, [
        f"START RequestId: {rid} Version: $LATEST",
        "line 0", "line 1", "line 2",
        f"END RequestId: {rid}",
        f"REPORT RequestId: {rid}\tDuration: ",
    ])
    # The handler's own lines sit between START and END, exactly once each.
    for line in ("line 0\n", "line 1\n", "line 2\n", "stderr line\n"):
        assert messages.count(line) == 1, (line, messages)
    start = messages.index(f"START RequestId: {rid} Version: $LATEST\n")
    end = messages.index(f"END RequestId: {rid}\n")
    assert start < messages.index("stderr line\n") < end
    # Timestamps never go backwards within a stream.
    stamps = [e["timestamp"] for e in out["events"]]
    assert stamps == sorted(stamps)
    assert out["nextForwardToken"].startswith("f/") and out["nextBackwardToken"].startswith("b/")


def test_report_line_format(logs_client, logged):
    events = logs_client.get_log_events(logGroupName=logged["group"],
                                        logStreamName=logged["stream"],
                                        startFromHead=True)["events"]
    report = next(e["message"] for e in events if e["message"].startswith("REPORT"))
    fields = report.rstrip("\n").rstrip("\t").split("\t")
    assert fields[0] == f"REPORT RequestId: {logged['request_id']}"
    assert re.fullmatch(r"Duration: \d+\.\d{2} ms", fields[1]), fields
    assert re.fullmatch(r"Billed Duration: \d+ ms", fields[2]), fields
    assert fields[3] == "Memory Size: 128 MB", fields
    assert re.fullmatch(r"Max Memory Used: \d+ MB", fields[4]), fields
    # First invoke of the environment: Init Duration after Max Memory Used.
    assert re.fullmatch(r"Init Duration: \d+\.\d{2} ms", fields[5]), fields
    assert events[0]["message"].startswith("INIT_START Runtime Version: provided:al2023")


def test_get_log_events_token_paging(logs_client, logged):
    whole = logs_client.get_log_events(logGroupName=logged["group"],
                                       logStreamName=logged["stream"],
                                       startFromHead=True)["events"]
    assert len(whole) >= 7
    got, token = [], None
    for _ in range(len(whole) + 2):
        kw = dict(logGroupName=logged["group"], logStreamName=logged["stream"], limit=2,
                  startFromHead=True)
        if token:
            kw["nextToken"] = token
        page = logs_client.get_log_events(**kw)
        assert len(page["events"]) <= 2
        got.extend(page["events"])
        # CloudWatch signals the end by handing back the token it was given.
        if page["nextForwardToken"] == token:
            break
        token = page["nextForwardToken"]
    assert [e["message"] for e in got] == [e["message"] for e in whole]


def test_describe_log_streams_one_per_environment(lam, logs_client, thaw_server, examples):
    name = fname("streams")
    create_function(lam, name, "sleep")
    # Two overlapping invokes need two environments.
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(invoke, lam, name, {"ms": 600}) for _ in range(2)]
        ids = [f.result()[0] for f in futures]
    for rid in ids:
        wait_for_report(logs_client, name, rid)

    out = cli_json(thaw_server, "logs", "describe-log-streams", "--log-group-name",
                   f"/aws/lambda/{name}")
    names = [s["logStreamName"] for s in out["logStreams"]]
    assert len(names) == 2, names
    today = time.strftime("%Y/%m/%d", time.gmtime())
    for stream in names:
        m = STREAM_RE.match(stream)
        assert m, stream
        assert stream.startswith(today) or time.gmtime().tm_hour == 0, stream
    # Each stream belongs to one of the function's environments.
    with signed_urlopen(thaw_server.url + "/thaw/environments", timeout=5) as r:
        envs = json.load(r)["environments"]
    env_streams = {e["logStream"] for e in envs if e["function"] == name}
    assert set(names) == env_streams
    for s in out["logStreams"]:
        assert s["arn"].endswith(f":log-group:/aws/lambda/{name}:log-stream:{s['logStreamName']}")
        assert s["firstEventTimestamp"] <= s["lastEventTimestamp"]
    # Each request ran, START..REPORT, in exactly one of the streams.
    for rid in ids:
        hits = [s for s in names if any(
            e["message"].startswith(f"START RequestId: {rid}")
            for e in logs_client.get_log_events(logGroupName=f"/aws/lambda/{name}",
                                                logStreamName=s, startFromHead=True)["events"])]
        assert len(hits) == 1, (rid, hits)


def test_logs_tail_cli(thaw_server, logged):
    res = aws(thaw_server, "logs", "tail", logged["group"], "--since", "1h")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    rid = logged["request_id"]
    text = "\n".join(lines)
    for needle in (f"START RequestId: {rid}", "line 0", "line 1", "line 2",
                   f"END RequestId: {rid}", f"REPORT RequestId: {rid}"):
        assert needle in text, (needle, res.stdout)
    # Printed in time order, each line prefixed with its stream.
    order = [next(i for i, l in enumerate(lines) if n in l)
             for n in (f"START RequestId: {rid}", "line 0", "line 2", f"END RequestId: {rid}")]
    assert order == sorted(order)
    assert all(logged["stream"] in l for l in lines if "line 1" in l)


def test_filter_log_events_report_only(thaw_server, lam, logs_client, examples):
    name = fname("filter")
    create_function(lam, name, "logger")
    ids = [invoke(lam, name, {"lines": 2})[0] for _ in range(3)]
    wait_for_report(logs_client, name, ids[-1])
    out = cli_json(thaw_server, "logs", "filter-log-events", "--log-group-name",
                   f"/aws/lambda/{name}", "--filter-pattern", "REPORT")
    messages = [e["message"] for e in out["events"]]
    assert len(messages) == 3, messages
    assert all(m.startswith("REPORT RequestId: ") for m in messages), messages
    assert [re.search(r"RequestId: (\S+)", m).group(1) for m in messages] == ids
    # boto3, with a quoted term that only the handler prints.
    page = logs_client.filter_log_events(logGroupName=f"/aws/lambda/{name}",
                                         filterPattern='"line 1"')
    assert [e["message"] for e in page["events"]] == ["line 1\n"] * 3


def test_describe_log_groups(thaw_server, logs_client, logged):
    out = cli_json(thaw_server, "logs", "describe-log-groups")
    groups = {g["logGroupName"]: g for g in out["logGroups"]}
    assert logged["group"] in groups
    assert groups[logged["group"]]["arn"].endswith(f":log-group:{logged['group']}:*")
    pref = logs_client.describe_log_groups(logGroupNamePrefix=logged["group"])["logGroups"]
    assert [g["logGroupName"] for g in pref] == [logged["group"]]
    assert logs_client.describe_log_groups(
        logGroupNamePrefix="/aws/lambda/no-such-prefix-")["logGroups"] == []


def test_unknown_log_group(thaw_server, logs_client):
    group = "/aws/lambda/never-deployed-xyz"
    for call in (
        lambda: logs_client.describe_log_streams(logGroupName=group),
        lambda: logs_client.filter_log_events(logGroupName=group),
        lambda: logs_client.get_log_events(logGroupName=group, logStreamName="x"),
    ):
        with pytest.raises(ClientError) as e:
            call()
        err = e.value.response
        assert err["Error"]["Code"] == "ResourceNotFoundException", err
        assert err["ResponseMetadata"]["HTTPStatusCode"] == 400, err
        assert "does not exist" in err["Error"]["Message"]
    res = aws(thaw_server, "logs", "describe-log-streams", "--log-group-name", group)
    assert res.returncode == 254
    assert "ResourceNotFoundException" in res.stderr


def test_unknown_log_stream(logs_client, logged):
    with pytest.raises(ClientError) as e:
        logs_client.get_log_events(logGroupName=logged["group"], logStreamName="2020/01/01/x")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert "stream" in e.value.response["Error"]["Message"]


def test_log_result_tail_header(lam, logged):
    _, _, resp = invoke(lam, logged["name"], {"lines": 1})
    tail = base64.b64decode(resp["LogResult"]).decode()
    lines = tail.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("START RequestId: "))
    assert lines[start + 1] == "line 0"
    assert lines[-1].startswith("REPORT RequestId: ")
    assert "Init Duration" not in lines[-1]  # warm invoke


def test_panic_example_log_in_order(lam, logs_client, examples):
    name = fname("panic")
    create_function(lam, name, "panic")
    request_id, body, resp = invoke(lam, name, {})
    assert resp["FunctionError"] == "Unhandled"
    assert json.loads(body)["errorMessage"] == "boom"
    events = wait_for_report(logs_client, name, request_id)
    messages = [e["message"] for e in events]
    # aws-lambda-go recovers the panic, logs it with its stack trace, then exits 1.
    assert_in_order(messages, [
        f"START RequestId: {request_id}",
        re.compile(r'"errorMessage":"boom".*"stackTrace":\[.*panic/main\.go'),
        re.compile(r"calling the handler function resulted in a panic"),
        re.compile(rf"^RequestId: {request_id} Error: Runtime exited with error: exit status 1"),
        "Runtime.ExitError",
        f"END RequestId: {request_id}",
        re.compile(rf"^REPORT RequestId: {request_id}\t.*\tStatus: error\tError Type: "
                   r"Runtime\.ExitError"),
    ])


def test_report_max_memory_used_after_crash(lam, logs_client, examples):
    """AWS reports the environment's peak memory on every REPORT, never 0, crashes included."""
    name = fname("panicmem")
    create_function(lam, name, "panic")
    request_id, _, resp = invoke(lam, name, {})
    assert resp["FunctionError"] == "Unhandled"
    events = wait_for_report(logs_client, name, request_id)
    report = next(e["message"] for e in events
                  if e["message"].startswith(f"REPORT RequestId: {request_id}"))
    assert "\tStatus: error\tError Type: Runtime.ExitError" in report
    used = int(re.search(r"Max Memory Used: (\d+) MB", report).group(1))
    assert used >= 1, report


GOROUTINE_PANIC = """\
// A panic in a goroutine: aws-lambda-go cannot recover it, so the Go runtime prints the
// multi-line goroutine trace to stderr and exits 2.
package main

import (
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

func handler() (string, error) {
	fmt.Println("before the panic")
	done := make(chan struct{})
	go func() {
		defer close(done)
		panic("goroutine boom")
	}()
	<-done
	time.Sleep(time.Second)
	return "unreachable", nil
}

func main() {
	lambda.Start(handler)
}
"""


@pytest.fixture(scope="module")
def goroutine_panic_zip(tmp_path_factory, examples):
    go = shutil.which("go") or "/usr/local/go/bin/go"
    if not os.access(go, os.X_OK):
        pytest.fail("no Go toolchain")
    src = tmp_path_factory.mktemp("gopanic")
    examples_mod = ROOT / "examples" / "functions" / "go"
    mod = (examples_mod / "go.mod").read_text().replace("module thaw.dev/examples",
                                                        "module gopanic")
    (src / "go.mod").write_text(mod)
    shutil.copy(examples_mod / "go.sum", src / "go.sum")
    (src / "main.go").write_text(GOROUTINE_PANIC)
    env = dict(os.environ, CGO_ENABLED="0", GOOS="linux", GOFLAGS="-mod=mod",
               GOPROXY="off")
    res = subprocess.run([go, "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s",
                          "-o", str(src / "bootstrap"), "."], cwd=src, env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    zip_path = src / "gopanic.zip"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        info = zipfile.ZipInfo("bootstrap", date_time=(2020, 1, 1, 0, 0, 0))
        info.create_system = 3
        info.external_attr = (0o100755) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, (src / "bootstrap").read_bytes())
    return zip_path


def test_goroutine_panic_trace_in_order(lam, logs_client, goroutine_panic_zip):
    name = fname("gopanic")
    create_function(lam, name, goroutine_panic_zip)
    request_id, body, resp = invoke(lam, name, {})
    assert resp["FunctionError"] == "Unhandled"
    assert json.loads(body)["errorType"] == "Runtime.ExitError"
    events = wait_for_report(logs_client, name, request_id)
    messages = [e["message"] for e in events]
    assert_in_order(messages, [
        f"START RequestId: {request_id}",
        "before the panic",
        re.compile(r"^panic: goroutine boom"),
        re.compile(r"^goroutine \d+ \[running\]:"),
        re.compile(r"^main\.handler\.func1\(\)"),
        re.compile(r"^\s+gopanic/main\.go:\d+ \+0x[0-9a-f]+"),
        re.compile(r"^created by main\.handler"),
        re.compile(rf"^RequestId: {request_id} Error: Runtime exited with error: exit status 2"),
        "Runtime.ExitError",
        f"END RequestId: {request_id}",
        f"REPORT RequestId: {request_id}",
    ])
    # The trace reads as the Go runtime wrote it: joined back, the lines are contiguous.
    text = "".join(m if m.endswith("\n") else m + "\n" for m in messages)
    assert re.search(r"goroutine \d+ \[running\]:\nmain\.handler\.func1\(\)\n\s+gopanic/main\.go:"
                     r"\d+ \+0x[0-9a-f]+\n", text), text
