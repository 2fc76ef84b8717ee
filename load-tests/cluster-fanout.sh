#!/usr/bin/env bash
# Issue 16's fan-out across a cluster: 3 NATS servers (one JetStream cluster), 2 server nodes in cluster mode, the
# fan-out flow with rooms created on both nodes and every room's members spread over both (ClusterFanout), then the
# same flow against one node (session log on) in the same run for the comparison. Everything on 127.0.0.1, on free
# ports, every process stopped by PID. Writes DIR/cluster.json, DIR/single.json and prints both with the load
# average. The peers' figures come from load-tests/bench.sh (same cases).
#
#   load-tests/cluster-fanout.sh                           # 1000 rooms x 200 ms, 30 s warm-up, 20 s measured
#   ROOMS=200 WARMUP_S=5 MEASURE_S=10 load-tests/cluster-fanout.sh
#
# Needs nats-server (scripts/install-test-deps.sh) and the jars (mvn -B -o -DskipTests package).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
ROOMS=${ROOMS:-1000}
PERIOD_MS=${PERIOD_MS:-200}
WARMUP_S=${WARMUP_S:-30}
MEASURE_S=${MEASURE_S:-20}
GEN_THREADS=${GEN_THREADS:-2}
SERVER_JAVA_OPTS=${SERVER_JAVA_OPTS:-"-Xmx1g"}
GEN_JAVA_OPTS=${GEN_JAVA_OPTS:-"-Xmx2g"}
RUN_LIMIT_S=${RUN_LIMIT_S:-240}
SINGLE=${SINGLE:-1}                       # 0: skip the single-node comparison
SERVER_JAR=$ROOT/server/target/improv-server.jar
LOAD_JAR=$HERE/target/improv-load.jar
for jar in "$SERVER_JAR" "$LOAD_JAR"; do
  [ -f "$jar" ] || { echo "missing $jar: mvn -B -o -DskipTests package" >&2; exit 2; }
done
command -v nats-server > /dev/null || { echo "nats-server missing: scripts/install-test-deps.sh" >&2; exit 2; }

