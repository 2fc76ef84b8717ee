#!/usr/bin/env bash
# One-command load benchmark: our server (session log on and off), the bare relay, netty-socketio and a Node `ws`
# relay, each started fresh as its own process for every case, stopped by PID.
# Writes results/<timestamp>/report.md + report.json.
#
#   load-tests/bench.sh                              # everything with the defaults below
#   load-tests/bench.sh --targets "improv-log-off bare" --scenarios "fanout" --measure-s 10
#
# Every flag has an environment equivalent (TARGETS, SCENARIOS, MEASURE_S, ...). All traffic goes to 127.0.0.1.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
TARGETS=${TARGETS:-"improv-log-on improv-log-off bare bare-batch+2t socketio node-ws"}
SCENARIOS=${SCENARIOS:-"fanout signal marks idle join"}
FANOUT_CASES=${FANOUT_CASES:-"1000x200 100x100"}   # rooms x period-ms
SIGNAL_CASES=${SIGNAL_CASES:-"100x100"}
MARKS_CASES=${MARKS_CASES:-"100x100"}
IDLE_CONNS=${IDLE_CONNS:-19000}
IDLE_TARGETS=${IDLE_TARGETS:-"improv-log-on improv-log-off bare node-ws"}   # ours, the bare relay and Node's ws
JOIN_CONNS=${JOIN_CONNS:-3000}
JOIN_CONCURRENCY=${JOIN_CONCURRENCY:-"0 50"}  # joins in flight: 0 = all at once (the storm), N = closed loop of N
# 30 s, not 5: a JVM server keeps compiling long after the load starts (ours: a C2 thread at 20 % of a core 15 s in,
# 8 % at 45 s; the bare relay's small code is done sooner), and CPU per delivery measured too early charges that to
# every message. The report shows the JIT compiler's share of the measured interval next to each CPU figure.
WARMUP_S=${WARMUP_S:-30}
MEASURE_S=${MEASURE_S:-20}
HOLD_S=${HOLD_S:-10}
GEN_THREADS=${GEN_THREADS:-2}
SERVER_THREADS=${SERVER_THREADS:-0}          # 0 = each server's own default
BARE_PRESET=${BARE_PRESET:-naive}
FSYNC=${FSYNC:-BATCH}
PORT_BASE=${PORT_BASE:-18100}
SERVER_JAVA_OPTS=${SERVER_JAVA_OPTS:-"-Xmx2g"}
GEN_JAVA_OPTS=${GEN_JAVA_OPTS:-"-Xmx2g"}
RUN_LIMIT_S=${RUN_LIMIT_S:-240}              # hard limit of one generator run
OUT=${OUT:-}
NOTE=${NOTE:-"see the load average next to every result: other work on the machine during the run shows there"}

while [ $# -gt 0 ]; do
  case "$1" in
    --targets) TARGETS=$2 ;; --scenarios) SCENARIOS=$2 ;; --fanout-cases) FANOUT_CASES=$2 ;;
    --signal-cases) SIGNAL_CASES=$2 ;; --marks-cases) MARKS_CASES=$2 ;; --idle-conns) IDLE_CONNS=$2 ;;
    --idle-targets) IDLE_TARGETS=$2 ;; --join-conns) JOIN_CONNS=$2 ;; --join-concurrency) JOIN_CONCURRENCY=$2 ;; --warmup-s) WARMUP_S=$2 ;;
    --measure-s) MEASURE_S=$2 ;; --hold-s) HOLD_S=$2 ;; --gen-threads) GEN_THREADS=$2 ;;
    --server-threads) SERVER_THREADS=$2 ;; --bare-preset) BARE_PRESET=$2 ;; --fsync) FSYNC=$2 ;; --out) OUT=$2 ;;
    *) echo "unknown flag $1" >&2; exit 2 ;;
  esac
  shift 2
done

SERVER_JAR=$ROOT/server/target/improv-server.jar
# Another build of our server to compare with in the same run (targets base-log-on / base-log-off), e.g. the jar of
# the commit before a change: BASE_JAR=/tmp/improv-server-old.jar TARGETS="base-log-off improv-log-off bare" ...
BASE_JAR=${BASE_JAR:-}
LOAD_JAR=$HERE/target/improv-load.jar
if [ ! -f "$SERVER_JAR" ] || [ ! -f "$LOAD_JAR" ]; then
  (cd "$ROOT" && mvn -B -q -o -DskipTests install) || (cd "$ROOT" && mvn -B -q -DskipTests install)
