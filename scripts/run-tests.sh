#!/usr/bin/env bash
# Sets everything up and runs every test: formatting, unit tests (GoogleTest via CTest),
# the ASan/UBSan unit-test build, integration tests against the real server (pytest with boto3,
# the AWS CLI v2 and real aws-lambda-go functions), and a short benchmark smoke run.
# Run as root on Debian 12. Exits non-zero on the first failing stage.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="$PATH:/usr/local/go/bin"
export GOFLAGS=${GOFLAGS:-}

stage() { printf '\n==> %s\n' "$*"; }

stage "setup"
scripts/setup.sh
scripts/setup-test-env.sh

stage "format check"
scripts/lint.sh --format-only

stage "build"
scripts/build.sh

stage "example functions"
scripts/build-examples.sh

stage "Go unit tests (latency experiment: skewclock, hlc, trace, node)"
(cd examples/functions/go/latency && go vet ./... && go test ./...)

stage "unit tests"
(cd build && ctest --output-on-failure -j2 -L unit)

if [ "${THAW_SKIP_ASAN:-0}" != 1 ]; then
  stage "unit tests under ASan/UBSan"
  THAW_SANITIZE=1 scripts/build.sh
  (cd build-asan && ctest --output-on-failure -j2 -L unit)
fi

stage "integration tests"
.venv/bin/pytest tests/integration

stage "benchmark smoke"
scripts/bench.sh --smoke
