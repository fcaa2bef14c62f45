#!/usr/bin/env bash
# Builds the example functions into deployable zips:
#   build/examples/go/<name>/bootstrap, build/examples/go/<name>.zip
#   build/examples/go/recurse.zip  (examples/functions/go/sdk: functions using the AWS SDK)
#   build/examples/go/stress-<name>.zip  (examples/functions/go/stress/<name>, for `thaw stress`)
#   build/examples/python/echo.zip  (app.py + bootstrap that runs $THAW_PYTHON -m awslambdaric)
#   build/examples/layers/<name>.zip  (layers: extensions/<name> for each Go extension under
#                                      examples/functions/go/extensions, and examples/layers/*)
# Safe to re-run; Go's build cache keeps repeat runs quick.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

GO=$(command -v go || true)
[ -n "$GO" ] || GO=/usr/local/go/bin/go
[ -x "$GO" ] || { echo "build-examples: no Go toolchain (go on PATH or /usr/local/go/bin/go)" >&2; exit 1; }

# Not resolved through symlinks: the venv's python must keep its venv.
THAW_PYTHON=${THAW_PYTHON:-$ROOT/.venv/bin/python}
case "$THAW_PYTHON" in /*) ;; *) THAW_PYTHON=$ROOT/$THAW_PYTHON ;; esac
[ -x "$THAW_PYTHON" ] || echo "build-examples: warning: $THAW_PYTHON not found (run scripts/setup-test-env.sh)" >&2

PY=$(command -v python3 || echo /usr/bin/python3)
SRC=examples/functions/go
OUT=build/examples/go
mkdir -p "$OUT" build/examples/python

# zip_files OUT.zip NAME=PATH...: fixed timestamps so unchanged code keeps the same CodeSha256.
zip_files() {
    "$PY" - "$@" <<'PY'
import os, sys, zipfile
out, entries = sys.argv[1], sys.argv[2:]
tmp = out + ".tmp"
with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
    for e in entries:
        name, path = e.split("=", 1)
        info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
        info.create_system = 3  # unix, so external_attr carries the mode
        mode = 0o755 if os.access(path, os.X_OK) else 0o644
        info.external_attr = (0o100000 | mode) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(path, "rb") as f:
            z.writestr(info, f.read())
os.replace(tmp, out)
PY
}

# One go build for all packages: it links them in parallel, much faster than one per package.
# A private staging dir, so two builds at once do not trip over each other.
mkdir -p build/examples
STAGE=$(mktemp -d build/examples/.go-stage.XXXXXX)
# The stress suite (stress/<name>) builds apart, as stress-<name>: its names repeat top-level ones.
gobuild() { CGO_ENABLED=0 GOOS=linux "$GO" build -tags lambda.norpc -trimpath -ldflags=-s "$@"; }
(cd "$SRC" && gobuild -o "$ROOT/$STAGE/" $("$GO" list ./... | grep -v -e '/stress/' -e '/mech/' -e '/extensions/') &&
    gobuild -o "$ROOT/$STAGE/stress/" ./stress/...)
for bin in "$STAGE"/stress/*; do mv "$bin" "$STAGE/stress-$(basename "$bin")"; done
rmdir "$STAGE/stress"
names=()
for bin in "$STAGE"/*; do
    name=$(basename "$bin")
    names+=("$name")
    mkdir -p "$OUT/$name"
    # Re-zip only when the binary changed; zipping is the slow part of a rebuild.
    if cmp -s "$bin" "$OUT/$name/bootstrap" && [ -f "$OUT/$name.zip" ]; then
        continue
    fi
    mv -f "$bin" "$OUT/$name/bootstrap"
    zip_files "$OUT/$name.zip" "bootstrap=$OUT/$name/bootstrap"
done
rm -rf "$STAGE"
echo "build-examples: go: ${names[*]} -> $OUT"

# The mechanisms (docs/mechanisms.md): one handler (mech/logic) under each, zipped as
# build/examples/go/mech-<mechanism>.zip with the file its Handler names.
MECH=build/examples/go/mech
mkdir -p "$MECH"
(cd "$SRC" &&
    gobuild -o "$ROOT/$MECH/runtime-api" ./mech/runtimeapi &&
    gobuild -o "$ROOT/$MECH/spawn" ./mech/spawn &&
    gobuild -o "$ROOT/$MECH/http-sidecar" ./mech/sidecar &&
    # go1.x: the same aws-lambda-go main, built without lambda.norpc so it serves net/rpc.
    CGO_ENABLED=0 GOOS=linux "$GO" build -trimpath -ldflags=-s -o "$ROOT/$MECH/go1.x" ./mech/runtimeapi &&
    # shim: a c-shared library loaded by thaw-host (docs/shim-abi.md); cgo needs gcc.
    CGO_ENABLED=1 GOOS=linux "$GO" build -buildmode=c-shared -tags lambda.norpc -trimpath \
        -ldflags=-s -o "$ROOT/$MECH/shim.so" ./mech/shim)
rm -f "$MECH/shim.h"
zip_files "$OUT/mech-runtime-api.zip" "bootstrap=$MECH/runtime-api"
zip_files "$OUT/mech-go1.x.zip" "handler=$MECH/go1.x"
zip_files "$OUT/mech-spawn.zip" "handler=$MECH/spawn"
zip_files "$OUT/mech-http-sidecar.zip" "handler=$MECH/http-sidecar"
zip_files "$OUT/mech-shim.zip" "handler.so=$MECH/shim.so"
echo "build-examples: mechanisms: runtime-api go1.x spawn http-sidecar shim -> $OUT/mech-*.zip"
# The same handler in the managed runtimes, for `thaw compare --languages`.
zip_files "$OUT/lang-python.zip" "app.py=examples/functions/python/logic/app.py"
zip_files "$OUT/lang-nodejs.zip" "index.js=examples/functions/nodejs/logic/index.js"
echo "build-examples: languages: python nodejs -> $OUT/lang-*.zip"
zip_files "$OUT/stress-python.zip" "app.py=examples/functions/python/stress/app.py"
zip_files "$OUT/stress-nodejs.zip" "index.js=examples/functions/nodejs/stress/index.js"
echo "build-examples: stress: python nodejs -> $OUT/stress-{python,nodejs}.zip"

# The latency experiment (docs/latency.md): its own Go module (it needs the AWS SDK), zipped as
# latency-a.zip and latency-b.zip; latency-host is a plain binary `thaw latency` runs in a
# network namespace.
LAT=build/examples/.latency
mkdir -p "$LAT"
(cd "$SRC/latency" &&
    gobuild -o "$ROOT/$LAT/" ./latency-a ./latency-b &&
    CGO_ENABLED=0 "$GO" build -trimpath -ldflags=-s -o "$ROOT/$OUT/latency-host" ./latency-host)
for name in latency-a latency-b; do
    if ! cmp -s "$LAT/$name" "$OUT/$name/bootstrap" || [ ! -f "$OUT/$name.zip" ]; then
        mkdir -p "$OUT/$name"
        cp -f "$LAT/$name" "$OUT/$name/bootstrap"
        zip_files "$OUT/$name.zip" "bootstrap=$OUT/$name/bootstrap"
    fi
done
echo "build-examples: latency: latency-a latency-b latency-host -> $OUT"

# Functions that call AWS through the AWS SDK for Go v2: their own module, like latency's.
SDK=build/examples/.sdk
mkdir -p "$SDK"
(cd "$SRC/sdk" && gobuild -o "$ROOT/$SDK/" ./recurse)
for name in recurse; do
    if ! cmp -s "$SDK/$name" "$OUT/$name/bootstrap" || [ ! -f "$OUT/$name.zip" ]; then
        mkdir -p "$OUT/$name"
        cp -f "$SDK/$name" "$OUT/$name/bootstrap"
        zip_files "$OUT/$name.zip" "bootstrap=$OUT/$name/bootstrap"
    fi
done
echo "build-examples: sdk: recurse -> $OUT"

# Layers: each external extension as extensions/<name> (Lambda starts what it finds there), and
# each folder of examples/layers zipped as it is.
LAYERS=build/examples/layers
mkdir -p "$LAYERS/bin"
(cd "$SRC" && gobuild -o "$ROOT/$LAYERS/bin/" ./extensions/...)
layer_names=()
for bin in "$LAYERS"/bin/*; do
    name=$(basename "$bin")
    layer_names+=("$name")
    zip_files "$LAYERS/$name.zip" "extensions/$name=$bin"
done
for dir in examples/layers/*/; do
    name=$(basename "$dir")
    entries=()
    while IFS= read -r f; do entries+=("${f#$dir}=$f"); done < <(find "$dir" -type f | sort)
    zip_files "$LAYERS/$name.zip" "${entries[@]}"
    layer_names+=("$name")