fi

case " $TARGETS " in
  *" node-ws "*) "$HERE/peers-node/install.sh" ;;   # node + npm from Debian if missing, then npm ci (locked ws)
esac
NODE_VERSION=$(node --version 2>/dev/null || echo none)

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
DIR=${OUT:-$HERE/results/$STAMP}
mkdir -p "$DIR/runs"
DATA=$(mktemp -d /tmp/improv-bench.XXXXXX)
ADMIN_KEY=bench-admin-key
PORT=$PORT_BASE
SERVER_PID=

json_escape() { sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr '\n' ' ' ; }
{
  echo "{"
  echo "  \"nproc\": \"$(nproc)\","
  echo "  \"cpu\": \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | json_escape)\","
  echo "  \"memory\": \"$(grep MemTotal /proc/meminfo | json_escape)\","
  echo "  \"uptimeAtStart\": \"$(uptime | json_escape)\","
  echo "  \"kernel\": \"$(uname -srm | json_escape)\","
  echo "  \"java\": \"$(java -version 2>&1 | head -2 | json_escape)\","
  echo "  \"node\": \"$NODE_VERSION\","
  echo "  \"nofile\": \"$(ulimit -n)\","
  echo "  \"parameters\": \"targets=[$TARGETS] scenarios=[$SCENARIOS] fanout=[$FANOUT_CASES] signal=[$SIGNAL_CASES] marks=[$MARKS_CASES] idle=$IDLE_CONNS join=$JOIN_CONNS warmup=${WARMUP_S}s measure=${MEASURE_S}s gen-threads=$GEN_THREADS server-threads=$SERVER_THREADS bare-preset=$BARE_PRESET fsync=$FSYNC\","
  echo "  \"note\": \"$(echo "$NOTE" | json_escape)\""
  echo "}"
} > "$DIR/machine.json"

stop_target() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=
}
cleanup() { stop_target; rm -rf "$DATA"; }
trap cleanup EXIT

# Targets: improv-log-on, improv-log-off, bare (BARE_PRESET), bare-PRESET (see BareRelay.Options.parse, e.g.
# bare-batch+2t), socketio, socketio-Nt (N worker event loops), improv-log-on-Nt / improv-log-off-Nt (--io-threads N),
# node-ws (peers-node/relay.js: Node's ws, one thread, the bare relay's rooms; --server-threads does not apply).
# start_target NAME LOGFILE: starts it on a fresh port, sets SERVER_PID and PORT, waits until it answers.
start_target() {
  local name=$1 log=$2
  PORT=$((PORT + 1))
  local threads=()
  case "$name" in
    improv-log-on|improv-log-off|improv-log-on-*t|improv-log-off-*t|base-log-on|base-log-off)
      local log_flags=(--session-log --fsync "$FSYNC") jar=$SERVER_JAR
      case "$name" in *-log-off*) log_flags=(--no-session-log) ;; esac
      case "$name" in base-*) jar=$BASE_JAR; [ -f "$jar" ] || { echo "$name needs BASE_JAR" >&2; return 1; } ;; esac
      [ "$SERVER_THREADS" != 0 ] && threads=(--io-threads "$SERVER_THREADS")
      case "$name" in *-*t) local n=${name##*-}; threads=(--io-threads "${n%t}") ;; esac
      rm -rf "$DATA/server"
      # The generator opens up to ~19,000 connections from a few loopback addresses: per-address limits off.
      java $SERVER_JAVA_OPTS -jar "$jar" --host 127.0.0.1 --port "$PORT" --data-dir "$DATA/server" \
        --admin-key "$ADMIN_KEY" "${log_flags[@]}" "${threads[@]}" --max-messages-per-second 200 \
        --max-connections-per-address 0 --upgrades-per-second-per-address 0 --reconnects-per-minute 0 \
        > "$log" 2>&1 &
      ;;
    bare|bare-*)
      local preset=$BARE_PRESET
      [ "$name" != bare ] && preset=${name#bare-}
      [ "$SERVER_THREADS" != 0 ] && threads=(--io-threads "$SERVER_THREADS")
      java $SERVER_JAVA_OPTS -cp "$LOAD_JAR" dev.improv.load.peers.BareRelay --port "$PORT" --preset "$preset" \
        "${threads[@]}" > "$log" 2>&1 &
      ;;
    socketio|socketio-*t)
      [ "$SERVER_THREADS" != 0 ] && threads=(--io-threads "$SERVER_THREADS")
      [ "$name" != socketio ] && { threads=(--io-threads "${name#socketio-}"); threads[1]=${threads[1]%t}; }
      java $SERVER_JAVA_OPTS -cp "$LOAD_JAR" dev.improv.load.peers.SocketIoRoomServer --port "$PORT" \
        "${threads[@]}" > "$log" 2>&1 &
      ;;
    node-ws)
      # Node keeps the soft limit of open files it was given (the JVMs raise theirs): raise it for the idle case.
      (ulimit -n "$(ulimit -Hn)" 2>/dev/null || true; exec node "$HERE/peers-node/relay.js" --host 127.0.0.1 \
        --port "$PORT") > "$log" 2>&1 &
      ;;
    *) echo "unknown target $name" >&2; return 1 ;;
  esac
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
      sleep 0.5
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "$name died at start, see $log" >&2; return 1; }
    sleep 0.2
  done
  echo "$name did not listen within 20 s" >&2
  return 1
}

