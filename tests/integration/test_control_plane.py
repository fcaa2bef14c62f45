"""Lambda control plane (REST-JSON 2015-03-31) through boto3 and the real AWS CLI v2.

Expected answers are real AWS behaviour (shared/reference/lambda-runtime.md section 5).
"""

import base64
import hashlib
import itertools
import json
import os
import re
import time
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import (REGION, ROLE, ThawServer, aws, boto_client, create_function, poll,
                      signed_headers)

ACCOUNT = "000000000000"
ARN_PREFIX = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"
LAST_MODIFIED_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

_counter = itertools.count()


def fname(tag):
    """A function name unique within this module's shared server."""
    return f"cp-{tag}-{next(_counter)}-{os.getpid() % 1000}"


def b64sha256(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()



def cli_json(server, *args, input=None):
    res = aws(server, *args, input=input)
    assert res.returncode == 0, f"aws {' '.join(map(str, args))} -> {res.returncode}\n{res.stderr}"
    return json.loads(res.stdout) if res.stdout.strip() else None


def assert_client_error(excinfo, code, status):
    err = excinfo.value.response
    headers = err["ResponseMetadata"]["HTTPHeaders"]
    assert err["Error"]["Code"] == code, err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == status, err
    # botocore keeps the text before ':' of x-amzn-ErrorType; the header must carry the code.
    assert headers.get("x-amzn-errortype", "").split(":")[0] == code, headers
    assert err["Error"]["Message"], err


def assert_alive(lam):
    """The server still answers a normal request."""
    settings = lam.get_account_settings()
    assert settings["ResponseMetadata"]["HTTPStatusCode"] == 200


def invoke_json(lam, name, payload=None, **kw):
    resp = lam.invoke(FunctionName=name, Payload=json.dumps(payload or {}).encode(), **kw)
    body = resp["Payload"].read()
    assert "FunctionError" not in resp, body
    return resp, json.loads(body)


def raw(server, method, path, body=None, headers=None):
    """A raw HTTP request; returns (status, headers(lowercased), body bytes)."""
    req = urllib.request.Request(server.url + path, data=body, method=method,
                                 headers=signed_headers(method, server.url + path, body or b"",
                                                        headers))
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


@pytest.fixture(scope="module")
def lam_novalidate(thaw_server):
    """A boto3 client that sends out-of-range values instead of rejecting them itself."""
    return boto3.client(
        "lambda", endpoint_url=thaw_server.url, region_name=REGION,
        aws_access_key_id="AKID", aws_secret_access_key="SECRET",
        config=Config(retries={"max_attempts": 1}, parameter_validation=False, read_timeout=60))


@pytest.fixture(scope="module")
def zips(examples):
    return examples


# ---- CreateFunction -------------------------------------------------------------------------

def test_create_function_response_fields(lam, zips):
    name = fname("create")
    zip_bytes = zips.go("echo").read_bytes()
    resp = create_function(lam, name, "echo")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert resp["FunctionName"] == name
    assert resp["FunctionArn"] == ARN_PREFIX + name
    assert resp["CodeSha256"] == b64sha256(zip_bytes)
    assert resp["CodeSize"] == len(zip_bytes)
    assert resp["Version"] == "$LATEST"
    assert resp["Runtime"] == "provided.al2023"
    assert resp["Handler"] == "bootstrap"
    assert resp["Role"] == ROLE
    assert resp["Timeout"] == 3
    assert resp["MemorySize"] == 128
    assert resp["Architectures"] == ["x86_64"]
    assert resp["EphemeralStorage"] == {"Size": 512}
    assert resp["PackageType"] == "Zip"
    assert LAST_MODIFIED_RE.match(resp["LastModified"]), resp["LastModified"]
    assert UUID_RE.match(resp["RevisionId"]), resp["RevisionId"]
    assert resp["State"] == "Pending"
    assert resp["StateReason"] == "The function is being created."
    assert resp["StateReasonCode"] == "Creating"

    def active():
        conf = lam.get_function(FunctionName=name)["Configuration"]
        return conf if conf["State"] == "Active" else None
    conf = poll(active, what="State Active")
    assert conf["LastUpdateStatus"] == "Successful"
    assert conf["CodeSha256"] == resp["CodeSha256"]
    assert conf["LastModified"] == resp["LastModified"]


def test_create_function_cli_zip_file(thaw_server, zips):
    name = fname("clicreate")
    zip_path = zips.go("echo")
    zip_bytes = zip_path.read_bytes()
    out = cli_json(thaw_server, "lambda", "create-function", "--function-name", name,
                   "--runtime", "provided.al2023", "--role", ROLE, "--handler", "bootstrap",
                   "--architectures", "x86_64", "--zip-file", f"fileb://{zip_path}")
    assert out["FunctionArn"] == ARN_PREFIX + name
    assert out["CodeSha256"] == b64sha256(zip_bytes)
    assert out["CodeSize"] == len(zip_bytes)
    assert out["State"] == "Pending"
    assert out["Version"] == "$LATEST"
    assert out["Timeout"] == 3 and out["MemorySize"] == 128
    assert out["EphemeralStorage"] == {"Size": 512}

    def active():
        got = cli_json(thaw_server, "lambda", "get-function", "--function-name", name)
        return got if got["Configuration"]["State"] == "Active" else None
    got = poll(active, timeout=8, interval=0.2, what="State Active via CLI")
    assert got["Configuration"]["CodeSha256"] == out["CodeSha256"]


def test_get_function_code_location_downloads_zip(lam, zips):
    name = fname("location")
    create_function(lam, name, "logger")
    got = lam.get_function(FunctionName=name)
    code = got["Code"]
    assert code["RepositoryType"] == "S3"
    with urllib.request.urlopen(code["Location"], timeout=10) as r:
        assert r.status == 200
        data = r.read()
    assert data == zips.go("logger").read_bytes()
    assert got["Configuration"]["FunctionName"] == name


def test_get_function_configuration(lam, thaw_server):
    name = fname("getconf")
    created = create_function(lam, name, "echo", Timeout=7, MemorySize=256,
                              Description="desc here")
    conf = lam.get_function_configuration(FunctionName=name)
    for key in ("FunctionName", "FunctionArn", "CodeSha256", "CodeSize", "Role", "Handler",
                "Runtime", "RevisionId"):
        assert conf[key] == created[key], key
    assert conf["Timeout"] == 7 and conf["MemorySize"] == 256
    assert conf["Description"] == "desc here"
    assert "Code" not in conf
    # By ARN too, and through the CLI.
    by_arn = lam.get_function_configuration(FunctionName=created["FunctionArn"])
    assert by_arn["FunctionName"] == name
    out = cli_json(thaw_server, "lambda", "get-function-configuration", "--function-name", name)
    assert out["FunctionArn"] == ARN_PREFIX + name
    assert out["MemorySize"] == 256


@pytest.fixture(scope="module")
def five_server(tmp_path_factory, examples):
    """Its own server holding exactly five functions, so page counts are exact."""
    base = tmp_path_factory.mktemp("thaw-five")
    (base / "state").mkdir()
    server = ThawServer(base / "state", base)
    server.start()
    try:
        client = boto_client("lambda", server)
        names = [f"page-fn-{i}" for i in range(5)]
        for n in names:
            create_function(client, n, "noop")
        yield server, client, names
    finally:
        server.close()


def test_list_functions_pagination_boto3(five_server):
    _, client, names = five_server
    pages = []
    marker = None
    for _ in range(10):
        kw = {"MaxItems": 2}
        if marker:
            kw["Marker"] = marker
        page = client.list_functions(**kw)
        pages.append([f["FunctionName"] for f in page["Functions"]])
        marker = page.get("NextMarker")
        if not marker:
            break
    assert [len(p) for p in pages] == [2, 2, 1], pages
    seen = [n for p in pages for n in p]
    assert sorted(seen) == sorted(names)
    assert len(set(seen)) == 5
    full = client.list_functions()
    assert sorted(f["FunctionName"] for f in full["Functions"]) == sorted(names)
    assert "NextMarker" not in full
    # The boto3 paginator follows NextMarker too.
    paged = client.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 2})
    assert sorted(f["FunctionName"] for p in paged for f in p["Functions"]) == sorted(names)


