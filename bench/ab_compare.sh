#!/usr/bin/env bash
# Warm invoke p50 and cold start p50 of two thaw builds, each as a ratio to the loopback floor
# measured in the same round; rounds alternate which build goes first, so a noisy box moves both
# alike. Used to show that a refactor did not change speed (BENCHMARKS.md, "Before and after").
#   bench/ab_compare.sh BEFORE_THAW [ROUNDS]   (BEFORE_THAW: another build's thaw, with its
#                                               thaw-launcher beside it; after = build/thaw)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BEFORE=${1:?usage: bench/ab_compare.sh BEFORE_THAW [ROUNDS]}; ROUNDS=${2:-5}
N=${AB_WARM_N:-5000}; NC=${AB_COLD_N:-30}
GO=$(command -v go || echo /usr/local/go/bin/go)
OUTDIR=$(mktemp -d /tmp/thaw-ab-out.XXXXXX)
(cd bench && "$GO" build -o "$OUTDIR/" ./floor ./load ./cold)
[ -f build/examples/go/noop.zip ] || scripts/build-examples.sh >/dev/null
RES=$OUTDIR/results.jsonl; : >"$RES"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PA=$(free_port); PB=$(free_port)
SA=$(mktemp -d /tmp/thaw-ab.XXXXXX); SB=$(mktemp -d /tmp/thaw-ab.XXXXXX)
"$BEFORE" serve --listen 127.0.0.1:$PA --state-dir "$SA" 2>"$OUTDIR/before.log" &
A=$!
build/thaw serve --listen 127.0.0.1:$PB --state-dir "$SB" 2>"$OUTDIR/after.log" &
B=$!
trap 'kill $A $B 2>/dev/null; wait $A $B 2>/dev/null; rm -rf "$SA" "$SB"' EXIT
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_DEFAULT_REGION=us-east-1
for P in $PA $PB; do
  for _ in $(seq 100); do
    /usr/bin/aws --endpoint-url http://127.0.0.1:$P lambda list-functions >/dev/null 2>&1 && break
    sleep 0.1
  done
  for fn in noop noop_cold; do
    /usr/bin/aws --endpoint-url http://127.0.0.1:$P --no-cli-pager lambda create-function \
      --function-name $fn --runtime provided.al2023 --handler bootstrap --memory-size 1769 \
      --timeout 60 --role arn:aws:iam::000000000000:role/r \
      --zip-file fileb://build/examples/go/noop.zip >/dev/null
  done
done
echo "machine: $(nproc) vCPU, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
for round in $(seq "$ROUNDS"); do
  "$OUTDIR/floor" -mode=chain -n "$N" -c 1 -name "floor_r$round" >>"$RES"
  sides=(before after); [ $((round % 2)) = 0 ] && sides=(after before)
  for side in "${sides[@]}"; do
    P=$PA; [ "$side" = after ] && P=$PB
    "$OUTDIR/load" -endpoint http://127.0.0.1:$P -function noop -n "$N" -c 1 \
      -name "warm_${side}_r$round" >>"$RES"
    "$OUTDIR/cold" -endpoint http://127.0.0.1:$P -function noop_cold -n "$NC" \
      -name "cold_${side}_r$round" >>"$RES"
  done
done
echo "results: $RES" >&2
python3 - "$RES" "$ROUNDS" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("{"):
        r = json.loads(line)
        rows[r["name"]] = r
rounds = int(sys.argv[2])
ratio = {}
for kind in ("warm", "cold"):
    for side in ("before", "after"):
        ratio[(kind, side)] = [rows[f"{kind}_{side}_r{i}"]["p50_us"] / rows[f"floor_r{i}"]["p50_us"]
                               for i in range(1, rounds + 1)]
floor = statistics.median(rows[f"floor_r{i}"]["p50_us"] for i in range(1, rounds + 1))
print(f"floor p50 (median of rounds): {floor:.0f} us")
# Each round's after/before pairs two runs a minute apart; its median is what a noisy box moves
# least (the medians of each side's ratios can each land on a different bad round).
print(f"{'':<6}{'before p50/floor':>18}{'after p50/floor':>18}{'after/before (paired)':>24}"
      f"{'rounds':>16}")
for kind in ("warm", "cold"):
    b = statistics.median(ratio[(kind, "before")])
    a = statistics.median(ratio[(kind, "after")])
    pairs = [x / y for x, y in zip(ratio[(kind, "after")], ratio[(kind, "before")])]
    span = f"{min(pairs):.2f}-{max(pairs):.2f}"
    print(f"{kind:<6}{b:>18.2f}{a:>18.2f}{statistics.median(pairs):>24.3f}{span:>16}")
PY
