#!/usr/bin/env bash
# The scaling curve of issue 15: fan-out at rooms 100 → 3,000, one prompt per room every 200 ms, for our server
# (log on and off) and every peer, each run a fresh process (bench.sh), then scaling.md (table, and where each
# server first loses a message or passes 50 ms p99) and two plots (scaling-p99.svg, scaling-cpu.svg).
#
#   load-tests/scaling.sh                                   # ~25 min on 2 cores with the defaults
#   ROOMS="100 1000 3000" TARGETS="improv-log-on bare" load-tests/scaling.sh
#
# Shorter windows than bench.sh's defaults (a curve of 40 runs): compare CPU per delivery with bench.sh's runs, whose
# 30 s warm-up lets the JIT finish. All traffic goes to 127.0.0.1; every run is bounded by bench.sh's RUN_LIMIT_S.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOMS=${ROOMS:-"100 250 500 1000 1500 2000 3000"}
PERIOD_MS=${PERIOD_MS:-200}
TARGETS=${TARGETS:-"improv-log-on improv-log-off bare socketio node-ws"}
OUT=${OUT:-$HERE/results/scaling-$(date -u +%Y%m%dT%H%M%SZ)}
cases=""
for r in $ROOMS; do cases="$cases ${r}x$PERIOD_MS"; done
TARGETS=$TARGETS SCENARIOS=fanout FANOUT_CASES=$cases WARMUP_S=${WARMUP_S:-15} MEASURE_S=${MEASURE_S:-10} OUT=$OUT \
  "$HERE/bench.sh"
java -cp "$HERE/target/improv-load.jar" dev.improv.load.ScalingCurve "$OUT" "$TARGETS"
echo "scaling: $OUT/scaling.md"
