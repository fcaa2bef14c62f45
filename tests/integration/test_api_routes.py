"""API routes from template.yaml (issue 18): a SAM template's Api (REST, payload 1.0) and HttpApi
(payload 2.0, or 1.0 by PayloadFormatVersion) events, deployed with `thaw deploy` and served on
`thaw serve --api-listen`, called with curl and Python `requests`; the Go functions parse the
events with aws-lambda-go's events.APIGatewayProxyRequest and APIGatewayV2HTTPRequest. REST
routes answer at /<stage>/path (as execute-api does) and at /path (as `sam local start-api`
does); the routes survive a restart and go with the stack."""

import base64
import json
import sqlite3
import subprocess

import pytest
import requests
from botocore.credentials import Credentials

from conftest import (ROOT, THAW_BIN, ThawServer, free_port, serve_page, signed_headers,
                      signed_urlopen)
from test_sam_deploy import deploy, ok

GO = ROOT / "examples" / "functions" / "go"

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: provided.al2023
    Handler: bootstrap
    Timeout: 10
  HttpApi:
    StageVariables: {{tier: gold}}
Resources:
  StagedApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: dev
      Variables: {{color: blue}}
      BinaryMediaTypes: [image~1png]
      Cors: "'*'"
  AuthApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: auth
      Auth:
        DefaultAuthorizer: Tok
        Authorizers:
          Tok:
            FunctionArn: !GetAtt AuthFunction.Arn
            Identity: {{ReauthorizeEvery: 300}}
          Req:
            FunctionArn: !GetAtt AuthFunction.Arn
            FunctionPayloadType: REQUEST
            Identity: {{Headers: [X-Token], ReauthorizeEvery: 0}}
  AuthFunction:
    Type: AWS::Serverless::Function
    Metadata: {{BuildMethod: go1.x}}
    Properties:
      CodeUri: {auth}
  AuthHttpApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Simple
        Authorizers:
          Simple:
            FunctionArn: !GetAtt AuthFunction.Arn
            AuthorizerPayloadFormatVersion: "2.0"
            EnableSimpleResponses: true
            Identity: {{Headers: [X-Token], ReauthorizeEvery: 300}}
          Policy:
            FunctionArn: !GetAtt AuthFunction.Arn
            AuthorizerPayloadFormatVersion: "1.0"
            Identity: {{Headers: [X-Token]}}
  BrowserHttpApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      CorsConfiguration:
        AllowOrigins: ["*"]
        AllowMethods: [POST]
        AllowHeaders: [x-custom, content-type]
        ExposeHeaders: [x-apihttp]
  CorsHttpApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      CorsConfiguration:
        AllowOrigins: [https://app.example]
        AllowMethods: [GET]
        ExposeHeaders: [x-apihttp]
  RestFunction:
    Type: AWS::Serverless::Function
    Metadata: {{BuildMethod: go1.x}}
    Properties:
      CodeUri: {rest}
      Events:
        Item: {{Type: Api, Properties: {{Path: "/items/{{id}}", Method: get}}}}
        Special: {{Type: Api, Properties: {{Path: /items/special, Method: get}}}}
        Files: {{Type: Api, Properties: {{Path: "/files/{{proxy+}}", Method: any}}}}
        Vars: {{Type: Api, Properties: {{Path: /vars, Method: any, RestApiId: !Ref StagedApi}}}}
        Secret: {{Type: Api, Properties: {{Path: /secret, Method: get, RestApiId: !Ref AuthApi}}}}
        ReqSecret:
          Type: Api
          Properties:
            Path: /reqsecret
            Method: get
            RestApiId: !Ref AuthApi
            Auth: {{Authorizer: Req}}
        Open:
          Type: Api
          Properties: {{Path: /open, Method: get, RestApiId: !Ref AuthApi, Auth: {{Authorizer: NONE}}}}
        OldHttp:
          Type: HttpApi
          Properties: {{Path: /v1, Method: post, PayloadFormatVersion: "1.0"}}
  HttpFunction:
    Type: AWS::Serverless::Function
    Metadata: {{BuildMethod: go1.x}}
    Properties:
      CodeUri: {http}
      Events:
        Hello: {{Type: HttpApi, Properties: {{Path: "/hello/{{name}}", Method: get}}}}
        Guarded: {{Type: HttpApi, Properties: {{Path: /guarded, Method: get, ApiId: !Ref AuthHttpApi}}}}
        Browser:
          Type: HttpApi
          Properties: {{Path: "/browser/{{proxy+}}", Method: any, ApiId: !Ref BrowserHttpApi}}
        Policy:
          Type: HttpApi
          Properties:
            Path: /policy
            Method: get
            ApiId: !Ref AuthHttpApi
            Auth: {{Authorizer: Policy}}
        Free:
          Type: HttpApi
          Properties: {{Path: /free, Method: get, ApiId: !Ref AuthHttpApi, Auth: {{Authorizer: NONE}}}}
        Cors:
          Type: HttpApi
          Properties: {{Path: /cors, Method: get, ApiId: !Ref CorsHttpApi}}
Outputs:
  RestApi: {{Value: !Ref ServerlessRestApi}}
  Staged: {{Value: !Ref StagedApi}}
"""


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    base = tmp_path_factory.mktemp("thaw")
    (base / "state").mkdir()
    api_port = free_port()
    server = ThawServer(base / "state", base, ["--api-listen", f"127.0.0.1:{api_port}"])
    server.start()
    directory = tmp_path_factory.mktemp("apistack")
    (directory / "template.yaml").write_text(
        TEMPLATE.format(rest=GO / "apirest", http=GO / "apihttp", auth=GO / "apiauth"))
    try:
        first = ok(deploy(server, "--stack-name", "apis", cwd=directory))
        yield server, f"http://127.0.0.1:{api_port}", directory, first
    finally:
        server.close()


def curl(*args):
    res = subprocess.run(["curl", "-s", "-i", *args], capture_output=True, timeout=30)
    assert res.returncode == 0, res.stderr
    head, _, body = res.stdout.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = [tuple(x.split(": ", 1)) for x in lines[1:]]
    return status, headers, body


def test_deploy_prints_the_routes_and_the_api_ids(api):
    _, base, directory, first = api
    assert f"route GET {base}/Prod/items/{{id}}" in first.stderr
    assert f"route ANY {base}/dev/vars" in first.stderr
    outputs = json.loads((directory / ".thaw" / "apis.json").read_text())["Outputs"]
    for key in ("RestApi", "Staged"):
        assert len(outputs[key]) == 10 and outputs[key].isalnum() and outputs[key].islower()


def test_rest_route_with_stage_payload_v1(api):
    _, base, _, first = api
    status, headers, body = curl("-H", "X-Multi-In: a", "-H", "X-Multi-In: b",
                                 f"{base}/Prod/items/7?q=1&q=2&x=y")
    assert status == 200, body
    names = [h[0].lower() for h in headers]
    assert ("X-Apirest", "yes") in headers or ("x-apirest", "yes") in headers
    assert names.count("x-multi") == 2
    event = json.loads(body)
    parsed, raw = event["parsed"], event["raw"]
    assert parsed["resource"] == "/items/{id}"
    assert parsed["path"] == "/items/7"
    assert parsed["httpMethod"] == "GET"
    assert parsed["pathParameters"] == {"id": "7"}
    assert parsed["queryStringParameters"] == {"q": "2", "x": "y"}
    assert parsed["multiValueQueryStringParameters"]["q"] == ["1", "2"]
    assert parsed["multiValueHeaders"]["X-Multi-In"] == ["a", "b"]
    assert parsed["headers"]["X-Multi-In"] == "b"
    rc = parsed["requestContext"]
    assert rc["stage"] == "Prod"
    assert rc["resourcePath"] == "/items/{id}"
    assert rc["path"] == "/Prod/items/7"
    assert rc["identity"]["sourceIp"] == "127.0.0.1"
    assert rc["identity"]["userAgent"].startswith("curl/")
    assert rc["requestTimeEpoch"] > 0 and rc["requestId"]
    assert raw["stageVariables"] is None and raw["body"] is None
    assert raw["isBase64Encoded"] is False


def test_rest_route_without_stage_and_specificity(api):
    _, base, _, _ = api
    r = requests.get(f"{base}/items/special", timeout=30)
    assert r.status_code == 200
    assert r.json()["parsed"]["resource"] == "/items/special"
    r = requests.post(f"{base}/Prod/files/a/b%20c/d", data="hi",
                      headers={"Content-Type": "text/plain"}, timeout=30)
    assert r.status_code == 200
    parsed, raw = r.json()["parsed"], r.json()["raw"]
    assert parsed["pathParameters"] == {"proxy": "a/b c/d"}
    assert parsed["body"] == "hi" and raw["isBase64Encoded"] is False


def test_rest_misses_answer_as_api_gateway(api):
    _, base, _, _ = api
    r = requests.get(f"{base}/Prod/nothing", timeout=30)
    assert r.status_code == 403
    assert r.json() == {"message": "Missing Authentication Token"}
    r = requests.delete(f"{base}/Prod/items/7", timeout=30)
    assert r.status_code == 403
    r = requests.get(f"{base}/Prod/files", timeout=30)  # {proxy+} needs a segment
    assert r.status_code == 403


def test_function_errors_and_malformed_answers_are_502(api):
    _, base, _, _ = api
    for mode in ("error", "malformed"):
        r = requests.get(f"{base}/Prod/items/7?mode={mode}", timeout=30)
        assert r.status_code == 502, mode
        assert r.json() == {"message": "Internal server error"}


def test_binary_response_and_stage_variables_and_binary_media_types(api):
    _, base, _, _ = api
    # As a REST API does: binary only when the first Accept type is a binary media type;
    # otherwise the base64 text (the implicit API has no binary media types at all).
    everything = bytes(range(256))
    r = requests.get(f"{base}/Prod/items/7?mode=binary", timeout=30,
                     headers={"Accept": "application/octet-stream"})
    assert r.status_code == 200
    assert r.content == base64.b64encode(everything)
    r = requests.get(f"{base}/dev/vars?mode=binary", timeout=30,
                     headers={"Accept": "image/png, */*"})
    assert r.content == everything
    r = requests.get(f"{base}/dev/vars?mode=binary", timeout=30,
                     headers={"Accept": "*/*, image/png"})
    assert r.content == base64.b64encode(everything)
    png = b"\x89PNG\r\n\x1a\n\x00\xff"
    r = requests.post(f"{base}/dev/vars", data=png, headers={"Content-Type": "image/png"},
                      timeout=30)
    assert r.status_code == 200
    parsed = r.json()["parsed"]
    assert parsed["stageVariables"] == {"color": "blue"}
    assert parsed["requestContext"]["stage"] == "dev"
    assert r.json()["raw"]["isBase64Encoded"] is True
    assert base64.b64decode(parsed["body"]) == png
    r = requests.post(f"{base}/dev/vars", data="plain", headers={"Content-Type": "text/plain"},
                      timeout=30)
    assert r.json()["raw"]["isBase64Encoded"] is False


def test_http_api_route_payload_v2(api):
    _, base, _, _ = api
    r = requests.get(f"{base}/hello/w%C3%B6rld?a=1&a=2", cookies={"k": "v"}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["x-apihttp"] == "yes"
    assert r.cookies.get("c") == "1"
    parsed = r.json()["parsed"]
    assert parsed["version"] == "2.0"
    assert parsed["routeKey"] == "GET /hello/{name}"
    assert parsed["rawPath"] == "/hello/w%C3%B6rld"
    assert parsed["pathParameters"] == {"name": "wörld"}
    assert parsed["queryStringParameters"] == {"a": "1,2"}
    assert parsed["cookies"] == ["k=v"]
    assert parsed["requestContext"]["stage"] == "$default"
    assert parsed["stageVariables"] == {"tier": "gold"}  # Globals.HttpApi, implicit API
    assert parsed["requestContext"]["routeKey"] == "GET /hello/{name}"
    assert parsed["requestContext"]["http"]["method"] == "GET"
    r = requests.get(f"{base}/nothing/here", timeout=30)
    assert r.status_code == 404
    assert r.json() == {"message": "Not Found"}


def test_http_api_route_payload_v1_by_payload_format_version(api):
    _, base, _, _ = api
    r = requests.post(f"{base}/v1", json={"k": 1}, timeout=30)
    assert r.status_code == 200, r.text
    parsed = r.json()["parsed"]
    assert parsed["resource"] == "/v1"
    assert parsed["httpMethod"] == "POST"
    assert json.loads(parsed["body"]) == {"k": 1}


def test_cors_from_the_template(api):
    _, base, _, _ = api
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}
    r = requests.options(f"{base}/cors", headers=preflight, timeout=30)
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "https://app.example"
    r = requests.options(f"{base}/cors", headers=dict(preflight, Origin="https://evil.example"),
                         timeout=30)
    assert "Access-Control-Allow-Origin" not in r.headers
    r = requests.get(f"{base}/cors", headers={"Origin": "https://app.example"}, timeout=30)
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert r.headers["Access-Control-Expose-Headers"] == "x-apihttp"
    # REST: the Api's Cors answers preflights (SAM's OPTIONS method); responses are the function's.
    r = requests.options(f"{base}/dev/vars", timeout=30, headers={
        "Origin": "https://any.example", "Access-Control-Request-Method": "POST"})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_lambda_authorizers_token_and_request_with_caching(api):
    _, base, _, _ = api
    url = f"{base}/auth/secret"
    r = requests.get(url, timeout=30)
    assert r.status_code == 401 and r.json() == {"message": "Unauthorized"}
    r = requests.get(url, headers={"Authorization": "wrong"}, timeout=30)
    assert r.status_code == 401
    r = requests.get(url, headers={"Authorization": "deny"}, timeout=30)
    assert r.status_code == 403
    assert "explicit deny" in r.json()["Message"]
    first = requests.get(url, headers={"Authorization": "allow"}, timeout=30)
    assert first.status_code == 200, first.text
    context = first.json()["raw"]["requestContext"]["authorizer"]
    assert context["principalId"] == "user-allow" and context["user"] == "allow"
    again = requests.get(url, headers={"Authorization": "allow"}, timeout=30)
    # Cached by the token (ReauthorizeEvery 300): the authorizer was not called again.
    assert again.json()["raw"]["requestContext"]["authorizer"]["calls"] == context["calls"]
    # REQUEST, not cached (ReauthorizeEvery 0): called each time.
    req = f"{base}/auth/reqsecret"
    assert requests.get(req, timeout=30).status_code == 401
    one = requests.get(req, headers={"X-Token": "allow"}, timeout=30)
    two = requests.get(req, headers={"X-Token": "allow"}, timeout=30)
    assert one.status_code == 200 and two.status_code == 200
    calls = [x.json()["raw"]["requestContext"]["authorizer"]["calls"] for x in (one, two)]
    assert calls[1] > calls[0]
    # Auth: {Authorizer: NONE}
    assert requests.get(f"{base}/auth/open", timeout=30).status_code == 200


def test_http_api_lambda_authorizers_simple_and_policy(api):
    _, base, _, _ = api
    url = f"{base}/guarded"
    r = requests.get(url, timeout=30)
    assert r.status_code == 401 and r.json() == {"message": "Unauthorized"}
    r = requests.get(url, headers={"X-Token": "deny"}, timeout=30)
    assert r.status_code == 403 and r.json() == {"message": "Forbidden"}
    r = requests.get(url, headers={"X-Token": "wrong"}, timeout=30)  # the authorizer fails
    assert r.status_code == 500 and r.json() == {"message": "Internal Server Error"}
    first = requests.get(url, headers={"X-Token": "allow"}, timeout=30)
    assert first.status_code == 200, first.text
    parsed = first.json()["parsed"]  # aws-lambda-go's APIGatewayV2HTTPRequest
    context = parsed["requestContext"]["authorizer"]["lambda"]
    assert context["user"] == "allow"
    assert context["route"].endswith("/$default/GET/guarded")
    # Cached by the X-Token value for ReauthorizeEvery (300 s).
    again = requests.get(url, headers={"X-Token": "allow"}, timeout=30)
    assert again.json()["parsed"]["requestContext"]["authorizer"]["lambda"]["calls"] == \
        context["calls"]
    # Payload format 1.0: an IAM policy answers.
    policy = f"{base}/policy"
    assert requests.get(policy, headers={"X-Token": "deny"}, timeout=30).status_code == 403
    r = requests.get(policy, headers={"X-Token": "allow"}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["parsed"]["requestContext"]["authorizer"]["lambda"]["user"] == "allow"
    # Auth: {Authorizer: NONE} opens one route of the API.
    assert requests.get(f"{base}/free", timeout=30).status_code == 200


PAGE = """<!doctype html><title>api</title><script>
window.result = null;
fetch(BASE + "/browser/from/page?q=1", {method: "POST",
      headers: {"x-custom": "1", "content-type": "application/json"}, body: '{"from":"page"}'})
  .then(async r => { window.result = {status: r.status, exposed: r.headers.get("x-apihttp"),
                                      answer: await r.json()}; })
  .catch(e => { window.result = {error: String(e)}; });
</script>"""


def test_browser_preflight_fetch_and_cookies_through_an_http_api(api, chromium):
    from selenium.webdriver.support.ui import WebDriverWait
    _, base, _, _ = api
    page = serve_page(PAGE.replace("BASE", json.dumps(base), 1))
    origin = f"http://127.0.0.1:{page.server_address[1]}"
    try:
        # A cross-origin POST with a custom header: Chromium sends the preflight, the API's
        # CorsConfiguration answers it, and the answer's exposed header is readable.
        chromium.get(origin + "/")
        WebDriverWait(chromium, 60).until(lambda d: d.execute_script("return window.result"))
        result = chromium.execute_script("return window.result")
        assert "error" not in result, result
        assert result["status"] == 200
        assert result["exposed"] == "yes"
        parsed = result["answer"]["parsed"]
        assert parsed["headers"]["origin"] == origin
        assert parsed["headers"]["x-custom"] == "1"
        assert parsed["pathParameters"] == {"proxy": "from/page"}
        assert json.loads(parsed["body"]) == {"from": "page"}
        # Cookies: the function's Set-Cookie (cookies in payload 2.0) is kept by the browser
        # and sent back on the next request as the event's cookies.
        chromium.get(base + "/browser/first")
        chromium.get(base + "/browser/again")
        again = json.loads(chromium.find_element("tag name", "body").text)["parsed"]
        assert again["rawPath"] == "/browser/again"
        assert again["cookies"] == ["c=1"], again
    finally:
        page.shutdown()
        page.server_close()


def test_a_route_belongs_to_the_account_that_deployed_it(api):
    server, base, _, _ = api
    r = requests.get(f"{base}/Prod/items/7", timeout=30)
    assert r.json()["parsed"]["requestContext"]["accountId"] == "000000000000"
    body = json.dumps({"Kind": "REST", "ApiId": "X", "Method": "GET", "Path": "/x",
                       "FunctionName": "arn:aws:lambda:us-east-1:000000000000:function:f"})
    url = f"{server.url}/thaw/api-routes/xacct"
    # A route is public: another account may not point one at this account's function.
    other = Credentials("111122223333", "secret")
    headers = signed_headers("PUT", url, body.encode(), {"Content-Type": "application/json"},
                             credentials=other)
    r = requests.put(url, data=body, headers=headers, timeout=30)
    assert r.status_code == 403, r.text
    with signed_urlopen(url, data=body.encode(), method="PUT") as put:
        assert json.loads(put.read())["Account"] == "000000000000"
    with signed_urlopen(url, method="DELETE") as deleted:
        assert deleted.status == 204


def test_latency_experiment_through_an_api_route(api, examples, tmp_path):
    """The seed's path: latency-a calls latency-b over HTTP through an API route."""
    server, _, _, _ = api
    out = tmp_path / "latency.json"
    res = subprocess.run(
        [str(THAW_BIN), "--endpoint", server.url, "latency", "--zips", str(examples.go_dir),
         "--via", "api", "--calls", "200", "--a-offset-ms", "0.3", "--a-drift-ppm", "0",
         "--b-offset-ms", "-1.7", "--b-drift-ppm", "0", "--json", str(out)],
        capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, f"stdout:\n{res.stdout}\nstderr:\n{res.stderr}"
    (run,) = json.loads(out.read_text())["runs"]
    assert run["via"] == "api" and run["calls"] == 200 and run["failed"] == 0
    assert run["callee"].endswith("/b")
    estimate = run["analysis"]["estimate"]
    assert abs(estimate["offset_ms"] - (-2.0)) <= estimate["bound_ms"] + 1e-3, estimate
    # The route continues A's trace, so B merged A's Hlc on every call.
    assert run["hlc"]["callee_received_hlc"] == 200 and run["hlc"]["violations"] == 0
    # The route is gone afterwards.
    with signed_urlopen(f"{server.url}/thaw/api-routes") as listed:
        ids = [r["Id"] for r in json.loads(listed.read())["Routes"]]
    assert "thaw-latency-b" not in ids


def test_routes_are_kept_in_state_db_and_an_old_file_is_imported(api):
    server, base, _, _ = api
    with signed_urlopen(f"{server.url}/thaw/api-routes") as listed:
        routes = json.loads(listed.read())["Routes"]
    assert len(routes) == 14
    server.stop()
    db_path = server.state_dir / "state.db"
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM api_routes").fetchone()[0] == 14
        db.execute("DELETE FROM api_routes")
    db.close()
    # Where an older thaw kept them: imported once, then removed.
    legacy = server.state_dir / "api-routes.json"
    legacy.write_text(json.dumps({r.pop("Id"): r for r in routes}))
    server.start()
    assert requests.get(f"{base}/Prod/items/7", timeout=30).status_code == 200
    assert not legacy.exists()
    server.stop()
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM api_routes").fetchone()[0] == 14
    db.close()
    # A damaged old file does not stop the server, and is left for the operator.
    legacy.write_text("{not json")
    server.start()
    assert requests.get(f"{base}/Prod/items/7", timeout=30).status_code == 200
    assert legacy.read_text() == "{not json"
    legacy.unlink()


def test_routes_survive_a_restart_and_go_with_the_stack(api):
    server, base, directory, _ = api
    server.restart()
    assert requests.get(f"{base}/Prod/items/7", timeout=30).status_code == 200
    with signed_urlopen(f"{server.url}/thaw/api-routes") as listed:
        assert len(json.loads(listed.read())["Routes"]) == 14
    ok(deploy(server, "--stack-name", "apis", "--delete-stack", cwd=directory))
    assert requests.get(f"{base}/Prod/items/7", timeout=30).status_code == 403
    with signed_urlopen(f"{server.url}/thaw/api-routes") as listed:
        assert json.loads(listed.read())["Routes"] == []
