#!/bin/sh
# mmdebstrap customize hook for the postgres stand-in: user postgres as uid/gid 999 (as
# upstream), no Debian "main" cluster (the entrypoint runs initdb into $PGDATA), and the
# upstream entrypoint contract.
set -eu
root="$1"
here="$(dirname "$0")"
sed -i 's/^postgres:x:[0-9]*:[0-9]*:/postgres:x:999:999:/' "$root/etc/passwd"
sed -i 's/^postgres:x:[0-9]*:/postgres:x:999:/' "$root/etc/group"
rm -rf "$root/var/lib/postgresql/17/main" "$root/etc/postgresql/17/main"
mkdir -p "$root/var/lib/postgresql/data" "$root/var/run/postgresql" "$root/docker-entrypoint-initdb.d" \
  "$root/usr/local/bin"
chown -R 999:999 "$root/var/lib/postgresql" "$root/var/run/postgresql"
chmod 3777 "$root/var/run/postgresql"
install -m 0755 "$here/postgres-entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"
rm -rf "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/locale" "$root/usr/share/i18n"
# No JIT: libLLVM (124 MB) and z3 are needed only by llvmjit.so, which postgres loads lazily;
# without it, jit is simply unavailable (queries run interpreted).
rm -f "$root"/usr/lib/x86_64-linux-gnu/libLLVM*.so* "$root"/usr/lib/x86_64-linux-gnu/libz3.so* \
  "$root"/usr/lib/postgresql/17/lib/llvmjit*.so
rm -rf "$root/usr/lib/postgresql/17/lib/bitcode"