def test_list_functions_cli_autopaginates(five_server):
    server, _, names = five_server
    # --page-size sends MaxItems=2; the CLI follows NextMarker and merges every page.
    out = cli_json(server, "lambda", "list-functions", "--page-size", "2")
    assert sorted(f["FunctionName"] for f in out["Functions"]) == sorted(names)
    # --max-items caps the total and hands back a NextToken to resume from.
    first = cli_json(server, "lambda", "list-functions", "--max-items", "2")
    assert len(first["Functions"]) == 2
    assert first.get("NextToken")
    rest = cli_json(server, "lambda", "list-functions", "--starting-token", first["NextToken"])
    got = [f["FunctionName"] for f in first["Functions"] + rest["Functions"]]
    assert sorted(got) == sorted(names)


def test_list_functions_bad_marker(five_server):
    _, client, _ = five_server
    with pytest.raises(ClientError) as e:
        client.list_functions(Marker="not-a-marker!!", MaxItems=2)
    assert_client_error(e, "InvalidParameterValueException", 400)
    assert_alive(client)


# ---- Updates --------------------------------------------------------------------------------

def test_update_function_code(lam, zips):
    name = fname("updcode")
    first = create_function(lam, name, "echo")
    _, body = invoke_json(lam, name, {"a": 1})
    assert body == {"a": 1}
    new_zip = zips.go("logger").read_bytes()
    upd = lam.update_function_code(FunctionName=name, ZipFile=new_zip)
    assert upd["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert upd["CodeSha256"] == b64sha256(new_zip) != first["CodeSha256"]
    assert upd["CodeSize"] == len(new_zip)
    assert upd["RevisionId"] != first["RevisionId"]
    assert upd["LastUpdateStatus"] == "InProgress"  # what AWS answers to UpdateFunctionCode
    assert upd["State"] == "Active"
    poll(lambda: lam.get_function(FunctionName=name)["Configuration"]["LastUpdateStatus"]
         == "Successful", what="LastUpdateStatus Successful")
    # The next invoke runs the new code (logger answers "ok" whatever the event).
    _, body = invoke_json(lam, name, {"lines": 1})
    assert body == "ok"


def test_update_function_code_cli(thaw_server, lam, zips):
    name = fname("updcodecli")
    create_function(lam, name, "echo")
    zip_path = zips.go("sleep")
    out = cli_json(thaw_server, "lambda", "update-function-code", "--function-name", name,
                   "--zip-file", f"fileb://{zip_path}")
    assert out["CodeSha256"] == b64sha256(zip_path.read_bytes())
    _, body = invoke_json(lam, name, {"ms": 1})
    assert body == {"slept": 1}


def test_update_function_configuration(lam, thaw_server):
    name = fname("updconf")
    create_function(lam, name, "context")
    _, body = invoke_json(lam, name)
    assert "USER_COLOR" not in body["env"]
    upd = lam.update_function_configuration(
        FunctionName=name, Timeout=20, MemorySize=512,
        Environment={"Variables": {"USER_COLOR": "blue", "USER_SIZE": "xl"}})
    assert upd["Timeout"] == 20 and upd["MemorySize"] == 512
    assert upd["Environment"]["Variables"] == {"USER_COLOR": "blue", "USER_SIZE": "xl"}
    assert upd["LastUpdateStatus"] == "InProgress"
    conf = lam.get_function_configuration(FunctionName=name)
    assert conf["Timeout"] == 20 and conf["MemorySize"] == 512
    assert conf["Environment"]["Variables"]["USER_COLOR"] == "blue"
    _, body = invoke_json(lam, name)
    assert body["env"]["USER_COLOR"] == "blue"
    assert body["env"]["USER_SIZE"] == "xl"
    assert body["env"]["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert body["memory_limit_in_mb"] == 512

    # The CLI's shorthand syntax; the new environment replaces the old one.
    out = cli_json(thaw_server, "lambda", "update-function-configuration", "--function-name",
                   name, "--environment", "Variables={USER_MODE=cli}", "--timeout", "9")
    assert out["Environment"]["Variables"] == {"USER_MODE": "cli"}
    assert out["Timeout"] == 9
    _, body = invoke_json(lam, name)
    assert body["env"].get("USER_MODE") == "cli"
    assert "USER_COLOR" not in body["env"]


# ---- DeleteFunction -------------------------------------------------------------------------

def test_delete_function(lam):
    name = fname("delete")
    create_function(lam, name, "echo")
    invoke_json(lam, name, {"x": 1})
    resp = lam.delete_function(FunctionName=name)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as e:
        lam.get_function(FunctionName=name)
    assert_client_error(e, "ResourceNotFoundException", 404)
    assert name in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName=name, Payload=b"{}")
    assert_client_error(e, "ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as e:
        lam.delete_function(FunctionName=name)
    assert_client_error(e, "ResourceNotFoundException", 404)
    assert name not in [f["FunctionName"] for f in lam.list_functions()["Functions"]]


def test_delete_function_cli(thaw_server, lam):
    name = fname("deletecli")
    create_function(lam, name, "echo")
    res = aws(thaw_server, "lambda", "delete-function", "--function-name", name)
    assert res.returncode == 0, res.stderr
    res = aws(thaw_server, "lambda", "get-function", "--function-name", name)
    assert res.returncode != 0
    assert "ResourceNotFoundException" in res.stderr


# ---- Versions and aliases -------------------------------------------------------------------

def test_publish_version(lam, zips):
    name = fname("publish")
    create_function(lam, name, "echo")
    v1 = lam.publish_version(FunctionName=name)
    assert v1["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert v1["Version"] == "1"
    assert v1["FunctionArn"] == ARN_PREFIX + name + ":1"
    # Nothing changed: the same version comes back.
    again = lam.publish_version(FunctionName=name)
    assert again["Version"] == "1"
    assert again["CodeSha256"] == v1["CodeSha256"]
    # A configuration change makes the next publish a new version.
    lam.update_function_configuration(FunctionName=name, Timeout=11)
    v2 = lam.publish_version(FunctionName=name)
    assert v2["Version"] == "2"
    assert v2["Timeout"] == 11
    # Versions are immutable snapshots.
    assert lam.get_function_configuration(FunctionName=name, Qualifier="1")["Timeout"] == 3
    resp, body = invoke_json(lam, name, {"v": 1}, Qualifier="1")
    assert resp["ExecutedVersion"] == "1"
    assert body == {"v": 1}


def test_publish_version_after_code_change(lam, zips):
    name = fname("publishcode")
    create_function(lam, name, "echo")
    assert lam.publish_version(FunctionName=name)["Version"] == "1"
    lam.update_function_code(FunctionName=name, ZipFile=zips.go("logger").read_bytes())
    v2 = lam.publish_version(FunctionName=name)
    assert v2["Version"] == "2"
    # Each version runs its own code.
    _, body1 = invoke_json(lam, name, {"lines": 0}, Qualifier="1")
    _, body2 = invoke_json(lam, name, {"lines": 0}, Qualifier="2")
    assert body1 == {"lines": 0}
    assert body2 == "ok"


def test_list_versions_by_function(lam, thaw_server):
    name = fname("versions")
    create_function(lam, name, "echo")
    lam.publish_version(FunctionName=name)
    lam.update_function_configuration(FunctionName=name, MemorySize=256)
    lam.publish_version(FunctionName=name)
    versions = lam.list_versions_by_function(FunctionName=name)["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]
    assert versions[1]["MemorySize"] == 128 and versions[2]["MemorySize"] == 256
    assert versions[2]["FunctionArn"] == ARN_PREFIX + name + ":2"
    out = cli_json(thaw_server, "lambda", "list-versions-by-function", "--function-name", name,
                   "--page-size", "1")
    assert [v["Version"] for v in out["Versions"]] == ["$LATEST", "1", "2"]


def test_list_functions_all_versions(lam):
    name = fname("listall")
    create_function(lam, name, "echo")
    lam.publish_version(FunctionName=name)
    pages = lam.get_paginator("list_functions").paginate(FunctionVersion="ALL")
    arns = [f["FunctionArn"] for p in pages for f in p["Functions"]
            if f["FunctionName"] == name]
    assert ARN_PREFIX + name + ":1" in arns
    assert len(arns) == 2, arns
    # Without FunctionVersion=ALL only $LATEST is listed.
    pages = lam.get_paginator("list_functions").paginate()
    assert [f["Version"] for p in pages for f in p["Functions"]
            if f["FunctionName"] == name] == ["$LATEST"]


def test_delete_function_version(lam):
    name = fname("delversion")
    create_function(lam, name, "echo")
    lam.publish_version(FunctionName=name)
    lam.update_function_configuration(FunctionName=name, Timeout=4)
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    # A version an alias points at cannot go.
    with pytest.raises(ClientError) as e:
        lam.delete_function(FunctionName=name, Qualifier="1")
    assert_client_error(e, "ResourceConflictException", 409)
    assert "live" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        lam.delete_function(FunctionName=name, Qualifier="$LATEST")
    assert_client_error(e, "InvalidParameterValueException", 400)
    resp = lam.delete_function(FunctionName=name, Qualifier="2")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    versions = lam.list_versions_by_function(FunctionName=name)["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1"]
    with pytest.raises(ClientError) as e:
        lam.get_function(FunctionName=name, Qualifier="2")
    assert_client_error(e, "ResourceNotFoundException", 404)
    # The function itself and its other versions are untouched.
    _, body = invoke_json(lam, name, {"v": "latest"})
    assert body == {"v": "latest"}
    resp, _ = invoke_json(lam, name, {}, Qualifier="live")
    assert resp["ExecutedVersion"] == "1"


def test_qualified_names_and_arns(lam):
    name = fname("qualified")
    create_function(lam, name, "echo")
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="prod", FunctionVersion="1")
    assert lam.get_function_configuration(
        FunctionName=f"{ACCOUNT}:function:{name}")["FunctionName"] == name
    assert lam.get_function_configuration(FunctionName=f"{name}:prod")["Version"] == "1"
    assert lam.get_function_configuration(FunctionName=ARN_PREFIX + name + ":1")["Version"] == "1"
    resp, _ = invoke_json(lam, ARN_PREFIX + name + ":prod", {})
    assert resp["ExecutedVersion"] == "1"


@pytest.mark.parametrize("alias", ["123", "bad alias!"])
def test_alias_name_validation(lam_novalidate, lam, alias):
    name = fname("aliasname")
    create_function(lam, name, "echo")
    lam.publish_version(FunctionName=name)
    with pytest.raises(ClientError) as e:
        lam_novalidate.create_alias(FunctionName=name, Name=alias, FunctionVersion="1")
    assert_client_error(e, "ValidationException", 400)
    assert lam.list_aliases(FunctionName=name)["Aliases"] == []


def test_aliases_crud(lam, thaw_server):
    name = fname("alias")
    create_function(lam, name, "echo")
    lam.publish_version(FunctionName=name)
    lam.update_function_configuration(FunctionName=name, Timeout=5)
    lam.publish_version(FunctionName=name)

    created = lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1",
                               Description="prod")
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["AliasArn"] == ARN_PREFIX + name + ":live"
    assert created["FunctionVersion"] == "1"
    assert created["Name"] == "live"
    assert UUID_RE.match(created["RevisionId"])

    got = lam.get_alias(FunctionName=name, Name="live")
    assert got["FunctionVersion"] == "1" and got["Description"] == "prod"
    resp, _ = invoke_json(lam, name, {}, Qualifier="live")
    assert resp["ExecutedVersion"] == "1"

    with pytest.raises(ClientError) as e:
        lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    assert_client_error(e, "ResourceConflictException", 409)

    updated = lam.update_alias(FunctionName=name, Name="live", FunctionVersion="2")
    assert updated["FunctionVersion"] == "2"
    resp, _ = invoke_json(lam, name, {}, Qualifier="live")
    assert resp["ExecutedVersion"] == "2"

    cli_json(thaw_server, "lambda", "create-alias", "--function-name", name, "--name", "beta",
             "--function-version", "$LATEST")
    listed = cli_json(thaw_server, "lambda", "list-aliases", "--function-name", name)
    assert sorted(a["Name"] for a in listed["Aliases"]) == ["beta", "live"]

    assert lam.delete_alias(FunctionName=name, Name="live")["ResponseMetadata"][
        "HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as e:
        lam.get_alias(FunctionName=name, Name="live")
    assert_client_error(e, "ResourceNotFoundException", 404)
    assert [a["Name"] for a in lam.list_aliases(FunctionName=name)["Aliases"]] == ["beta"]


def test_alias_to_missing_version(lam):
    name = fname("aliasbad")
    create_function(lam, name, "echo")
    with pytest.raises(ClientError) as e:
        lam.create_alias(FunctionName=name, Name="live", FunctionVersion="7")
    assert_client_error(e, "ResourceNotFoundException", 404)
    assert_alive(lam)


# ---- Concurrency and account ----------------------------------------------------------------

def test_function_concurrency(lam, thaw_server):
    name = fname("conc")
    create_function(lam, name, "echo")
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name)
    put = lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=5)
    assert put["ReservedConcurrentExecutions"] == 5
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 5
    assert lam.get_function(FunctionName=name)["Concurrency"] == {
        "ReservedConcurrentExecutions": 5}
    settings = lam.get_account_settings()
    assert settings["AccountLimit"]["UnreservedConcurrentExecutions"] <= \
        settings["AccountLimit"]["ConcurrentExecutions"] - 5

    out = cli_json(thaw_server, "lambda", "get-function-concurrency", "--function-name", name)
    assert out == {"ReservedConcurrentExecutions": 5}

    resp = lam.delete_function_concurrency(FunctionName=name)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name)


