#!/usr/bin/env bash
# Interleaved rounds of the fan-out case against several write strategies of the bare relay, netty-socketio and
# our server, then medians per target (a shared, noisy machine needs repeats more than long runs).
#   load-tests/experiments/relay-variants.sh [ROUNDS] [OUT-DIR]
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${1:-3}
OUT=${2:-$HERE/results/variants-$(date -u +%Y%m%dT%H%M%SZ)}
VARIANT_TARGETS=${VARIANT_TARGETS:-"bare bare-2t bare-batch+2t bare-consolidate+2t socketio socketio-2t improv-log-off improv-log-off-2t"}
CASE=${CASE:-1000x200}
mkdir -p "$OUT"
dirs=()
for r in $(seq 1 "$ROUNDS"); do
  TARGETS=$VARIANT_TARGETS SCENARIOS=fanout FANOUT_CASES=$CASE WARMUP_S=${WARMUP_S:-5} MEASURE_S=${MEASURE_S:-10} \
    "$HERE/bench.sh" --out "$OUT/round-$r"
  dirs+=("$OUT/round-$r")
done
java -cp "$HERE/target/improv-load.jar" dev.improv.load.Compare "${dirs[@]}" | tee "$OUT/medians.md"
