#!/bin/sh
# The medusa CLI rewrites its config file (configstore) on every start, so it must live in a
# writable place ($XDG_CONFIG_HOME, under /tmp: the root filesystem is read-only) and it must
# say telemetry is disabled before the CLI loads (else every exit forks a telemetry sender):
# copy the image's, written by `medusa telemetry --disable` at build time, then run the command.
# Replaces the Node.js image's entrypoint of the same name, which only runs "$@" (or node).
set -e
mkdir -p "$XDG_CONFIG_HOME"
cp -Rn /app/.config/. "$XDG_CONFIG_HOME"/
exec "$@"
