#!/usr/bin/env bash
# Installs the npm packages that package-lock.json pins into node_modules/,
# when they are missing or older than the lock file. Run by tools/dev.sh and,
# as the setup fixture of tdmq_sdk_e2e, by ctest.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  echo "== npm ci in tests/tdmq_sdk"
  npm ci --no-audit --no-fund
  touch node_modules
fi
