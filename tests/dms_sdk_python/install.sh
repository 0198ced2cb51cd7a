#!/usr/bin/env bash
# Creates the virtual environment of the Python DMS SDK test and installs the
# packages that requirements.txt pins (with their hashes, wheels only), when
# the venv is missing or older than requirements.txt. Run by tools/dev.sh
# and, as the setup fixture of dms_sdk_python_e2e, by ctest.
#
#   install.sh [--venv DIR] [--python PYTHON]
#
# DIR defaults to <checkout>/build/pyvenv-dms-sdk; PYTHON to python3.11, else python3.
# Only this step reaches the network (PyPI); the test then runs offline.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=$root/build/pyvenv-dms-sdk
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
if [ -f "$stamp" ] && [ "$stamp" -nt "$here/requirements.txt" ] && [ -x "$venv/bin/python" ]; then
  exit 0
fi
echo "== installing the Huawei Cloud Python SDK (tests/dms_sdk_python) into $venv"
rm -rf "$venv"
if ! "$python" -m venv "$venv"; then
  echo "install.sh: '$python -m venv' failed (Debian: apt-get install python3-venv)" >&2
  exit 1
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  --require-hashes --only-binary=:all: -r "$here/requirements.txt"
touch "$stamp"
