"""The launcher's wire and its children: what a function's configuration cannot smuggle into the
launcher, and what a function process cannot reach of the operator's terminal."""

import fcntl
import itertools
import json
import os
import shutil
import struct
import subprocess
import tempfile
import termios

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import REGION, THAW_BIN, ThawServer, boto_client, create_function

_counter = itertools.count()


def fname(tag):
    return f"ln-{tag}-{next(_counter)}-{os.getpid() % 1000}"


def forged_env_value(code_dir, tmp_image):
    """A value that, under the old NUL-terminated launcher wire, ended its own string at the NUL
    and was read on as the sandbox fields: enabled, /tmp size, memory (32639 MB), code_dir, the
    /tmp image, the network flag, opt_dir, no extensions. Its key sorts last in the environment.
    Every byte is below 0x80, so it survives JSON as text."""
    raw = (b"x\0" + b"\1" + struct.pack("<QQ", 512, 0x7F7F) + code_dir.encode() + b"\0" +
           tmp_image.encode() + b"\0" + b"\0" + b"\0" + struct.pack("<I", 0))
    return raw.decode("ascii")


@pytest.fixture(scope="module")
def lam_raw(thaw_server):
    """boto3 without client-side validation: the server alone must refuse."""
    return boto3.client(
        "lambda", endpoint_url=thaw_server.url, region_name=REGION,
        aws_access_key_id="AKID", aws_secret_access_key="SECRET",
        config=Config(retries={"max_attempts": 1}, parameter_validation=False, read_timeout=60))


def assert_nul_refused(excinfo, key):
    err = excinfo.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400, err
    assert err["Error"]["Code"] == "InvalidParameterValueException", err
    assert err["Error"]["Message"] == (
        "Lambda was unable to configure your environment variables because the environment "
        f"variables you have provided contains invalid characters. Variable: {key}"), err


def test_nul_in_environment_cannot_forge_launcher_fields(lam, lam_raw, thaw_server, examples):
    forged = forged_env_value("/etc", str(thaw_server.state_dir / "state.db"))
    assert "\0" in forged
    name = fname("forge")
    with pytest.raises(ClientError) as e:
        create_function(lam_raw, name, "echo", Environment={"Variables": {"zzz": forged}})
    assert_nul_refused(e, "zzz")
    with pytest.raises(ClientError) as e:
        lam.get_function(FunctionName=name)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"

    # An existing function keeps its configuration.
    create_function(lam, name, "echo", Environment={"Variables": {"KEEP": "1"}})
    before = lam.get_function_configuration(FunctionName=name)
    with pytest.raises(ClientError) as e:
        lam_raw.update_function_configuration(
            FunctionName=name, Environment={"Variables": {"KEEP": "1", "zzz": forged}})
    assert_nul_refused(e, "zzz")
    after = lam.get_function_configuration(FunctionName=name)
    assert after["Environment"] == {"Variables": {"KEEP": "1"}}
    assert after["RevisionId"] == before["RevisionId"]
    # And it still runs with its own code.
    resp = lam.invoke(FunctionName=name, Payload=json.dumps({"hi": 1}).encode())
    assert "FunctionError" not in resp, resp["Payload"].read()
    assert json.loads(resp["Payload"].read()) == {"hi": 1}


class TtyThawServer(ThawServer):
    """A server whose session has a controlling terminal (a pty), as when run from a shell."""

    master = None

    def start(self):
        self.master, slave = os.openpty()
        self._starts += 1
        out = open(self.log_dir / f"thaw-{self._starts}.stdout", "wb")
        self._stderr_path = self.log_dir / f"thaw-{self._starts}.stderr"
        err = open(self._stderr_path, "wb")
        cmd = [str(THAW_BIN), "serve", "--listen", f"127.0.0.1:{self.port}",
               "--state-dir", str(self.state_dir), *self.extra_args]
        # start_new_session's setsid runs before preexec_fn: the pty becomes the new session's
        # controlling terminal.
        self.proc = subprocess.Popen(
            cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(slave, termios.TIOCSCTTY, 0))
        os.close(slave)
        out.close()
        err.close()
        self._wait_ready()
        return self

    def close(self):
        try:
            super().close()
        finally:
            os.close(self.master)


