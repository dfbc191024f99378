#!/bin/sh
# mmdebstrap customize hook for the mariadb stand-in: user mysql as uid/gid 999 (as upstream),
# an empty /var/lib/mysql (the entrypoint initialises it), listening on every address like
# upstream, and the upstream entrypoint and healthcheck.sh contracts.
set -eu
root="$1"
here="$(dirname "$0")"
sed -i 's/^mysql:x:[0-9]*:[0-9]*:/mysql:x:999:999:/' "$root/etc/passwd"
sed -i 's/^mysql:x:[0-9]*:/mysql:x:999:/' "$root/etc/group"
rm -rf "$root/var/lib/mysql" && mkdir -p "$root/var/lib/mysql" "$root/run/mysqld" "$root/docker-entrypoint-initdb.d"
chown 999:999 "$root/var/lib/mysql" "$root/run/mysqld"
sed -i 's/^bind-address.*/bind-address = 0.0.0.0/' "$root/etc/mysql/mariadb.conf.d/50-server.cnf"
mkdir -p "$root/usr/local/bin"
install -m 0755 "$here/mariadb-entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"
install -m 0755 "$here/mariadb-healthcheck.sh" "$root/usr/local/bin/healthcheck.sh"
rm -rf "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/locale" "$root/usr/share/i18n"
# Offline table tools (5 MB each) that neither the entrypoint nor the charts run.
rm -f "$root"/usr/bin/aria_* "$root"/usr/bin/myisam* "$root"/usr/bin/mariadb-binlog \
  "$root"/usr/bin/mariadb-slap "$root"/usr/bin/mariadb-test* "$root"/usr/bin/mysqltest* \
  "$root"/usr/bin/innochecksum "$root"/usr/bin/replace "$root"/usr/bin/mariadb-import