def test_function_concurrency_zero_throttles(lam):
    name = fname("conczero")
    create_function(lam, name, "echo")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName=name, Payload=b"{}")
    assert_client_error(e, "TooManyRequestsException", 429)
    lam.delete_function_concurrency(FunctionName=name)
    invoke_json(lam, name, {"ok": True})


def test_function_concurrency_above_account_floor(lam):
    name = fname("concbig")
    create_function(lam, name, "echo")
    limit = lam.get_account_settings()["AccountLimit"]["ConcurrentExecutions"]
    with pytest.raises(ClientError) as e:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=limit)
    assert_client_error(e, "InvalidParameterValueException", 400)
    assert "UnreservedConcurrentExecution" in e.value.response["Error"]["Message"]
    assert_alive(lam)


def test_get_account_settings(lam, thaw_server):
    s = lam.get_account_settings()
    limit, usage = s["AccountLimit"], s["AccountUsage"]
    assert limit["ConcurrentExecutions"] == 1000
    assert limit["CodeSizeZipped"] == 52428800
    assert limit["CodeSizeUnzipped"] == 262144000
    assert 0 < limit["UnreservedConcurrentExecutions"] <= limit["ConcurrentExecutions"]
    assert usage["FunctionCount"] >= 0
    out = cli_json(thaw_server, "lambda", "get-account-settings")
    assert out["AccountLimit"]["ConcurrentExecutions"] == 1000
    before = out["AccountUsage"]["FunctionCount"]
    create_function(lam, fname("acct"), "noop")
    after = lam.get_account_settings()["AccountUsage"]
    assert after["FunctionCount"] == before + 1
    assert after["TotalCodeSize"] > 0


