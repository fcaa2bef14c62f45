"""Differential test of the event-invoke-config API: the same boto3 script against thaw and
moto's server, answers compared after normalizing what must differ (LastModified, hosts).

moto 5.2.6 implements Put/Get/Update/Delete/List, but differs from AWS (thaw follows AWS), so
these steps are compared only in part (MOTO_DIFFERS, checked to still be the only ones):
  - put-*: moto answers FunctionArn unqualified ("...:function:f"); AWS qualifies it with the
    qualifier ("...:function:f:$LATEST"), and moto leaves out the empty OnSuccess/OnFailure.
  - update / list: moto's Update is a Put that adds a second configuration beside the first:
    its answer does not merge (the omitted settings are gone) and Get/List keep showing the
    first. AWS merges into the one configuration.
  - update-missing: moto creates the configuration; AWS answers ResourceNotFoundException.
  - put-empty: moto accepts a body with no setting; AWS answers InvalidParameterValueException.
  - Qualifier: moto keeps one configuration per function and ignores the qualifier.
What both do is compared exactly: Put, Get, Delete, the errors for an
out-of-range MaximumRetryAttempts / MaximumEventAgeInSeconds and for a missing configuration.
"""

import boto3
import botocore.exceptions
from botocore.config import Config

from conftest import ROLE
from test_sqs_moto import moto_url  # noqa: F401  (the moto_server fixture)


def client(url):
    return boto3.client("lambda", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="AKID", aws_secret_access_key="SECRET",
                        config=Config(retries={"max_attempts": 1}))


def settings(answer):
    """What both must agree on: the settings, with FunctionArn's qualifier and empty
    destinations dropped."""
    out = {k: v for k, v in answer.items()
           if k in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds")}
    dests = {k: v for k, v in answer.get("DestinationConfig", {}).items() if v}
    if dests:
        out["DestinationConfig"] = dests
    return out


def moto_role(url):
    """moto checks the role exists in its IAM (account 123456789012); thaw does not."""
    iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                       aws_access_key_id="AKID", aws_secret_access_key="SECRET")
    trust = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
             '{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}')
    return iam.create_role(RoleName="diff-eic-role", AssumeRolePolicyDocument=trust)["Role"]["Arn"]


def script(lam, zip_bytes, role):
    out = []

    def step(name, fn, keep=settings):
        try:
            answer = fn()
            answer.pop("ResponseMetadata", None)
            out.append((name, keep(answer)))
        except botocore.exceptions.ClientError as e:
            out.append((name, {"error": e.response["Error"]["Code"]}))

    name = "diff-eic"
    lam.create_function(FunctionName=name, Runtime="provided.al2023", Role=role,
                        Handler="bootstrap", Code={"ZipFile": zip_bytes})
    dest = "arn:aws:sqs:us-east-1:123456789012:dest"
    step("get-none", lambda: lam.get_function_event_invoke_config(FunctionName=name))
    step("put", lambda: lam.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=1, MaximumEventAgeInSeconds=600,
        DestinationConfig={"OnFailure": {"Destination": dest}}))
    step("get", lambda: lam.get_function_event_invoke_config(FunctionName=name))
    step("update", lambda: lam.update_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=0))
    step("list", lambda: lam.list_function_event_invoke_configs(FunctionName=name),
         keep=lambda a: [settings(c) for c in a["FunctionEventInvokeConfigs"]])
    step("put-retries-3", lambda: lam.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=3))
    step("put-age-big", lambda: lam.put_function_event_invoke_config(
        FunctionName=name, MaximumEventAgeInSeconds=21601))
    step("delete", lambda: lam.delete_function_event_invoke_config(FunctionName=name),
         keep=lambda a: {})
    step("get-deleted", lambda: lam.get_function_event_invoke_config(FunctionName=name))
    step("delete-again", lambda: lam.delete_function_event_invoke_config(FunctionName=name),
         keep=lambda a: {})
    # Where moto differs from AWS: recorded, expected to differ.
    step("update-missing", lambda: lam.update_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=1))
    if "error" not in out[-1][1]:
        lam.delete_function_event_invoke_config(FunctionName=name)  # moto created one
    step("put-empty", lambda: lam.put_function_event_invoke_config(FunctionName=name))
    return out


MOTO_DIFFERS = {"update", "list", "update-missing", "put-empty"}


def test_event_invoke_config_matches_moto(thaw_server, moto_url, examples):  # noqa: F811
    zip_bytes = examples.zip("echo").read_bytes()
    ours = dict(script(client(thaw_server.url), zip_bytes, ROLE))
    theirs = dict(script(client(moto_url), zip_bytes, moto_role(moto_url)))
    assert ours.keys() == theirs.keys()
    differing = {k for k in ours if ours[k] != theirs[k]}
    assert differing == MOTO_DIFFERS, {k: (ours[k], theirs[k]) for k in differing}
    # And thaw's side of those is AWS's.
    merged = {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 600,
              "DestinationConfig": {
                  "OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:dest"}}}
    assert ours["update"] == merged
    assert ours["list"] == [merged]
    assert ours["update-missing"] == {"error": "ResourceNotFoundException"}
    assert ours["put-empty"] == {"error": "InvalidParameterValueException"}
