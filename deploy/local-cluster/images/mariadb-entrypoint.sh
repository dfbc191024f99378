#!/bin/sh
# Stand-in for docker.io/library/mariadb's docker-entrypoint.sh. Honoured on first start
# (empty /var/lib/mysql): MARIADB_ROOT_PASSWORD / MARIADB_ALLOW_EMPTY_ROOT_PASSWORD /
# MARIADB_RANDOM_ROOT_PASSWORD, MARIADB_ROOT_HOST (default %), MARIADB_DATABASE,
# MARIADB_USER + MARIADB_PASSWORD (each also as MYSQL_*), /docker-entrypoint-initdb.d/*.sql|*.sh,
# and the "healthcheck" user that healthcheck.sh logs in as. Options alone mean
# "mariadbd <options>"; root drops to mysql (setpriv, not gosu).
set -eu
case "${1:-}" in
  -*|"") set -- mariadbd "$@" ;;
esac
case "$1" in mariadbd|mysqld) ;; *) exec "$@" ;; esac
datadir=/var/lib/mysql
socket=/run/mysqld/mysqld.sock
if [ "$(id -u)" = 0 ]; then
  chown -R mysql:mysql "$datadir" /run/mysqld
  exec setpriv --reuid=mysql --regid=mysql --init-groups "$0" "$@"
fi
root_password="${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}"
allow_empty="${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-${MYSQL_ALLOW_EMPTY_PASSWORD:-}}"
random_root="${MARIADB_RANDOM_ROOT_PASSWORD:-${MYSQL_RANDOM_ROOT_PASSWORD:-}}"
database="${MARIADB_DATABASE:-${MYSQL_DATABASE:-}}"
user="${MARIADB_USER:-${MYSQL_USER:-}}"
password="${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}"
root_host="${MARIADB_ROOT_HOST:-${MYSQL_ROOT_HOST:-%}}"
if [ ! -d "$datadir/mysql" ]; then
  if [ -z "$root_password" ] && [ -z "$allow_empty" ] && [ -z "$random_root" ]; then
    echo "error: database is uninitialized and password option is not specified" >&2
    echo "  You need to specify one of MARIADB_ROOT_PASSWORD, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD and MARIADB_RANDOM_ROOT_PASSWORD" >&2
    exit 1
  fi
  if [ -n "$random_root" ]; then
    root_password="$(tr -dc 'A-Za-z0-9' < /dev/urandom | head -c 32)"
    echo "GENERATED ROOT PASSWORD: $root_password"
  fi
  mariadb-install-db --datadir="$datadir" --skip-test-db --auth-root-authentication-method=normal \
    --skip-name-resolve --rpm > /dev/null
  "$@" --skip-networking --socket="$socket" &
  pid=$!
  tries=0
  until mariadb-admin --socket="$socket" -uroot ping --silent > /dev/null 2>&1; do
    tries=$((tries + 1))
    [ "$tries" -lt 120 ] || { echo "error: temporary server did not start" >&2; exit 1; }
    sleep 0.5
  done
  health_password="$(tr -dc 'A-Za-z0-9' < /dev/urandom | head -c 32)"
  sql() { mariadb --socket="$socket" -uroot --binary-mode "$@"; }
  {
    echo "SET @@SESSION.SQL_LOG_BIN=0;"
    echo "DELETE FROM mysql.global_priv WHERE user='' OR (user='root' AND host NOT IN ('localhost'));"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$root_password';"
    if [ "$root_host" != localhost ]; then
      echo "CREATE USER 'root'@'$root_host' IDENTIFIED BY '$root_password';"
      echo "GRANT ALL ON *.* TO 'root'@'$root_host' WITH GRANT OPTION;"
    fi
    for host in localhost 127.0.0.1 ::1; do
      echo "CREATE USER 'healthcheck'@'$host' IDENTIFIED BY '$health_password';"
    done
    [ -z "$database" ] || echo "CREATE DATABASE IF NOT EXISTS \`$database\`;"
    if [ -n "$user" ] && [ -n "$password" ]; then
      echo "CREATE USER '$user'@'%' IDENTIFIED BY '$password';"
      [ -z "$database" ] || echo "GRANT ALL ON \`$database\`.* TO '$user'@'%';"
    fi
    echo "FLUSH PRIVILEGES;"
  } | sql
  printf '[mariadb-client]\nport=3306\nsocket=%s\nuser=healthcheck\npassword=%s\nprotocol=socket\n' \
    "$socket" "$health_password" > "$datadir/.my-healthcheck.cnf"
  chmod 600 "$datadir/.my-healthcheck.cnf"
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) . "$f" ;;
      *.sql) sql -p"$root_password" ${database:+"$database"} < "$f" ;;
    esac
  done
  mariadb-admin --socket="$socket" -uroot -p"$root_password" shutdown
  wait "$pid" || true
fi
exec "$@"
