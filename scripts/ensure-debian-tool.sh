#!/usr/bin/env bash
# Installs one Debian package a check needs, once, as root or through sudo, unless its command is
# already there. Usage: ensure-debian-tool.sh COMMAND PACKAGE WHAT-FOR
#   for chromium: the dashboard's browser tests (Playwright drives it; nothing downloads a browser)
#   for shellcheck: the chart tests' check of the charts' shell scripts
set -euo pipefail
command_name=$1 package=$2 purpose=$3
if command -v "$command_name" >/dev/null 2>&1; then
  exit 0
fi
run_as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
echo "installing Debian's $package for $purpose" >&2
run_as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive run_as_root apt-get install -y -qq "$package" >/dev/null
