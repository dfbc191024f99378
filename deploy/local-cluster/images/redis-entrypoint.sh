#!/bin/sh
# Stand-in for docker.io/library/redis's docker-entrypoint.sh: options alone mean
# "redis-server <options>"; as root, drop to user redis (upstream uses gosu; here setpriv).
set -eu
case "${1:-}" in
  -*|"") set -- redis-server "$@" ;;
esac
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
  exec setpriv --reuid=redis --regid=redis --init-groups "$@"
fi
exec "$@"
