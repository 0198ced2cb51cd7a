#!/usr/bin/env bash
# End-to-end test of rewindmq's DMS for RocketMQ facade with the official
# Huawei Cloud Go SDK (github.com/huaweicloud/huaweicloud-sdk-go-v3, pinned in
# go.mod/go.sum). See README.md.
#
#   run.sh --fetch-only [--cache DIR]        download the modules and compile the test and
#                                            the sample, so that a later run needs no network
#   run.sh --binary PATH_TO_rewindmq [--cache DIR] [-- GO_TEST_ARGS...]
#                                            run the test offline (go test -count=1 -v)
#
# The binary defaults to $REWINDMQ_BINARY (ctest sets it).
# DIR is the Go module cache (GOMODCACHE); default: <checkout>/build/gomod. The
# build cache (GOCACHE) defaults to gocache beside it unless GOCACHE is set.
# The go binary is $GO, else `go` on PATH, else /usr/local/go/bin/go.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

binary=${REWINDMQ_BINARY:-}
cache=
fetch_only=0
extra=()
usage() {
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case $1 in
    --binary) binary=${2:?--binary needs a path}; shift 2 ;;
    --cache) cache=${2:?--cache needs a directory}; shift 2 ;;
    --fetch-only) fetch_only=1; shift ;;
    -h|--help) usage ;;
    --) shift; extra=("$@"); break ;;
    *) echo "run.sh: unknown argument: $1" >&2; usage ;;
  esac
done

go_bin=${GO:-}
if [ -z "$go_bin" ]; then
  if command -v go >/dev/null 2>&1; then
    go_bin=$(command -v go)
  elif [ -x /usr/local/go/bin/go ]; then
    go_bin=/usr/local/go/bin/go
  else
    echo "run.sh: no go toolchain found (set GO=/path/to/go or put go on PATH)" >&2
    exit 1
  fi
fi
export GO=$go_bin

[ -n "$cache" ] || cache=$root/build/gomod
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
export GOMODCACHE=$cache
export GOCACHE=${GOCACHE:-$(dirname "$cache")/gocache}
export GOFLAGS=-mod=readonly
export GOTOOLCHAIN=local
mkdir -p "$GOCACHE"
cd "$here"

if [ "$fetch_only" = 1 ]; then
  "$go_bin" mod download
  "$go_bin" vet ./...
  "$go_bin" build -o /dev/null ./examples/reset_consume_offset
  "$go_bin" test -c -o /dev/null .
  echo "run.sh: modules in $GOMODCACHE, the test and the sample compile"
  exit 0
fi

if [ -z "$binary" ]; then
  echo "run.sh: --binary PATH_TO_rewindmq (or REWINDMQ_BINARY) is required, or --fetch-only" >&2
  exit 2
fi
if [ ! -x "$binary" ]; then
  echo "run.sh: $binary is not an executable file" >&2
  exit 1
fi
REWINDMQ_BINARY=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
export REWINDMQ_BINARY
# Offline: everything comes from GOMODCACHE, which --fetch-only filled.
export GOPROXY=off
exec "$go_bin" test -count=1 -v -timeout "${DMS_SDK_GO_TIMEOUT:-5m}" . ${extra[@]+"${extra[@]}"}
