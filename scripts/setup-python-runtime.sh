#!/usr/bin/env bash
# Installs thaw's managed Python runtime tree (Runtime: python3.x), which thaw mounts read-only
# at /var/runtime in each sandbox (and runs in place with --no-sandbox):
#   $THAW_RUNTIMES_DIR/python   (default /usr/local/lib/thaw/runtimes/python)
#     bootstrap        runs bin/python3 -m awslambdaric "$_HANDLER", as AWS's python images do
#     bin/python3      a link to the host's interpreter (Debian's /usr/bin/python3)
#     awslambdaric/, boto3/, ...   AWS's Runtime Interface Client and the SDK, from PyPI
# Idempotent: re-running only reinstalls when the pinned versions or the interpreter changed.
set -euo pipefail

PYTHON=${PYTHON:-/usr/bin/python3}
TREE=${THAW_RUNTIMES_DIR:-/usr/local/lib/thaw/runtimes}/python
REQS=(awslambdaric==4.2.2 boto3==1.44.8)
STAMP="$("$PYTHON" -c 'import sys; print(sys.version)' | head -1) ${REQS[*]}"

if [ -f "$TREE/.stamp" ] && [ "$(cat "$TREE/.stamp")" = "$STAMP" ] && [ -x "$TREE/bootstrap" ]; then
  echo "setup-python-runtime: $TREE up to date"
  exit 0
fi
echo "setup-python-runtime: installing ${REQS[*]} into $TREE"
NEW="$TREE.new.$$"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK" "$NEW"' EXIT
# Debian's python3 has no pip without python3-pip: a throwaway venv brings its own.
"$PYTHON" -m venv "$WORK/venv"
# --only-binary: awslambdaric's sdist builds a C++ extension (needs cmake and autotools).
"$WORK/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-compile \
  --only-binary awslambdaric --target "$NEW" "${REQS[@]}"
# The interpreter the packages were installed for; its .pyc files, made once here (the tree is
# read-only in the sandbox).
mkdir -p "$NEW/bin"
ln -s "$(readlink -f "$PYTHON")" "$NEW/bin/python3"
"$PYTHON" -m compileall -q "$NEW" >/dev/null || true
cat >"$NEW/bootstrap" <<'BOOT'
#!/bin/sh
# thaw's managed Python runtime: AWS's Runtime Interface Client on the host's interpreter.
RUNTIME_DIR=${0%/*}
VER=@VER@  # the interpreter's major.minor, written by setup-python-runtime.sh
export PYTHONPATH="${LAMBDA_TASK_ROOT}:/opt/python/lib/python${VER}/site-packages:/opt/python${PYTHONPATH:+:$PYTHONPATH}:${RUNTIME_DIR}"
exec "$RUNTIME_DIR/bin/python3" -m awslambdaric "$_HANDLER"
BOOT
VER=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
sed -i "s/@VER@/$VER/" "$NEW/bootstrap"
chmod 0755 "$NEW/bootstrap"
echo "$STAMP" >"$NEW/.stamp"
chmod -R a+rX "$NEW"
mkdir -p "$(dirname "$TREE")"
rm -rf "$TREE.old"
[ -e "$TREE" ] && mv "$TREE" "$TREE.old"
mv "$NEW" "$TREE"
rm -rf "$TREE.old"
"$TREE/bin/python3" -c "import sys; sys.path.insert(0, '$TREE'); import awslambdaric, boto3"
echo "setup-python-runtime: ok ($TREE)"
