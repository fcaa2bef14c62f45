"""Isolation: each test attacks from inside a sandbox (by host path, pid and port) and asserts
the exact denial; plus the sandbox's own shape (/var/task, /tmp size and persistence, identity)
and that nothing thaw made is left after it stops."""

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from invoke_util import environments, make, wait_for, wait_idle
from sandbox_util import require

pytestmark = pytest.mark.usefixtures("examples")


def call(lam, name, **event):
    r = lam.invoke(FunctionName=name, Payload=json.dumps(event).encode())
    body = json.loads(r["Payload"].read())
    assert "FunctionError" not in r, body
    return body


@pytest.fixture(scope="module")
def probe(lam, thaw_server):
    require(thaw_server, "namespaces+read-only root")
    return make(lam, "probe", "probe", MemorySize=128, Timeout=10)


def test_runs_unprivileged_with_seccomp(lam, thaw_server, probe):
    require(thaw_server, "unprivileged uid", "seccomp")
    values = dict(v.split("=", 1) for v in call(lam, probe, action="identity")["values"])
    assert values["uid"] == "993" and values["gid"] == "990"
    assert values["CapEff"] == "0000000000000000"
    assert values["CapBnd"] == "0000000000000000"
    assert values["NoNewPrivs"] == "1"
    assert values["Seccomp"] == "2"  # filter mode
    # Its own PID namespace: the shell is 1, the runtime next (after mke2fs on a first start).
    assert int(values["pid"]) in (2, 3), values


@pytest.mark.parametrize("action,errno", [
    ("mount", "EPERM"), ("unshare", "EPERM"), ("setuid0", "EPERM"), ("ptrace", "EPERM"),
])
def test_privileged_calls_are_denied(lam, thaw_server, probe, action, errno):
    require(thaw_server, "seccomp")
    r = call(lam, probe, action=action, pid=1)
    assert not r["ok"] and r["errno"] == errno, r


@pytest.mark.parametrize("path", ["/etc/thaw-probe", "/var/task/new-file", "/usr/thaw-probe",
                                  "/opt/thaw-probe"])
def test_host_and_code_are_read_only(lam, probe, path):
    r = call(lam, probe, action="write", path=path)
    assert not r["ok"] and r["errno"] == "EROFS", r


def test_code_is_at_var_task(lam, probe):
    r = call(lam, probe, action="list", path="/var/task")
    assert r["ok"] and r["values"] == ["bootstrap"], r


def test_state_dir_is_invisible(lam, thaw_server, probe):
    state = str(thaw_server.state_dir)
    assert (thaw_server.state_dir / "state.db").exists()
    for path in (state, state + "/code"):
        r = call(lam, probe, action="list", path=path)
        assert not r["ok"] and r["errno"] in ("EACCES", "ENOENT"), (path, r)
    r = call(lam, probe, action="read", path=state + "/state.db")
    assert not r["ok"] and r["errno"] in ("EACCES", "ENOENT"), r
    # Another function's code, by its host path.
    code = next((thaw_server.state_dir / "code").glob("*/bootstrap"))
    r = call(lam, probe, action="read", path=str(code))
    assert not r["ok"] and r["errno"] in ("EACCES", "ENOENT"), r


def test_cannot_see_or_signal_other_processes(lam, thaw_server, probe):
    other = make(lam, "victim", "echo")
    lam.invoke(FunctionName=other, Payload=b"{}")
    victim = environments(thaw_server, other)[0]
    pids = call(lam, probe, action="list", path="/proc")["values"]
    numeric = sorted(int(p) for p in pids if p.isdigit())
    assert len(numeric) == 2 and numeric[0] == 1 and numeric[1] <= 3, numeric  # shell, runtime
    for pid in (victim["pid"], thaw_server.proc.pid):
        r = call(lam, probe, action="kill", pid=pid)
        assert not r["ok"] and r["errno"] == "ESRCH", (pid, r)
    assert os.path.exists(f"/proc/{victim['pid']}")
    assert lam.invoke(FunctionName=other, Payload=b"{}")["StatusCode"] == 200


