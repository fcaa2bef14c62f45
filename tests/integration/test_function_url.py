"""Function URLs (issue 18): the Create/Get/Update/Delete/ListFunctionUrlConfigs API (boto3, the
AWS CLI, and moto for the shapes), and serving: a request to
http://<url-id>.lambda-url.us-east-1.localhost:<port>/ (by Host) or /thaw/urls/<url-id>/...
(by path) becomes a payload 2.0 event for the function (examples/functions/go/urlecho, which
parses it with aws-lambda-go's events.LambdaFunctionURLRequest), and its answer the HTTP
response, as AWS maps both. Clients: curl, Python requests and http.client, headless Chromium
(CORS and cookies).
"""

import base64
import http.client
import json
import os
import shutil
import socket
import subprocess

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import REGION, aws, boto_client, create_function, module_server, serve_page
from invoke_util import unique, wait_for_log

server = module_server("--no-sandbox", examples=True)
HOST_SUFFIX = ".lambda-url.us-east-1.localhost"


@pytest.fixture(scope="module")
def lam(server):
    return boto_client("lambda", server)


def url_id(url):
    host = url.split("//", 1)[1].split("/", 1)[0].split(":")[0]
    assert host.endswith(HOST_SUFFIX), url
    return host[: -len(HOST_SUFFIX)]


def make_url(lam, prefix="url", **config):
    name = unique(prefix)
    create_function(lam, name, "urlecho")
    out = lam.create_function_url_config(FunctionName=name, AuthType="NONE", **config)
    return name, out["FunctionUrl"]


def by_host(server, url, method="GET", path="/", **kw):
    """requests to 127.0.0.1 with the URL's Host header (no name resolution needed)."""
    headers = dict(kw.pop("headers", {}) or {})
    headers["Host"] = url.split("//", 1)[1].rstrip("/")
    return requests.request(method, server.url + path, headers=headers, timeout=60, **kw)


def error_code(call):
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


# --- The configuration API -------------------------------------------------------------------


def test_config_crud_with_boto3(lam, server):
    name = unique("crud")
    arn = create_function(lam, name, "urlecho")["FunctionArn"]
    created = lam.create_function_url_config(
        FunctionName=name, AuthType="NONE",
        Cors={"AllowOrigins": ["http://app.example"], "AllowMethods": ["GET"], "MaxAge": 60})
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    url = created["FunctionUrl"]
    uid = url_id(url)
    assert len(uid) == 32 and uid.isalnum() and uid.islower()
    assert url == f"http://{uid}{HOST_SUFFIX}:{server.port}/"
    assert created["FunctionArn"] == arn
    assert created["AuthType"] == "NONE"
    assert created["InvokeMode"] == "BUFFERED"
    assert created["Cors"]["AllowOrigins"] == ["http://app.example"]
    assert created["Cors"]["MaxAge"] == 60
    assert "CreationTime" in created

    code, message = error_code(
        lambda: lam.create_function_url_config(FunctionName=name, AuthType="NONE"))
    assert code == "ResourceConflictException", message

    got = lam.get_function_url_config(FunctionName=name)
    assert got["FunctionUrl"] == url and "LastModifiedTime" in got

    updated = lam.update_function_url_config(FunctionName=name, AuthType="AWS_IAM",
                                             InvokeMode="RESPONSE_STREAM")
    assert updated["AuthType"] == "AWS_IAM"
    assert updated["InvokeMode"] == "RESPONSE_STREAM"
    assert updated["FunctionUrl"] == url  # the id never changes
    assert updated["Cors"]["AllowOrigins"] == ["http://app.example"]

    # An alias gets its own URL; versions are refused, as on AWS.
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    live = lam.create_function_url_config(FunctionName=name, Qualifier="live", AuthType="NONE")
    assert live["FunctionArn"] == arn + ":live"
    assert live["FunctionUrl"] != url
    assert error_code(lambda: lam.create_function_url_config(
        FunctionName=name, Qualifier=version, AuthType="NONE"))[0] == "ValidationException"
    assert error_code(lambda: lam.create_function_url_config(
        FunctionName=name, Qualifier="nosuch", AuthType="NONE"))[0] == "ResourceNotFoundException"

    listed = lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]
    assert sorted(c["FunctionArn"] for c in listed) == sorted([arn, arn + ":live"])
    page = lam.list_function_url_configs(FunctionName=name, MaxItems=1)
    assert len(page["FunctionUrlConfigs"]) == 1 and "NextMarker" in page

    assert error_code(lambda: lam.create_function_url_config(
        FunctionName=name, AuthType="BASIC"))[0] == "ValidationException"

    deleted = lam.delete_function_url_config(FunctionName=name)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_code(lambda: lam.get_function_url_config(FunctionName=name))[0] == \
        "ResourceNotFoundException"
    assert error_code(lambda: lam.delete_function_url_config(FunctionName=name))[0] == \
        "ResourceNotFoundException"
    assert error_code(lambda: lam.get_function_url_config(FunctionName="nosuchfn"))[0] == \
        "ResourceNotFoundException"


