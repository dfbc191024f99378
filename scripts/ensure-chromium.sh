#!/usr/bin/env bash
# Debian's chromium for the dashboard's browser tests (Playwright drives it; nothing downloads a
# browser of its own). Installs it once, as root or through sudo.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
run_as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
echo "installing Debian's chromium for the browser tests" >&2
run_as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive run_as_root apt-get install -y -qq chromium >/dev/null