def test_cannot_use_another_environments_runtime_api(lam, thaw_server, probe):
    other = make(lam, "victim", "echo")
    lam.invoke(FunctionName=other, Payload=b"{}")
    port = environments(thaw_server, other)[0]["runtimeApiPort"]
    r = call(lam, probe, action="connect", addr=f"127.0.0.1:{port}")
    # The connection is accepted by the kernel and then closed by thaw: its peer is not a
    # process of that environment.
    assert not r["ok"] or not r.get("text", "").startswith("HTTP/1.1 200"), r


def test_tmp_is_private_and_sized_by_ephemeral_storage(lam, thaw_server):
    require(thaw_server, "/tmp size limit")
    a = make(lam, "tmpa", "probe", EphemeralStorage={"Size": 512})
    b = make(lam, "tmpb", "probe", EphemeralStorage={"Size": 1024})
    assert call(lam, a, action="touch-tmp", path="secret-a")["ok"]
    assert "secret-a" not in (call(lam, b, action="list", path="/tmp").get("values") or [])
    size_a = call(lam, a, action="statfs", path="/tmp")["number"]
    size_b = call(lam, b, action="statfs", path="/tmp")["number"]
    # ext4 keeps a few MB for its own metadata.
    assert 480 << 20 <= size_a <= 512 << 20, size_a
    assert 980 << 20 <= size_b <= 1024 << 20, size_b


def test_tmp_survives_a_reset(lam, thaw_server):
    require(thaw_server, "namespaces+read-only root")
    name = make(lam, "keep", "probe")
    assert call(lam, name, action="touch-tmp", path="kept")["ok"]
    env_id = wait_idle(thaw_server, name)[0]["id"]  # one environment, free for the next call
    r = lam.invoke(FunctionName=name, Payload=json.dumps({"action": "crash"}).encode())
    assert r["FunctionError"] == "Unhandled"
    listing = call(lam, name, action="list", path="/tmp")["values"]
    assert "kept" in listing
    assert environments(thaw_server, name)[0]["id"] == env_id  # the same environment, reset


def test_idle_environment_is_frozen(lam, thaw_server, probe):
    require(thaw_server, "freeze between invocations")
    call(lam, probe, action="identity")
    env = wait_idle(thaw_server, probe)[0]
    assert env["frozen"] is True, env
    pid = env["pid"]
    # Every process of the environment is in the freezer's refrigerator.
    def all_frozen():
        states = []
        for task in Path(f"/proc/{pid}/task").iterdir():
            wchan = (task / "wchan").read_text() if (task / "wchan").exists() else ""
            states.append(wchan)
        return all("freez" in w or "signal" in w or w == "do_freezer_trap" for w in states) or None
    wait_for(all_frozen, timeout=2, what="frozen tasks")


def test_timeout_kills_every_process_within_100ms(lam, thaw_server):
    import threading
    name = make(lam, "spin", "probe", Timeout=1)
    call(lam, name, action="identity")
    wait_idle(thaw_server, name)  # so the spin reuses this environment
    result = {}

    def invoke():
        r = lam.invoke(FunctionName=name, Payload=b'{"action":"spin"}')
        result["at"] = time.monotonic()
        result["body"] = json.loads(r["Payload"].read())
        result["error"] = r.get("FunctionError")

    t = threading.Thread(target=invoke)
    t.start()
    # The runtime and its sleep child, seen from the host while the function spins.
    pids = wait_for(lambda: (lambda p: p if len(p) >= 3 else None)(
        _sandbox_pids(thaw_server, name, busy=True)), timeout=5, what="spinning processes")
    t.join()
    assert result["error"] == "Unhandled"
    assert result["body"]["errorType"] == "Sandbox.Timedout"
    assert result["body"]["errorMessage"].endswith("Task timed out after 1.00 seconds")
    wait_for(lambda: not [p for p in pids if os.path.exists(f"/proc/{p}")] or None,
             timeout=0.1, interval=0.005, what="every process of the timed-out environment to go")
    assert call(lam, name, action="identity")["ok"]


