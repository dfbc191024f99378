#!/bin/sh
# mmdebstrap extract hook: one symlink per busybox applet in /bin (sh, httpd, wget, nslookup, ...),
# and no host files left in the image (images.py drops /etc/resolv.conf, /etc/hostname and /etc/apt).
set -eu
root="$1"
for applet in $("$root/bin/busybox" --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done

mkdir -p "$root/www" "$root/data" "$root/tmp"
echo "storeplane stand-in base" > "$root/www/index.html"
