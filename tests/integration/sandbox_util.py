"""What the server says its sandbox enforces, and skipping (or failing, under CI) without it."""

import os
import re

import pytest


def enforced(server):
    """The features from the server's 'thaw: sandbox: enforced: ...' startup line."""
    m = re.search(r"thaw: sandbox: (?:enforced: ([^;\n]*))?", server.stderr())
    if not m or not m.group(1):
        return set()
    text = re.sub(r" \(freezer: [^)]*\)", "", m.group(1))
    return {f.strip() for f in text.split(",")}


def require(server, *features):
    """Skips unless every feature is enforced. With CI=true a skip is a failure: CI runs as root
    with cgroups, so a missing feature there is a regression, not an environment limit."""
    missing = [f for f in features if f not in enforced(server)]
    if not missing:
        return
    reason = (f"the sandbox does not enforce {', '.join(missing)} here "
              f"(root: {os.geteuid() == 0}); see `thaw doctor`")
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true: " + reason)
    pytest.skip(reason)
