#!/usr/bin/env bash
# Builds the dashboard into web/dist (served by the API process at "/"). Called by `make up` and
# `make test`; a user never runs npm by hand. Idempotent: installs only when package-lock.json
# changed since the last install, and builds only when a source is newer than the last build.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v npm >/dev/null 2>&1; then
  echo "web/scripts/build.sh: npm not found; install Node.js 20+ to build the dashboard" >&2
  exit 1
fi

stamp=node_modules/.storeplane-installed
if [[ ! -f $stamp || package-lock.json -nt $stamp || package.json -nt $stamp ]]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi

built=dist/index.html
if [[ -f $built ]] && [[ -z $(find src index.html package.json package-lock.json vite.config.ts tsconfig.json \
    -newer "$built" -print -quit) ]]; then
  echo "web: dist is up to date ($(pwd)/dist)"
  exit 0
fi
npm run --silent build
echo "web: built $(pwd)/dist"
