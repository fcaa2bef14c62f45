"""State survives restarts and crashes; the server stops cleanly and never leaks processes.

Each test runs its own server (make_thaw_server) since it stops, kills or restarts it.
"""

import base64
import hashlib
import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import THAW_BIN, boto_client, create_function, free_port, poll, signed_urlopen

ASYNC_COUNT = 20



def b64sha256(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def environments(server):
    with signed_urlopen(server.url + "/thaw/environments", timeout=5) as r:
        return json.load(r)["environments"]


def env_pids(server, function=None):
    return sorted(e["pid"] for e in environments(server)
                  if e.get("pid", -1) > 0 and (function is None or e["function"] == function))


def alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def children(pid):
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def invoke_ok(lam, name, payload, **kw):
    resp = lam.invoke(FunctionName=name, Payload=json.dumps(payload).encode(), **kw)
    body = resp["Payload"].read()
    assert "FunctionError" not in resp, body
    return resp, json.loads(body)


def make_rich_function(lam, name, examples):
    """A function with a version history, an alias, reserved concurrency and new code."""
    create_function(lam, name, "echo", Environment={"Variables": {"USER_STAGE": "one"}})
    assert lam.publish_version(FunctionName=name)["Version"] == "1"
    lam.update_function_code(FunctionName=name, ZipFile=examples.go("context").read_bytes())
    lam.update_function_configuration(FunctionName=name, MemorySize=256, Timeout=9,
                                      Environment={"Variables": {"USER_STAGE": "two"}})
    poll(lambda: lam.get_function(FunctionName=name)["Configuration"]["LastUpdateStatus"]
         == "Successful", what="update finished")
    assert lam.publish_version(FunctionName=name)["Version"] == "2"
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    lam.create_alias(FunctionName=name, Name="next", FunctionVersion="2")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=7)
    # Warm it: an environment exists when the server goes down.
    invoke_ok(lam, name, {"warm": True}, Qualifier="live")
    return lam.get_function(FunctionName=name)


def check_rich_function(lam, name, before, examples):
    got = lam.get_function(FunctionName=name)
    conf = got["Configuration"]
    for key in ("FunctionArn", "CodeSha256", "CodeSize", "RevisionId", "LastModified",
                "MemorySize", "Timeout", "Environment", "Runtime", "Role", "Handler"):
        assert conf[key] == before["Configuration"][key], key
    assert conf["State"] == "Active"
    assert conf["CodeSha256"] == b64sha256(examples.go("context").read_bytes())
    with urllib.request.urlopen(got["Code"]["Location"], timeout=10) as r:
        assert r.read() == examples.go("context").read_bytes()
    assert got["Concurrency"] == {"ReservedConcurrentExecutions": 7}
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 7

    versions = lam.list_versions_by_function(FunctionName=name)["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]
    aliases = {a["Name"]: a["FunctionVersion"]
               for a in lam.list_aliases(FunctionName=name)["Aliases"]}
    assert aliases == {"live": "1", "next": "2"}
    # Version numbering goes on from where it was.
    lam.update_function_configuration(FunctionName=name, Timeout=10)
    assert lam.publish_version(FunctionName=name)["Version"] == "3"

    # $LATEST runs the updated code with the updated configuration.
    _, body = invoke_ok(lam, name, {})
    assert body["env"]["USER_STAGE"] == "two"
    assert body["memory_limit_in_mb"] == 256
    # Version 1 (via its alias) still runs the old echo code.
    resp, body = invoke_ok(lam, name, {"old": "code"}, Qualifier="live")
    assert body == {"old": "code"}
    assert resp["ExecutedVersion"] == "1"
    resp, body = invoke_ok(lam, name, {}, Qualifier="next")
    assert resp["ExecutedVersion"] == "2"
    assert body["env"]["USER_STAGE"] == "two"


def test_functions_survive_clean_restart(make_thaw_server, examples):
    server = make_thaw_server()
    lam = boto_client("lambda", server)
    before = make_rich_function(lam, "durable", examples)
    server.restart()  # SIGTERM, must exit 0, then start on the same state dir
    check_rich_function(lam, "durable", before, examples)


def test_functions_survive_kill9(make_thaw_server, examples):
    server = make_thaw_server()
    lam = boto_client("lambda", server)
    before = make_rich_function(lam, "crashy", examples)
    server.kill9()
    server.start()
    check_rich_function(lam, "crashy", before, examples)


def test_deleted_function_stays_deleted_after_kill9(make_thaw_server, examples):
    server = make_thaw_server()
    lam = boto_client("lambda", server)
    create_function(lam, "keep", "echo")
    create_function(lam, "gone", "echo")
    lam.delete_function(FunctionName="gone")
    server.kill9()
    server.start()
    names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    assert names == ["keep"]
    with pytest.raises(ClientError) as e:
        lam.get_function(FunctionName="gone")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    # The name can be used again.
    create_function(lam, "gone", "logger")
    _, body = invoke_ok(lam, "gone", {"lines": 0})
    assert body == "ok"


def test_logs_survive_kill9(make_thaw_server, examples):
    server = make_thaw_server()
    lam = boto_client("lambda", server)
    logs = boto_client("logs", server)
    create_function(lam, "chatty", "logger")
    resp = lam.invoke(FunctionName="chatty", Payload=b'{"lines":2}')
    rid = resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]

    def stored():
        try:
            events = logs.filter_log_events(logGroupName="/aws/lambda/chatty")["events"]
        except ClientError:
            return None
        msgs = [e["message"] for e in events]
        return msgs if any(m.startswith(f"REPORT RequestId: {rid}") for m in msgs) else None
    before = poll(stored, what="REPORT stored")
    server.kill9()
    server.start()
    after = [e["message"] for e in logs.filter_log_events(
        logGroupName="/aws/lambda/chatty")["events"]]
    assert after[:len(before)] == before


