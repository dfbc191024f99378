#!/usr/bin/env bash
# Debian's shellcheck, which the chart tests run over the charts' shell scripts. Installs it
# once, as root or through sudo.
set -euo pipefail
if command -v shellcheck >/dev/null 2>&1; then
  exit 0
fi
run_as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
echo "installing Debian's shellcheck for the chart tests" >&2
run_as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive run_as_root apt-get install -y -qq shellcheck >/dev/null
