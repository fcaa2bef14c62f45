"""The managed Node.js runtime: Runtime nodejs*.x with Handler file.export and no bootstrap in the
zip, run by AWS's Runtime Interface Client (aws-lambda-ric) on the node of thaw's runtime tree
(scripts/setup-node-runtime.sh), mounted at /var/runtime. The functions are under
examples/functions/nodejs/; every call goes through real boto3."""

import http.server
import io
import json
import os
import re
import subprocess
import threading
import zipfile
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import ROLE, ROOT, THAW_BIN, boto_client
from invoke_util import REPORT_RE, payload_json, request_id, tail, unique, wait_idle
from sandbox_util import enforced, require

EXAMPLES = ROOT / "examples" / "functions" / "nodejs"
RUNTIME_TREE = Path(os.environ.get("THAW_RUNTIMES_DIR", "/usr/local/lib/thaw/runtimes")) / "nodejs"
# Node's console.log line: ISO time with milliseconds, request id, level, message.
LOG_LINE = r"^\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z\t{rid}\t{level}\t{msg}$"


@pytest.fixture(autouse=True)
def runtime_installed():
    """Skips without the runtime tree; under CI=true (where scripts/setup.sh installs it) a
    missing tree is a failure."""
    if (RUNTIME_TREE / "bootstrap").exists():
        return
    reason = f"no managed Node.js runtime at {RUNTIME_TREE}: run scripts/setup-node-runtime.sh"
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true: " + reason)
    pytest.skip(reason)


