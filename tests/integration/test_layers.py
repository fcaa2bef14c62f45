"""Layers (the 2018-10-31 layer API through boto3), /opt inside the sandbox, and external
extensions started from /opt/extensions (the Go extension examples/functions/go/extensions/logext,
shipped as a layer).

Expected answers are AWS's (botocore's service model for shapes, status codes and errors;
shared/reference/lambda-runtime.md for extensions)."""

import json
import re
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import ROLE, boto_client, create_function
from invoke_util import (REPORT_RE, environments, make, request_id, tail, unique, wait_for,
                         wait_for_log)
from sandbox_util import require

pytestmark = pytest.mark.usefixtures("examples")

ACCOUNT = "000000000000"
LAYER_PREFIX = f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:"
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")


def layer_zip(examples, name):
    return (Path(examples.root) / "layers" / f"{name}.zip").read_bytes()


def publish(lam, examples, layer, zip_name, **kw):
    return lam.publish_layer_version(LayerName=layer, Content={"ZipFile": layer_zip(examples,
                                                                                    zip_name)},
                                     **kw)


def assert_error(excinfo, code, status):
    err = excinfo.value.response
    assert err["Error"]["Code"] == code, err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == status, err
    return err["Error"]["Message"]


def call(lam, name, **event):
    r = lam.invoke(FunctionName=name, Payload=json.dumps(event).encode())
    body = json.loads(r["Payload"].read())
    assert "FunctionError" not in r, body
    return body


# --- the layer API ---------------------------------------------------------------------------


