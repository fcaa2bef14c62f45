"""Helpers shared by test_invoke.py, test_runtime_api.py and test_environments.py.

Everything here polls with a deadline instead of sleeping a fixed time.
"""

import base64
import http.client
import json
import os
import time
import uuid

import pytest

from conftest import create_function, poll, signed_headers

REQUEST_ID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# Lambda's REPORT line, text format: TAB-separated, 2-decimal durations, integer sizes.
REPORT_RE = (r"REPORT RequestId: (?P<id>{rid})\tDuration: (?P<duration>\d+\.\d\d) ms"
             r"\tBilled Duration: (?P<billed>\d+) ms\tMemory Size: (?P<memory>\d+) MB"
             r"\tMax Memory Used: (?P<used>\d+) MB"
             r"(?:\tInit Duration: (?P<init>\d+\.\d\d) ms)?"
             r"(?:\tStatus: (?P<status>\w+)(?:\tError Type: (?P<error_type>[\w.]+))?)?\t?$")


def unique(prefix):
    """A function name no other test uses (tests share one server per module)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_for(predicate, timeout, interval=0.02, what="condition"):
    """Polls predicate() until it returns a truthy value, which is returned."""
    return poll(predicate, timeout=timeout, interval=interval, what=what)


def make(lam, prefix, example, **overrides):
    """Creates a function from an example under a fresh name and returns the name."""
    name = unique(prefix)
    create_function(lam, name, example, **overrides)
    return name


def http_request(server, method, path, body=b"", headers=None, timeout=30, sign=True,
                 host="127.0.0.1"):
    """Raw HTTP to the front door, signed with SigV4 unless sign=False; returns (status, headers
    dict lower-cased, body bytes)."""
    headers = dict(headers or {})
    if sign:
        headers = signed_headers(method, f"http://127.0.0.1:{server.port}{path}", body, headers)
    conn = http.client.HTTPConnection(host, server.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        res = conn.getresponse()
        data = res.read()
        return res.status, {k.lower(): v for k, v in res.getheaders()}, data
    finally:
        conn.close()


def environments(server, function=None):
    status, _, body = http_request(server, "GET", "/thaw/environments")
    assert status == 200, body
    envs = json.loads(body)["environments"]
    if function is not None:
        envs = [e for e in envs if e["function"] == function]
    return envs


def busy_environment(server, function, timeout=5):
    """Waits until `function` has an environment running an invocation; returns it."""
    def find():
        for e in environments(server, function):
            if e["requestId"] and e["pid"] > 0 and e["state"] == "invoking":
                return e
        return None
    return wait_for(find, timeout, what=f"a busy environment of {function}")


def wait_idle(server, function, timeout=5):
    """Waits until every environment of `function` is idle. A caller has its response as soon
    as the runtime posts it, but the environment stays busy until the runtime's next /next; an
    invoke sent in between gets another environment (or a 429), in Lambda as here."""
    def check():
        envs = environments(server, function)
        return envs if envs and all(e["state"] == "idle" for e in envs) else None
    return wait_for(check, timeout, what=f"the environments of {function} to be idle")


def pid_alive(pid):
    """True while `pid` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def payload_json(resp):
    return json.loads(resp["Payload"].read())


def request_id(resp):
    return resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]


def tail(resp):
    return base64.b64decode(resp["LogResult"]).decode()


def log_messages(logs_client, function):
    """Every event message of /aws/lambda/<function> (all streams), oldest first."""
    group = f"/aws/lambda/{function}"
    out, kwargs = [], {"logGroupName": group}
    try:
        while True:
            page = logs_client.filter_log_events(**kwargs)
            out.extend(e["message"] for e in page.get("events", []))
            token = page.get("nextToken")
            if not token:
                return out
            kwargs["nextToken"] = token
    except logs_client.exceptions.ResourceNotFoundException:
        return []


def wait_for_log(logs_client, function, predicate, timeout=5):
    """Polls the function's log group until predicate(all_text) holds; returns the text."""
    def check():
        text = "".join(m if m.endswith("\n") else m + "\n"
                       for m in log_messages(logs_client, function))
        return text if predicate(text) else None
    return wait_for(check, timeout, interval=0.05, what=f"log lines of {function}")


def env_var(name, value):
    return {"Variables": {name: value}}


def json_string_of_size(n):
    """A JSON document (one string) of exactly n bytes."""
    assert n >= 2
    return b'"' + b"x" * (n - 2) + b'"'


os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
