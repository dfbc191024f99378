#!/bin/sh
# mmdebstrap extract hook for the pause image: catatonit only (images.py drops host files).
set -eu
root="$1"
rm -rf "$root/usr/share/doc"
