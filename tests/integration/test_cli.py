"""The `thaw` client subcommands against a real server.

Exit codes: 0 ok, 1 failed (service or function error), 2 bad usage, 3 server unreachable.
"""

import base64
import hashlib
import itertools
import json
import os
import re
import signal
import subprocess
import time
import urllib.request

import pytest

from conftest import ROOT, THAW_BIN, create_function, free_port, poll

ECHO_DIR = ROOT / "examples" / "functions" / "go" / "echo"
SUBCOMMANDS = ["serve", "deploy", "invoke", "functions", "get", "delete", "logs"]
_counter = itertools.count()


def fname(tag):
    return f"cli-{tag}-{next(_counter)}-{os.getpid() % 1000}"


def thaw(server, *args, input=None, timeout=60, use_env=True):
    """Runs build/thaw; the endpoint comes from THAW_ENDPOINT (use_env) or --endpoint."""
    env = {k: v for k, v in os.environ.items() if k != "THAW_ENDPOINT"}
    cmd = [str(THAW_BIN)]
    if server is not None:
        if use_env:
            env["THAW_ENDPOINT"] = server.url
        else:
            cmd += ["--endpoint", server.url]
    cmd += [str(a) for a in args]
    return subprocess.run(cmd, input=input, capture_output=True, text=True, env=env,
                          timeout=timeout, cwd=ROOT)



def assert_rc(res, rc):
    assert res.returncode == rc, (
        f"exit {res.returncode}, expected {rc}\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}")


@pytest.fixture(scope="module")
def deployed(thaw_server):
    """`thaw deploy examples/functions/go/echo --name X`, run once (creates the function)."""
    name = fname("echo")
    res = thaw(thaw_server, "deploy", ECHO_DIR, "--name", name, timeout=120)
    return name, res


def test_deploy_creates_function(deployed, lam):
    name, res = deployed
    assert_rc(res, 0)
    m = re.search(r"CodeSha256=(\S+)", res.stdout)
    assert m, res.stdout
    assert "created" in res.stdout
    conf = lam.get_function_configuration(FunctionName=name)
    assert conf["CodeSha256"] == m.group(1)
    assert conf["Runtime"] == "provided.al2023"
    assert conf["Handler"] == "bootstrap"
    # The printed hash is the hash of the code the server holds.
    location = lam.get_function(FunctionName=name)["Code"]["Location"]
    with urllib.request.urlopen(location, timeout=10) as r:
        data = r.read()
    assert base64.b64encode(hashlib.sha256(data).digest()).decode() == m.group(1)


def test_deploy_again_updates_function(deployed, thaw_server, lam):
    name, first = deployed
    assert_rc(first, 0)
    before = lam.get_function_configuration(FunctionName=name)
    res = thaw(thaw_server, "deploy", ECHO_DIR, "--name", name, "--memory", "256",
               "--env", "USER_A=1", timeout=120)
    assert_rc(res, 0)
    assert "updated" in res.stdout
    m = re.search(r"CodeSha256=(\S+)", res.stdout)
    assert m, res.stdout
    conf = lam.get_function_configuration(FunctionName=name)
    assert conf["CodeSha256"] == m.group(1)
    assert conf["MemorySize"] == 256
    assert conf["Environment"]["Variables"] == {"USER_A": "1"}
    assert conf["RevisionId"] != before["RevisionId"]
    # Still one function of that name.
    names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    assert names.count(name) == 1


def test_invoke_prints_body(deployed, thaw_server):
    name, _ = deployed
    res = thaw(thaw_server, "invoke", name, "--payload", '{"a":1}')
    assert_rc(res, 0)
    assert json.loads(res.stdout) == {"a": 1}
    assert "START RequestId" not in res.stderr  # no --log-tail, no log


def test_invoke_with_endpoint_flag_and_stdin_payload(deployed, thaw_server):
    name, _ = deployed
    res = thaw(thaw_server, "invoke", name, "--payload-file", "-", input='{"from":"stdin"}',
               use_env=False)
    assert_rc(res, 0)
    assert json.loads(res.stdout) == {"from": "stdin"}


def test_invoke_log_tail(deployed, thaw_server):
    name, _ = deployed
    res = thaw(thaw_server, "invoke", name, "--payload", '{"b":2}', "--log-tail")
    assert_rc(res, 0)
    assert json.loads(res.stdout) == {"b": 2}
    lines = res.stderr.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("START RequestId: "))
    rid = re.match(r"START RequestId: (\S+) Version: \$LATEST", lines[start]).group(1)
    assert any(l.startswith("echo: ") for l in lines[start + 1:])
    end = lines.index(f"END RequestId: {rid}")
    report = next(i for i, l in enumerate(lines) if l.startswith(f"REPORT RequestId: {rid}\t"))
    assert start < end < report
    assert "START" not in res.stdout


def test_invoke_event_type(deployed, thaw_server):
    name, _ = deployed
    res = thaw(thaw_server, "invoke", name, "--type", "Event", "--payload", "{}")
    assert_rc(res, 0)
    assert "202" in res.stdout


def test_invoke_function_error_exits_1(thaw_server, lam, examples):
    name = fname("error")
    create_function(lam, name, "error")
    res = thaw(thaw_server, "invoke", name)
    assert_rc(res, 1)
    assert "function error" in res.stderr
    body = json.loads(res.stdout)
    assert body["errorMessage"] == "something went wrong!"


