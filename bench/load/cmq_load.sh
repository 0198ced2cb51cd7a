#!/usr/bin/env bash
# Load benchmark of the CMQ facade with wrk.
#
# Starts a rewindmq on 127.0.0.1 (free port, temporary data directory),
# preloads one queue with --messages messages (BatchSendMessage, 16 per
# request, cmq_loader.py), then runs wrk for a fixed duration per scenario:
#
#   SendMessage                    cmq_send.lua
#   BatchSendMessage, 16 a request cmq_batch_send.lua
#   ReceiveMessage+DeleteMessage   cmq_receive_delete.lua
#   RewindQueue                    cmq_rewind.lua
#
# and prints requests/s and latency percentiles per scenario. The server is
# stopped by PID on exit, and its data directory removed.
#
#   bench/load/cmq_load.sh --binary build-release/broker/server/rewindmq \
#       --duration 15s --threads 2 --connections 32 --messages 1000000
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

binary="${REWINDMQ_BINARY:-$repo/build/broker/server/rewindmq}"
duration=15s
threads=2
connections=32
messages=1000000
msg_size=128
rewind_seconds=3600
loader_threads=4
log_level=warning
server_flags=()

usage() {
  cat <<EOF
usage: $0 [options]
  --binary PATH        rewindmq binary, a Release build (default: \$REWINDMQ_BINARY
                       or $repo/build/broker/server/rewindmq)
  --duration D         wrk duration per scenario (default $duration)
  --threads N          wrk threads (default $threads)
  --connections N      wrk connections (default $connections)
  --messages N         messages preloaded into the queue (default $messages)
  --msg-size BYTES     body size of preloaded and sent messages (default $msg_size)
  --rewind-seconds S   the queue's rewindSeconds; RewindQueue times are drawn
                       from [now - S + 2, now] (default $rewind_seconds)
  --loader-threads N   connections of the preloader (default $loader_threads)
  --log-level LEVEL    server log level (default $log_level: no line per request)
  --server-flag FLAG   extra flag for rewindmq, repeatable (e.g. --server-flag
                       --durability=always)
EOF
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --messages) messages="$2"; shift 2 ;;
    --msg-size) msg_size="$2"; shift 2 ;;
    --rewind-seconds) rewind_seconds="$2"; shift 2 ;;
    --loader-threads) loader_threads="$2"; shift 2 ;;
    --log-level) log_level="$2"; shift 2 ;;
    --server-flag) server_flags+=("$2"); shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 not found" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl not found" >&2; exit 1; }
[[ -x "$binary" ]] || { echo "not an executable: $binary" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/cmq-load-XXXXXX")"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    for _ in $(seq 1 300); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$server_pid" 2>/dev/null && kill -KILL "$server_pid"
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$binary" --listen 127.0.0.1:0 --remoting-listen 127.0.0.1:0 --data-dir "$work/data" --log-level "$log_level" \
  "${server_flags[@]}" >"$work/stdout" 2>"$work/stderr" &
server_pid=$!

port=""
for _ in $(seq 1 300); do
  line="$(head -n1 "$work/stdout" 2>/dev/null || true)"
  if [[ "$line" =~ ^rewindmq\ listening\ on\ 127\.0\.0\.1:([0-9]+), ]]; then
    port="${BASH_REMATCH[1]}"
    break
  fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [[ -z "$port" ]]; then
  echo "rewindmq did not start:" >&2
  cat "$work/stderr" >&2
  exit 1
fi
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

base="http://127.0.0.1:$port/v2/index.php"
queue=bench-q
cmq() {  # cmq 'Action=...&...' -> answer; fails unless code 0
  local answer
  answer="$(curl -fsS "$base" -d "$1")"
  [[ "$answer" == '{"code":0,'* ]] || { echo "CMQ call failed: $1 -> $answer" >&2; return 1; }
  printf '%s\n' "$answer"
}
attribute() {  # attribute NAME -> the integer from GetQueueAttributes
  cmq "Action=GetQueueAttributes&queueName=$queue" |
    python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"
}

echo "== machine: $(nproc) cores; $(uptime)"
echo "== rewindmq $binary on 127.0.0.1:$port (pid $server_pid), data in $work/data"
cmq "Action=CreateQueue&queueName=$queue&rewindSeconds=$rewind_seconds&msgRetentionSeconds=$((rewind_seconds > 345600 ? rewind_seconds : 345600))&maxMsgSize=65536" >/dev/null

echo "== preloading $messages messages of $msg_size bytes"
python3 "$here/cmq_loader.py" --port "$port" --queue "$queue" --messages "$messages" \
  --msg-size "$msg_size" --threads "$loader_threads"
active="$(attribute activeMsgNum)"
echo "activeMsgNum after preload: $active"
[[ "$active" == "$messages" ]] || { echo "expected $messages active messages" >&2; exit 1; }

export CMQ_LUA_DIR="$here" CMQ_QUEUE="$queue" CMQ_MSG_SIZE="$msg_size" \
  CMQ_REWIND_SECONDS="$rewind_seconds"
results="$work/results"
: >"$results"
run() {  # run SCRIPT
  echo
  echo "== wrk -t$threads -c$connections -d$duration --latency -s $1   ($(uptime | sed 's/.*load/load/'))"
  wrk -t"$threads" -c"$connections" -d"$duration" --timeout 10s --latency \
    -s "$here/$1" "http://127.0.0.1:$port" | tee "$work/wrk.out"
  grep '^CMQRESULT' "$work/wrk.out" >>"$results"
}
run cmq_send.lua
run cmq_batch_send.lua
run cmq_receive_delete.lua
echo "queue after consuming: active $(attribute activeMsgNum), rewindable $(attribute rewindMsgNum)"
run cmq_rewind.lua
echo "queue after rewinds: active $(attribute activeMsgNum), rewindable $(attribute rewindMsgNum)"

echo
echo "== results ($threads threads, $connections connections, $duration each;" \
  "queue preloaded with $messages messages; $(uptime | sed 's/.*load/load/'))"
awk -F'\t' '
  BEGIN {
    printf "%-30s %12s %9s %9s %9s %10s %9s %8s %8s %7s\n", "scenario", "requests/s",
      "p50 ms", "p90 ms", "p99 ms", "requests", "code 0", "7000", "other", "socket"
  }
  {
    printf "%-30s %12.0f %9.2f %9.2f %9.2f %10d %9d %8d %8d %7d\n", $2, $3, $4, $5, $6,
      $7, $8, $9, $10, $11
  }' "$results"
