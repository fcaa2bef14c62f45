"""A sandbox whose own setup fails reaches the caller as Sandbox.Failure naming the step and the
errno (through the shell's report, the launcher's reply and the server); only a bootstrap that
cannot be executed is Runtime.InvalidEntrypoint (test_invoke.py, test_mechanisms.py)."""

import json
from pathlib import Path

import pytest

from invoke_util import environments, make, wait_for
from sandbox_util import require

pytestmark = pytest.mark.usefixtures("examples")


def invoke(lam, name, **event):
    r = lam.invoke(FunctionName=name, Payload=json.dumps(event).encode())
    return r, json.loads(r["Payload"].read())


def test_tmp_that_cannot_be_mounted_is_a_sandbox_failure(lam, thaw_server):
    require(thaw_server, "namespaces+read-only root", "/tmp size limit")
    name = make(lam, "setup", "probe", Timeout=10)
    r, body = invoke(lam, name, action="touch-tmp", path="kept")
    assert "FunctionError" not in r and body["ok"], body
    env = environments(thaw_server, name)[0]["id"]
    image = thaw_server.state_dir / "sandbox" / "tmp" / f"{env}.img"
    assert image.exists()
    # Until its runtime asks for the next event the environment is busy, and a second invoke
    # would start another one (as Lambda does): wait for it to be idle.
    wait_for(lambda: _state(thaw_server, env) == "idle", timeout=10, what="the environment to be idle")
    # The runtime exits; the environment's next start mounts its own /tmp image again.
    r, body = invoke(lam, name, action="crash")
    assert body["errorType"] == "Runtime.ExitError", body
    assert _state(thaw_server, env) == "cold", environments(thaw_server, name)
    # The dead sandbox's unmount writes the superblock back: wait until its loop device is gone.
    wait_for(lambda: not _attached(image) or None, timeout=10, what="the image to be released")
    with open(image, "r+b") as f:
        f.write(b"\0" * (1 << 16))  # no ext4 superblock left: the mount is refused
    r, body = invoke(lam, name, action="identity")
    assert r.get("FunctionError") == "Unhandled", body
    assert body["errorType"] == "Sandbox.Failure", body
    message = body["errorMessage"]
    # "Sandbox setup failed at step 'tmp' (errno 22, Invalid argument): mount .../tmp: ..."
    assert "Sandbox setup failed at step 'tmp' (errno 22, " in message, message
    assert ": mount " in message, message
    # The caller is told the step, not where the server keeps its state; the server's log is.
    assert str(thaw_server.state_dir) not in message, message
    assert f"mount {thaw_server.state_dir}/sandbox/" in thaw_server.stderr()


def _state(server, env):
    return next(e["state"] for e in environments(server) if e["id"] == env)


def _attached(image):
    return [b for b in Path("/sys/block").glob("loop*/loop/backing_file")
            if b.read_text().strip() == str(image)]
