#!/bin/sh
# Stand-in for docker.io/library/wordpress's apache2-foreground: Apache in the foreground with
# Debian's envvars, its run and lock directories created (the chart mounts emptyDirs there) and
# a stale pid file from an earlier start removed.
set -e  # not -u: Debian's envvars reads unset variables
# shellcheck disable=SC1091
. /etc/apache2/envvars
mkdir -p "$APACHE_RUN_DIR" "$APACHE_LOCK_DIR" "$APACHE_LOG_DIR"
rm -f "$APACHE_PID_FILE"
exec apache2 -DFOREGROUND "$@"