# ---- Validation errors ----------------------------------------------------------------------

BIG_ENV = {"Variables": {"BIG_VALUE": "x" * 4200}}

VALIDATION_CASES = {
    "memory-127": ({"MemorySize": 127}, "ValidationException", "memorySize"),
    "memory-10241": ({"MemorySize": 10241}, "ValidationException", "memorySize"),
    "timeout-0": ({"Timeout": 0}, "ValidationException", "timeout"),
    "timeout-901": ({"Timeout": 901}, "ValidationException", "timeout"),
    "unknown-runtime": ({"Runtime": "cobol85"}, "InvalidParameterValueException", "runtime"),
    "bad-name": ({"FunctionName": "bad name!"}, "ValidationException", "functionName"),
    "name-too-long": ({"FunctionName": "n" * 65}, "ValidationException", "functionName"),
    "missing-role": ({"Role": None}, "ValidationException", "role"),
    "bad-role": ({"Role": "not-a-role"}, "ValidationException", "role"),
    "env-over-4kb": ({"Environment": BIG_ENV}, "InvalidParameterValueException", "4KB"),
    "ephemeral-511": ({"EphemeralStorage": {"Size": 511}}, "ValidationException",
                      "ephemeralStorage"),
    "ephemeral-10241": ({"EphemeralStorage": {"Size": 10241}}, "ValidationException",
                        "ephemeralStorage"),
    "bad-architecture": ({"Architectures": ["mips"]}, "ValidationException", "architectures"),
    "invalid-zip": ({"Code": {"ZipFile": os.urandom(2048)}}, "InvalidParameterValueException",
                    "unzip"),
}


