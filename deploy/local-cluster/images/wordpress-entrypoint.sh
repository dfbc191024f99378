#!/bin/sh
# Stand-in for docker.io/library/wordpress's docker-entrypoint.sh. For apache2* (and php-fpm)
# commands: copies WordPress from /usr/src/wordpress into the working directory when it holds
# none yet (a fresh volume), then, when any WORDPRESS_* variable is set and there is no
# wp-config.php, writes one from wp-config-docker.php with fresh random salts. Runs as whoever
# starts it (the chart: www-data, uid 33); as root it leaves ownership to www-data like upstream.
set -eu
case "${1:-}" in
  apache2*|php-fpm*)
    if [ ! -e index.php ] && [ ! -e wp-includes/version.php ]; then
      echo "WordPress not found in $(pwd) - copying now..." >&2
      tar -C /usr/src/wordpress -cf - . | tar -xf -
      [ "$(id -u)" != 0 ] || chown -R www-data:www-data .
      echo "Complete! WordPress has been successfully copied to $(pwd)" >&2
    fi
    if [ ! -s wp-config.php ] && env | grep -q '^WORDPRESS_'; then
      awk '
        /put your unique phrase here/ {
          cmd = "head -c 48 /dev/urandom | od -An -tx1 | tr -d \" \\n\""
          cmd | getline salt; close(cmd)
          sub(/put your unique phrase here/, salt)
        }
        { print }
      ' /usr/src/wordpress/wp-config-docker.php > wp-config.php
      [ "$(id -u)" != 0 ] || chown www-data:www-data wp-config.php
    fi
    ;;
esac
exec "$@"