done
echo "build-examples: layers: ${layer_names[*]} -> $LAYERS"

PYSRC=examples/functions/python/echo
PYOUT=build/examples/python/echo
rm -rf "$PYOUT"; mkdir -p "$PYOUT"
cp "$PYSRC/app.py" "$PYOUT/app.py"
# A custom runtime carries its own packages, as on Lambda: awslambdaric and its dependencies are
# copied from the test venv into the zip, and the venv's base interpreter (a host path, visible
# read-only inside a sandbox, unlike a checkout that may live under /tmp) runs them.
PYBASE=$(readlink -f "$THAW_PYTHON" 2>/dev/null || echo /usr/bin/python3)
SITE=$("$THAW_PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' 2>/dev/null || true)
if [ -n "$SITE" ] && [ -d "$SITE/awslambdaric" ]; then
    for pkg in awslambdaric simplejson snapshot_restore_py.py runtime_client.cpython-*.so; do
        for match in "$SITE"/$pkg; do [ -e "$match" ] && cp -r "$match" "$PYOUT/"; done
    done
    find "$PYOUT" -name __pycache__ -prune -exec rm -rf {} +
fi
sed "s|@PYTHON@|$PYBASE|g" "$PYSRC/bootstrap.in" > "$PYOUT/bootstrap"
chmod 0755 "$PYOUT/bootstrap"
entries=()
while IFS= read -r f; do entries+=("${f#$PYOUT/}=$f"); done < <(find "$PYOUT" -type f | sort)
zip_files build/examples/python/echo.zip "${entries[@]}"
echo "build-examples: python: echo (python $PYBASE, awslambdaric vendored) -> build/examples/python/echo.zip"
