#!/bin/sh
# mmdebstrap customize hook for the wordpress stand-in: Debian's WordPress copied (symlinks
# resolved) to /usr/src/wordpress, where upstream's entrypoint copies it from; Apache logging to
# the container's stdout/stderr; .htaccess honoured under /var/www with mod_rewrite on; and the
# upstream entrypoint, apache2-foreground and wp-config-docker.php contracts.
set -eu
root="$1"
here="$(dirname "$0")"
rm -rf "$root/usr/src/wordpress" && mkdir -p "$root/usr/src"
# Inside the chroot: Debian's tree links to absolute paths (/usr/share/javascript, /etc/wordpress),
# some of them dangling (config left to the admin), which are dropped.
chroot "$root" sh -c 'cp -a /usr/share/wordpress /usr/src/wordpress.links &&
  find /usr/src/wordpress.links -xtype l -delete &&
  cp -rL /usr/src/wordpress.links /usr/src/wordpress && rm -rf /usr/src/wordpress.links'
# Debian's wp-config.php loads /etc/wordpress/config-<host>.php; ours reads the environment.
rm -f "$root/usr/src/wordpress/wp-config.php" "$root/usr/src/wordpress/wp-config-sample.php"
install -m 0644 "$here/wordpress-config-docker.php" "$root/usr/src/wordpress/wp-config-docker.php"
chown -R 33:33 "$root/usr/src/wordpress"
rm -rf "$root/var/www/html" && mkdir -p "$root/var/www/html" && chown 33:33 "$root/var/www/html"
# Apache runs as www-data without root: like upstream's php image, its run, lock and log
# directories are open to it (the chart mounts emptyDirs over the first two).
# Inside the chroot: /var/run and /var/lock are absolute links (to /run, /run/lock).
# shellcheck disable=SC2016
chroot "$root" sh -c 'for dir in /var/run/apache2 /var/lock/apache2 /var/log/apache2; do
  mkdir -p "$dir" && chown 33:33 "$dir" && chmod 1777 "$dir"; done'

for log in access.log other_vhosts_access.log; do ln -sfT /dev/stdout "$root/var/log/apache2/$log"; done
ln -sfT /dev/stderr "$root/var/log/apache2/error.log"
cat > "$root/etc/apache2/conf-available/docker-php.conf" <<'CONF'
<FilesMatch \.php$>
	SetHandler application/x-httpd-php
</FilesMatch>
DirectoryIndex disabled
DirectoryIndex index.php index.html
<Directory /var/www/>
	Options -Indexes
	AllowOverride All
</Directory>
CONF
chroot "$root" a2enconf docker-php > /dev/null
chroot "$root" a2enmod rewrite > /dev/null
mkdir -p "$root/usr/local/bin"
install -m 0755 "$here/wordpress-entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"
install -m 0755 "$here/wordpress-apache2-foreground.sh" "$root/usr/local/bin/apache2-foreground"
rm -rf "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/locale"
