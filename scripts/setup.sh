#!/usr/bin/env bash
# Installs everything thaw needs to build and run on Debian 12 (as root). Idempotent: installs
# only what is missing, and runs apt-get update only when something is.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libsqlite3-dev libssl-dev nlohmann-json3-dev libzip-dev libcli11-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev libseccomp-dev libcurl4-openssl-dev
  libyaml-cpp-dev
  clang-format clang-tidy clang-14 libclang-rt-14-dev
  awscli python3 python3-venv zip unzip curl iproute2 procps ca-certificates e2fsprogs util-linux
  valgrind
  libnss-myhostname
)
missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Function URLs answer at <id>.lambda-url.us-east-1.localhost: nss-myhostname resolves *.localhost
# to loopback for glibc (getent, Python, Go). Its package adds it to nsswitch.conf; make sure.
if ! grep -Eq '^hosts:.*myhostname' /etc/nsswitch.conf; then
  sed -i -E 's/^(hosts:.*)$/\1 myhostname/' /etc/nsswitch.conf
fi
echo "setup: system packages ready"

# The four builds (plain, ASan, clang+fuzz, TSan) are ~4 GB of ccache results between them;
# ccache's default 5 GB evicted TSan's before the next run and cost CI a cold TSan build.
max_gb=$(ccache --get-config max_size 2>/dev/null | awk '{ v = $1 + 0; if ($1 ~ /M/) v /= 1024; print int(v) }')
if [ "${max_gb:-0}" -lt 12 ]; then
  ccache --max-size 12G >/dev/null
fi

# Go: the machine's Go when it is at least 1.24 (the latency experiment's module needs it for the
# AWS SDK for Go v2; Debian 12's golang-go is 1.19). Otherwise the toolchain the go command itself
# fetches for GOTOOLCHAIN: golang.org/toolchain from the Go module proxy, unpacked once under
# /usr/local/lib/thaw-go and linked as /usr/local/bin/go.
GO_MIN_MINOR=24
GO_TOOLCHAIN=go1.24.13
go_recent() {  # GO_BINARY: true when it runs and is go1.N with N >= GO_MIN_MINOR
  local v
  v=$("$1" env GOVERSION 2>/dev/null) || return 1
  [[ "$v" =~ ^go1\.([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge "$GO_MIN_MINOR" ]
}
# The module proxy the machine is set up for: $GOPROXY, else the installed go's, else Go's default.
# Its first entry that is a URL (not "direct" or "off").
go_proxy() {
  local list=${GOPROXY:-}
  [ -n "$list" ] || list=$("$GO_FOUND" env GOPROXY 2>/dev/null || true)
  local entry
  for entry in $(tr ',|' '  ' <<<"$list"); do
    case "$entry" in http://* | https://* | file://*) echo "${entry%/}"; return ;; esac
  done
  echo "https://proxy.golang.org"
}
GO_FOUND=$(command -v go || true)
[ -n "$GO_FOUND" ] || GO_FOUND=/usr/local/go/bin/go
if ! go_recent "$GO_FOUND"; then
  GO_ARCH=$(dpkg --print-architecture)
  GO_DEST=/usr/local/lib/thaw-go/$GO_TOOLCHAIN
  if ! go_recent "$GO_DEST/bin/go"; then
    echo "setup: fetching the Go toolchain $GO_TOOLCHAIN from the Go module proxy"
    GO_TMP=$(mktemp -d)
    curl -fsSL "$(go_proxy)/golang.org/toolchain/@v/v0.0.1-$GO_TOOLCHAIN.linux-$GO_ARCH.zip" \
      -o "$GO_TMP/go.zip"
    unzip -q "$GO_TMP/go.zip" -d "$GO_TMP"
    GO_UNPACKED=$(echo "$GO_TMP"/golang.org/toolchain@*)
    # Module zips need not keep file modes (the go command sets them the same way).
    chmod +x "$GO_UNPACKED"/bin/* "$GO_UNPACKED"/pkg/tool/*/*
    mkdir -p "$(dirname "$GO_DEST")"
    rm -rf "$GO_DEST"
    mv "$GO_UNPACKED" "$GO_DEST"
    rm -rf "$GO_TMP"
  fi
  ln -sf "$GO_DEST/bin/go" /usr/local/bin/go
  ln -sf "$GO_DEST/bin/gofmt" /usr/local/bin/gofmt
fi
echo "setup: Go ready ($(command -v go 2>/dev/null || echo /usr/local/go/bin/go))"

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

# The managed Python runtime (Runtime: python3.x): awslambdaric and boto3 from PyPI on Debian's
# python3, in /usr/local/lib/thaw/runtimes/python (scripts/setup-python-runtime.sh).
"$ROOT/scripts/setup-python-runtime.sh"
"$ROOT/scripts/setup-node-runtime.sh"  # nodejs*: node and aws-lambda-ric (docs/runtimes.md)