def session_and_tty(stat):
    """(session id, tty_nr) from a /proc/PID/stat text."""
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[3]), int(fields[4])


def launcher_pids(server_pid):
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        if "(thaw-launcher)" in stat and int(stat[stat.rindex(")") + 2:].split()[1]) == server_pid:
            pids.append(int(entry))
    return pids


@pytest.mark.parametrize("sandbox", [False, True], ids=["no-sandbox", "sandbox"])
def test_functions_have_no_controlling_terminal(tmp_path, examples, sandbox):
    """The launcher and every function run in sessions of their own: the terminal `thaw serve`
    was started from is not theirs, so TIOCSTI cannot push keystrokes into the operator's shell."""
    if sandbox and os.geteuid() != 0:
        pytest.skip("sandboxes need root")
    (tmp_path / "state").mkdir()
    server = TtyThawServer(tmp_path / "state", tmp_path, [] if sandbox else ["--no-sandbox"])
    try:
        server.start()
        with open(f"/proc/{server.proc.pid}/stat") as f:
            server_sid, server_tty = session_and_tty(f.read())
        assert server_tty != 0  # the test's premise: the server has a terminal
        launchers = launcher_pids(server.proc.pid)
        assert len(launchers) == 1, launchers
        with open(f"/proc/{launchers[0]}/stat") as f:
            sid, tty = session_and_tty(f.read())
        assert (sid != server_sid, tty) == (True, 0)

        lam = boto_client("lambda", server)
        name = fname("tty")
        create_function(lam, name, "probe")
        resp = lam.invoke(FunctionName=name,
                          Payload=json.dumps({"action": "read", "path": "/proc/self/stat"}))
        result = json.loads(resp["Payload"].read())
        assert result.get("ok"), result
        sid, tty = session_and_tty(result["text"])
        assert tty == 0, result["text"]
        if not sandbox:  # in a sandbox, the pid namespace numbers sessions its own way
            assert sid != server_sid, (sid, server_sid)
    finally:
        server.close()


def identity(lam, name):
    resp = lam.invoke(FunctionName=name, Payload=json.dumps({"action": "identity"}))
    result = json.loads(resp["Payload"].read())
    assert result.get("ok"), result
    return dict(v.split("=", 1) for v in result["values"])


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can drop to another uid")
def test_no_sandbox_as_root_says_when_functions_run_as_root(make_thaw_server, examples):
    """A state dir the unprivileged uid cannot reach (pytest's own tmp dir is 0700) leaves the
    functions root: thaw serve says so at start rather than fail every function."""
    server = make_thaw_server("--no-sandbox")
    assert "thaw: WARNING: functions run as root" in server.stderr(), server.stderr()
    lam = boto_client("lambda", server)
    name = fname("root")
    create_function(lam, name, "probe")
    assert identity(lam, name)["uid"] == "0"


def shell_pids(launcher_pid):
    """The sandbox shells the launcher cloned (PID 1 of each sandbox)."""
    with open(f"/proc/{launcher_pid}/task/{launcher_pid}/children") as f:
        return [int(p) for p in f.read().split()]


@pytest.mark.skipif(os.geteuid() != 0, reason="sandboxes need root")
def test_sandbox_shells_hold_only_their_own_channels(thaw_server, lam):
    """A shell is cloned from the launcher, which holds every sandbox's cgroup descriptors and its
    socket to the server: the shell keeps stdio and its three channels (reports, go-ahead,
    commands) and nothing else, also once it has started a function."""
    name = fname("fds")
    create_function(lam, name, "noop")
    assert lam.invoke(FunctionName=name, Payload=b"{}")["StatusCode"] == 200
    (launcher,) = launcher_pids(thaw_server.proc.pid)
    shells = shell_pids(launcher)
    assert len(shells) >= 2, shells  # the pool, and the function's
    for pid in shells:
        fds = os.listdir(f"/proc/{pid}/fd")
        targets = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in fds]
        assert not [t for t in targets if "cgroup" in t], (pid, targets)
        assert all(int(fd) <= 5 for fd in fds), (pid, sorted(zip(fds, targets)))