def test_cpu_share_follows_memory_and_is_accounted(lam, thaw_server):
    require(thaw_server, "cpu share")
    small = make(lam, "cpu128", "probe", MemorySize=128, Timeout=10)
    one = make(lam, "cpu1769", "probe", MemorySize=1769, Timeout=10)
    call(lam, small, action="burn", pid=1000)
    cpu_small = wait_idle(thaw_server, small)[0]["lastCpuNs"] / 1e6
    call(lam, one, action="burn", pid=500)
    cpu_one = wait_idle(thaw_server, one)[0]["lastCpuNs"] / 1e6
    # 128 MB is 0.072 vCPU: about 72 ms of CPU in a second (the quota caps it; a busy host can
    # only lower it). 1,769 MB is one vCPU: well above what 128 MB could get in 0.5 s.
    assert 20 <= cpu_small <= 100, cpu_small
    assert cpu_one >= 150, cpu_one


def test_memory_is_recorded_for_the_invocation_and_the_environment(lam, thaw_server, probe):
    require(thaw_server, "memory limit")
    call(lam, probe, action="identity")
    env = wait_idle(thaw_server, probe)[0]
    assert 0 < env["lastInvocationMemoryKiB"] <= env["maxMemoryKiB"] <= 128 * 1024, env


def test_nothing_is_left_after_stop(make_thaw_server, examples):
    import boto3  # noqa: F401  (the conftest client builder uses it)
    from conftest import boto_client
    server = make_thaw_server()
    require(server, "namespaces+read-only root", "memory limit")
    lam = boto_client("lambda", server)
    name = make(lam, "left", "probe")
    call(lam, name, action="touch-tmp", path="x")
    launcher = _launcher_pid(server)
    pids = _sandbox_pids(server)
    assert len(pids) == 2, pids  # shell and runtime
    assert _cgroup_dirs(launcher), "the sandbox cgroups exist while running"
    assert _loop_devices(server.state_dir)
    assert server.stop() == 0
    assert not _cgroup_dirs(launcher)
    assert not _loop_devices(server.state_dir)
    assert not list((server.state_dir / "sandbox" / "tmp").iterdir())
    assert not [p for p in pids if os.path.exists(f"/proc/{p}")]


def test_next_serve_cleans_up_after_kill9(make_thaw_server, examples):
    from conftest import boto_client
    server = make_thaw_server()
    require(server, "namespaces+read-only root", "memory limit")
    lam = boto_client("lambda", server)
    name = make(lam, "crashy", "probe")
    call(lam, name, action="identity")
    launcher = _launcher_pid(server)
    pids = _sandbox_pids(server)
    assert pids
    env_image = server.state_dir / "sandbox" / "tmp" / (environments(server, name)[0]["id"] + ".img")
    assert env_image.exists()
    # Both the server and its launcher die at once: nobody is left to clean up.
    os.kill(launcher, signal.SIGKILL)
    server.kill9()
    wait_for(lambda: not os.path.exists(f"/proc/{launcher}") or None, timeout=5)
    # The shells die with their launcher (parent-death signal), their namespaces with them.
    wait_for(lambda: not [p for p in pids if os.path.exists(f"/proc/{p}")] or None, timeout=5,
             what="sandbox processes to die")
    assert _cgroup_dirs(launcher), "a killed launcher leaves its cgroups"
    server.start()
    assert not _cgroup_dirs(launcher), "the next serve removes them"
    assert not env_image.exists(), "and the dead environment's /tmp image"
    assert lam.invoke(FunctionName=name, Payload=b'{"action":"identity"}')["StatusCode"] == 200


# ---- host-side inspection ---------------------------------------------------------------------

def _launcher_pid(server):
    children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children").read_text().split()
    for pid in children:
        if Path(f"/proc/{pid}/comm").read_text().strip() == "thaw-launcher":
            return int(pid)
    raise AssertionError("no thaw-launcher child")


