#!/usr/bin/env bash
# Runs the dashboard's unit tests (Vitest, jsdom) and its type check. Called by `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.storeplane-installed
if [[ ! -f $stamp || package-lock.json -nt $stamp || package.json -nt $stamp ]]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
npx --no-install tsc --noEmit
npx --no-install vitest run
