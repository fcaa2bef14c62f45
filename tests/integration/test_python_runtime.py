"""The managed Python runtime: Runtime python3.x with Handler module.func and no bootstrap in the
zip, run by AWS's Runtime Interface Client (awslambdaric) from thaw's runtime tree
(scripts/setup-python-runtime.sh), mounted at /var/runtime. The function is
examples/functions/python/managed/app.py; every call goes through real boto3."""

import io
import json
import os
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import ROLE, ROOT, THAW_BIN, boto_client
from ddb_util import ddb_client
from invoke_util import REPORT_RE, payload_json, request_id, tail, unique, wait_idle
from sandbox_util import enforced, require
from sqs_util import sqs_client

APP = ROOT / "examples" / "functions" / "python" / "managed" / "app.py"
RUNTIME_TREE = Path("/usr/local/lib/thaw/runtimes/python")


@pytest.fixture(autouse=True)
def runtime_installed():
    """Skips without the runtime tree; under CI=true (where scripts/setup.sh installs it) a
    missing tree is a failure."""
    if (RUNTIME_TREE / "bootstrap").exists():
        return
    reason = f"no managed Python runtime at {RUNTIME_TREE}: run scripts/setup-python-runtime.sh"
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true: " + reason)
    pytest.skip(reason)


def app_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.write(APP, "app.py")
    return buf.getvalue()


def deploy(lam, prefix="py", runtime="python3.12", **overrides):
    name = unique(prefix)
    params = dict(FunctionName=name, Runtime=runtime, Role=ROLE, Handler="app.handler",
                  Code={"ZipFile": app_zip()}, Timeout=10)
    params.update(overrides)
    lam.create_function(**params)
    return name


def invoke(lam, name, event):
    resp = lam.invoke(FunctionName=name, Payload=json.dumps(event).encode(), LogType="Tail")
    return resp, payload_json(resp)


def host_python():
    out = subprocess.run([str(RUNTIME_TREE / "bin" / "python3"), "-c",
                          "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def report(resp):
    rid = request_id(resp)
    lines = [line for line in tail(resp).splitlines() if line.startswith(f"REPORT RequestId: {rid}")]
    assert lines, tail(resp)
    m = re.fullmatch(REPORT_RE.format(rid=rid), lines[-1])
    assert m, lines[-1]
    return m


def test_handler_runs_without_bootstrap(lam, thaw_server):
    name = deploy(lam)
    resp, body = invoke(lam, name, {"hello": "python"})
    assert "FunctionError" not in resp, body
    assert body["event"] == {"hello": "python"}
    assert body["request_id"] == request_id(resp)
    assert body["function_name"] == name
    assert body["python"] == host_python()
    env = body["env"]
    sandboxed = "namespaces" in " ".join(enforced(thaw_server))
    if sandboxed:
        assert env["LAMBDA_TASK_ROOT"] == "/var/task"
        assert env["LAMBDA_RUNTIME_DIR"] == "/var/runtime"
        assert env["PYTHONPATH"].endswith("/var/runtime")
        assert body["file"] == "/var/task/app.py"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert env["_HANDLER"] == "app.handler"
    assert env["AWS_ENDPOINT_URL"] == thaw_server.url
    assert env["LAMBDA_TASK_ROOT"] == body["cwd"]


def test_cold_then_warm(lam, thaw_server):
    name = deploy(lam)
    first, b1 = invoke(lam, name, {})
    wait_idle(thaw_server, name)  # else the second call may start another environment
    second, b2 = invoke(lam, name, {})
    assert (b1["invocations"], b2["invocations"]) == (1, 2), "the second call reuses the process"
    assert report(first)["init"] is not None, "a cold start reports its Init Duration"
    assert report(second)["init"] is None, "a warm start has none"


def test_init_start_names_the_python_that_runs(lam):
    version = ".".join(host_python().split(".")[:2])
    for asked in ("python3.12", f"python{version}"):
        name = deploy(lam, runtime=asked)
        resp, _ = invoke(lam, name, {})
        assert "FunctionError" not in resp
        text = tail(resp)
        m = re.search(r"INIT_START Runtime Version: (\S+)\s", text)
        assert m, text
        assert m.group(1) == f"python:{version}.v1", (asked, m.group(1))


def test_exception_has_awslambdaric_error_shape(lam, thaw_server):
    name = deploy(lam)
    resp, body = invoke(lam, name, {"action": "raise", "message": "bad input"})
    assert resp["StatusCode"] == 200
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "bad input"
    assert body["requestId"] == request_id(resp)
    trace = body["stackTrace"]
    assert isinstance(trace, list) and trace, body
    assert any('app.py", line' in frame and "in handler" in frame for frame in trace), trace
    assert 'raise ValueError(event.get("message", "boom"))' in trace[-1], trace
    log = tail(resp)
    assert "about to fail" in log
    # awslambdaric's own log line for an unhandled error.
    assert "[ERROR] ValueError: bad input" in log, log
    # The process survives a handled error: the next call is warm.
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
    assert body["errorType"] == "Runtime.OutOfMemory", body
    m = report(resp)
    assert (m["status"], m["error_type"]) == ("error", "Runtime.OutOfMemory"), m.group(0)
    resp2, _ = invoke(lam, name, {})
    assert "FunctionError" not in resp2, "a fresh environment serves the next call"


def test_layer_python_dir_is_importable(lam, thaw_server):
    if "namespaces" not in " ".join(enforced(thaw_server)):
        pytest.skip("layers are mounted at /opt only in the sandbox (run as root)")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        # World-readable, as on AWS: the function's user does not own /opt.
        info = zipfile.ZipInfo("python/layermod.py")
        info.external_attr = 0o644 << 16
        z.writestr(info, "VALUE = 'from the layer'\n")
    layer = lam.publish_layer_version(LayerName=unique("pylib"), Content={"ZipFile": buf.getvalue()},
                                      CompatibleRuntimes=["python3.12"])
    name = deploy(lam, Layers=[layer["LayerVersionArn"]])
    resp, body = invoke(lam, name, {"action": "layer"})
    assert "FunctionError" not in resp, body
    assert body == {"value": "from the layer", "file": "/opt/python/layermod.py"}


def test_boto3_inside_the_function_calls_thaws_sqs(lam, thaw_server):
    sqs = sqs_client(thaw_server.url)
    url = sqs.create_queue(QueueName=unique("pyq"))["QueueUrl"]
    # boto3's client loads botocore's models: about a CPU-second, which at 128 MB (7 % of a vCPU,
    # as on Lambda) would be most of the timeout on a busy box.
    name = deploy(lam, MemorySize=1024, Timeout=30)
    resp, body = invoke(lam, name, {"action": "sqs", "queue_url": url, "body": "hi from python"})
    assert "FunctionError" not in resp, body
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2)["Messages"]
    assert [(m["MessageId"], m["Body"]) for m in got] == [(body["message_id"], "hi from python")]


def test_boto3_inside_the_function_calls_thaws_dynamodb(lam, thaw_server):
    ddb = ddb_client(thaw_server.url)
    table = unique("pyt")
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    ddb.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 0.2})
    name = deploy(lam, MemorySize=1024, Timeout=30)  # as above: boto3's models
    resp, body = invoke(lam, name, {"action": "ddb", "table": table, "key": "k1",
                                    "body": "from python"})
    assert "FunctionError" not in resp, body
    item = {"pk": {"S": "k1"}, "body": {"S": "from python"}}
    assert body == {"item": item}
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "k1"}})["Item"] == item