dialect_of() { case "$1" in improv*|base-*) echo improv ;; bare*|node-ws) echo bare ;; socketio*) echo socketio ;; *) echo "$1" ;; esac; }

# run_case TARGET CASE SCENARIO GENERATOR-FLAGS...
run_case() {
  local target=$1 case=$2 scenario=$3; shift 3
  local base="$DIR/runs/${case}__${target}"
  echo "== $case on $target ($(uptime | sed 's/.*load/load/'))"
  if ! start_target "$target" "$base.server.log"; then
    stop_target; return 0
  fi
  timeout --kill-after=10 "$RUN_LIMIT_S" java $GEN_JAVA_OPTS -jar "$LOAD_JAR" --target "$(dialect_of "$target")" \
    --label "$target" --case "$case" --scenario "$scenario" --port "$PORT" --admin-key "$ADMIN_KEY" \
    --server-pid "$SERVER_PID" --threads "$GEN_THREADS" --out "$base.json" "$@" > "$base.gen.log" 2>&1 \
    || echo "   generator failed or timed out, see $base.gen.log"
  stop_target
  if [ -f "$base.json" ]; then
    grep -E '"(lost|unexpected|joinFailures|rssPerConnKiB)"' "$base.json" | tr -d '\n ' ; echo
  fi
}

for scenario in $SCENARIOS; do
  case "$scenario" in
    fanout|signal|marks)
      var=$(echo "${scenario}_CASES" | tr a-z A-Z)
      for c in ${!var}; do
        rooms=${c%x*}; period=${c#*x}
        for t in $TARGETS; do
          run_case "$t" "$scenario-${rooms}x${period}ms" "$scenario" --rooms "$rooms" --period-ms "$period" \
            --warmup-s "$WARMUP_S" --measure-s "$MEASURE_S"
        done
      done ;;
    idle)
      for t in $TARGETS; do
        case " $IDLE_TARGETS " in *" $t "*) ;; *) continue ;; esac
        run_case "$t" "idle-$IDLE_CONNS" idle --connections "$IDLE_CONNS" --hold-s "$HOLD_S" \
          --connect-concurrency 500
      done ;;
    join)
      for c in $JOIN_CONCURRENCY; do
        name="join-$JOIN_CONNS-all-at-once"
        [ "$c" != 0 ] && name="join-$JOIN_CONNS-$c-in-flight"
        for t in $TARGETS; do
          run_case "$t" "$name" join --connections "$JOIN_CONNS" --join-concurrency "$c"
        done
      done ;;
    *) echo "unknown scenario $scenario" >&2 ;;
  esac
done

END_UPTIME=$(uptime | json_escape)
sed -i '$d' "$DIR/machine.json"
printf '  ,"uptimeAtEnd": "%s"\n}\n' "$END_UPTIME" >> "$DIR/machine.json"
java -cp "$LOAD_JAR" dev.improv.load.Report "$DIR" > /dev/null
echo "report: $DIR/report.md"
