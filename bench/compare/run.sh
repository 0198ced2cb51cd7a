#!/usr/bin/env bash
# Side-by-side benchmark of time-based rewind: rewindmq vs Redis Streams vs
# NATS JetStream, all on 127.0.0.1 (see bench/compare/README.md).
#
#   bench/compare/run.sh [--sizes 1e5,1e6] [--out DIR] [--binary PATH]
#                        [--concurrency 16] [--rewinds 2000] [--produce 20000]
#                        [--verify 200] [--load-concurrency 64] [--seed 42]
#                        [--import-batch 100] [--import-binary PATH]
#
# Installs what is missing (Debian's redis-server, nats-server and
# gnuplot-nox, node and npm; as root or through sudo), runs `npm ci` here,
# builds the release rewindmq and rewindmq-import unless --binary (or
# $REWINDMQ_BINARY) names the server, then runs compare.js, which per queue
# size loads rewindmq's data folder with rewindmq-import, starts the three
# servers, loads Redis and NATS, measures, stops them, and writes
# results.json, results.txt and chart.png into --out (default
# bench/compare/results). rewindmq-import is taken from --import-binary,
# $REWINDMQ_IMPORT_BINARY, or the build tree of the server binary
# (<build>/broker/server/rewindmq -> <build>/tools/rewindmq-import).
# Servers still running when this script ends (error, Ctrl-C) are stopped
# by PID.
#
# Environment: BUILD_ROOT (default ./build; the binaries are built in
# $BUILD_ROOT/release), REWINDMQ_BINARY, REWINDMQ_IMPORT_BINARY, JOBS
# (default nproc).
set -euo pipefail

SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
HERE=$ROOT/bench/compare
STOP_TIMEOUT_S=30
started=$(date +%s)

args=()
BINARY=${REWINDMQ_BINARY:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --binary)
      [ $# -ge 2 ] || { echo "--binary needs a value" >&2; exit 2; }
      BINARY=$2
      shift 2
      ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$SELF" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *)
      args+=("$1")
      shift
      ;;
  esac
done

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in redis-server nats-server gnuplot-nox; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

if [ ! -d "$HERE/node_modules" ] || [ "$HERE/package-lock.json" -nt "$HERE/node_modules" ]; then
  echo "== npm ci in bench/compare"
  (cd "$HERE" && npm ci --no-audit --no-fund)
  touch "$HERE/node_modules"
fi

if [ -z "$BINARY" ]; then
  build=${BUILD_ROOT:-$ROOT/build}/release
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  echo "== building rewindmq and rewindmq-import (Release) in $build"
  cmake -S "$ROOT" -B "$build" -G Ninja "${launcher[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" --target rewindmq rewindmq-import -j "${JOBS:-$(nproc)}"
  BINARY=$build/broker/server/rewindmq
fi
[ -x "$BINARY" ] || { echo "not an executable: $BINARY" >&2; exit 1; }

# compare.js appends "PID NAME" for every server it starts and "dir PATH"
# for every data folder; servers still alive when this script exits are
# stopped here, and folders still present are named.
PIDFILE=$(mktemp "${TMPDIR:-/tmp}/rewindmq-compare-pids.XXXXXX")
export COMPARE_PIDFILE=$PIDFILE
# shellcheck source=../lib/leftovers.sh
source "$ROOT/bench/lib/leftovers.sh"

cleanup() {
  local rc=$?
  stop_leftovers "$PIDFILE" "$STOP_TIMEOUT_S"
  local dirs=("${LEFTOVER_DIRS[@]}")
  for d in "${dirs[@]}"; do
    echo "server data and logs left in $d (remove it when done)" >&2
  done
  echo "== total wall time (install, build, benchmark): $(($(date +%s) - started)) s" >&2
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

node "$HERE/compare.js" --binary "$BINARY" "${args[@]}"
