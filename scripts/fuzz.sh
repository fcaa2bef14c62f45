#!/usr/bin/env bash
# The clang build and the fuzzers. Configures and builds build-clang/ with clang-14 (THAW_FUZZ=ON:
# every library with ASan+UBSan and libFuzzer's coverage hooks, the whole tree with
# -Wthread-safety -Werror), then runs each libFuzzer target in tests/fuzz for a fixed time from
# its seed corpus. Exits non-zero if the build fails or any target finds a crash, a leak, a
# timeout or undefined behaviour; the reproducer is kept in build-clang/fuzz-artifacts/NAME/.
#
#   scripts/fuzz.sh                  CI: 20 s per target (the whole stage stays under 5 minutes)
#   scripts/fuzz.sh --long [SECONDS] a longer run, niced: SECONDS per target (default 300)
#   scripts/fuzz.sh [--long N] NAME.. only these targets
#
# A long run's inputs grow in build-clang/fuzz-corpus/NAME (kept between runs, so long runs
# build on each other). The CI run starts from the seeds alone, in a fresh
# build-clang/fuzz-corpus-ci/NAME: libFuzzer replays a whole corpus before its time limit
# applies, and replaying a few thousand kept inputs took up to a minute per target on a loaded
# 2-core machine. The seeds in tests/fuzz/corpus/NAME are only read. Every run appends
# "date target seconds runs result" to build-clang/fuzz-artifacts/runs.tsv.
# Reproduce a crash: build-clang/fuzz/NAME_fuzz build-clang/fuzz-artifacts/NAME/crash-...
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export CCACHE_BASEDIR="$ROOT" CCACHE_NOHASHDIR=1
DIR=build-clang

# Every target in tests/fuzz (NAME_fuzz.cc, corpus/NAME/).
TARGETS=(
  http_request   # http::Server: request heads, Content-Length and chunked bodies, split anyhow
  control_api    # lambda: MatchRoute and every JSON decoder of the control plane's bodies
  invoke         # the Invoke operation's decoding: name, Qualifier, payload, client context
  logs           # CloudWatch Logs JSON 1.1 requests run against an in-memory logs database
  xray_segment   # X-Ray segment documents (PutTraceSegments) and the trace views built from them
  trace_header   # X-Amzn-Trace-Id
  gob            # go1.x responses: gob streams
  launcher_wire  # the launcher's kSpawn decoder (sys/launcher_protocol.h DecodeSpawn)
  zip            # deployment-package extraction (CodeStore::Put), nothing written outside
  sigv4          # SigV4 Authorization headers, presigned queries and the canonical request
  filter         # Lambda's event filtering: FilterCriteria patterns matched against records
  sqs_request    # SQS's JSON and query protocols: parse, run against a QueueStore, render
  sqs_attributes # SQS message attributes: parsing, validation, MD5OfMessageAttributes
  sns_request    # SNS's query protocol: parse, run against an SnsService and its store, render
  ddb_expression # DynamoDB expressions (condition, projection, key condition, update) and values
  kinesis_request # Kinesis's JSON 1.1 operations run against a StreamStore, answers rendered
  sam_template   # SAM template.yaml: yaml-cpp with short-form tags, parameters, conditions, plan
  schedule_expression # rate(), six-field cron() and at(), and their next run
  api_route      # HTTP fronts: route JSON and matching, payload 1.0/2.0 events and answers, CORS
  url_response   # a function URL's answer: HttpPrelude in pieces, MapStreamedResponse, UrlStreamSink
  url_event      # payload 2.0 events (BuildV2Event) from any request
  # TODO(event sources): one target per event-source parser (streams) as each lands.
)

# Extra libFuzzer flags per target. http_request's server keeps connection state between inputs
# by design, so libFuzzer's per-input leak check (malloc/free counts differ) would run a full
# LeakSanitizer pass on every input, ~50x slower; leaks are still checked when the run ends.
# filter's seeds are short; its length limit (4,096) and nesting limit need longer inputs at once.
declare -A FLAGS=([http_request]=-detect_leaks=0 [filter]=-max_len=8192)

SECONDS_EACH=20
NICE=()
CORPUS=$DIR/fuzz-corpus-ci
FRESH=1
if [ "${1:-}" = "--long" ]; then
  shift
  SECONDS_EACH=300
  CORPUS=$DIR/fuzz-corpus
  FRESH=0
  if [[ "${1:-}" =~ ^[0-9]+$ ]]; then SECONDS_EACH=$1; shift; fi
  NICE=(nice -n 19)
fi
if (($#)); then TARGETS=("$@"); fi

# BOOST_ASSERT goes to src/base/boost_assert.cc, which skips one wrong assertion of Boost 1.81's
# Beast (http_request found it; see there).
# -O1 and line tables only, as libFuzzer's docs advise: fast enough to fuzz, and a cold build
# of the instrumented tree is far shorter than at -O2 -g.
CC=clang-14 CXX=clang++-14 cmake -S . -B "$DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DBOOST_ENABLE_ASSERT_DEBUG_HANDLER" \
  -DTHAW_FUZZ=ON -DTHAW_TESTS=OFF -DTHAW_BENCH=OFF >/dev/null
# The fuzz targets (and only their libraries) first, then the rest of the tree, which is built
# here for the thread-safety analysis.
"${NICE[@]}" ninja -C "$DIR" fuzz_targets
"${NICE[@]}" ninja -C "$DIR"

ARTIFACTS=$DIR/fuzz-artifacts
mkdir -p "$ARTIFACTS"
failed=()
for t in "${TARGETS[@]}"; do
  bin=$DIR/fuzz/${t}_fuzz
  seeds=tests/fuzz/corpus/$t
  [ -x "$bin" ] && [ -d "$seeds" ] || { echo "fuzz: no target $t" >&2; exit 2; }
  if ((FRESH)); then rm -rf "${CORPUS:?}/$t"; fi
  mkdir -p "$CORPUS/$t" "$ARTIFACTS/$t"
  log=$ARTIFACTS/$t.log
  printf 'fuzz: %-14s %4d s ... ' "$t" "$SECONDS_EACH"
  rc=0
  "${NICE[@]}" "$bin" ${FLAGS[$t]:-} -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$ARTIFACTS/$t/" \
    "$CORPUS/$t" "$seeds" >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  result=ok
  if [ "$rc" != 0 ]; then
    result=crash
    failed+=("$t")
  fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "${took:-?}" "${runs:-?}" "$result" \
    >>"$ARTIFACTS/runs.tsv"
  echo "$result (${runs:-?} runs in ${took:-?} s)"
  if [ "$rc" != 0 ]; then
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -8 || true
    echo "fuzz: full log in $log; reproduce with $bin $ARTIFACTS/$t/<crash file>"
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: every target ran $SECONDS_EACH s without a crash"
