#!/usr/bin/env bash
# Installs everything thaw needs to build and run on Debian 12 (as root). Idempotent: installs
# only what is missing, and runs apt-get update only when something is.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libsqlite3-dev libssl-dev nlohmann-json3-dev libzip-dev libcli11-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev libseccomp-dev libcurl4-openssl-dev
  clang-format clang-tidy
  awscli python3 python3-venv zip unzip iproute2 procps ca-certificates e2fsprogs util-linux
  valgrind
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
# Go: use the machine's Go when it has one (>= 1.19; the latency experiment's module, which uses the
# AWS SDK, needs >= 1.24); otherwise Debian's golang-go (1.19).
if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then
  missing+=(golang-go)
fi

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup: system packages ready"

# thaw report embeds Chart.js, pinned by web/package-lock.json. npm fetches it here into its cache
# (and build/web); the build then installs it with `npm ci --offline` (cmake/embed.cmake).
if ! command -v npm >/dev/null 2>&1; then
  echo "setup: installing nodejs npm"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WEB="$ROOT/build/web"
mkdir -p "$WEB"
cp "$ROOT/web/package.json" "$ROOT/web/package-lock.json" "$WEB/"
(cd "$WEB" && { npm ci --offline --no-audit --no-fund --loglevel=error >/dev/null 2>&1 ||
  npm ci --no-audit --no-fund --loglevel=error >/dev/null; })
echo "setup: chart library ready ($WEB/node_modules/chart.js)"