def _cgroup_dirs(launcher_pid):
    found = []
    for mount in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = mount.split()
        fstype = fields[fields.index("-") + 1]
        if fstype not in ("cgroup", "cgroup2"):
            continue
        root = Path(fields[4])
        for d in root.rglob(f"thaw/i{launcher_pid}"):
            found.append(d)
    return found


def _loop_devices(state_dir):
    out = []
    for backing in Path("/sys/block").glob("loop*/loop/backing_file"):
        if str(state_dir) in backing.read_text():
            out.append(backing)
    return out


def _sandbox_pids(server, function=None, busy=False):
    """Host pids of every environment's shell and its descendants (only busy ones if asked)."""
    pids = []
    todo = [e["pid"] for e in environments(server, function)
            if e["pid"] > 0 and (not busy or e["state"] == "invoking")]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                todo.extend(int(c) for c in (task / "children").read_text().split())
            except OSError:
                pass
    return pids


def test_degraded_mode_says_plainly_what_is_not_enforced(make_thaw_server, examples):
    from conftest import boto_client
    server = make_thaw_server("--no-sandbox")
    line = next(l for l in server.stderr().splitlines() if l.startswith("thaw: sandbox:"))
    assert line == ("thaw: sandbox: NOT enforced: namespaces+read-only root, unprivileged uid, "
                    "seccomp, memory limit, cpu share, pids limit, freeze between invocations, "
                    "/tmp size limit"), line
    lam = boto_client("lambda", server)
    name = make(lam, "plain", "probe")
    values = dict(v.split("=", 1) for v in call(lam, name, action="identity")["values"])
    assert values["Seccomp"] == "0" and values["NoNewPrivs"] == "0"
    env = wait_idle(server, name)[0]
    assert env["sandboxed"] is False and env["frozen"] is False
    assert env["maxMemoryKiB"] > 0  # VmHWM of the runtime, said so in docs/sandbox.md


