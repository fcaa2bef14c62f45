"""`thaw serve --listen 127.0.0.1:0` picks a free port; functions must be told that port in
AWS_ENDPOINT_URL, not 0."""

import json
import os
import re
import subprocess

from conftest import THAW_BIN, ThawServer, boto_client, create_function
from invoke_util import unique, wait_for


class PortZeroServer(ThawServer):
    def start(self):
        self._starts += 1
        self._stderr_path = self.log_dir / f"thaw-{self._starts}.stderr"
        with open(self._stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                [str(THAW_BIN), "serve", "--listen", "127.0.0.1:0", "--state-dir",
                 str(self.state_dir), *self.extra_args],
                stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL,
                env=dict(os.environ, **(self.env or {})), start_new_session=True)

        def bound():
            assert self.proc.poll() is None, self.stderr()
            return re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.stderr())

        self.port = int(wait_for(bound, 30, what="thaw to listen").group(1))
        self.url = f"http://127.0.0.1:{self.port}"
        return self


def test_functions_get_the_bound_port(tmp_path, examples):
    server = PortZeroServer(tmp_path / "state", tmp_path).start()
    try:
        assert server.port != 0
        lam = boto_client("lambda", server)
        name = unique("port0")
        create_function(lam, name, "context")
        out = json.loads(lam.invoke(FunctionName=name)["Payload"].read())
        assert out["env"]["AWS_ENDPOINT_URL"] == server.url
    finally:
        server.close()
