#!/bin/sh
# mmdebstrap customize hook for the redis stand-in: user redis as uid/gid 999 (as upstream),
# /data as the working dir, and the upstream entrypoint contract.
set -eu
root="$1"
here="$(dirname "$0")"
sed -i 's/^redis:x:[0-9]*:[0-9]*:/redis:x:999:999:/' "$root/etc/passwd"
sed -i 's/^redis:x:[0-9]*:/redis:x:999:/' "$root/etc/group"
mkdir -p "$root/data" "$root/usr/local/bin"
chown -R 999:999 "$root/data" "$root/var/lib/redis" "$root/var/log/redis"
install -m 0755 "$here/redis-entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"
rm -rf "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/locale"
