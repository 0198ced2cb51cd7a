#!/usr/bin/env bash
# Load test of the DMS for RocketMQ facade with wrk, on 127.0.0.1 only.
#
#   bench/load/dms_load.sh [DURATION_S] [THREADS] [CONNECTIONS] [MESSAGES]
#
# Starts a release rewindmq on a free port with a temporary data directory,
# creates a 16-queue topic and a consumer group, preloads MESSAGES messages
# (default 1000000; one per request, pipelined over PRELOAD_CONNECTIONS
# connections), then runs wrk for DURATION_S seconds (default 15) with
# THREADS threads (default 2) and CONNECTIONS connections (default 32) on:
#   send   POST .../messages                                  (dms_send.lua)
#   reset  POST .../groups/{group}/reset-message-offset with a random
#          timestamp within the preloaded data                (dms_reset.lua)
# and prints requests/s and p50/p90/p99 latency per scenario. The server is
# stopped (SIGTERM by PID, then SIGKILL) and its data removed on exit.
#
# Environment:
#   REWINDMQ_BINARY      binary to test (default: build the release binary
#                        in ${BUILD_ROOT:-build}/release)
#   PRELOAD_CONNECTIONS  loader connections (default 4)
#   SERVER_ARGS          extra rewindmq flags, e.g. "--durability never"
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
HERE=$ROOT/bench/load

DURATION=${1:-15}
THREADS=${2:-2}
CONNECTIONS=${3:-32}
MESSAGES=${4:-1000000}
PRELOAD_CONNECTIONS=${PRELOAD_CONNECTIONS:-4}
INSTANCE=00000000-0000-4000-8000-000000000001
TOPIC=bench
GROUP=bench-group
QUEUES=16
START_TIMEOUT_S=30
STOP_TIMEOUT_S=30

for n in "$DURATION" "$THREADS" "$CONNECTIONS" "$MESSAGES" "$PRELOAD_CONNECTIONS"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || {
    echo "usage: $0 [DURATION_S] [THREADS] [CONNECTIONS] [MESSAGES] (positive integers)" >&2
    exit 2
  }
done

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
command -v python3 >/dev/null || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

if [ -z "${REWINDMQ_BINARY:-}" ]; then
  build=${BUILD_ROOT:-$ROOT/build}/release
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  echo "== building rewindmq (Release) in $build"
  cmake -S "$ROOT" -B "$build" -G Ninja "${launcher[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" --target rewindmq
  REWINDMQ_BINARY=$build/broker/server/rewindmq
