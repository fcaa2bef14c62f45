#!/usr/bin/env bash
# Creates .venv with what the integration tests need (pytest, boto3, awslambdaric, and moto's
# server for the SQS differential test).
# Idempotent: re-running only installs what is missing or at the wrong version.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's python3 (needs python3-venv); override with $PYTHON.
PYTHON=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
VENV=.venv
REQS=(pytest==9.2.0 boto3==1.44.8 awslambdaric==4.2.2 selenium==4.51.0 "moto[server]==5.2.6")

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
    echo "setup-test-env: creating $VENV with $PYTHON"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
else
    echo "setup-test-env: $VENV exists"
fi

# Checking installed versions is much quicker than asking pip to resolve again.
if "$VENV/bin/python" - "${REQS[@]}" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
for req in sys.argv[1:]:
    name, want = req.split("==")
    name = name.split("[")[0]  # "moto[server]": the extra is not part of the name
    if version(name) != want:
        sys.exit(1)
PY
then
    echo "setup-test-env: ${REQS[*]} already installed"
else
    echo "setup-test-env: installing ${REQS[*]}"
    # --only-binary for awslambdaric: its sdist builds a C++ extension (needs cmake, autotools).
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        --only-binary awslambdaric "${REQS[@]}"
fi

"$VENV/bin/python" -c 'import awslambdaric, boto3, moto, pytest, selenium'

# test_report.py opens the HTML report in headless Chromium (Debian's build and its driver).
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    echo "setup-test-env: installing chromium chromium-driver"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi
echo "setup-test-env: ok ($("$VENV/bin/python" --version), $PWD/$VENV)"
