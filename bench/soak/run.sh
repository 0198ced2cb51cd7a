#!/usr/bin/env bash
# Soak benchmark: one rewindmq server under a fixed-rate mixed CMQ + DMS
# workload for a bounded time, sampling its memory, open files and latency,
# with a verdict on whether memory and p99 latency stay flat (see
# bench/soak/README.md).
#
#   bench/soak/run.sh [--binary PATH] [--minutes 30] [--rate 400] [--out DIR]
#                     [--in-flight 64] [--sample-seconds 10] [--check]
#
# Uses an already built server (default
# ${BUILD_ROOT:-build}/release/broker/server/rewindmq; it never builds one).
# Installs gnuplot-nox for the chart if it is missing (as root or through
# sudo, after apt-get update), and goes on without the chart if that is not
# possible; installs nodejs the same way if node is missing. Writes
# results.json, chart.png, chart.dat and server.log into --out (default
# bench/soak/results). With --check, exits non-zero if any operation failed,
# the server did not keep up, or RSS or p99 latency grew.
#
# Environment: BUILD_ROOT (default ./build), REWINDMQ_BINARY; REWINDMQ_*
# server settings reach the server.
set -euo pipefail

CALLER_PWD=$(pwd)
cd "$(dirname "$0")/../.."
ROOT=$(pwd)

# Paths given on the command line are relative to where it was typed.
absolute() {
  case "$1" in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s\n' "$CALLER_PWD/$1" ;;
  esac
}
HERE=$ROOT/bench/soak
STOP_TIMEOUT_S=30

args=()
BINARY=${REWINDMQ_BINARY:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --binary)
      [ $# -ge 2 ] || { echo "--binary needs a value" >&2; exit 2; }
      BINARY=$(absolute "$2")
      shift 2
      ;;
    --out)
      [ $# -ge 2 ] || { echo "--out needs a value" >&2; exit 2; }
      args+=(--out "$(absolute "$2")")
      shift 2
      ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *)
      args+=("$1")
      shift
      ;;
  esac
done

if [ -z "$BINARY" ]; then
  BINARY=${BUILD_ROOT:-$ROOT/build}/release/broker/server/rewindmq
fi
if [ ! -x "$BINARY" ]; then
  cat >&2 <<EOF
rewindmq binary not found (or not executable): $BINARY
Build the release server first, for example
  cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build build/release --target rewindmq
or pass --binary PATH (or set REWINDMQ_BINARY or BUILD_ROOT).
EOF
  exit 1
fi

# Runs a command as root: directly, or through sudo (without asking for a
# password when there is no terminal to ask on).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif ! command -v sudo >/dev/null; then
    return 1
  elif [ -t 0 ]; then
    sudo "$@"
  else
    sudo -n "$@"
  fi
}

apt_install() {
  as_root apt-get update && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}

if ! command -v node >/dev/null; then
  echo "== installing: nodejs"
  apt_install nodejs || { echo "node is missing and could not be installed" >&2; exit 1; }
fi

if ! command -v gnuplot >/dev/null; then
  echo "== installing: gnuplot-nox"
  if ! apt_install gnuplot-nox || ! command -v gnuplot >/dev/null; then
    echo "warning: gnuplot-nox could not be installed (needs root or sudo): no chart.png this time" >&2
  fi
fi

# soak.mjs appends "PID NAME" for the server it starts and "dir PATH" for
# its temporary folder; a server still alive when this script exits (node
# killed, an error) is stopped here by PID.
PIDFILE=$(mktemp "${TMPDIR:-/tmp}/rewindmq-soak-pids.XXXXXX")
export SOAK_PIDFILE=$PIDFILE
# shellcheck source=../lib/leftovers.sh
source "$ROOT/bench/lib/leftovers.sh"

cleanup() {
  local rc=$?
  stop_leftovers "$PIDFILE" "$STOP_TIMEOUT_S"
  local dirs=("${LEFTOVER_DIRS[@]}")
  # soak.mjs removes its folder after a clean run and names it after a
  # failed one; a folder still here after node died is named here.
  if [ $rc -gt 128 ]; then
    for d in "${dirs[@]}"; do
      echo "server data and log left in $d (remove it when done)" >&2
    done
  fi
  exit $rc
}
trap cleanup EXIT
# Ctrl-C in a terminal reaches node directly (same process group); a
# signal sent to this script alone is passed on. node stops the server and
# writes what it has; this script waits for it, then cleans up.
node_pid=
forward() {
  [ -n "$node_pid" ] && kill "-$1" "$node_pid" 2>/dev/null || true
}
trap 'forward INT' INT
trap 'forward TERM' TERM

node "$HERE/soak.mjs" --binary "$BINARY" "${args[@]}" &
node_pid=$!
set +e
wait "$node_pid"
rc=$?
# wait returns early when a trapped signal arrives; wait for node itself.
while kill -0 "$node_pid" 2>/dev/null; do
  wait "$node_pid"
  rc=$?
done
set -e
exit $rc
