#!/usr/bin/env bash
# End-to-end tests of rewindmq's RocketMQ remoting facade with the official
# Apache RocketMQ Go client (github.com/apache/rocketmq-client-go/v2).
#
#   run.sh --binary PATH_TO_rewindmq [--cache DIR] [-- GO_TEST_ARGS...]
#                                                    run the tests (go test -count=1 -v ./...)
#   run.sh --fetch-only [--cache DIR]                download the modules and compile the tests,
#                                                    so that a later run needs no network
#
# DIR is the Go module cache (GOMODCACHE); default: <repo>/build/gomod. The
# build cache (GOCACHE) defaults to gocache beside it unless GOCACHE is set.
# The go binary is $GO, else `go` on PATH, else /usr/local/go/bin/go.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

binary=""
cache=""
fetch_only=0
extra=()
usage() {
  sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --binary) [[ $# -ge 2 ]] || usage; binary=$2; shift 2 ;;
    --binary=*) binary=${1#*=}; shift ;;
    --cache) [[ $# -ge 2 ]] || usage; cache=$2; shift 2 ;;
    --cache=*) cache=${1#*=}; shift ;;
    --fetch-only) fetch_only=1; shift ;;
    -h|--help) usage ;;
    --) shift; extra=("$@"); break ;;
    *) echo "run.sh: unknown argument: $1" >&2; usage ;;
  esac
done

go_bin=${GO:-}
if [[ -z "$go_bin" ]]; then
  if command -v go >/dev/null 2>&1; then
    go_bin=$(command -v go)
  elif [[ -x /usr/local/go/bin/go ]]; then
    go_bin=/usr/local/go/bin/go
  else
    echo "run.sh: no go toolchain found (set GO=/path/to/go or put go on PATH)" >&2
    exit 1
  fi
fi

[[ -n "$cache" ]] || cache="$repo/build/gomod"
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
export GOMODCACHE="$cache"
export GOCACHE="${GOCACHE:-$(dirname "$cache")/gocache}"
export GOFLAGS=-mod=readonly
export GOTOOLCHAIN=local
mkdir -p "$GOCACHE"
cd "$here"

if [[ $fetch_only -eq 1 ]]; then
  "$go_bin" mod download
  "$go_bin" vet ./...
  "$go_bin" test -c -o /dev/null .
  echo "run.sh: modules in $GOMODCACHE, tests compile"
  exit 0
fi

if [[ -z "$binary" ]]; then
  echo "run.sh: --binary PATH_TO_rewindmq is required (or --fetch-only)" >&2
  exit 2
fi
if [[ ! -x "$binary" ]]; then
  echo "run.sh: $binary is not an executable file" >&2
  exit 1
fi
export REWINDMQ_BINARY=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
exec "$go_bin" test -count=1 -v -timeout "${REMOTING_GO_TIMEOUT:-10m}" ./... "${extra[@]}"
