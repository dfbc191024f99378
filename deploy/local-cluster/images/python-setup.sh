#!/bin/sh
# mmdebstrap customize hook for the Python stand-in (docker.io/library/python:3.13-slim-trixie).
# Upstream's pip is the one ensurepip installs into /usr/local, alone: nothing else in the
# interpreter's site-packages, so `pip install` of an application never meets a package it may
# not replace. Debian's python3-pip would bring Debian's own python3-packaging & co. (which pip
# cannot uninstall: no RECORD), so the image has no python3-pip. Debian disables ensurepip for
# the system Python, so pip installs itself from Debian's pip wheel (python3-pip-whl, the one
# Debian's venvs get, its dependencies vendored) as ensurepip would, after PEP 668's
# EXTERNALLY-MANAGED marker is gone (in an image nothing else manages the interpreter's packages).
set -eu
root="$1"
rm -f "$root"/usr/lib/python3*/EXTERNALLY-MANAGED
wheel="/usr/share/python-wheels/$(basename "$root"/usr/share/python-wheels/pip-*.whl)"
chroot "$root" python3 "$wheel/pip" install --no-index --no-cache-dir --disable-pip-version-check "$wheel"
# No pip cache and no version check: a build step never wants either.
printf '[global]\nno-cache-dir = true\ndisable-pip-version-check = true\n' >"$root/etc/pip.conf"
find "$root/usr/local/lib" -name __pycache__ -prune -exec rm -rf {} +
rm -rf "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/locale" "$root/usr/share/i18n"
