#!/usr/bin/env bash
# Creates the virtual environment of the Python TDMQ / CMQ SDK test and
# installs the packages that build-requirements.txt and requirements.txt pin
# (with their hashes), when the venv is missing or older than either file.
# Run as the setup fixture of tdmq_sdk_python_e2e by ctest.
#
#   install.sh [--venv DIR] [--python PYTHON]
#
# DIR defaults to $RMQ_TDMQ_SDK_PYTHON_VENV, else <checkout>/build/pyvenv-tdmq-sdk;
# PYTHON to python3.11, else python3. Only this step reaches the network
# (PyPI); the test then runs offline.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${RMQ_TDMQ_SDK_PYTHON_VENV:-$root/build/pyvenv-tdmq-sdk}
python=

while [ $# -gt 0 ]; do
  case $1 in
    --venv) venv=${2:?--venv needs a directory}; shift 2 ;;
    --python) python=${2:?--python needs an interpreter}; shift 2 ;;
    *) echo "install.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
if [ -z "$python" ]; then
  python=$(command -v python3.11 || command -v python3 || true)
fi
if [ -z "$python" ]; then
  echo "install.sh: no python3 found (Debian: apt-get install python3 python3-venv)" >&2
  exit 1
fi

stamp=$venv/.installed
if [ -f "$stamp" ] && [ "$stamp" -nt "$here/requirements.txt" ] &&
   [ "$stamp" -nt "$here/build-requirements.txt" ] && [ -x "$venv/bin/python" ]; then
  exit 0
fi
echo "== installing the Tencent Cloud Python SDKs (tests/tdmq_sdk_python) into $venv"
rm -rf "$venv"
if ! "$python" -m venv "$venv"; then
  echo "install.sh: '$python -m venv' failed (Debian: apt-get install python3-venv)" >&2
  exit 1
fi
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input
     --require-hashes)
"${pip[@]}" --only-binary=:all: -r "$here/build-requirements.txt"
# Wheels only, except the 2.0 SDK, which PyPI has as a source archive: it is
# built with the setuptools just installed.
"${pip[@]}" --no-build-isolation --only-binary=:all: --no-binary=qcloud-cmq-sdk-py3 \
  -r "$here/requirements.txt"
touch "$stamp"
