"""The hostile-function suite: examples/functions/go/hostile tries every escape it knows from
inside a sandbox (the terminal, devices, mounts, namespaces, other processes, seccomp's
denials, read-only files, setuid binaries, rlimits, another function's /tmp, code, events and
environment) and reports each attempt. Every one must have been refused. Run with -s to see
the list; it is in the assertion message too."""

import json
import os
import secrets

import pytest

from invoke_util import environments, make, wait_idle
from sandbox_util import require

pytestmark = pytest.mark.usefixtures("examples")

# What a sandbox's /dev holds (docs/sandbox.md).
ALLOWED_DEV = ["null", "zero", "full", "random", "urandom", "tty", "shm", "fd", "stdin", "stdout",
               "stderr"]


def _require_root_sandbox(server):
    if os.geteuid() != 0:
        print("test_hostile: skipped: not root, so functions run without a sandbox")
        pytest.skip("needs root: without it functions run unsandboxed")
    require(server, "namespaces+read-only root", "unprivileged uid", "seccomp", "/tmp size limit")


def _host_paths(state_dir, victim_env_id):
    """Host paths of the victim's /tmp image, its code, and thaw's state."""
    paths = [str(state_dir), str(state_dir / "state.db"),
             str(state_dir / "sandbox" / "tmp"),
             str(state_dir / "sandbox" / "tmp" / f"{victim_env_id}.img")]
    for sub in sorted(state_dir.rglob("*"))[:200]:
        if sub.is_file() and sub.suffix in ("", ".db", ".db-wal", ".img", ".zip"):
            paths.append(str(sub))
    return sorted(set(paths))


def test_every_escape_is_refused(lam, thaw_server):
    _require_root_sandbox(thaw_server)
    secret = "thaw-secret-" + secrets.token_hex(8)
    # The victim: its environment, its /tmp and an event of its hold the secret.
    victim = make(lam, "victim", "probe", Environment={"Variables": {"VICTIM_SECRET": secret}})
    r = lam.invoke(FunctionName=victim,
                   Payload=json.dumps({"action": "fill-tmp", "path": secret, "pid": 1}).encode())
    assert json.loads(r["Payload"].read())["ok"], "the victim keeps the secret in its /tmp"
    lam.invoke(FunctionName=victim, InvocationType="Event",
               Payload=json.dumps({"action": "identity", "path": secret}).encode())
    env = wait_idle(thaw_server, victim)[0]
    image = thaw_server.state_dir / "sandbox" / "tmp" / f"{env['id']}.img"
    assert image.exists() and secret.encode() in _grep(image, secret), \
        "the secret is in the victim's image on the host"
    assert secret in open(f"/proc/{env['pid']}/environ", errors="replace").read() or \
        _child_environ_has(env["pid"], secret), "and in the victim runtime's environment"

    hostile = make(lam, "hostile", "hostile", Timeout=60, MemorySize=512)
    pids = sorted({thaw_server.proc.pid, env["pid"], *_children(env["pid"])})
    event = {"secret": secret, "paths": _host_paths(thaw_server.state_dir, env["id"]),
             "pids": pids, "max_pid": 32768, "allowed_dev": ALLOWED_DEV}
    r = lam.invoke(FunctionName=hostile, Payload=json.dumps(event).encode())
    body = json.loads(r["Payload"].read())
    assert "FunctionError" not in r, body
    lines = [f"{'refused' if a['refused'] else 'ESCAPED'}  {a['attempt']}: {a['outcome']}"
             for a in body]
    print("\nhostile function, %d attempts:\n  %s" % (len(body), "\n  ".join(lines)))
    # Abstract unix sockets of the host are reachable in the default (host) network namespace;
    # docs/sandbox.md says so, and thaw:network=none closes them. Reported, not failed.
    escaped = [l for l in lines if l.startswith("ESCAPED") and "abstract unix socket" not in l]
    if any(l.startswith("ESCAPED") and "abstract unix socket" in l for l in lines):
        print("note: this host has abstract unix sockets a function reaches (host network)")
    assert not escaped, "\n".join(lines)
    # The suite really ran: every group of attempts is there.
    attempts = " ".join(a["attempt"] for a in body)
    for expected in ("TIOCSTI", "/dev/tty", "mknod", "/dev/kvm", "pivot_root", "CLONE_NEWUSER",
                     "setns", "ptrace", "io_uring_setup", "bpf", "perf_event_open", "keyctl",
                     "personality", "userfaultfd", "open_by_handle_at", "kexec_load",
                     "write /var/task", "write /opt", "RLIMIT_NOFILE", image.name, "environ",
                     "setuid", "socket under /run"):
        assert expected in attempts, (expected, lines)
    # The victim is untouched: its image still holds the secret. (Checked on the host: an invoke
    # could land in another environment of the victim, whose /tmp is its own.)
    assert image.exists() and secret.encode() in _grep(image, secret)


def _grep(path, secret):
    """The bytes of `path` around the secret (it is a directory entry in the ext4 image)."""
    needle = secret.encode()
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                return b""
            if needle in chunk:
                return needle


def _children(pid):
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out.extend(int(c) for c in f.read().split())
    except OSError:
        pass
    return out


def _child_environ_has(pid, secret):
    for child in _children(pid):
        try:
            if secret in open(f"/proc/{child}/environ", errors="replace").read():
                return True
        except OSError:
            pass
    return False