def test_invoke_invalid_payload_exits_1(deployed, thaw_server):
    name, _ = deployed
    res = thaw(thaw_server, "invoke", name, "--payload", "{not json")
    assert_rc(res, 1)
    assert "InvalidRequestContentException" in res.stderr


def test_functions_lists_it(deployed, thaw_server):
    name, _ = deployed
    res = thaw(thaw_server, "functions")
    assert_rc(res, 0)
    rows = [l.split() for l in res.stdout.splitlines()]
    assert rows[0][0] == "NAME"
    row = next(r for r in rows if r and r[0] == name)
    assert "provided.al2023" in row


def test_get_prints_configuration(deployed, thaw_server, lam):
    name, _ = deployed
    res = thaw(thaw_server, "get", name)
    assert_rc(res, 0)
    conf = json.loads(res.stdout)
    assert conf["FunctionName"] == name
    assert conf["FunctionArn"].endswith(f":function:{name}")
    assert conf["CodeSha256"] == lam.get_function_configuration(FunctionName=name)["CodeSha256"]


def test_logs_prints_start_lines(deployed, thaw_server, lam):
    name, _ = deployed
    resp = lam.invoke(FunctionName=name, Payload=b'{"for":"logs"}')
    rid = resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]

    def logged():
        res = thaw(thaw_server, "logs", name)
        return res if f"REPORT RequestId: {rid}" in res.stdout else None
    res = poll(logged, what=f"REPORT of {rid} in `thaw logs`")
    assert_rc(res, 0)
    lines = res.stdout.splitlines()
    starts = [l for l in lines if l.startswith("START RequestId: ")]
    assert f"START RequestId: {rid} Version: $LATEST" in starts
    i = lines.index(f"START RequestId: {rid} Version: $LATEST")
    assert lines[i + 1] == "echo: 14 bytes"
    assert lines[i + 2] == f"END RequestId: {rid}"


def test_logs_follow_prints_new_events(deployed, thaw_server, lam):
    name, _ = deployed
    env = dict(os.environ, THAW_ENDPOINT=thaw_server.url)
    proc = subprocess.Popen([str(THAW_BIN), "logs", name, "--follow", "--since", "1m"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        time.sleep(0.3)  # let it make its first poll before the invoke
        resp = lam.invoke(FunctionName=name, Payload=b'{"follow":1}')
        rid = resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
        deadline = time.monotonic() + 8
        seen = []
        os.set_blocking(proc.stdout.fileno(), False)
        while time.monotonic() < deadline:
            chunk = proc.stdout.readline()
            if chunk:
                seen.append(chunk)
                if chunk.startswith(f"REPORT RequestId: {rid}"):
                    break
            else:
                assert proc.poll() is None, proc.stderr.read()
                time.sleep(0.05)
        assert any(l.startswith(f"START RequestId: {rid}") for l in seen), seen
        assert any(l.startswith(f"REPORT RequestId: {rid}") for l in seen), seen
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            rc = proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
            pytest.fail("thaw logs --follow ignored SIGINT for 5 s")
    assert rc == 0


def test_delete(thaw_server, lam, examples):
    name = fname("del")
    create_function(lam, name, "echo")
    res = thaw(thaw_server, "delete", name)
    assert_rc(res, 0)
    assert name in res.stdout
    res = thaw(thaw_server, "get", name)
    assert_rc(res, 1)
    assert name not in [f["FunctionName"] for f in lam.list_functions()["Functions"]]


@pytest.mark.parametrize("sub", [None] + SUBCOMMANDS)
def test_help_exits_0(sub):
    args = ([sub] if sub else []) + ["--help"]
    res = thaw(None, *args)
    assert_rc(res, 0)
    assert "Usage:" in res.stdout
    if sub and sub != "serve":
        assert "Exit codes:" in res.stdout, res.stdout


@pytest.mark.parametrize("sub", ["invoke", "get", "delete", "logs"])
def test_unknown_function_exits_1(thaw_server, sub):
    name = fname("nosuch")
    res = thaw(thaw_server, sub, name)
    assert_rc(res, 1)
    assert name in res.stderr
    assert res.stdout == ""


@pytest.mark.parametrize("args", [
    ["functions"], ["get", "x"], ["invoke", "x"], ["delete", "x"], ["logs", "x"],
    ["deploy", str(ECHO_DIR), "--name", "x"],
])
def test_server_not_running_exits_3(args):
    port = free_port()  # nothing listens there
    res = subprocess.run([str(THAW_BIN), "--endpoint", f"http://127.0.0.1:{port}", *args],
                         capture_output=True, text=True, timeout=30)
    assert_rc(res, 3)
    assert "thaw serve" in res.stderr
    assert str(port) in res.stderr


@pytest.mark.parametrize("args", [
    ["--bogus"], ["functions", "--bogus"], ["invoke", "x", "--bogus"],
    ["invoke", "x", "--type", "Sometimes"], ["invoke"], ["get"], ["deploy", "/nonexistent-dir"],
    ["deploy", str(ECHO_DIR), "--memory", "64"], ["logs", "x", "--since", "yesterday"],
    ["nosuchcommand"],
])
def test_bad_usage_exits_2(thaw_server, args):
    res = thaw(thaw_server, *args)
    assert_rc(res, 2)
    assert res.stderr.strip(), "a usage error must say what is wrong"


def test_bad_endpoint_exits_2():
    res = subprocess.run([str(THAW_BIN), "--endpoint", "not-a-url", "functions"],
                         capture_output=True, text=True, timeout=30)
    assert_rc(res, 2)
    assert "not-a-url" in res.stderr