fi
[ -x "$REWINDMQ_BINARY" ] || { echo "not an executable: $REWINDMQ_BINARY" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rewindmq-dms-load.XXXXXX")
PID=

cleanup() {
  local rc=$?
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq $((STOP_TIMEOUT_S * 10))); do
      kill -0 "$PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$PID" 2>/dev/null; then
      echo "rewindmq (pid $PID) still running after ${STOP_TIMEOUT_S}s: SIGKILL" >&2
      kill -KILL "$PID" 2>/dev/null || true
    fi
    wait "$PID" 2>/dev/null || true
  fi
  if [ $rc -ne 0 ] && [ -s "$WORK/stderr" ]; then
    echo "== rewindmq stderr (last lines)" >&2
    tail -n 20 "$WORK/stderr" >&2
  fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck disable=SC2086
"$REWINDMQ_BINARY" --listen 127.0.0.1:0 --remoting-listen 127.0.0.1:0 --data-dir "$WORK/data" --log-level warning \
  ${SERVER_ARGS:-} >"$WORK/stdout" 2>"$WORK/stderr" &
PID=$!

PORT=
for _ in $(seq $((START_TIMEOUT_S * 10))); do
  PORT=$(sed -n 's/^rewindmq listening on 127\.0\.0\.1:\([0-9]*\), data in .*$/\1/p' "$WORK/stdout")
  [ -n "$PORT" ] && break
  kill -0 "$PID" 2>/dev/null || { echo "rewindmq exited during startup" >&2; exit 1; }
  sleep 0.1
done
[ -n "$PORT" ] || { echo "no startup line within ${START_TIMEOUT_S}s" >&2; exit 1; }
for i in $(seq $((START_TIMEOUT_S * 10))); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
  [ "$i" -lt $((START_TIMEOUT_S * 10)) ] || { echo "/healthz not ready" >&2; exit 1; }
  sleep 0.1
done

BASE=http://127.0.0.1:$PORT/v2/local/instances/$INSTANCE
ENGINE_BASE=http://127.0.0.1:$PORT/v2/reliability/local/instances/$INSTANCE
post() {
  curl -sS --max-time 30 --fail-with-body -X POST -H 'Content-Type: application/json' \
    -d "$2" "$1"
  echo
}

echo "== rewindmq $REWINDMQ_BINARY on 127.0.0.1:$PORT (pid $PID)"
post "$BASE/topics" "{\"name\":\"$TOPIC\",\"queue_num\":$QUEUES}"
post "$BASE/groups" "{\"name\":\"$GROUP\"}"

echo "== preloading $MESSAGES messages over $PRELOAD_CONNECTIONS connections"
preload=$(timeout 1800 python3 "$HERE/dms_preload.py" --port "$PORT" --topic "$TOPIC" \
  --messages "$MESSAGES" --connections "$PRELOAD_CONNECTIONS")
echo "$preload"
read -r FIRST_MS LAST_MS PRELOAD_S < <(python3 -c '
import json, sys
p = json.loads(sys.argv[1])
print(p["first_ms"], p["last_ms"], p["seconds"])' "$preload")
stored=$(curl -sS --max-time 30 "$BASE/topics/$TOPIC/status" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["max_offset"])')
[ "$stored" -eq "$MESSAGES" ] || { echo "topic holds $stored messages, expected $MESSAGES" >&2; exit 1; }
echo "topic $TOPIC: $stored messages in $QUEUES queues, stored between $FIRST_MS and $LAST_MS ms"

results=()
run_wrk() {
  local name=$1 script=$2 url=$3
  shift 3
  echo "== wrk $name: ${DURATION}s, $THREADS threads, $CONNECTIONS connections"
  local out
  out=$(wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --timeout 10s \
    -s "$HERE/$script" "$url" -- "$@")
  echo "$out"
  local line
  line=$(grep '^RESULT ' <<<"$out") || { echo "wrk printed no RESULT line" >&2; exit 1; }
  results+=("$line")
}

run_wrk send dms_send.lua "$ENGINE_BASE/messages" "$TOPIC"
run_wrk reset dms_reset.lua "$ENGINE_BASE/groups/$GROUP/reset-message-offset" \
  "$TOPIC" "$FIRST_MS" "$LAST_MS"

# The group must now sit somewhere inside the topic (a reset really ran).
curl -sS --max-time 30 "$BASE/groups/$GROUP/topics?topic=$TOPIC" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("after the reset run: group consumer_offset %d of max_offset %d, lag %d"
      % (d["consumer_offset"], d["max_offset"], d["lag"]))'

echo
echo "== results: $MESSAGES messages preloaded in ${PRELOAD_S}s;" \
  "wrk ${DURATION}s, $THREADS threads, $CONNECTIONS connections; $(nproc) cores"
echo "load: $(uptime)"
printf '%-8s %10s %10s %9s %9s %9s %8s\n' scenario requests "req/s" "p50 ms" "p90 ms" "p99 ms" errors
for line in "${results[@]}"; do
  read -r _ name requests _ rps p50 p90 p99 errors <<<"$line"
  printf '%-8s %10s %10s %9s %9s %9s %8s\n' "$name" "$requests" "$rps" "$p50" "$p90" "$p99" "$errors"
done