def zip_files(files):
    """A zip of {name: text}, world-readable as a CI-built zip is."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o644 << 16
            z.writestr(info, text)
    return buf.getvalue()


def example_zip(example):
    root = EXAMPLES / example
    return zip_files({str(p.relative_to(root)): p.read_text()
                      for p in sorted(root.rglob("*")) if p.is_file()})


def deploy(lam, example="managed", runtime="nodejs20.x", handler="index.handler", code=None,
           **overrides):
    name = unique("node")
    params = dict(FunctionName=name, Runtime=runtime, Role=ROLE, Handler=handler,
                  Code={"ZipFile": code if code is not None else example_zip(example)},
                  Timeout=10)
    params.update(overrides)
    lam.create_function(**params)
    return name


def invoke(lam, name, event):
    resp = lam.invoke(FunctionName=name, Payload=json.dumps(event).encode(), LogType="Tail")
    return resp, payload_json(resp)


def tree_node():
    out = subprocess.run([str(RUNTIME_TREE / "bin" / "node"), "--version"], capture_output=True,
                         text=True, check=True)
    return out.stdout.strip().lstrip("v")


def report(resp):
    rid = request_id(resp)
    lines = [line for line in tail(resp).splitlines() if line.startswith(f"REPORT RequestId: {rid}")]
    assert lines, tail(resp)
    m = re.fullmatch(REPORT_RE.format(rid=rid), lines[-1])
    assert m, lines[-1]
    return m


def sandboxed(server):
    return "namespaces" in " ".join(enforced(server))


def test_handler_runs_without_bootstrap(lam, thaw_server):
    name = deploy(lam, MemorySize=256)
    resp, body = invoke(lam, name, {"hello": "node"})
    assert "FunctionError" not in resp, body
    rid = request_id(resp)
    assert body["event"] == {"hello": "node"}
    assert body["requestId"] == rid
    assert body["functionName"] == name
    assert body["functionVersion"] == "$LATEST"
    assert body["invokedFunctionArn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    assert body["memoryLimitInMB"] == "256"
    assert body["logGroupName"] == f"/aws/lambda/{name}"
    assert body["logStreamName"]
    assert 0 < body["remainingMs"] <= 10000
    assert body["node"] == tree_node()
    # The bootstrap sizes V8's heap from the memory as AWS's does: a tenth young, the rest old.
    assert "--max-old-space-size=231" in body["execArgv"], body["execArgv"]
    assert "--max-semi-space-size=12" in body["execArgv"], body["execArgv"]
    env = body["env"]
    if sandboxed(thaw_server):
        assert body["file"] == "/var/task/index.js"
        assert env["LAMBDA_TASK_ROOT"] == "/var/task"
        assert env["LAMBDA_RUNTIME_DIR"] == "/var/runtime"
        assert env["NODE_PATH"] == ("/opt/nodejs/node20/node_modules:/opt/nodejs/node_modules:"
                                    "/var/runtime/node_modules:/var/runtime:/var/task")
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_nodejs20.x"
    assert env["_HANDLER"] == "index.handler"
    assert env["AWS_ENDPOINT_URL"] == thaw_server.url
    assert env["AWS_REGION"] == "us-east-1"
    assert env["LAMBDA_TASK_ROOT"] == body["cwd"]
    # The X-Ray trace id is set for each invocation, a new one each time.
    assert body["traceId"] and body["traceId"].startswith("Root=1-"), body["traceId"]
    _, again = invoke(lam, name, {})
    assert again["traceId"] and again["traceId"] != body["traceId"]


def test_cold_then_warm(lam, thaw_server):
    name = deploy(lam)
    first, b1 = invoke(lam, name, {})
    wait_idle(thaw_server, name)  # else the second call may start another environment
    second, b2 = invoke(lam, name, {})
    assert (b1["invocations"], b2["invocations"]) == (1, 2), "the second call reuses the process"
    assert report(first)["init"] is not None, "a cold start reports its Init Duration"
    assert report(second)["init"] is None, "a warm start has none"


def test_init_start_names_the_node_that_runs(lam):
    major = tree_node().split(".")[0]
    for asked in ("nodejs20.x", f"nodejs{major}.x"):
        name = deploy(lam, runtime=asked)
        resp, body = invoke(lam, name, {})
        assert "FunctionError" not in resp, body
        m = re.search(r"INIT_START Runtime Version: (\S+)\s", tail(resp))
        assert m, tail(resp)
        assert m.group(1) == f"nodejs:{major}.v1", (asked, m.group(1))


def test_console_log_lines_have_nodes_format(lam):
    name = deploy(lam)
    resp, body = invoke(lam, name, {"action": "log", "message": "hello"})
    assert body == {"logged": True}
    log = tail(resp)
    rid = request_id(resp)
    assert re.search(LOG_LINE.format(rid=rid, level="INFO", msg="info: hello"), log, re.M), log
    assert re.search(LOG_LINE.format(rid=rid, level="ERROR", msg="to stderr"), log, re.M), log


def test_json_logging(lam):
    name = deploy(lam, LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "INFO"})
    resp, body = invoke(lam, name, {"action": "log", "message": "hello"})
    assert body == {"logged": True}
    records = []
    for line in tail(resp).splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            pass
    mine = [r for r in records if isinstance(r, dict) and "hello" in str(r.get("message"))]
    assert len(mine) == 1, tail(resp)
    assert mine[0]["level"] == "INFO"
    assert mine[0]["message"] == "info: hello"
    assert mine[0]["requestId"] == request_id(resp)


def test_thrown_error_has_nodes_error_shape(lam, thaw_server):
    name = deploy(lam)
    resp, body = invoke(lam, name, {"action": "throw", "message": "bad input"})
    assert resp["StatusCode"] == 200
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "TypeError", body
    assert body["errorMessage"] == "bad input"
    trace = body["trace"]
    assert isinstance(trace, list) and trace[0] == "TypeError: bad input", trace
    assert any("/index.js:" in frame for frame in trace), trace
    log = tail(resp)
    rid = request_id(resp)
    assert re.search(LOG_LINE.format(rid=rid, level="INFO", msg="about to fail"), log, re.M), log
    # The client's own line for an unhandled error: ERROR, "Invoke Error", the error as JSON.
    m = re.search(LOG_LINE.format(rid=rid, level="ERROR", msg=r"Invoke Error \t(\{.*\})"), log,
                  re.M)
    assert m, log
    assert json.loads(m.group(1))["errorMessage"] == "bad input"
    # The process survives a thrown error: the next call is warm.
    wait_idle(thaw_server, name)
    resp2, body2 = invoke(lam, name, {})
    assert "FunctionError" not in resp2
    assert body2["invocations"] == 2


def test_timeout(lam):
    name = deploy(lam, Timeout=1)
    resp, body = invoke(lam, name, {"action": "sleep", "seconds": 5})
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout", body
    assert "Task timed out after 1.00 seconds" in body["errorMessage"], body
    assert report(resp)["status"] == "timeout"


def test_out_of_memory(lam, thaw_server):
    require(thaw_server, "memory limit")
    name = deploy(lam, MemorySize=128, Timeout=30)
    resp, body = invoke(lam, name, {"action": "leak"})
    assert resp["FunctionError"] == "Unhandled"
    # Buffers live outside V8's heap: the cgroup's limit ends the process, as on AWS.
    assert body["errorType"] == "Runtime.OutOfMemory", body
    m = report(resp)
    assert (m["status"], m["error_type"]) == ("error", "Runtime.OutOfMemory"), m.group(0)
    resp2, _ = invoke(lam, name, {})
    assert "FunctionError" not in resp2, "a fresh environment serves the next call"


def test_esm_handler(lam):
    name = deploy(lam, example="esm")
    resp, body = invoke(lam, name, {"n": 1})
    assert "FunctionError" not in resp, body
    assert body["esm"] is True
    assert body["url"].endswith("/index.mjs")
    assert body["bytes"] > 0 and body["startedBefore"] is True
    assert body["requestId"] == request_id(resp)
    assert body["event"] == {"n": 1}


def test_esm_by_package_type(lam):
    name = deploy(lam, example="esm-pkg", runtime="nodejs22.x")
    resp, body = invoke(lam, name, {"n": 2})
    assert "FunctionError" not in resp, body
    assert body == {"esm": True, "event": {"n": 2}}


def test_callback_handler_in_a_subdirectory(lam, thaw_server):
    name = deploy(lam, example="callback", handler="src/app.handler", runtime="nodejs18.x")
    # callbackWaitsForEmptyEventLoop (the default): the response waits for the pending timer.
    resp, body = invoke(lam, name, {"timerMs": 600})
    assert "FunctionError" not in resp, body
    assert body["via"] == "callback" and body["requestId"] == request_id(resp)
    assert float(report(resp)["duration"]) >= 600, report(resp).group(0)
    # Set to false: the response leaves at once, the timer still pending.
    wait_idle(thaw_server, name)
    resp, body = invoke(lam, name, {"timerMs": 600, "dontWait": True})
    assert "FunctionError" not in resp, body
    assert float(report(resp)["duration"]) < 500, report(resp).group(0)
    wait_idle(thaw_server, name)
    resp, body = invoke(lam, name, {"fail": True})
    assert resp["FunctionError"] == "Unhandled"
    assert (body["errorType"], body["errorMessage"]) == ("Error", "callback failure"), body


def test_nodejs24_refuses_callback_handlers_as_aws_does(lam):
    name = deploy(lam, example="callback", handler="src/app.handler", runtime="nodejs24.x")
    resp, body = invoke(lam, name, {})
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.CallbackHandlerDeprecated", body
    assert "starting with Node.js 24" in body["errorMessage"], body
    # Its async handlers run (aws-lambda-ric 4).
    name = deploy(lam, runtime="nodejs24.x")
    resp, body = invoke(lam, name, {"n": 24})
    assert "FunctionError" not in resp, body
    assert body["event"] == {"n": 24} and body["env"]["AWS_EXECUTION_ENV"] == "AWS_Lambda_nodejs24.x"


def test_runtime_tree_offers_no_build_tools_to_functions(lam):
    """Only the clients are in /var/runtime/node_modules: node-gyp and its dependencies, which
    npm installed to build them, are not require-able through NODE_PATH."""
    code = zip_files({"index.js": (
        "exports.handler = async () => {\n"
        "  const out = {};\n"
        "  for (const m of ['semver', 'node-gyp', 'aws-lambda-ric']) {\n"
        "    try { require.resolve(m); out[m] = true; } catch (e) { out[m] = false; }\n"
        "  }\n"
        "  return out;\n"
        "};\n")})
    name = deploy(lam, code=code)
    resp, body = invoke(lam, name, {})
    assert "FunctionError" not in resp, body
    assert body == {"semver": False, "node-gyp": False, "aws-lambda-ric": True}, body


def test_init_errors_are_named_as_aws_names_them(lam):
    cases = [
        ("Runtime.ImportModuleError", "missing.handler", {"index.js": "exports.handler = 1;\n"}),
        ("Runtime.HandlerNotFound", "index.nope", {"index.js": "exports.handler = async () => 1;\n"}),
        ("Runtime.UserCodeSyntaxError", "index.handler", {"index.js": "exports.handler = (;\n"}),
    ]
    for error_type, handler, files in cases:
        name = deploy(lam, handler=handler, code=zip_files(files))
        resp, body = invoke(lam, name, {})
        assert resp["FunctionError"] == "Unhandled", (error_type, body)
        assert body["errorType"] == error_type, body
        assert body["errorMessage"], body
        assert "INIT_REPORT" in tail(resp) or "Init Error" in tail(resp) or \
            error_type in tail(resp), tail(resp)


def test_layer_node_modules_are_importable(lam, thaw_server):
    if not sandboxed(thaw_server):
        pytest.skip("layers are mounted at /opt only in the sandbox (run as root)")
    layer_zip = zip_files({
        "nodejs/node_modules/layermod/index.js": "exports.value = 'from the layer';\n",
    })
    layer = lam.publish_layer_version(LayerName=unique("nodelib"), Content={"ZipFile": layer_zip},
                                      CompatibleRuntimes=["nodejs20.x"])
    name = deploy(lam, Layers=[layer["LayerVersionArn"]])
    resp, body = invoke(lam, name, {"action": "layer"})
    assert "FunctionError" not in resp, body
    assert body == {"value": "from the layer",
                    "file": "/opt/nodejs/node_modules/layermod/index.js"}
    # The per-major directory comes first.
    both = zip_files({
        "nodejs/node_modules/layermod/index.js": "exports.value = 'shared';\n",
        "nodejs/node20/node_modules/layermod/index.js": "exports.value = 'node20';\n",
    })
    layer = lam.publish_layer_version(LayerName=unique("nodelib"), Content={"ZipFile": both})
    name = deploy(lam, Layers=[layer["LayerVersionArn"]])
    _, body = invoke(lam, name, {"action": "layer"})
    assert body["value"] == "node20", body


def test_missing_runtime_is_refused_at_create(make_thaw_server, tmp_path):
    server = make_thaw_server(env={"THAW_RUNTIMES_DIR": str(tmp_path / "none")})
    lam = boto_client("lambda", server)
    with pytest.raises(ClientError) as e:
        deploy(lam)
    err = e.value.response
    assert err["Error"]["Code"] == "InvalidParameterValueException", err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "The runtime parameter of nodejs20.x is not available on this host" in \
        err["Error"]["Message"]
    assert "setup-node-runtime.sh" in err["Error"]["Message"]
    name = unique("custom")
    lam.create_function(FunctionName=name, Runtime="provided.al2023", Role=ROLE,
                        Handler="bootstrap", Code={"ZipFile": example_zip("managed")})
    with pytest.raises(ClientError) as e:
        lam.update_function_configuration(FunctionName=name, Runtime="nodejs22.x")
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"


def test_doctor_lists_the_node_runtime():
    out = subprocess.run([str(THAW_BIN), "doctor", "--json"], capture_output=True, text=True,
                         check=True)
    runtimes = json.loads(out.stdout)["managedRuntimes"]
    node = [r for r in runtimes if r["family"] == "nodejs"]
    assert len(node) == 1
    assert node[0]["available"] is True, node
    assert node[0]["version"] == tree_node()
    assert {"nodejs18.x", "nodejs20.x", "nodejs22.x"} <= set(node[0]["runtimes"])
    text = subprocess.run([str(THAW_BIN), "doctor"], capture_output=True, text=True,
                          check=True).stdout
    assert f"available, run by Node.js {tree_node()}" in text, text


def test_no_sandbox_runs_the_tree_in_place(make_thaw_server):
    server = make_thaw_server("--no-sandbox")
    lam = boto_client("lambda", server)
    name = deploy(lam)
    resp, body = invoke(lam, name, {"x": 1})
    assert "FunctionError" not in resp, body
    env = body["env"]
    assert env["LAMBDA_RUNTIME_DIR"] == str(RUNTIME_TREE)
    assert env["NODE_PATH"].endswith(f":{RUNTIME_TREE}:{env['LAMBDA_TASK_ROOT']}")
    assert body["file"] == str(Path(env["LAMBDA_TASK_ROOT"]) / "index.js")


def test_setup_script_checks_the_tarball_and_is_idempotent(tmp_path):
    script = ROOT / "scripts" / "setup-node-runtime.sh"
    # Installed and unchanged: nothing to do.
    out = subprocess.run([str(script)], capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, THAW_RUNTIMES_DIR=str(RUNTIME_TREE.parent)))
    assert out.returncode == 0, out.stderr
    assert "up to date" in out.stdout, out.stdout
    # A registry serving another tarball than the pinned one: refused, and no tree is left.

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"not node"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    registry = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=registry.serve_forever, daemon=True).start()
    try:
        env = dict(os.environ, THAW_RUNTIMES_DIR=str(tmp_path),
                   NPM_REGISTRY=f"http://127.0.0.1:{registry.server_port}")
        out = subprocess.run([str(script)], capture_output=True, text=True, timeout=60, env=env)
    finally:
        registry.shutdown()
    assert out.returncode != 0
    assert "integrity mismatch" in out.stderr, out.stderr
    assert list(tmp_path.iterdir()) == [], list(tmp_path.iterdir())