def test_config_crud_with_the_cli(lam, server):
    name = unique("cli")
    create_function(lam, name, "urlecho")
    r = aws(server, "lambda", "create-function-url-config", "--function-name", name,
            "--auth-type", "NONE", "--cors", "AllowOrigins=http://a.example,AllowCredentials=true")
    assert r.returncode == 0, r.stderr
    created = json.loads(r.stdout)
    assert created["Cors"]["AllowCredentials"] is True
    r = aws(server, "lambda", "get-function-url-config", "--function-name", name)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["FunctionUrl"] == created["FunctionUrl"]
    r = aws(server, "lambda", "update-function-url-config", "--function-name", name,
            "--auth-type", "AWS_IAM")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["AuthType"] == "AWS_IAM"
    r = aws(server, "lambda", "list-function-url-configs", "--function-name", name)
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)["FunctionUrlConfigs"]) == 1
    r = aws(server, "lambda", "delete-function-url-config", "--function-name", name)
    assert r.returncode == 0, r.stderr
    r = aws(server, "lambda", "get-function-url-config", "--function-name", name)
    assert r.returncode != 0 and "ResourceNotFoundException" in r.stderr


def test_config_survives_a_restart_and_goes_with_the_function(lam, server):
    name, url = make_url(lam, "restart")
    server.restart()
    assert lam.get_function_url_config(FunctionName=name)["FunctionUrl"] == url
    assert by_host(server, url).status_code == 200
    lam.delete_function(FunctionName=name)
    r = by_host(server, url)
    assert r.status_code == 403 and r.json() == {"Message": "Forbidden"}
    # Re-created, the function gets a new, unguessable URL; the old one stays dead.
    create_function(lam, name, "urlecho")
    again = lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    assert again != url
    assert by_host(server, again).status_code == 200
    assert by_host(server, url).status_code == 403


