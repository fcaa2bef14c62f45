"""Fixtures for integration tests against a real `build/thaw serve`.

Fixtures:
  examples            session: runs scripts/build-examples.sh once, returns an Examples
  thaw_server         module: one running server shared by a test module
  make_thaw_server    function: factory, make_thaw_server(*extra_args, env=None) -> ThawServer
  lam, logs_client    module: boto3 clients bound to thaw_server
Helpers: aws(server, *args, input=None), create_function(lam, name, example, **overrides),
         boto_client(service, server).
"""

import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

ROOT = Path(__file__).resolve().parents[2]
THAW_BIN = Path(os.environ.get("THAW_BIN", ROOT / "build" / "thaw"))
AWS_CLI = "/usr/bin/aws"
REGION = "us-east-1"
ROLE = "arn:aws:iam::000000000000:role/lambda-role"
READY_TIMEOUT = 20
STOP_TIMEOUT = 10


class Examples:
    """Paths of the built example functions."""

    def __init__(self, root):
        self.root = Path(root)
        self.go_dir = self.root / "go"
        self.python_dir = self.root / "python"

    def go(self, name):
        return self.go_dir / f"{name}.zip"

    def python(self, name):
        return self.python_dir / f"{name}.zip"

    def zip(self, example):
        """'echo' -> Go echo zip; 'python/echo' -> Python echo zip."""
        kind, _, name = example.rpartition("/")
        return (self.root / (kind or "go") / f"{name}.zip")

    def go_names(self):
        return sorted(p.stem for p in self.go_dir.glob("*.zip"))



def poll(fn, timeout=8.0, interval=0.05, what="condition"):
    """Calls fn() until it returns something truthy, which is returned; fails after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = fn()
        if last:
            return last
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")
        time.sleep(interval)

@pytest.fixture(scope="session")
def examples():
    res = subprocess.run([str(ROOT / "scripts" / "build-examples.sh")],
                         capture_output=True, text=True)
    if res.returncode != 0:
        pytest.fail(f"build-examples.sh failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
    return Examples(ROOT / "build" / "examples")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThawServer:
    """A `thaw serve` process. restart() keeps the port and state dir."""

    def __init__(self, state_dir, log_dir, extra_args=(), env=None):
        self.state_dir = Path(state_dir)
        self.log_dir = Path(log_dir)
        self.extra_args = list(extra_args)
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self._starts = 0
        self._stderr_path = None

    def start(self):
        if not THAW_BIN.exists():
            pytest.fail(f"{THAW_BIN} does not exist; build the server first")
        self._starts += 1
        out = open(self.log_dir / f"thaw-{self._starts}.stdout", "wb")
        self._stderr_path = self.log_dir / f"thaw-{self._starts}.stderr"
        err = open(self._stderr_path, "wb")
        env = dict(os.environ, **(self.env or {}))
        cmd = [str(THAW_BIN), "serve", "--listen", f"127.0.0.1:{self.port}",
               "--state-dir", str(self.state_dir), *self.extra_args]
        # Own process group, so leftovers (function processes) can be cleaned up after a kill9.
        self.proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                     env=env, start_new_session=True)
        out.close()
        err.close()
        self._wait_ready()
        return self

    def stderr(self):
        return self._stderr_path.read_text(errors="replace") if self._stderr_path else ""

    def _wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT
        probe = f"{self.url}/2016-08-19/account-settings/"
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"thaw exited with {self.proc.returncode} during startup:\n{self.stderr()}")
            try:
                with urllib.request.urlopen(probe, timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answered; an auth or routing error still means it is up
            except OSError:
                pass
            if time.monotonic() > deadline:
                self._kill_group()
                pytest.fail(f"thaw did not answer {probe} within {READY_TIMEOUT}s:\n{self.stderr()}")
            time.sleep(0.05)

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM and wait; returns the exit code, or None if it had to be killed."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._kill_group()
            return None
        finally:
            self._kill_group()

    def restart(self):
        """Graceful stop (must exit 0) unless already dead, then start on the same port/state."""
        if self.proc is not None and self.proc.poll() is None:
            rc = self.stop()
            assert rc == 0, f"thaw exit code on SIGTERM was {rc}:\n{self.stderr()}"
        return self.start()

    def kill9(self):
        """Simulate a crash: SIGKILL the server only (its children are left as they are)."""
        self.proc.kill()
        self.proc.wait()

    def _kill_group(self):
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()

    def close(self):
        """Teardown: a live server must exit 0 within STOP_TIMEOUT of SIGTERM."""
        if self.proc is None:
            return
        if self.proc.poll() is not None:
            self._kill_group()  # died (or was kill9'd) earlier; just clean up leftovers
            return
        rc = self.stop()
        assert rc is not None, f"thaw did not exit within {STOP_TIMEOUT}s of SIGTERM:\n{self.stderr()}"
        assert rc == 0, f"thaw exited with {rc} on SIGTERM:\n{self.stderr()}"


def module_server(*extra_args, name="server", examples=False):
    """A module-scoped fixture `name`: one `thaw serve *extra_args` with its own state dir for
    the whole module. examples=True builds the example functions first. In a test module:
    `server = module_server("--retry-delay-scale", "0.01")`."""

    @pytest.fixture(scope="module", name=name)
    def fixture(request, tmp_path_factory):
        if examples:
            request.getfixturevalue("examples")
        base = tmp_path_factory.mktemp("thaw")
        (base / "state").mkdir()
        server = ThawServer(base / "state", base, extra_args)
        try:
            server.start()
            yield server
        finally:
            server.close()

    return fixture


thaw_server = module_server(name="thaw_server")


@pytest.fixture
def make_thaw_server(tmp_path_factory):
    """make_thaw_server(*extra_args, env=None): a fresh server with its own state dir."""
    servers = []

    def make(*extra_args, env=None):
        base = tmp_path_factory.mktemp("thaw")
        (base / "state").mkdir()
        server = ThawServer(base / "state", base, extra_args, env)
        servers.append(server)
        return server.start()

    yield make
    errors = []
    for server in servers:
        try:
            server.close()
        except AssertionError as e:
            errors.append(str(e))
    if errors:
        pytest.fail("\n".join(errors))


TEST_CREDENTIALS = Credentials("AKID", "SECRET")


def signed_headers(method, url, body=b"", headers=None, service=None, credentials=None):
    """The headers of a raw request to the front door, signed with SigV4 as botocore signs.
    The service is taken from the request when not given (logs, sqs, xray, else lambda)."""
    headers = dict(headers or {})
    if service is None:
        target = next((v for k, v in headers.items() if k.lower() == "x-amz-target"), "")
        if target.startswith("Logs_"):
            service = "logs"
        elif target.startswith("AmazonSQS."):
            service = "sqs"
        elif url.split("?")[0].endswith("/TraceSegments"):
            service = "xray"
        else:
            service = "lambda"
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    SigV4Auth(credentials or TEST_CREDENTIALS, service, REGION).add_auth(request)
    return dict(request.headers.items())


def signed_urlopen(url, data=None, method=None, headers=None, timeout=10):
    """urllib.request.urlopen with the request signed (the front door refuses unsigned ones).
    A presigned URL (X-Amz-Signature in the query) is fetched as it is, as S3's would be."""
    method = method or ("POST" if data is not None else "GET")
    if "X-Amz-Signature=" not in url:
        headers = signed_headers(method, url, data or b"", headers)
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    return urllib.request.urlopen(req, timeout=timeout)