def test_missing_runtime_is_refused_at_create(make_thaw_server, tmp_path):
    server = make_thaw_server(env={"THAW_RUNTIMES_DIR": str(tmp_path / "none")})
    lam = boto_client("lambda", server)
    with pytest.raises(ClientError) as e:
        deploy(lam)
    err = e.value.response
    assert err["Error"]["Code"] == "InvalidParameterValueException", err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "The runtime parameter of python3.12 is not available on this host" in \
        err["Error"]["Message"]
    # A custom runtime needs no runtime tree; changing to python3.12 is refused the same way.
    name = unique("custom")
    lam.create_function(FunctionName=name, Runtime="provided.al2023", Role=ROLE,
                        Handler="bootstrap", Code={"ZipFile": app_zip()})
    with pytest.raises(ClientError) as e:
        lam.update_function_configuration(FunctionName=name, Runtime="python3.11")
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"


def test_doctor_lists_managed_runtimes():
    out = subprocess.run([str(THAW_BIN), "doctor", "--json"], capture_output=True, text=True,
                         check=True)
    runtimes = json.loads(out.stdout)["managedRuntimes"]
    python = [r for r in runtimes if r["family"] == "python"]
    assert len(python) == 1
    assert python[0]["available"] is True, python
    assert python[0]["version"] == host_python()
    assert "python3.12" in python[0]["runtimes"]
    text = subprocess.run([str(THAW_BIN), "doctor"], capture_output=True, text=True,
                          check=True).stdout
    assert f"available, run by Python {host_python()}" in text


def test_no_sandbox_runs_the_tree_in_place(make_thaw_server):
    server = make_thaw_server("--no-sandbox")
    lam = boto_client("lambda", server)
    name = deploy(lam)
    resp, body = invoke(lam, name, {"x": 1})
    assert "FunctionError" not in resp, body
    assert body["env"]["LAMBDA_RUNTIME_DIR"] == str(RUNTIME_TREE)
    assert body["env"]["PYTHONPATH"].endswith(str(RUNTIME_TREE))
    assert body["file"] == str(Path(body["env"]["LAMBDA_TASK_ROOT"]) / "app.py")


def test_json_logging(lam):
    name = deploy(lam, LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "INFO"})
    shown = lam.get_function_configuration(FunctionName=name)["LoggingConfig"]
    assert shown == {"LogFormat": "JSON", "ApplicationLogLevel": "INFO", "SystemLogLevel": "INFO",
                     "LogGroup": f"/aws/lambda/{name}"}
    resp, body = invoke(lam, name, {"action": "log", "message": "hello"})
    assert body == {"logged": True}
    records = []
    for line in tail(resp).splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            pass
    mine = [r for r in records if isinstance(r, dict) and "hello" in str(r.get("message"))]
    assert len(mine) == 1, tail(resp)  # the DEBUG line is below the level
    assert mine[0]["level"] == "INFO"
    assert mine[0]["message"] == "info: hello"
    assert mine[0]["requestId"] == request_id(resp)
    # Back to Text: plain lines again, the levels gone from the configuration.
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    lam.update_function_configuration(FunctionName=name, LoggingConfig={"LogFormat": "Text"})
    shown = lam.get_function_configuration(FunctionName=name)["LoggingConfig"]
    assert shown == {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"}
    resp, _ = invoke(lam, name, {"action": "raise", "message": "plain"})
    log = tail(resp)
    assert re.search(r"^\[ERROR\] ValueError: plain", log, re.M), log
    assert "{" not in log.split("START RequestId")[1].split("END RequestId")[0], log
    # Text keeps the root logger at WARNING, as on AWS: logging.info is not shown.
    resp, _ = invoke(lam, name, {"action": "log", "message": "again"})
    assert "info: again" not in tail(resp)
