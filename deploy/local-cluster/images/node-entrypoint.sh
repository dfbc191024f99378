#!/bin/sh
# docker.io/library/node's entrypoint: a first argument that is an option, or that is not a
# command on PATH, or a non-executable file, is an argument to node ("docker run node -e ..." / "docker run node app.js").
set -e
if [ "${1#-}" != "$1" ] || [ -z "$(command -v "$1")" ] || { [ -f "$1" ] && ! [ -x "$1" ]; }; then
  set -- node "$@"
fi
exec "$@"
