"""The example functions build into zips with an executable bootstrap at the root."""

import stat
import zipfile

import pytest

GO_EXAMPLES = ["echo", "noop", "context", "error", "signatures", "sleep", "logger",
               "panic", "exit", "initfail", "sigterm", "callaws", "chain", "big", "rawruntime",
               "attacker", "probe", "hostile", "sqsconsumer", "destination", "stamp", "snsconsumer",
               "ddbconsumer", "streamprobe", "kinesisconsumer", "streamsink", "scheduled",
               "urlecho", "streamer", "apirest", "apihttp", "apiauth"]
# examples/functions/go/stress/<name>, for `thaw stress` and test_stress.py.
GO_EXAMPLES += ["stress-" + name for name in [
    "loop", "sleep", "eventbomb", "leak", "panic", "nilderef", "exit", "forkbomb", "goroutines",
    "flood", "bigresponse", "tmpfill", "ignoreterm", "selfsend"]]


def assert_bootstrap(zip_path, expect):
    assert zip_path.exists(), zip_path
    with zipfile.ZipFile(zip_path) as z:
        assert sorted(z.namelist()) == sorted(expect)
        info = z.getinfo("bootstrap")
        mode = info.external_attr >> 16
        assert stat.S_ISREG(mode) and mode & 0o111, oct(mode)
        return z.read("bootstrap")


@pytest.mark.parametrize("name", GO_EXAMPLES)
def test_go_example_zip(examples, name):
    data = assert_bootstrap(examples.go(name), ["bootstrap"])
    assert data[:4] == b"\x7fELF"


# examples/functions/go/mech/*: one handler per mechanism (docs/mechanisms.md), zipped with the
# file its Handler names.
MECH_EXAMPLES = {"runtime-api": ("bootstrap", 0o111), "go1.x": ("handler", 0o111),
                 "spawn": ("handler", 0o111), "http-sidecar": ("handler", 0o111),
                 "shim": ("handler.so", 0)}


@pytest.mark.parametrize("mechanism", sorted(MECH_EXAMPLES))
def test_mechanism_example_zip(examples, mechanism):
    entry, exec_bits = MECH_EXAMPLES[mechanism]
    with zipfile.ZipFile(examples.go(f"mech-{mechanism}")) as z:
        assert z.namelist() == [entry]
        mode = z.getinfo(entry).external_attr >> 16
        assert stat.S_ISREG(mode) and (mode & 0o111) == (exec_bits and mode & 0o111)
        assert z.read(entry)[:4] == b"\x7fELF"


# examples/functions/go/latency (its own Go module): the latency experiment's two functions, and
# latency-host, a plain binary `thaw latency` runs in a network namespace (docs/latency.md).
LATENCY_EXAMPLES = ["latency-a", "latency-b"]
# examples/functions/go/sdk: functions that call AWS through aws-sdk-go-v2.
SDK_EXAMPLES = ["recurse"]


@pytest.mark.parametrize("name", LATENCY_EXAMPLES)
def test_latency_example_zip(examples, name):
    assert assert_bootstrap(examples.go(name), ["bootstrap"])[:4] == b"\x7fELF"


def test_latency_host_binary(examples):
    host = examples.go_dir / "latency-host"
    assert host.stat().st_mode & 0o111
    assert host.read_bytes()[:4] == b"\x7fELF"


# The managed runtimes' zips beside them: `thaw compare --languages` and `thaw stress --language`.
MANAGED_ZIPS = {"lang-python": "app.py", "lang-nodejs": "index.js", "stress-python": "app.py",
                "stress-nodejs": "index.js"}


def test_all_go_examples_listed(examples):
    assert examples.go_names() == sorted(
        GO_EXAMPLES + [f"mech-{m}" for m in MECH_EXAMPLES] + LATENCY_EXAMPLES + SDK_EXAMPLES +
        list(MANAGED_ZIPS))


@pytest.mark.parametrize("name", sorted(MANAGED_ZIPS))
def test_managed_runtime_zips(examples, name):
    with zipfile.ZipFile(examples.go_dir / f"{name}.zip") as z:
        assert z.namelist() == [MANAGED_ZIPS[name]]
        assert b"handler" in z.read(MANAGED_ZIPS[name]) or b"crash" in z.read(MANAGED_ZIPS[name])


def test_python_echo_zip(examples):
    path = examples.python("echo")
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
    # app.py, the bootstrap, and awslambdaric vendored with its dependencies.
    assert {"app.py", "bootstrap", "awslambdaric/__main__.py", "simplejson/__init__.py"} <= set(names)
    data = assert_bootstrap(path, names).decode()
    assert "@PYTHON@" not in data
    assert "-m awslambdaric app.handler" in data