def test_async_invokes_survive_kill9(make_thaw_server, examples):
    server = make_thaw_server()
    lam = boto_client("lambda", server)
    logs = boto_client("logs", server)
    create_function(lam, "slowasync", "sleep")
    ids = []
    for i in range(ASYNC_COUNT):
        resp = lam.invoke(FunctionName="slowasync", InvocationType="Event",
                          Payload=json.dumps({"ms": 1000, "i": i}).encode())
        assert resp["StatusCode"] == 202
        ids.append(resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"])
    server.kill9()  # right after the last 202
    assert len(set(ids)) == ASYNC_COUNT
    restarted_ms = int(time.time() * 1000)
    server.start()

    def started_ids():
        try:
            events = []
            kw = {"logGroupName": "/aws/lambda/slowasync", "filterPattern": "START"}
            while True:
                page = logs.filter_log_events(**kw)
                events += page["events"]
                if not page.get("nextToken"):
                    break
                kw["nextToken"] = page["nextToken"]
        except ClientError:
            return set()
        return {(m.group(1), e["timestamp"] >= restarted_ms) for e in events
                if (m := re.match(r"START RequestId: (\S+) Version: ", e["message"]))}

    deadline = time.monotonic() + 20
    seen = set()
    while time.monotonic() < deadline:
        seen = started_ids()
        if set(ids) <= {rid for rid, _ in seen}:
            break
        time.sleep(0.2)
    missing = [i for i in ids if i not in {rid for rid, _ in seen}]
    assert not missing, f"{len(missing)} of {ASYNC_COUNT} accepted Event invokes were lost: " \
                        f"{missing}"
    # The last ones cannot have finished (1 s each; a loaded box may run the first ones to the
    # end while the later 202s wait for their commits) before the kill: they ran after it.
    assert any(after for _, after in seen), "no invoke was run by the restarted server"


def test_second_server_same_state_dir_refuses(make_thaw_server):
    server = make_thaw_server()
    port = free_port()
    cmd = [str(THAW_BIN), "serve", "--listen", f"127.0.0.1:{port}", "--state-dir",
           str(server.state_dir)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=8)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("a second server on the same --state-dir kept running")
    assert proc.returncode != 0
    assert str(server.state_dir) in err, err
    # The first one is unharmed.
    lam = boto_client("lambda", server)
    assert lam.get_account_settings()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_sigterm_stops_server_and_function_processes(make_thaw_server, examples):
    server = make_thaw_server()
    lam = boto_client("lambda", server)
    create_function(lam, "term1", "echo")
    create_function(lam, "term2", "sigterm")
    invoke_ok(lam, "term1", {"x": 1})
    invoke_ok(lam, "term2", {"x": 2})
    pids = env_pids(server)
    assert len(pids) == 2 and all(alive(p) for p in pids), environments(server)
    helpers = children(server.proc.pid)  # thaw-launcher
    assert helpers, "expected the server to have a launcher child"

    started = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    try:
        rc = server.proc.wait(5)
    except subprocess.TimeoutExpired:
        pytest.fail(f"thaw did not exit within 5 s of SIGTERM:\n{server.stderr()}")
    assert rc == 0, server.stderr()
    assert time.monotonic() - started < 5
    poll(lambda: not any(alive(p) for p in pids + helpers), timeout=2,
         what=f"function processes {pids} and launcher {helpers} to exit")


def test_kill9_server_kills_function_processes(make_thaw_server, examples):
    server = make_thaw_server()
    lam = boto_client("lambda", server)
    create_function(lam, "orphan", "sleep")
    invoke_ok(lam, "orphan", {"ms": 1})
    pids = env_pids(server, "orphan")
    assert len(pids) == 1 and alive(pids[0])
    helpers = children(server.proc.pid)
    server.kill9()
    poll(lambda: not any(alive(p) for p in pids + helpers), timeout=2.5,
         what=f"function process {pids} and launcher {helpers} to die after kill -9")
    # And a restart starts fresh environments that work.
    server.start()
    _, body = invoke_ok(lam, "orphan", {"ms": 1})
    assert body == {"slept": 1}
    assert env_pids(server, "orphan") != pids


def file_modes(state_dir):
    """Mode bits of the state dir and of its top-level files (the databases, the lock)."""
    modes = {".": os.stat(state_dir).st_mode & 0o7777}
    for p in Path(state_dir).iterdir():
        if p.is_file():
            modes[p.name] = p.stat().st_mode & 0o7777
    return modes


def test_state_files_are_private(make_thaw_server, examples):
    os.umask(umask := os.umask(0o022))  # the usual umask, which would give 0644/0755
    try:
        server = make_thaw_server()
        lam = boto_client("lambda", server)
        logs = boto_client("logs", server)
        # Write to every database: state.db (an environment variable), events.db, logs.db,
        # invocations.db.
        create_function(lam, "private", "echo",
                        Environment={"Variables": {"API_TOKEN": "s3cret"}})
        invoke_ok(lam, "private", {"x": 1})
        assert lam.invoke(FunctionName="private", InvocationType="Event",
                          Payload=b"{}")["StatusCode"] == 202
        logs.create_log_group(logGroupName="mine")
        modes = file_modes(server.state_dir)
        expected = {"state.db", "events.db", "logs.db", "invocations.db", "thaw.lock"}
        assert expected <= set(modes), modes
        assert any(n.endswith("-wal") for n in modes) and any(n.endswith("-shm") for n in modes)
        assert modes == {".": 0o700, **{n: 0o600 for n in modes if n != "."}}, \
            {n: oct(m) for n, m in modes.items()}

        # A state dir left with looser modes (an older thaw, or made by hand) is tightened.
        server.stop()
        os.chmod(server.state_dir, 0o755)
        for name in file_modes(server.state_dir):  # -wal and -shm are gone after a clean stop
            if name != ".":
                os.chmod(server.state_dir / name, 0o644)
        server.start()
        modes = file_modes(server.state_dir)
        assert modes == {".": 0o700, **{n: 0o600 for n in modes if n != "."}}, \
            {n: oct(m) for n, m in modes.items()}
        _, body = invoke_ok(lam, "private", {"after": "restart"})
        assert body == {"after": "restart"}
    finally:
        os.umask(umask)
