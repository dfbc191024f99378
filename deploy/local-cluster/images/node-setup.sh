#!/bin/sh
# mmdebstrap customize hook for the Node.js stand-in: user and group "node" as uid/gid 1000
# with home /home/node (as upstream), /usr/local/bin/node etc. on PATH (Debian installs to
# /usr/bin), and the upstream entrypoint contract.
set -eu
root="$1"
here="$(dirname "$0")"
# The "essential" variant has no passwd package (no useradd): write the entries directly.
echo "node:x:1000:" >>"$root/etc/group"
echo "node:x:1000:1000::/home/node:/bin/bash" >>"$root/etc/passwd"
echo "node:*:19000:0:99999:7:::" >>"$root/etc/shadow"
mkdir -p "$root/home/node"
chown 1000:1000 "$root/home/node"
mkdir -p "$root/usr/local/bin"
install -m 0755 "$here/node-entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"
rm -rf "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/locale" "$root/usr/share/i18n"