@pytest.mark.parametrize("case", list(VALIDATION_CASES))
def test_create_function_validation(lam_novalidate, lam, zips, case):
    overrides, code, hint = VALIDATION_CASES[case]
    name = fname("invalid")
    params = dict(FunctionName=name, Runtime="provided.al2023", Role=ROLE, Handler="bootstrap",
                  Code={"ZipFile": zips.go("noop").read_bytes()})
    params.update(overrides)
    params = {k: v for k, v in params.items() if v is not None}
    with pytest.raises(ClientError) as e:
        lam_novalidate.create_function(**params)
    assert_client_error(e, code, 400)
    assert hint.lower() in e.value.response["Error"]["Message"].lower()
    # Nothing was created, and the server keeps serving.
    with pytest.raises(ClientError) as e:
        lam.get_function(FunctionName=params["FunctionName"])
    assert e.value.response["Error"]["Code"] in ("ResourceNotFoundException",
                                                 "ValidationException")
    assert_alive(lam)


@pytest.mark.parametrize("case,params,code", [
    ("memory-127", {"MemorySize": 127}, "ValidationException"),
    ("memory-10241", {"MemorySize": 10241}, "ValidationException"),
    ("timeout-0", {"Timeout": 0}, "ValidationException"),
    ("timeout-901", {"Timeout": 901}, "ValidationException"),
    ("env-over-4kb", {"Environment": BIG_ENV}, "InvalidParameterValueException"),
])
def test_update_function_configuration_validation(lam_novalidate, lam, case, params, code):
    name = fname("updinvalid")
    create_function(lam, name, "noop")
    with pytest.raises(ClientError) as e:
        lam_novalidate.update_function_configuration(FunctionName=name, **params)
    assert_client_error(e, code, 400)
    conf = lam.get_function_configuration(FunctionName=name)
    assert conf["MemorySize"] == 128 and conf["Timeout"] == 3  # unchanged
    assert "Environment" not in conf or not conf["Environment"].get("Variables")


