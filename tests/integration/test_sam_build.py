"""`thaw deploy -t` builds Python and Node.js functions the way `sam build` does, without
containers: requirements.txt is pip-installed into the artifact, package.json gets `npm ci` (with
a lock file) or `npm install --omit=dev`, and the zips are cached by the source's content, so an
unchanged function is neither rebuilt nor updated. The dependencies are local packages (a wheel
and an npm tarball made here), so no registry is needed."""

import io
import json
import os
import shutil
import subprocess
import tarfile
import urllib.request
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, THAW_BIN, boto_client

PYTHON_TREE = Path("/usr/local/lib/thaw/runtimes/python")

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  PyFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: py/
      Handler: app.handler
      Runtime: python3.12
      Timeout: 20
  NodeFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: node/
      Handler: index.handler
      Runtime: nodejs20.x
Outputs:
  Py: {Value: !Ref PyFunction}
  Node: {Value: !Ref NodeFunction}
"""


def make_wheel(directory):
    """A pure-Python wheel of package `greet` 1.0, by hand (no build backend, no network)."""
    name = "greet-1.0-py3-none-any.whl"
    files = {
        "greet/__init__.py": "def hello(who):\n    return 'hello ' + who\n",
        "greet-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: greet\nVersion: 1.0\n",
        "greet-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                                     "Tag: py3-none-any\n",
    }
    record = "".join(f"{path},,\n" for path in files) + "greet-1.0.dist-info/RECORD,,\n"
    files["greet-1.0.dist-info/RECORD"] = record
    with zipfile.ZipFile(directory / name, "w") as z:
        for path, text in files.items():
            z.writestr(path, text)
    return directory / name


def make_npm_tarball(directory):
    """An npm tarball of package `greet-node` 1.0.0 (what `npm pack` makes)."""
    path = directory / "greet-node-1.0.0.tgz"
    files = {
        "package/package.json": json.dumps({"name": "greet-node", "version": "1.0.0",
                                            "main": "index.js"}),
        "package/index.js": "exports.hello = (who) => 'hi ' + who;\n",
    }
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed (scripts/setup.sh installs it)")
    root = tmp_path_factory.mktemp("sambuild")
    (root / "template.yaml").write_text(TEMPLATE)
    py = root / "py"
    py.mkdir()
    wheel = make_wheel(root)
    (py / "requirements.txt").write_text(f"{wheel}\n")
    (py / "app.py").write_text("import greet\n\n\ndef handler(event, context):\n"
                               "    return {'said': greet.hello(event['who'])}\n")
    node = root / "node"
    node.mkdir()
    tarball = make_npm_tarball(root)
    (node / "package.json").write_text(json.dumps({
        "name": "node-fn", "version": "1.0.0", "private": True,
        "dependencies": {"greet-node": f"file:{tarball}"}}))
    (node / "index.js").write_text("const greet = require('greet-node');\n"
                                   "exports.handler = async (event) => ({said: greet.hello(event.who)});\n")
    # Left over from a developer's own `npm install`: not hashed, not copied.
    (node / "node_modules" / "stale").mkdir(parents=True)
    (node / "node_modules" / "stale" / "index.js").write_text("stale\n")
    return root


def deploy(server, directory):
    env = dict(os.environ, THAW_ENDPOINT=server.url)
    res = subprocess.run([str(THAW_BIN), "deploy", "--stack-name", "built"], capture_output=True,
                         text=True, env=env, timeout=300, cwd=directory)
    assert res.returncode == 0, f"exit {res.returncode}\n{res.stdout}\n{res.stderr}"
    return res


def code_names(lam, name):
    location = lam.get_function(FunctionName=name)["Code"]["Location"]
    with urllib.request.urlopen(location, timeout=10) as resp:
        return zipfile.ZipFile(io.BytesIO(resp.read())).namelist()


def outputs(directory):
    return json.loads((directory / ".thaw" / "built.json").read_text())["Outputs"]


def test_dependencies_are_installed_into_the_artifacts(app, thaw_server):
    res = deploy(thaw_server, app)
    assert "built " + str(app / "py") in res.stderr + res.stdout
    assert "4 created" in res.stdout  # two functions and their roles
    lam = boto_client("lambda", thaw_server)
    py = code_names(lam, outputs(app)["Py"])
    assert "app.py" in py and "greet/__init__.py" in py
    assert not any(n.endswith(".pyc") for n in py)  # pip ran with --no-compile
    node = code_names(lam, outputs(app)["Node"])
    assert "index.js" in node and "node_modules/greet-node/index.js" in node
    assert not any("stale" in n for n in node)
    # The cache: one zip per function, named by the content's key.
    cached = sorted(p.parent.name for p in (app / ".thaw" / "build").glob("*/*.zip"))
    assert cached == ["NodeFunction", "PyFunction"]


def host_version(family):
    """The interpreter thaw's runtime tree really runs: (major, minor, full version text)."""
    tree = Path(os.environ.get("THAW_RUNTIMES_DIR") or "/usr/local/lib/thaw/runtimes") / family
    binary = tree / "bin" / ("python3" if family == "python" else "node")
    if not binary.exists():
        return None
    code = ["-c", "import platform; print(platform.python_version())"] if family == "python" \
        else ["-p", "process.versions.node"]
    return subprocess.run([str(binary), *code], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_the_deploy_says_which_version_really_runs(app, thaw_server, tmp_path):
    fresh = tmp_path / "again"
    shutil.copytree(app, fresh, ignore=shutil.ignore_patterns(".thaw"))
    env = dict(os.environ, THAW_ENDPOINT=thaw_server.url)
    res = subprocess.run([str(THAW_BIN), "deploy", "--stack-name", "versions"],
                         capture_output=True, text=True, env=env, timeout=300, cwd=fresh)
    assert res.returncode == 0, res.stderr
    for logical, runtime, family, language, asked in (
            ("PyFunction", "python3.12", "python", "Python", "3.12"),
            ("NodeFunction", "nodejs20.x", "nodejs", "Node.js", "20")):
        version = host_version(family)
        if version is None:
            continue
        note = f"{logical}: {runtime} runs on the host's {language} {version}"
        if version == asked or version.startswith(asked + "."):
            assert note not in res.stderr
        else:
            assert note in res.stderr, res.stderr


def test_the_python_function_imports_its_requirement(app, thaw_server):
    if not (PYTHON_TREE / "bootstrap").exists():
        pytest.skip(f"no managed Python runtime at {PYTHON_TREE}")
    lam = boto_client("lambda", thaw_server)
    resp = lam.invoke(FunctionName=outputs(app)["Py"], Payload=b'{"who": "sam"}')
    assert json.loads(resp["Payload"].read()) == {"said": "hello sam"}


def test_unchanged_code_is_not_rebuilt_and_changed_code_is(app, thaw_server):
    res = deploy(thaw_server, app)
    assert "unchanged " + str(app / "py") in res.stderr + res.stdout
    assert "unchanged " + str(app / "node") in res.stderr + res.stdout
    assert "0 updated" in res.stdout and "4 unchanged" in res.stdout
    (app / "py" / "app.py").write_text((app / "py" / "app.py").read_text().replace(
        "'said'", "'told'"))
    res = deploy(thaw_server, app)
    assert "built " + str(app / "py") in res.stderr + res.stdout
    assert "unchanged " + str(app / "node") in res.stderr + res.stdout
    assert "1 updated" in res.stdout
    assert len(list((app / ".thaw" / "build" / "PyFunction").glob("*.zip"))) == 1


def test_a_failing_install_names_the_tool_and_changes_nothing(app, thaw_server, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(app, bad, ignore=shutil.ignore_patterns(".thaw", "node_modules"))
    (bad / "py" / "requirements.txt").write_text(str(tmp_path / "missing-1.0-py3-none-any.whl"))
    env = dict(os.environ, THAW_ENDPOINT=thaw_server.url)
    res = subprocess.run([str(THAW_BIN), "deploy", "--stack-name", "bad"], capture_output=True,
                         text=True, env=env, timeout=300, cwd=bad)
    assert res.returncode != 0
    assert f"pip install -r {bad / 'py'}/requirements.txt failed" in res.stderr, res.stderr
    # Built before anything was made: no resource was created.
    assert "create " not in res.stderr, res.stderr
    assert not (bad / ".thaw" / "bad.json").exists() or \
        json.loads((bad / ".thaw" / "bad.json").read_text())["Resources"] == {}