def test_publish_get_list_delete(lam, examples):
    layer = unique("lib")
    zip_bytes = layer_zip(examples, "data-a")
    v1 = publish(lam, examples, layer, "data-a", Description="first",
                 CompatibleRuntimes=["provided.al2023", "provided.al2"],
                 CompatibleArchitectures=["x86_64"], LicenseInfo="MIT")
    assert v1["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert v1["LayerArn"] == LAYER_PREFIX + layer
    assert v1["LayerVersionArn"] == LAYER_PREFIX + layer + ":1"
    assert v1["Version"] == 1
    assert v1["Description"] == "first"
    assert v1["CompatibleRuntimes"] == ["provided.al2023", "provided.al2"]
    assert v1["CompatibleArchitectures"] == ["x86_64"]
    assert v1["LicenseInfo"] == "MIT"
    assert DATE_RE.match(v1["CreatedDate"]), v1["CreatedDate"]
    assert v1["Content"]["CodeSize"] == len(zip_bytes)
    import base64
    import hashlib
    assert v1["Content"]["CodeSha256"] == base64.b64encode(hashlib.sha256(zip_bytes).digest()
                                                           ).decode()
    # Content.Location downloads the very zip.
    import urllib.request
    with urllib.request.urlopen(v1["Content"]["Location"], timeout=10) as r:
        assert r.read() == zip_bytes

    v2 = publish(lam, examples, layer, "data-b", CompatibleRuntimes=["python3.12"])
    assert v2["Version"] == 2

    got = lam.get_layer_version(LayerName=layer, VersionNumber=1)
    assert got["LayerVersionArn"] == v1["LayerVersionArn"]
    assert got["Content"]["CodeSha256"] == v1["Content"]["CodeSha256"]
    by_arn = lam.get_layer_version_by_arn(Arn=LAYER_PREFIX + layer + ":2")
    assert by_arn["Version"] == 2 and by_arn["LayerArn"] == LAYER_PREFIX + layer
    # The same, by ARN in the LayerName.
    assert lam.get_layer_version(LayerName=LAYER_PREFIX + layer, VersionNumber=2)["Version"] == 2

    versions = lam.list_layer_versions(LayerName=layer)["LayerVersions"]
    assert [v["Version"] for v in versions] == [2, 1]  # newest first
    assert versions[1]["LayerVersionArn"] == v1["LayerVersionArn"]
    assert "Content" not in versions[1]
    only_al = lam.list_layer_versions(LayerName=layer, CompatibleRuntime="provided.al2023")
    assert [v["Version"] for v in only_al["LayerVersions"]] == [1]

    listed = {l["LayerName"]: l for l in lam.list_layers()["Layers"]}
    assert listed[layer]["LayerArn"] == LAYER_PREFIX + layer
    assert listed[layer]["LatestMatchingVersion"]["Version"] == 2
    matching = {l["LayerName"]: l for l in lam.list_layers(
        CompatibleRuntime="provided.al2023")["Layers"]}
    assert matching[layer]["LatestMatchingVersion"]["Version"] == 1

    deleted = lam.delete_layer_version(LayerName=layer, VersionNumber=2)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as e:
        lam.get_layer_version(LayerName=layer, VersionNumber=2)
    assert_error(e, "ResourceNotFoundException", 404)
    # Deleting again is not an error, as on AWS; the number is never reused.
    lam.delete_layer_version(LayerName=layer, VersionNumber=2)
    assert publish(lam, examples, layer, "data-b")["Version"] == 3


def test_layer_errors(lam, examples):
    with pytest.raises(ClientError) as e:
        lam.get_layer_version(LayerName=unique("none"), VersionNumber=1)
    assert_error(e, "ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as e:
        lam.get_layer_version_by_arn(Arn=LAYER_PREFIX + unique("none") + ":1")
    assert_error(e, "ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as e:
        lam.publish_layer_version(LayerName=unique("bad"), Content={"ZipFile": b"not a zip"})
    assert_error(e, "InvalidParameterValueException", 400)
    with pytest.raises(ClientError) as e:
        lam.publish_layer_version(LayerName=unique("bad"), Content={"ZipFile": b"x"},
                                  CompatibleArchitectures=["sparc"])
    assert "validation error" in assert_error(e, "ValidationException", 400)
    assert lam.list_layer_versions(LayerName=unique("none"))["LayerVersions"] == []


def test_function_layers_config_and_errors(lam, examples):
    a = publish(lam, examples, unique("cfg-a"), "data-a")
    b = publish(lam, examples, unique("cfg-b"), "data-b")
    name = unique("layered")
    created = create_function(lam, name, "echo",
                              Layers=[a["LayerVersionArn"], b["LayerVersionArn"]])
    assert created["Layers"] == [
        {"Arn": a["LayerVersionArn"], "CodeSize": a["Content"]["CodeSize"]},
        {"Arn": b["LayerVersionArn"], "CodeSize": b["Content"]["CodeSize"]},
    ]
    assert lam.get_function(FunctionName=name)["Configuration"]["Layers"] == created["Layers"]

    missing = a["LayerArn"] + ":99"
    with pytest.raises(ClientError) as e:
        lam.update_function_configuration(FunctionName=name, Layers=[missing])
    assert assert_error(e, "InvalidParameterValueException", 400) == \
        f"Layer version {missing} does not exist."
    with pytest.raises(ClientError) as e:
        lam.update_function_configuration(FunctionName=name, Layers=[a["LayerVersionArn"]] * 6)
    assert assert_error(e, "InvalidParameterValueException", 400) == \
        "Cannot reference more than 5 layers."
    with pytest.raises(ClientError) as e:
        lam.update_function_configuration(FunctionName=name, Layers=["not-an-arn"])
    assert "validation error" in assert_error(e, "ValidationException", 400)
    with pytest.raises(ClientError) as e:
        create_function(lam, unique("nolayer"), "echo", Layers=[missing])
    assert_error(e, "InvalidParameterValueException", 400)
    # Nothing changed by the failed updates.
    assert lam.get_function_configuration(FunctionName=name)["Layers"] == created["Layers"]

    updated = lam.update_function_configuration(FunctionName=name, Layers=[b["LayerVersionArn"]])
    assert [l["Arn"] for l in updated["Layers"]] == [b["LayerVersionArn"]]
    cleared = lam.update_function_configuration(FunctionName=name, Layers=[])
    assert "Layers" not in cleared


# --- /opt in the sandbox ---------------------------------------------------------------------


def test_opt_holds_layers_in_order_read_only(lam, thaw_server, examples):
    require(thaw_server, "namespaces+read-only root")
    a = publish(lam, examples, unique("opt-a"), "data-a")
    b = publish(lam, examples, unique("opt-b"), "data-b")
    name = make(lam, "opt", "probe", Timeout=10,
                Layers=[a["LayerVersionArn"], b["LayerVersionArn"]])
    assert call(lam, name, action="read", path="/opt/data/a.txt")["text"] == "from layer a\n"
    # Both layers have data/shared.txt: the later one wins.
    assert call(lam, name, action="read", path="/opt/data/shared.txt")["text"] == "b\n"
    assert sorted(call(lam, name, action="list", path="/opt/data")["values"]) == \
        ["a.txt", "shared.txt"]
    written = call(lam, name, action="write", path="/opt/data/new.txt")
    assert not written["ok"] and written["errno"] == "EROFS", written

    # The other order: a wins. The change retires the warm environment.
    lam.update_function_configuration(FunctionName=name,
                                      Layers=[b["LayerVersionArn"], a["LayerVersionArn"]])
    wait_for(lambda: lam.get_function_configuration(FunctionName=name)["LastUpdateStatus"] ==
             "Successful", 5)
    assert call(lam, name, action="read", path="/opt/data/shared.txt")["text"] == "a\n"

    # Deleting the layer versions does not take them away from the function.
    lam.delete_layer_version(LayerName=a["LayerArn"], VersionNumber=1)
    lam.delete_layer_version(LayerName=b["LayerArn"], VersionNumber=1)
    lam.update_function_configuration(FunctionName=name, Timeout=11)  # a fresh environment
    assert call(lam, name, action="read", path="/opt/data/shared.txt")["text"] == "a\n"


def test_opt_survives_restart(make_thaw_server, examples):
    server = make_thaw_server()
    require(server, "namespaces+read-only root")
    lam = boto_client("lambda", server)
    a = publish(lam, examples, "restart-a", "data-a")
    create_function(lam, "restart-opt", "probe", Layers=[a["LayerVersionArn"]])
    server.kill9()
    server.start()
    lam = boto_client("lambda", server)
    assert lam.get_layer_version(LayerName="restart-a", VersionNumber=1)["Version"] == 1
    assert lam.get_function(FunctionName="restart-opt")["Configuration"]["Layers"][0]["Arn"] == \
        a["LayerVersionArn"]
    assert call(lam, "restart-opt", action="read", path="/opt/data/a.txt")["text"] == \
        "from layer a\n"


# --- external extensions ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def logext(lam, thaw_server, examples):
    require(thaw_server, "namespaces+read-only root")
    return publish(lam, examples, unique("logext"), "logext")["LayerVersionArn"]


def test_extension_sees_each_invoke(lam, logs_client, logext):
    name = make(lam, "ext", "echo", Layers=[logext])
    ids = []
    for i in range(3):
        resp = lam.invoke(FunctionName=name, Payload=json.dumps({"n": i}).encode(),
                          LogType="Tail")
        assert "FunctionError" not in resp, tail(resp)
        assert json.loads(resp["Payload"].read()) == {"n": i}
        ids.append(request_id(resp))
        # The extension's line is in this invocation's own log, between START and END.
        text = tail(resp)
        assert f"logext: INVOKE {ids[-1]}" in text, text
    text = wait_for_log(logs_client, name, lambda t: all(f"INVOKE {i}" in t for i in ids))
    assert text.count("logext: registered") == 1  # one environment, one extension process
    lines = text.splitlines()
    for rid in ids:
        start = lines.index(f"START RequestId: {rid} Version: $LATEST")
        seen = lines.index(f"logext: INVOKE {rid}")
        end = lines.index(f"END RequestId: {rid}")
        assert start < seen < end


def test_invocation_waits_for_extension(lam, logext):
    name = make(lam, "extwait", "echo", Layers=[logext], Timeout=10,
                Environment={"Variables": {"LOGEXT_DELAY_MS": "1200"}})
    t0 = time.monotonic()
    resp = lam.invoke(FunctionName=name, Payload=b'{"w":1}', LogType="Tail")
    elapsed = time.monotonic() - t0
    rid = request_id(resp)
    text = tail(resp)
    # The tail carries REPORT, which comes only after the extension asked for the next event.
    assert elapsed >= 1.2, elapsed
    lines = text.splitlines()
    assert lines.index(f"logext: done {rid}") < lines.index(f"END RequestId: {rid}"), text
    report = re.search(REPORT_RE.format(rid=re.escape(rid)), text, re.M)
    assert report, text
    assert float(report.group("duration")) >= 1200.0  # extension time counts, as on Lambda
    # Without LogType=Tail the caller gets the response at once, before the extension is done.
    t0 = time.monotonic()
    resp = lam.invoke(FunctionName=name, Payload=b'{"w":2}')
    assert json.loads(resp["Payload"].read()) == {"w": 2}
    assert time.monotonic() - t0 < 1.0


def test_shutdown_reaches_extension(lam, thaw_server, logs_client, logext):
    name = make(lam, "extstop", "echo", Layers=[logext])
    assert "FunctionError" not in lam.invoke(FunctionName=name, Payload=b"{}")
    env = environments(thaw_server, name)[0]
    # Retire the environment: the runtime gets SIGTERM, the extension SHUTDOWN.
    lam.update_function_configuration(FunctionName=name, Description="retire")
    text = wait_for_log(logs_client, name, lambda t: "logext: SHUTDOWN" in t)
    assert "logext: SHUTDOWN spindown" in text
    wait_for(lambda: all(e["id"] != env["id"] for e in environments(thaw_server, name)), 5,
             what="the retired environment to go")


def test_crashing_extension_is_init_error(lam, logs_client, logext):
    name = make(lam, "extcrash", "echo", Layers=[logext],
                Environment={"Variables": {"LOGEXT_CRASH": "1"}})
    resp = lam.invoke(FunctionName=name, Payload=b"{}", LogType="Tail")
    assert resp["FunctionError"] == "Unhandled"
    body = json.loads(resp["Payload"].read())
    assert body["errorType"] == "Extension.Crash", body
    assert "exit status 3" in body["errorMessage"], body
    text = wait_for_log(logs_client, name, lambda t: "Phase: invoke" in t)
    assert re.search(r"INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: init\tStatus: error\t"
                     r"Error Type: Extension.Crash", text), text
    assert "logext: crashing on purpose" in text
    rid = request_id(resp)
    assert re.search(REPORT_RE.format(rid=re.escape(rid)), text, re.M).group("error_type") == \
        "Extension.Crash"


def test_extension_environment(lam, thaw_server, examples, logext):
    # The probe runs as the function; what it sees at /opt/extensions is what started.
    name = make(lam, "extprobe", "probe", Layers=[logext], Timeout=10)
    assert call(lam, name, action="list", path="/opt/extensions")["values"] == ["logext"]


def test_bootstrap_from_a_layer(lam, thaw_server, examples, tmp_path):
    # No /var/task/bootstrap: Lambda runs /opt/bootstrap, here the echo example as a layer.
    require(thaw_server, "namespaces+read-only root")
    runtime = lam.publish_layer_version(
        LayerName=unique("runtime"),
        Content={"ZipFile": (Path(examples.root) / "go" / "echo.zip").read_bytes()})
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("README.txt", "the runtime comes from a layer\n")
    code = tmp_path / "code.zip"
    code.write_bytes(buf.getvalue())
    name = unique("optboot")
    create_function(lam, name, code, Layers=[runtime["LayerVersionArn"]])
    resp = lam.invoke(FunctionName=name, Payload=b'{"from":"opt"}')
    assert "FunctionError" not in resp
    assert json.loads(resp["Payload"].read()) == {"from": "opt"}
    # Without the layer there is no bootstrap at all.
    lam.update_function_configuration(FunctionName=name, Layers=[])
    resp = lam.invoke(FunctionName=name, Payload=b"{}")
    assert json.loads(resp["Payload"].read())["errorType"] == "Runtime.InvalidEntrypoint"


def test_without_sandbox_layers_are_not_mounted_and_said_so(make_thaw_server, examples):
    server = make_thaw_server("--no-sandbox")
    lam = boto_client("lambda", server)
    logext = publish(lam, examples, "nosandbox-ext", "logext")["LayerVersionArn"]
    create_function(lam, "nosandbox", "echo", Layers=[logext])
    resp = lam.invoke(FunctionName="nosandbox", Payload=b'{"plain":1}', LogType="Tail")
    assert "FunctionError" not in resp
    assert json.loads(resp["Payload"].read()) == {"plain": 1}
    assert "logext" not in tail(resp)  # the extension did not run
    wait_for(lambda: "layers are NOT mounted at /opt" in server.stderr(), 5,
             what="the degraded-mode warning")
