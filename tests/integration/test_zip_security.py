"""Deployment packages that try to write outside their code tree (a symlink entry, then entries
beneath it), through boto3's CreateFunction, UpdateFunctionCode and PublishLayerVersion; DryRun
UpdateFunctionCode; Code.Location with a forged Host header; code nothing references is removed.

Every escape points into a temp directory of the test, never at the host's files."""

import base64
import hashlib
import http.client
import io
import json
import os
import stat
import zipfile

import pytest
from botocore.exceptions import ClientError

from conftest import ROLE, boto_client, poll, signed_headers
from invoke_util import unique

UNZIP_ERROR = ("Could not unzip uploaded file. Please check your file, then try to upload "
               "again.")


def make_zip(entries):
    """entries: (name, data, st_mode) tuples; S_IFLNK entries hold the link's target."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            info.create_system = 3  # Unix, so the mode is read
            info.external_attr = mode << 16
            z.writestr(info, data)
    return buf.getvalue()


def bootstrap_zip(text="hi"):
    return make_zip([("bootstrap", f"#!/bin/sh\necho {text}\n", stat.S_IFREG | 0o755)])


def escapes(outside):
    """Zips that would create something in `outside` if extraction followed its own links."""
    link = stat.S_IFLNK | 0o777
    up = os.path.relpath(outside, "/")  # target relative from deep inside: ../../.. reaches /
    rel = "../" * 40 + up
    return {
        "absolute": make_zip([("a", outside, link), ("a/x", "pwned", link)]),
        "relative": make_zip([("a", rel, link), ("a/x", "pwned", stat.S_IFREG | 0o644)]),
        "chain": make_zip([("l1", outside, link), ("l2", "l1", link), ("l2/x", "pwned", link)]),
        "deep": make_zip([("d/e/f", outside, link), ("d/e/f/g/h", "pwned", link)]),
    }


def assert_refused(excinfo):
    err = excinfo.value.response
    assert err["Error"]["Code"] == "InvalidParameterValueException", err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400, err
    assert err["Error"]["Message"].startswith(UNZIP_ERROR), err


def create(lam, name, zip_bytes, **kw):
    return lam.create_function(FunctionName=name, Runtime="provided.al2023", Role=ROLE,
                               Handler="bootstrap", Code={"ZipFile": zip_bytes}, **kw)


def stored(server, zip_bytes):
    """Whether the state dir holds anything of this zip (zip, tree or completion marker)."""
    base = server.state_dir / "code" / hashlib.sha256(zip_bytes).hexdigest()
    return any(os.path.lexists(f"{base}{suffix}") for suffix in ("", ".zip", ".ok"))


def test_symlink_escapes_are_refused_everywhere(lam, thaw_server, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    name = unique("zipsec")
    create(lam, name, bootstrap_zip())
    layer = unique("zipsec")
    for kind, bad in escapes(str(outside)).items():
        with pytest.raises(ClientError) as e:
            create(lam, unique("zipsec"), bad)
        assert_refused(e)
        with pytest.raises(ClientError) as e:
            lam.update_function_code(FunctionName=name, ZipFile=bad)
        assert_refused(e)
        with pytest.raises(ClientError) as e:
            lam.publish_layer_version(LayerName=layer, Content={"ZipFile": bad})
        assert_refused(e)
        assert list(outside.iterdir()) == [], kind
        assert not stored(thaw_server, bad), kind
    # The function kept its code; leaf links to anywhere are still fine.
    assert lam.get_function(FunctionName=name)["Configuration"]["CodeSha256"] == \
        base64.b64encode(hashlib.sha256(bootstrap_zip()).digest()).decode()
    ok = make_zip([("bootstrap", "#!/bin/sh\n", stat.S_IFREG | 0o755),
                   ("etc", "/etc", stat.S_IFLNK | 0o777)])
    lam.update_function_code(FunctionName=name, ZipFile=ok)
    tree = thaw_server.state_dir / "code" / hashlib.sha256(ok).hexdigest()
    assert os.readlink(tree / "etc") == "/etc"
    lam.delete_function(FunctionName=name)


def test_dry_run_update_function_code_stores_nothing(lam, thaw_server):
    name = unique("dryrun")
    create(lam, name, bootstrap_zip("v1"))
    new = bootstrap_zip("dry")
    r = lam.update_function_code(FunctionName=name, ZipFile=new, DryRun=True)
    assert r["CodeSha256"] == base64.b64encode(hashlib.sha256(new).digest()).decode()
    assert not stored(thaw_server, new)
    got = lam.get_function(FunctionName=name)["Configuration"]
    assert got["CodeSha256"] == base64.b64encode(hashlib.sha256(bootstrap_zip("v1")).digest()).decode()
    lam.delete_function(FunctionName=name)


def test_code_location_ignores_a_forged_host_header(make_thaw_server):
    # The front door refuses a foreign Host unless --allow-origin names it; even then the
    # Location is built from --listen, never from the request.
    server = make_thaw_server("--allow-origin", "http://evil.example:666")
    lam = boto_client("lambda", server)
    name = unique("hosthdr")
    create(lam, name, bootstrap_zip("host"))
    layer = unique("hosthdr")
    lam.publish_layer_version(LayerName=layer, Content={"ZipFile": bootstrap_zip("layer")})
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        for path in (f"/2015-03-31/functions/{name}", f"/2018-10-31/layers/{layer}/versions/1"):
            headers = signed_headers("GET", f"http://evil.example:666{path}")
            headers["Host"] = "evil.example:666"
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            body = json.loads(resp.read())
            assert resp.status == 200, body
            location = body["Code"]["Location"] if "Code" in body else body["Content"]["Location"]
            assert location.startswith(f"http://127.0.0.1:{server.port}/thaw/code/"), location
    finally:
        conn.close()


def test_unreferenced_code_and_layers_are_removed(lam, thaw_server):
    one, two, shared = bootstrap_zip("one"), bootstrap_zip("two"), bootstrap_zip("shared")
    a, b = unique("gc"), unique("gc")
    create(lam, a, one)
    create(lam, b, shared)
    lam.update_function_code(FunctionName=a, ZipFile=shared)
    # Nothing ran `one`, so nothing holds it: it goes with the update.
    poll(lambda: not stored(thaw_server, one), timeout=10, what="the replaced code to go")
    lam.delete_function(FunctionName=a)
    assert stored(thaw_server, shared)  # b still uses it
    layer = unique("gclayer")
    lz = make_zip([("lib.txt", "layer", stat.S_IFREG | 0o644)])
    arn = lam.publish_layer_version(LayerName=layer, Content={"ZipFile": lz})["LayerVersionArn"]
    lam.update_function_configuration(FunctionName=b, Layers=[arn])
    lam.delete_layer_version(LayerName=layer, VersionNumber=1)
    assert stored(thaw_server, lz)  # b keeps the deleted version
    lam.update_function_code(FunctionName=b, ZipFile=two)
    lam.delete_function(FunctionName=b)
    poll(lambda: not stored(thaw_server, lz) and not stored(thaw_server, shared)
         and not stored(thaw_server, two), timeout=10, what="everything to go")
    assert not any(p.name.startswith("opt-") for p in (thaw_server.state_dir / "code").iterdir())