def test_doctor_prints_what_this_host_enforces():
    from conftest import THAW_BIN
    out = subprocess.run([str(THAW_BIN), "doctor"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["FEATURE", "STATUS", "DETAIL"]
    features = {l[:17].strip() for l in lines[1:] if l.strip()}
    for f in ("memory limit", "freeze", "seccomp", "/tmp size limit", "pid namespace"):
        assert f in features, (f, out.stdout)
    if os.geteuid() == 0:
        assert "full isolation" in out.stdout


def test_no_freeze_is_said_and_done(make_thaw_server, examples):
    from conftest import boto_client
    server = make_thaw_server("--no-freeze")
    require(server, "memory limit")  # the rest of the sandbox stays on
    line = next(l for l in server.stderr().splitlines() if l.startswith("thaw: sandbox:"))
    assert line.endswith("NOT enforced: freeze between invocations"), line
    lam = boto_client("lambda", server)
    name = make(lam, "awake", "probe")
    call(lam, name, action="identity")
    env = wait_idle(server, name)[0]
    assert env["sandboxed"] is True and env["frozen"] is False


# ---- thaw:network=none: a network namespace per environment ---------------------------------

def test_network_none_gives_the_environment_only_its_own_loopback(lam, thaw_server, probe):
    require(thaw_server, "namespaces+read-only root")
    isolated = make(lam, "netnone", "probe", Tags={"thaw:network": "none"})
    # The Runtime API still works: the shell listens on 127.0.0.1:9001 inside the namespace.
    values = dict(v.split("=", 1) for v in call(lam, isolated, action="identity")["values"])
    assert values["uid"] == "993"
    env = environments(thaw_server, isolated)
    assert [e["runtimeApiPort"] for e in env] == [9001], env
    # thaw's own front door (and anything else on the host's loopback) is out of reach...
    front = f"127.0.0.1:{thaw_server.port}"
    r = call(lam, isolated, action="connect", addr=front)
    assert not r["ok"] and "connection refused" in r["error"], r
    # ...while a function on the default network reaches it.
    r = call(lam, probe, action="connect", addr=front)
    assert r["ok"] and r["text"].startswith("HTTP/1.1"), r


def test_network_none_survives_a_reset_and_works_with_a_mechanism(lam, thaw_server, examples):
    require(thaw_server, "namespaces+read-only root")
    name = make(lam, "netmech", examples.go_dir / "mech-spawn.zip", Handler="handler",
                Tags={"thaw:network": "none", "thaw:mechanism": "spawn"})
    r = lam.invoke(FunctionName=name, Payload=b'{"action":"echo","payload":1}')
    assert "FunctionError" not in r and json.loads(r["Payload"].read())["mechanism"] == "spawn"
    native = make(lam, "netreset", "exit", Tags={"thaw:network": "none"})
    r = lam.invoke(FunctionName=native, Payload=b"{}")
    assert r["FunctionError"] == "Unhandled"  # the exit example exits; a new namespace follows
    wait_for(lambda: all(e["state"] in ("idle", "cold") for e in environments(thaw_server, native)),
             5, what="the reset")
    r = lam.invoke(FunctionName=native, Payload=b"{}")
    assert json.loads(r["Payload"].read())["errorType"] == "Runtime.ExitError"


def test_network_tag_is_validated(lam):
    from botocore.exceptions import ClientError
    with pytest.raises(ClientError) as err:
        make(lam, "netbad", "probe", Tags={"thaw:network": "vpc"})
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "thaw:network must be loopback or none" in err.value.response["Error"]["Message"]


# ---- /dev, the terminal, nodev, threads under seccomp -----------------------------------------

SANDBOX_DEV = ["fd", "full", "null", "random", "shm", "stderr", "stdin", "stdout", "tty",
               "urandom", "zero"]


def test_dev_is_minimal(lam, thaw_server, probe):
    require(thaw_server, "namespaces+read-only root")
    assert sorted(call(lam, probe, action="list", path="/dev")["values"]) == SANDBOX_DEV
    for path in ("/dev/kvm", "/dev/net/tun", "/dev/fuse", "/dev/loop-control", "/dev/loop0",
                 "/dev/kmsg", "/dev/mem", "/dev/vda", "/dev/sda", "/dev/ptmx"):
        r = call(lam, probe, action="read", path=path)
        assert not r["ok"] and r["errno"] == "ENOENT", (path, r)
    # The nodes it has work, /dev/tty is a /dev/null, and /dev/shm is writable.
    for path in ("/dev/null", "/dev/tty", "/dev/shm/probe"):
        assert call(lam, probe, action="write", path=path)["ok"], path
    assert call(lam, probe, action="read", path="/dev/tty") == {"ok": True}
    # Nothing else is writable there.
    r = call(lam, probe, action="write", path="/dev/new")
    assert not r["ok"] and r["errno"] in ("EROFS", "EACCES"), r


def test_run_holds_no_host_sockets(lam, thaw_server, probe):
    require(thaw_server, "namespaces+read-only root")
    listing = call(lam, probe, action="list", path="/run").get("values") or []
    # Only the way to /etc/resolv.conf's target, when it lives under /run.
    resolv = os.path.realpath("/etc/resolv.conf")
    keep = [resolv.split("/")[2]] if resolv.startswith("/run/") else []
    assert listing == keep, listing
    host = [p for p in os.listdir("/run") if p not in keep]
    assert host, "the host's /run has something to hide"
    r = call(lam, probe, action="read", path="/etc/resolv.conf")
    assert r["ok"] == os.path.exists("/etc/resolv.conf"), r


def test_sys_fs_cgroup_shows_only_its_own_cgroups(lam, thaw_server, probe):
    require(thaw_server, "namespaces+read-only root", "memory limit")
    call(lam, make(lam, "neighbour", "echo"))  # another sandbox, which must not be seen
    # Its own cgroup is the root of every hierarchy it is limited in (a cgroup namespace).
    own = call(lam, probe, action="read", path="/proc/self/cgroup")["text"].splitlines()
    assert own and all(line.endswith(":/") for line in own), own
    hierarchies = call(lam, probe, action="list", path="/sys/fs/cgroup")["values"] or []
    assert "memory" in hierarchies or "memory.max" in hierarchies, hierarchies
    memory = "/sys/fs/cgroup/memory" if "memory" in hierarchies else "/sys/fs/cgroup"
    names = call(lam, probe, action="list", path=memory)["values"]
    assert "thaw" not in names and not [n for n in names if n.startswith("s")], names
    limit_file = "memory.limit_in_bytes" if memory.endswith("memory") else "memory.max"
    limit = call(lam, probe, action="read", path=f"{memory}/{limit_file}")["text"].strip()
    assert limit == str(128 << 20), limit
    # Hierarchies thaw does not limit it in are not shown at all.
    for other in ("devices", "blkio", "cpuset", "systemd"):
        assert other not in hierarchies, hierarchies
    # Read-only.
    r = call(lam, probe, action="write", path=f"{memory}/{limit_file}")
    assert not r["ok"] and r["errno"] in ("EROFS", "EACCES"), r


def test_root_is_nodev(lam, thaw_server, probe):
    require(thaw_server, "namespaces+read-only root")
    mounts = call(lam, probe, action="read", path="/proc/self/mountinfo")["text"].splitlines()
    root = next(m.split() for m in mounts if m.split()[4] == "/")
    options = root[5].split(",")
    assert "ro" in options and "nosuid" in options and "nodev" in options, root


def test_no_controlling_terminal_and_a_session_of_its_own(lam, thaw_server, probe):
    require(thaw_server, "namespaces+read-only root")
    stat = call(lam, probe, action="read", path="/proc/self/stat")["text"]
    fields = stat[stat.rindex(")") + 2:].split()
    session, tty_nr = int(fields[3]), int(fields[4])
    # The sandbox's shell (pid 1 inside) leads the session: not the server's (invisible, 0).
    assert session == 1, stat
    assert tty_nr == 0, stat


def test_go_and_python_start_threads_under_seccomp(lam, thaw_server, probe):
    require(thaw_server, "seccomp")
    status = call(lam, probe, action="read", path="/proc/self/status")["text"]
    threads = int(next(l.split()[1] for l in status.splitlines() if l.startswith("Threads:")))
    assert threads > 1, status
    assert "Seccomp:\t2" in status
    py = make(lam, "pythreads", "python/echo")
    r = lam.invoke(FunctionName=py, Payload=json.dumps({"threads": 4}).encode())
    assert json.loads(r["Payload"].read()) == {"threads": 4}


# ---- /tmp images go with their environment ----------------------------------------------------

def test_reaped_environments_leave_no_tmp_image(make_thaw_server, examples):
    from conftest import boto_client
    server = make_thaw_server("--idle-timeout", "2")
    require(server, "namespaces+read-only root", "/tmp size limit")
    lam = boto_client("lambda", server)
    tmp = server.state_dir / "sandbox" / "tmp"
    names = [make(lam, f"fill{i}", "probe") for i in range(5)]
    images = []
    for name in names:
        r = call(lam, name, action="fill-tmp", path="data", pid=16)
        assert r["ok"], r
        image = tmp / f"{environments(server, name)[0]['id']}.img"
        assert image.exists() and image.stat().st_blocks * 512 >= 16 << 20, image
        images.append(image)
    # Idle for two seconds, the environments are reaped, and their images deleted.
    wait_for(lambda: not environments(server) or None, timeout=10, what="the reaper")
    wait_for(lambda: not [i for i in images if i.exists()] or None, timeout=5,
             what="the images to be deleted")
    # What is left is the pool's fresh images, nothing of an environment.
    assert all(re.fullmatch(r"s\d+\.img(\.new)?", p.name) for p in tmp.iterdir()), \
        list(tmp.iterdir())