def boto_client(service, server):
    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name=REGION,
        aws_access_key_id="AKID",
        aws_secret_access_key="SECRET",
        # No retries: a retried Invoke would run the function twice and hide errors.
        config=Config(retries={"max_attempts": 1}, read_timeout=120),
    )


@pytest.fixture(scope="module")
def lam(thaw_server):
    return boto_client("lambda", thaw_server)


@pytest.fixture(scope="module")
def logs_client(thaw_server):
    return boto_client("logs", thaw_server)


_aws_config_dir = None


def aws(server, *args, input=None):
    """Run /usr/bin/aws against the server; returns CompletedProcess (text mode)."""
    global _aws_config_dir
    if not os.access(AWS_CLI, os.X_OK):
        pytest.fail(f"{AWS_CLI} is missing (Debian package awscli)")
    if _aws_config_dir is None:
        # Empty config files so the user's ~/.aws never leaks into the tests.
        _aws_config_dir = Path(tempfile.mkdtemp(prefix="thaw-aws-"))
        (_aws_config_dir / "config").write_text("")
        (_aws_config_dir / "credentials").write_text("")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") or k in ("AWS_CA_BUNDLE",)}
    env.update(
        AWS_ACCESS_KEY_ID="AKID",
        AWS_SECRET_ACCESS_KEY="SECRET",
        AWS_CONFIG_FILE=str(_aws_config_dir / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(_aws_config_dir / "credentials"),
        AWS_PAGER="",
        AWS_MAX_ATTEMPTS="1",
        AWS_RETRY_MODE="standard",
    )
    cmd = [AWS_CLI, "--endpoint-url", server.url, "--region", REGION,
           "--no-cli-pager", "--output", "json", *map(str, args)]
    return subprocess.run(cmd, input=input, capture_output=True, text=True, env=env, timeout=300)


def create_function(lam, name, example, **overrides):
    """Create a provided.al2023 function from an example zip.

    example: 'echo' (Go), 'python/echo', or a path to a zip. overrides are
    CreateFunction parameters (Timeout=, MemorySize=, Environment=, ...).
    """
    if isinstance(example, (str, os.PathLike)) and not str(example).endswith(".zip"):
        zip_path = Examples(ROOT / "build" / "examples").zip(str(example))
    else:
        zip_path = Path(example)
    assert zip_path.exists(), f"{zip_path} missing; request the `examples` fixture"
    params = dict(
        FunctionName=name,
        Runtime="provided.al2023",
        Role=ROLE,
        Handler="bootstrap",
        Code={"ZipFile": zip_path.read_bytes()},
    )
    params.update(overrides)
    return lam.create_function(**params)


CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def chromium():
    """Headless Chromium through Selenium; skips with the reason when it is missing (fails under
    CI=true, where scripts/setup.sh installs it)."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("selenium (scripts/setup-test-env.sh)")
    if missing:
        reason = f"headless Chromium is not available: missing {', '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true: " + reason)
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def serve_page(html, port=0):
    """Serves `html` at every path of http://127.0.0.1:<port>/, an origin of its own as a web
    app's would be; the caller shuts the returned server down."""
    data = html.encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", port), Page)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd
