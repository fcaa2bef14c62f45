"""The launcher's wire and its children: what a function's configuration cannot smuggle into the
launcher, and what a function process cannot reach of the operator's terminal."""

import itertools
import json
import os
import struct

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import REGION, create_function

_counter = itertools.count()


def fname(tag):
    return f"ln-{tag}-{next(_counter)}-{os.getpid() % 1000}"


def forged_env_value(code_dir, tmp_image):
    """A value that, under the old NUL-terminated launcher wire, ended its own string at the NUL
    and was read on as the sandbox fields: enabled, /tmp size, memory (32639 MB), code_dir, the
    /tmp image, the network flag, opt_dir, no extensions. Its key sorts last in the environment.
    Every byte is below 0x80, so it survives JSON as text."""
    raw = (b"x\0" + b"\1" + struct.pack("<QQ", 512, 0x7F7F) + code_dir.encode() + b"\0" +
           tmp_image.encode() + b"\0" + b"\0" + b"\0" + struct.pack("<I", 0))
    return raw.decode("ascii")


@pytest.fixture(scope="module")
def lam_raw(thaw_server):
    """boto3 without client-side validation: the server alone must refuse."""
    return boto3.client(
        "lambda", endpoint_url=thaw_server.url, region_name=REGION,
        aws_access_key_id="AKID", aws_secret_access_key="SECRET",
        config=Config(retries={"max_attempts": 1}, parameter_validation=False, read_timeout=60))


def assert_nul_refused(excinfo, key):
    err = excinfo.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400, err
    assert err["Error"]["Code"] == "InvalidParameterValueException", err
    assert err["Error"]["Message"] == (
        "Lambda was unable to configure your environment variables because the environment "
        f"variables you have provided contains invalid characters. Variable: {key}"), err


def test_nul_in_environment_cannot_forge_launcher_fields(lam, lam_raw, thaw_server, examples):
    forged = forged_env_value("/etc", str(thaw_server.state_dir / "state.db"))
    assert "\0" in forged
    name = fname("forge")
    with pytest.raises(ClientError) as e:
        create_function(lam_raw, name, "echo", Environment={"Variables": {"zzz": forged}})
    assert_nul_refused(e, "zzz")
    with pytest.raises(ClientError) as e:
        lam.get_function(FunctionName=name)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"

    # An existing function keeps its configuration.
    create_function(lam, name, "echo", Environment={"Variables": {"KEEP": "1"}})
    before = lam.get_function_configuration(FunctionName=name)
    with pytest.raises(ClientError) as e:
        lam_raw.update_function_configuration(
            FunctionName=name, Environment={"Variables": {"KEEP": "1", "zzz": forged}})
    assert_nul_refused(e, "zzz")
    after = lam.get_function_configuration(FunctionName=name)
    assert after["Environment"] == {"Variables": {"KEEP": "1"}}
    assert after["RevisionId"] == before["RevisionId"]
    # And it still runs with its own code.
    resp = lam.invoke(FunctionName=name, Payload=json.dumps({"hi": 1}).encode())
    assert "FunctionError" not in resp, resp["Payload"].read()
    assert json.loads(resp["Payload"].read()) == {"hi": 1}