@pytest.mark.parametrize("drop,code,message", [
    ("Runtime", "InvalidParameterValueException", "Runtime and Handler are mandatory"),
    ("Handler", "InvalidParameterValueException", "Runtime and Handler are mandatory"),
    ("Code", "ValidationException", "'code'"),
])
def test_create_function_missing_parameter(lam_novalidate, lam, zips, drop, code, message):
    params = dict(FunctionName=fname("missing"), Runtime="provided.al2023", Role=ROLE,
                  Handler="bootstrap", Code={"ZipFile": zips.go("noop").read_bytes()})
    del params[drop]
    with pytest.raises(ClientError) as e:
        lam_novalidate.create_function(**params)
    assert_client_error(e, code, 400)
    assert message in e.value.response["Error"]["Message"]
    assert_alive(lam)


def test_reserved_environment_key(lam):
    name = fname("reserved")
    create_function(lam, name, "noop")
    with pytest.raises(ClientError) as e:
        lam.update_function_configuration(FunctionName=name,
                                          Environment={"Variables": {"AWS_REGION": "eu-west-1"}})
    assert_client_error(e, "InvalidParameterValueException", 400)
    assert "AWS_REGION" in e.value.response["Error"]["Message"]


def test_revision_id_precondition(lam):
    name = fname("revision")
    created = create_function(lam, name, "noop")
    with pytest.raises(ClientError) as e:
        lam.update_function_configuration(FunctionName=name, Timeout=5,
                                          RevisionId="00000000-0000-0000-0000-000000000000")
    assert_client_error(e, "PreconditionFailedException", 412)
    assert lam.get_function_configuration(FunctionName=name)["Timeout"] == 3
    upd = lam.update_function_configuration(FunctionName=name, Timeout=5,
                                            RevisionId=created["RevisionId"])
    assert upd["Timeout"] == 5 and upd["RevisionId"] != created["RevisionId"]


