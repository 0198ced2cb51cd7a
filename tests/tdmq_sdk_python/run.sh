#!/usr/bin/env bash
# Runs the Python TDMQ / CMQ SDK tests (unittest) against a rewindmq binary,
# with the packages that install.sh put into the venv; needs no network.
#
#   run.sh [--venv DIR] [--binary PATH_TO_rewindmq] [-- UNITTEST_ARGS...]
#
# DIR defaults to $RMQ_TDMQ_SDK_PYTHON_VENV, else <checkout>/build/pyvenv-tdmq-sdk;
# the binary to $REWINDMQ_BINARY (ctest sets it). UNITTEST_ARGS default to
# every test module; e.g. `-- test_signature` or
# `-- test_cross_protocol.CrossProtocolTest.test_x2_a_3_0_send_is_the_2_0_receive_byte_for_byte`.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${RMQ_TDMQ_SDK_PYTHON_VENV:-$root/build/pyvenv-tdmq-sdk}
binary=${REWINDMQ_BINARY:-}
tests=(test_queue_actions test_signature test_cross_protocol test_topics)

while [ $# -gt 0 ]; do
  case $1 in
    --venv) venv=${2:?--venv needs a directory}; shift 2 ;;
    --binary) binary=${2:?--binary needs a path}; shift 2 ;;
    --) shift; [ $# -gt 0 ] && tests=("$@"); break ;;
    *) echo "run.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done

if [ ! -x "$venv/bin/python" ]; then
  echo "run.sh: no venv in $venv; create it with tests/tdmq_sdk_python/install.sh --venv $venv" >&2
  exit 1
fi
if [ -z "$binary" ] || [ ! -x "$binary" ]; then
  echo "run.sh: --binary PATH_TO_rewindmq (or REWINDMQ_BINARY) must name the rewindmq binary (got '$binary')" >&2
  exit 1
fi
REWINDMQ_BINARY=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
export REWINDMQ_BINARY
# No __pycache__ in the source tree.
export PYTHONDONTWRITEBYTECODE=1
cd "$here"
exec "$venv/bin/python" -m unittest -v "${tests[@]}"
