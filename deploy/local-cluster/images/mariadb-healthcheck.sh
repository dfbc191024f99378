#!/bin/sh
# Stand-in for the mariadb image's healthcheck.sh: the options the charts use.
#   --connect              the server accepts a login (as the "healthcheck" user, over the socket)
#   --innodb_initialized   InnoDB has finished starting
# Other options of the upstream script are not implemented (exit 2).
set -eu
cnf=/var/lib/mysql/.my-healthcheck.cnf
status=0
for option in "$@"; do
  case "$option" in
    --connect) mariadb --defaults-extra-file="$cnf" -e 'SELECT 1' > /dev/null || status=1 ;;
    --innodb_initialized)
      out="$(mariadb --defaults-extra-file="$cnf" -N -e \
        "SELECT 1 FROM information_schema.ENGINES WHERE engine='InnoDB' AND support IN ('YES','DEFAULT','ENABLED')")" || status=1
      [ "$out" = 1 ] || status=1 ;;
    --su-mysql|--defaults-extra-file=*|--no-defaults) ;;
    *) echo "healthcheck.sh stand-in: $option is not implemented" >&2; exit 2 ;;
  esac
done
exit "$status"