def test_resource_policy(lam):
    name = fname("policy")
    create_function(lam, name, "noop")
    added = lam.add_permission(FunctionName=name, StatementId="sns", Action="lambda:InvokeFunction",
                               Principal="sns.amazonaws.com")
    assert added["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert json.loads(added["Statement"])["Sid"] == "sns"
    policy = json.loads(lam.get_policy(FunctionName=name)["Policy"])
    assert [st["Sid"] for st in policy["Statement"]] == ["sns"]
    assert policy["Version"] == "2012-10-17"
    statement = policy["Statement"][0]
    assert statement == {"Sid": "sns", "Effect": "Allow",
                         "Principal": {"Service": "sns.amazonaws.com"},
                         "Action": "lambda:InvokeFunction", "Resource": ARN_PREFIX + name}
    with pytest.raises(ClientError) as e:  # the same StatementId again
        lam.add_permission(FunctionName=name, StatementId="sns", Action="lambda:InvokeFunction",
                           Principal="sns.amazonaws.com")
    assert_client_error(e, "ResourceConflictException", 409)
    with pytest.raises(ClientError) as e:
        lam.add_permission(FunctionName=name, StatementId="bad id", Action="lambda:InvokeFunction",
                           Principal="sns.amazonaws.com")
    assert_client_error(e, "ValidationException", 400)
    # A qualifier has a policy of its own; $LATEST cannot have one.
    lam.publish_version(FunctionName=name)
    lam.add_permission(FunctionName=name, StatementId="v1", Action="lambda:InvokeFunction",
                       Principal="123456789012", Qualifier="1",
                       SourceArn="arn:aws:s3:::bucket")
    v1 = json.loads(lam.get_policy(FunctionName=name, Qualifier="1")["Policy"])
    assert v1["Statement"][0]["Resource"] == ARN_PREFIX + name + ":1"
    assert v1["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert v1["Statement"][0]["Condition"] == {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::bucket"}}
    with pytest.raises(ClientError) as e:
        lam.add_permission(FunctionName=name, StatementId="l", Action="lambda:InvokeFunction",
                           Principal="sns.amazonaws.com", Qualifier="$LATEST")
    assert_client_error(e, "InvalidParameterValueException", 400)
    with pytest.raises(ClientError) as e:
        lam.remove_permission(FunctionName=name, StatementId="nope")
    assert_client_error(e, "ResourceNotFoundException", 404)
    removed = lam.remove_permission(FunctionName=name, StatementId="sns")
    assert removed["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as e:
        lam.get_policy(FunctionName=name)
    assert_client_error(e, "ResourceNotFoundException", 404)
    assert lam.get_policy(FunctionName=name, Qualifier="1")["RevisionId"]


def test_resource_policy_survives_kill9(make_thaw_server, examples):
    server = make_thaw_server()
    lam = boto_client("lambda", server)
    name = fname("policykill")
    create_function(lam, name, "noop")
    lam.add_permission(FunctionName=name, StatementId="keep", Action="lambda:InvokeFunction",
                       Principal="events.amazonaws.com")
    server.kill9()
    server.start()
    lam = boto_client("lambda", server)
    policy = json.loads(lam.get_policy(FunctionName=name)["Policy"])
    assert [st["Sid"] for st in policy["Statement"]] == ["keep"]


def test_create_function_validation_cli(thaw_server, zips):
    res = aws(thaw_server, "lambda", "create-function", "--function-name", fname("cliinvalid"),
              "--runtime", "provided.al2023", "--role", ROLE, "--handler", "bootstrap",
              "--memory-size", "10241", "--zip-file", f"fileb://{zips.go('noop')}")
    assert res.returncode == 254, (res.returncode, res.stderr)
    assert "ValidationException" in res.stderr
    assert "CreateFunction" in res.stderr


def test_duplicate_create_is_conflict(lam, thaw_server, zips):
    name = fname("dup")
    create_function(lam, name, "echo")
    with pytest.raises(ClientError) as e:
        create_function(lam, name, "echo")
    assert_client_error(e, "ResourceConflictException", 409)
    assert name in e.value.response["Error"]["Message"]
    res = aws(thaw_server, "lambda", "create-function", "--function-name", name,
              "--runtime", "provided.al2023", "--role", ROLE, "--handler", "bootstrap",
              "--zip-file", f"fileb://{zips.go('echo')}")
    assert res.returncode == 254
    assert "ResourceConflictException" in res.stderr
    assert_alive(lam)


def test_invalid_zip_update_code(lam):
    name = fname("badzipupd")
    created = create_function(lam, name, "echo")
    with pytest.raises(ClientError) as e:
        lam.update_function_code(FunctionName=name, ZipFile=os.urandom(4096))
    assert_client_error(e, "InvalidParameterValueException", 400)
    # The old code stays.
    assert lam.get_function(FunctionName=name)["Configuration"]["CodeSha256"] == \
        created["CodeSha256"]
    _, body = invoke_json(lam, name, {"still": "echo"})
    assert body == {"still": "echo"}


def test_not_found_operations(lam):
    missing = fname("missing")
    calls = [
        lambda: lam.get_function(FunctionName=missing),
        lambda: lam.get_function_configuration(FunctionName=missing),
        lambda: lam.update_function_configuration(FunctionName=missing, Timeout=5),
        lambda: lam.publish_version(FunctionName=missing),
        lambda: lam.list_versions_by_function(FunctionName=missing),
        lambda: lam.list_aliases(FunctionName=missing),
        lambda: lam.put_function_concurrency(FunctionName=missing,
                                             ReservedConcurrentExecutions=1),
        lambda: lam.invoke(FunctionName=missing, Payload=b"{}"),
    ]
    for call in calls:
        with pytest.raises(ClientError) as e:
            call()
        assert_client_error(e, "ResourceNotFoundException", 404)
    assert_alive(lam)


def test_malformed_json_body(thaw_server, lam):
    status, headers, body = raw(thaw_server, "POST", "/2015-03-31/functions",
                                body=b'{"FunctionName": "x", ',
                                headers={"Content-Type": "application/json"})
    assert status == 400
    assert headers.get("x-amzn-errortype", "").split(":")[0] == "InvalidRequestContentException"
    doc = json.loads(body)
    message = doc.get("Message") or doc.get("message")
    assert "Could not parse request body into json" in message
    assert doc.get("Type") == "User"
    assert_alive(lam)


def test_non_object_json_body(thaw_server, lam):
    status, headers, body = raw(thaw_server, "POST", "/2015-03-31/functions", body=b"[1,2]",
                                headers={"Content-Type": "application/json"})
    assert status == 400
    assert headers.get("x-amzn-errortype", "").split(":")[0] == "InvalidRequestContentException"
    assert json.loads(body).get("Message")
    assert_alive(lam)


def test_invoke_invalid_json_payload(thaw_server, lam):
    name = fname("badpayload")
    create_function(lam, name, "echo")
    status, headers, body = raw(thaw_server, "POST",
                                f"/2015-03-31/functions/{name}/invocations", body=b"{nope")
    assert status == 400
    assert headers.get("x-amzn-errortype", "").split(":")[0] == "InvalidRequestContentException"
    assert "Could not parse request body into json" in json.loads(body)["Message"]
    _, echoed = invoke_json(lam, name, {"fine": 1})
    assert echoed == {"fine": 1}


@pytest.mark.parametrize("method,path,status", [
    ("PATCH", "/2015-03-31/functions/whatever", 405),
    ("DELETE", "/2016-08-19/account-settings/", 405),
    ("GET", "/no/such/path", 404),
    ("POST", "/2015-03-31/functions/x/nonsense", 404),
])
def test_wrong_method_or_unknown_path(thaw_server, lam, method, path, status):
    got, headers, body = raw(thaw_server, method, path, body=b"{}" if method != "GET" else None)
    assert got == status, (got, body)
    assert headers.get("x-amzn-errortype"), headers
    assert headers.get("x-amzn-requestid"), headers
    doc = json.loads(body)
    assert doc.get("Message") or doc.get("message"), doc
    assert_alive(lam)