def moto_server_path():
    for candidate in (os.path.join(os.path.dirname(__file__), "../../.venv/bin/moto_server"),
                      shutil.which("moto_server")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def test_same_shapes_as_moto(lam):
    path = moto_server_path()
    if path is None:
        pytest.skip("moto_server not installed (scripts/setup-test-env.sh installs moto[server])")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([path, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        moto = boto3.client("lambda", endpoint_url=f"http://127.0.0.1:{port}", region_name=REGION,
                            aws_access_key_id="AKID", aws_secret_access_key="SECRET",
                            config=Config(retries={"max_attempts": 1}))
        import time
        deadline = time.monotonic() + 30
        while True:
            try:
                moto.list_functions()
                break
            except Exception:
                if time.monotonic() > deadline:
                    pytest.fail("moto_server did not start")
                time.sleep(0.2)
        answers = {}
        for who, client in (("thaw", lam), ("moto", moto)):
            name = unique("moto")
            if who == "thaw":
                create_function(client, name, "urlecho")
            else:
                import io
                import zipfile
                buf = io.BytesIO()
                with zipfile.ZipFile(buf, "w") as z:
                    z.writestr("bootstrap", "x")
                iam = boto3.client("iam", endpoint_url=f"http://127.0.0.1:{port}",
                                   region_name=REGION, aws_access_key_id="AKID",
                                   aws_secret_access_key="SECRET")
                role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({
                    "Version": "2012-10-17", "Statement": [{
                        "Effect": "Allow", "Action": "sts:AssumeRole",
                        "Principal": {"Service": "lambda.amazonaws.com"}}]}))["Role"]["Arn"]
                client.create_function(FunctionName=name, Runtime="provided.al2023",
                                       Role=role,
                                       Handler="bootstrap", Code={"ZipFile": buf.getvalue()})
            steps = {}
            cors = {"AllowOrigins": ["http://a"], "AllowMethods": ["GET"]}
            steps["create"] = client.create_function_url_config(FunctionName=name,
                                                                 AuthType="NONE", Cors=cors)
            steps["get"] = client.get_function_url_config(FunctionName=name)
            steps["update"] = client.update_function_url_config(FunctionName=name,
                                                                 AuthType="AWS_IAM")
            if who == "thaw":  # moto has no ListFunctionUrlConfigs
                steps["list"] = client.list_function_url_configs(FunctionName=name)
            steps["delete"] = client.delete_function_url_config(FunctionName=name)
            steps["get-missing"] = error_code(lambda: client.get_function_url_config(
                FunctionName=name))[0]
            answers[who] = steps

        def shape(answer):
            if isinstance(answer, str):
                return answer
            status = answer["ResponseMetadata"]["HTTPStatusCode"]
            keys = sorted(k for k in answer if k != "ResponseMetadata")
            if "FunctionUrlConfigs" in answer:
                keys += sorted(answer["FunctionUrlConfigs"][0])
            return status, keys

        assert set(answers["thaw"]) - set(answers["moto"]) == {"list"}
        diffs = {step: (shape(answers["thaw"][step]), shape(answers["moto"][step]))
                 for step in answers["moto"]}
        # moto answers GetFunctionUrlConfig with 201; AWS (and thaw) with 200.
        assert diffs["get"][0][0] == 200 and diffs["get"][1][0] == 201
        diffs["get"] = (diffs["get"][0][1], diffs["get"][1][1])
        mismatches = {step: pair for step, pair in diffs.items() if pair[0] != pair[1]}
        assert not mismatches, mismatches
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(10)


# --- Serving ---------------------------------------------------------------------------------


def test_event_by_host_is_payload_v2(lam, server):
    name, url = make_url(lam, "event")
    uid = url_id(url)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    conn.putrequest("GET", "/some/path?x=1&y=2&x=3", skip_host=True)
    conn.putheader("Host", uid.upper() + HOST_SUFFIX.upper() + f":{server.port}")
    conn.putheader("X-Multi", "one")
    conn.putheader("X-Multi", "two")
    conn.putheader("Cookie", "a=1; b=2")
    conn.putheader("User-Agent", "furl-test")
    conn.endheaders()
    resp = conn.getresponse()
    body = resp.read()
    assert resp.status == 200, body
    assert resp.getheader("x-urlecho") == "1"
    assert resp.getheader("x-amzn-RequestId")
    assert sorted(v for k, v in resp.getheaders() if k.lower() == "set-cookie") == \
        ["echo=1; Path=/", "second=2; Path=/"]
    event = json.loads(body)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "$default"
    assert event["rawPath"] == "/some/path"
    assert event["rawQueryString"] == "x=1&y=2&x=3"
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["headers"]["x-multi"] == "one,two"
    assert "cookie" not in event["headers"]
    assert event["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert event["headers"]["x-forwarded-proto"] == "http"
    assert event["headers"]["x-forwarded-port"] == str(server.port)
    assert event["headers"]["x-amzn-trace-id"].startswith("Root=1-")
    assert event["queryStringParameters"] == {"x": "1,3", "y": "2"}
    rc = event["requestContext"]
    assert rc["accountId"] == "anonymous"
    assert rc["apiId"] == uid and rc["domainPrefix"] == uid
    assert rc["domainName"] == uid + HOST_SUFFIX
    assert rc["http"] == {"method": "GET", "path": "/some/path", "protocol": "HTTP/1.1",
                          "sourceIp": "127.0.0.1", "userAgent": "furl-test"}
    assert rc["stage"] == "$default" and rc["routeKey"] == "$default"
    assert rc["requestId"] == resp.getheader("x-amzn-RequestId")
    assert isinstance(rc["timeEpoch"], int) and rc["time"].endswith("+0000")
    assert event["isBase64Encoded"] is False
    assert not event.get("body")
    # The invocation is logged like any other: START and REPORT with the event's request id.
    text = wait_for_log(boto_client("logs", server), name,
                        lambda t: f"REPORT RequestId: {rc['requestId']}" in t, timeout=10)
    assert f"START RequestId: {rc['requestId']}" in text


def test_path_form_with_requests(lam, server):
    name, url = make_url(lam, "path")
    uid = url_id(url)
    r = requests.post(f"{server.url}/thaw/urls/{uid}/a/b?q=1", json={"k": "v"}, timeout=60)
    assert r.status_code == 200, r.text
    event = r.json()
    assert event["rawPath"] == "/a/b"
    assert event["body"] == '{"k": "v"}'
    assert event["isBase64Encoded"] is False
    assert event["queryStringParameters"] == {"q": "1"}
    assert r.cookies.get("echo") == "1"
    root = requests.get(f"{server.url}/thaw/urls/{uid}", timeout=60)
    assert root.status_code == 200 and root.json()["rawPath"] == "/"
    missing = requests.get(f"{server.url}/thaw/urls/{'0' * 32}/", timeout=60)
    assert missing.status_code == 403 and missing.json() == {"Message": "Forbidden"}
    # DNS rebinding: a page at evil.example resolved to 127.0.0.1 sends its own Host.
    port = server.url.rsplit(":", 1)[1]
    rebound = requests.get(f"{server.url}/thaw/urls/{uid}/", timeout=60,
                           headers={"Host": f"evil.example:{port}"})
    assert rebound.status_code == 403 and rebound.json() == {"Message": "Forbidden"}


def test_url_ids_are_random_not_derived_from_the_name(lam):
    name, first = make_url(lam, "rand")
    lam.delete_function_url_config(FunctionName=name)
    second = lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    assert url_id(first) != url_id(second)
    assert len(url_id(second)) == 32


def resolves(host):
    try:
        return socket.gethostbyname(host) == "127.0.0.1"
    except OSError:
        return False


def test_by_name_with_requests_and_curl(lam, server):
    name, url = make_url(lam, "name")
    host = url.split("//", 1)[1].split(":")[0]
    curl = shutil.which("curl")
    assert curl, "curl is missing"
    # curl resolves *.localhost to loopback itself; --resolve pins it anyway.
    out = subprocess.run([curl, "-sS", "-i", "--resolve", f"{host}:{server.port}:127.0.0.1",
                          url + "hello?mode=object"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("HTTP/1.1 200"), out.stdout
    assert out.stdout.rstrip().endswith('{"message":"no statusCode"}')
    out = subprocess.run([curl, "-sS", "-o", "/dev/null", "-w", "%{http_code}", url],
                         capture_output=True, text=True, timeout=60)
    assert out.stdout == "200", out.stderr
    if not resolves(host):
        pytest.skip(f"{host} does not resolve (scripts/setup.sh installs libnss-myhostname)")
    r = requests.get(url + "by/name", timeout=60)
    assert r.status_code == 200 and r.json()["rawPath"] == "/by/name"


def test_binary_both_ways(lam, server):
    name, url = make_url(lam, "binary")
    data = bytes(range(256)) * 4
    r = by_host(server, url, "POST", "/?mode=reflect", data=data,
                headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 200 and r.content == data
    r = by_host(server, url, "GET", "/?mode=binary")
    assert r.status_code == 200 and r.content == bytes(range(256))
    assert r.headers["content-type"] == "application/octet-stream"
    # The event itself: a binary body arrives base64-encoded, a text one as it is.
    r = by_host(server, url, "POST", "/", data=b"\x00\x01\xff",
                headers={"Content-Type": "image/png"})
    event = r.json()
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x00\x01\xff"
    r = by_host(server, url, "POST", "/", data="plain text",
                headers={"Content-Type": "text/plain"})
    assert r.json()["body"] == "plain text" and r.json()["isBase64Encoded"] is False


def test_answers_without_status_code(lam, server):
    name, url = make_url(lam, "infer")
    r = by_host(server, url, "GET", "/?mode=string")
    assert r.status_code == 200 and r.text == "hello from urlecho"
    assert r.headers["content-type"] == "application/json"
    r = by_host(server, url, "GET", "/?mode=object")
    assert r.status_code == 200 and r.json() == {"message": "no statusCode"}
    r = by_host(server, url, "GET", "/?mode=number")
    assert r.status_code == 200 and r.text == "42"
    r = by_host(server, url, "GET", "/?mode=status&code=418")
    assert r.status_code == 418 and r.text == "status"


def test_response_stream_url_applies_the_prelude(lam, server):
    name, url = make_url(lam, "stream", InvokeMode="RESPONSE_STREAM")
    r = by_host(server, url, "GET", "/?mode=prelude")
    assert r.status_code == 201, r.content
    assert r.headers["x-streamed"] == "1"
    assert r.cookies.get("s") == "1"
    assert r.content == b"streamed body"
    # An ordinary answer (aws-lambda-go streams its JSON too) keeps its bytes and status 200.
    r = by_host(server, url, "GET", "/?mode=object")
    assert r.status_code == 200 and r.json() == {"message": "no statusCode"}


def test_errors_502_413_429(lam, server):
    name, url = make_url(lam, "errors")
    r = by_host(server, url, "GET", "/?mode=error")
    assert r.status_code == 502
    r = by_host(server, url, "GET", "/?mode=malformed")
    assert r.status_code == 502
    r = by_host(server, url, "POST", "/", data=b"x" * (6 * 1024 * 1024 + 1),
                headers={"Content-Type": "text/plain"})
    assert r.status_code == 413
    # Binary grows by a third in base64: 5 MiB of it is over the 6 MiB event.
    r = by_host(server, url, "POST", "/", data=b"\x00" * (5 * 1024 * 1024),
                headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 413
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    r = by_host(server, url, "GET", "/")
    assert r.status_code == 429 and r.json() == {"Message": "Rate Exceeded."}
    lam.delete_function_concurrency(FunctionName=name)
    assert by_host(server, url, "GET", "/").status_code == 200


def signed(method, url, credentials, body=b""):
    request = AWSRequest(method=method, url=url, data=body)
    SigV4Auth(credentials, "lambda", REGION).add_auth(request)
    return dict(request.headers.items())


def test_aws_iam_needs_a_signature_and_the_account(lam, server):
    name = unique("iam")
    arn = create_function(lam, name, "urlecho")["FunctionArn"]
    url = lam.create_function_url_config(FunctionName=name, AuthType="AWS_IAM")["FunctionUrl"]
    host = url.split("//", 1)[1].rstrip("/")
    target = f"http://{host}/iam"

    r = by_host(server, url, "GET", "/iam")
    assert r.status_code == 403 and r.json() == {"Message": "Forbidden"}

    def get(credentials):
        headers = signed("GET", target, credentials)
        headers["Host"] = host  # signed for the URL's name, sent to 127.0.0.1
        return requests.get(server.url + "/iam", headers=headers, timeout=60)

    r = get(Credentials("AKIDOWNER", "s"))  # a key of the function's account (000000000000)
    assert r.status_code == 200, r.text
    iam = r.json()["requestContext"]["authorizer"]["iam"]
    assert iam["accessKey"] == "AKIDOWNER" and iam["accountId"] == "000000000000"
    assert r.json()["requestContext"]["accountId"] == "000000000000"

    other = Credentials("111111111111", "s")  # a 12-digit key id is that account
    r = get(other)
    assert r.status_code == 403 and r.json() == {"Message": "Forbidden"}
    lam.add_permission(FunctionName=name, StatementId="url", Action="lambda:InvokeFunctionUrl",
                       Principal="111111111111", FunctionUrlAuthType="AWS_IAM")
    r = get(other)
    assert r.status_code == 200, r.text
    assert r.json()["requestContext"]["authorizer"]["iam"]["accountId"] == "111111111111"
    assert arn


# --- CORS ------------------------------------------------------------------------------------


def test_cors_preflight_and_headers(lam, server):
    name, url = make_url(lam, "cors", Cors={
        "AllowOrigins": ["http://app.example"], "AllowMethods": ["GET", "POST"],
        "AllowHeaders": ["x-custom"], "ExposeHeaders": ["x-urlecho"], "AllowCredentials": True,
        "MaxAge": 120})
    r = by_host(server, url, "OPTIONS", "/", headers={
        "Origin": "http://app.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-custom"})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "http://app.example"
    assert r.headers["Access-Control-Allow-Methods"] == "GET,POST"
    assert r.headers["Access-Control-Allow-Headers"] == "x-custom"
    assert r.headers["Access-Control-Max-Age"] == "120"
    assert r.headers["Access-Control-Allow-Credentials"] == "true"
    r = by_host(server, url, "OPTIONS", "/", headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in r.headers
    r = by_host(server, url, "GET", "/", headers={"Origin": "http://app.example"})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "http://app.example"
    assert r.headers["Access-Control-Expose-Headers"] == "x-urlecho"


PAGE = """<!doctype html><title>cors</title><script>
window.result = null;
fetch(URL + "browser?mode=", {method: "POST", credentials: "include",
      headers: {"x-custom": "1", "content-type": "application/json"}, body: '{"from":"page"}'})
  .then(async r => { window.result = {status: r.status, echo: r.headers.get("x-urlecho"),
                                      event: await r.json()}; })
  .catch(e => { window.result = {error: String(e)}; });
</script>"""


def test_browser_cors_preflight_fetch_and_cookies(lam, server, chromium):
    browser = chromium
    from selenium.webdriver.support.ui import WebDriverWait
    page_origin_server = serve_page("")  # to learn the port first
    origin = f"http://127.0.0.1:{page_origin_server.server_address[1]}"
    page_origin_server.shutdown()
    page_origin_server.server_close()
    name, url = make_url(lam, "browser", Cors={
        "AllowOrigins": [origin], "AllowMethods": ["POST"], "AllowHeaders": ["x-custom",
                                                                            "content-type"],
        "ExposeHeaders": ["x-urlecho"], "AllowCredentials": True})
    # The page's own origin must be the one allowed: serve it on the same port again.
    port = int(origin.rsplit(":", 1)[1])
    httpd = serve_page(PAGE.replace("URL", json.dumps(url), 1), port)
    try:
        browser.get(origin + "/")
        WebDriverWait(browser, 60).until(lambda d: d.execute_script("return window.result"))
        result = browser.execute_script("return window.result")
        assert "error" not in result, result
        assert result["status"] == 200
        assert result["echo"] == "1"  # exposed by ExposeHeaders
        event = result["event"]
        assert event["headers"]["origin"] == origin
        assert event["headers"]["x-custom"] == "1"
        assert json.loads(event["body"]) == {"from": "page"}
        # Cookies: the URL opened as a page sets them, and the next request sends them back.
        browser.get(url + "first")
        browser.get(url + "again")
        again = json.loads(browser.find_element("tag name", "body").text)
        assert again["rawPath"] == "/again"
        assert sorted(again.get("cookies", [])) == ["echo=1", "second=2"], again
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_aws_iam_with_verified_signatures(make_thaw_server, examples, tmp_path):
    owner = ("AKIAOWNER00000000000", "owner-secret")
    accounts = tmp_path / "accounts.json"
    accounts.write_text(json.dumps({"keys": [
        {"accessKeyId": owner[0], "secretAccessKey": owner[1], "account": "000000000000"}]}))
    verifying = make_thaw_server("--accounts", str(accounts), "--verify-signatures",
                                 "--no-sandbox")
    client = boto3.client("lambda", endpoint_url=verifying.url, region_name=REGION,
                          aws_access_key_id=owner[0], aws_secret_access_key=owner[1],
                          config=Config(retries={"max_attempts": 1}))
    name = unique("verified")
    create_function(client, name, "urlecho")
    iam_url = client.create_function_url_config(FunctionName=name,
                                                AuthType="AWS_IAM")["FunctionUrl"]
    host = iam_url.split("//", 1)[1].rstrip("/")

    def get(secret):
        headers = signed("GET", f"http://{host}/v", Credentials(owner[0], secret))
        headers["Host"] = host
        return requests.get(verifying.url + "/v", headers=headers, timeout=60)

    assert get(owner[1]).status_code == 200
    wrong = get("not-the-secret")
    assert wrong.status_code == 403 and wrong.json() == {"Message": "Forbidden"}
    # A NONE URL needs no signature even on a verifying server.
    public = unique("public")
    create_function(client, public, "urlecho")
    none_url = client.create_function_url_config(FunctionName=public,
                                                 AuthType="NONE")["FunctionUrl"]
    assert by_host(verifying, none_url).status_code == 200