DIR=${OUT:-$HERE/results/cluster-$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$DIR"
DATA=$(mktemp -d /tmp/improv-cluster-bench.XXXXXX)
ADMIN_KEY=bench-admin-key
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$DATA"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
await_port() {
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { echo "process $2 died, see $3" >&2; return 1; }
    sleep 0.2
  done
  echo "nothing listens on $1 after 60 s, see $3" >&2; return 1
}

# 3 NATS servers, JetStream on, one cluster
NATS_PORTS=(); ROUTE_PORTS=(); NATS_PIDS=()
for i in 0 1 2; do NATS_PORTS+=("$(free_port)"); ROUTE_PORTS+=("$(free_port)"); done
ROUTES=$(printf 'nats://127.0.0.1:%s,' "${ROUTE_PORTS[@]}"); ROUTES=${ROUTES%,}
TAG=bench$$
for i in 0 1 2; do
  mkdir -p "$DATA/nats$i"
  nats-server -js -sd "$DATA/nats$i" -a 127.0.0.1 -p "${NATS_PORTS[$i]}" -n "$TAG-n$i" --cluster_name "$TAG" \
    --cluster "nats://127.0.0.1:${ROUTE_PORTS[$i]}" --routes "$ROUTES" > "$DIR/nats$i.log" 2>&1 &
  NATS_PIDS+=("$!"); PIDS+=("$!")
done
URLS=$(printf 'nats://127.0.0.1:%s,' "${NATS_PORTS[@]}"); URLS=${URLS%,}
head -c 32 /dev/urandom | base64 > "$DATA/token-secret"; chmod 600 "$DATA/token-secret"

# The generator opens thousands of connections from a few loopback addresses: per-address limits off (as bench.sh).
server_flags() {
  echo --host 127.0.0.1 --port "$1" --data-dir "$2" --admin-key "$ADMIN_KEY" --max-messages-per-second 200 \
    --max-connections-per-address 0 --upgrades-per-second-per-address 0 --reconnects-per-minute 0 \
    --token-secret-file "$DATA/token-secret"
}

# 2 nodes in cluster mode (each waits for JetStream by itself)
NODE_PORTS=(); NODE_PIDS=()
for n in a b; do
  port=$(free_port)
  # shellcheck disable=SC2046
  java $SERVER_JAVA_OPTS -jar "$SERVER_JAR" $(server_flags "$port" "$DATA/node-$n") --no-session-log \
    --cluster "$URLS" --cluster-node "$TAG-$n" > "$DIR/node-$n.log" 2>&1 &
  NODE_PIDS+=("$!"); PIDS+=("$!"); NODE_PORTS+=("$port")
done
for i in 0 1; do await_port "${NODE_PORTS[$i]}" "${NODE_PIDS[$i]}" "$DIR/node-$i.log"; done
sleep 2 # heartbeats: each node hears of the other before the first relayed join

echo "== cluster fan-out ${ROOMS}x${PERIOD_MS}ms on 2 nodes ($(cut -d' ' -f1-3 /proc/loadavg))"
join_csv() { local IFS=,; echo "$*"; }
timeout --kill-after=10 "$RUN_LIMIT_S" java $GEN_JAVA_OPTS -cp "$LOAD_JAR" dev.improv.load.ClusterFanout \
  --ports "$(join_csv "${NODE_PORTS[@]}")" --server-pids "$(join_csv "${NODE_PIDS[@]}")" \
  --other-pids "$(join_csv "${NATS_PIDS[@]}")" --admin-key "$ADMIN_KEY" --rooms "$ROOMS" --period-ms "$PERIOD_MS" \
  --warmup-s "$WARMUP_S" --measure-s "$MEASURE_S" --threads "$GEN_THREADS" --out "$DIR/cluster.json" \
  > "$DIR/cluster.gen.log" 2>&1 || echo "   generator failed or timed out, see $DIR/cluster.gen.log"
for pid in "${NODE_PIDS[@]}" "${NATS_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done

if [ "$SINGLE" = 1 ]; then
  port=$(free_port)
  # shellcheck disable=SC2046
  java $SERVER_JAVA_OPTS -jar "$SERVER_JAR" $(server_flags "$port" "$DATA/single") --session-log --fsync BATCH \
    > "$DIR/single.log" 2>&1 &
  SINGLE_PID=$!; PIDS+=("$SINGLE_PID")
  await_port "$port" "$SINGLE_PID" "$DIR/single.log"
  echo "== single-node fan-out ${ROOMS}x${PERIOD_MS}ms, session log on ($(cut -d' ' -f1-3 /proc/loadavg))"
  timeout --kill-after=10 "$RUN_LIMIT_S" java $GEN_JAVA_OPTS -jar "$LOAD_JAR" --target improv --label improv-log-on \
    --scenario fanout --case "fanout-${ROOMS}x${PERIOD_MS}ms" --port "$port" --admin-key "$ADMIN_KEY" \
    --server-pid "$SINGLE_PID" --threads "$GEN_THREADS" --rooms "$ROOMS" --period-ms "$PERIOD_MS" \
    --warmup-s "$WARMUP_S" --measure-s "$MEASURE_S" --out "$DIR/single.json" > "$DIR/single.gen.log" 2>&1 \
    || echo "   generator failed or timed out, see $DIR/single.gen.log"
  kill -9 "$SINGLE_PID" 2>/dev/null || true; wait "$SINGLE_PID" 2>/dev/null || true
fi

for f in cluster single; do
  [ -f "$DIR/$f.json" ] || continue
  python3 - "$DIR/$f.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
l = r.get("latencyCorrected", {})
c = r.get("cpu", {})
print(f'{r["target"]:>22}: (corrected) p50 {l.get("p50")} / p99 {l.get("p99")} / p99.9 {l.get("p999")} ms, lost {r.get("lost")}, '
      f'CPU per delivery: first node {c.get("serverCpuMicrosPerDelivery")} us, whole cluster (nodes + NATS) '
      f'{c.get("clusterCpuMicrosPerDelivery", "-")} us; load {r.get("loadAvgStart")} -> {r.get("loadAvgEnd")}')
PY
done
echo "results: $DIR"
