#!/usr/bin/env bash
# Debian packages the local cluster's real node needs: containerd + runc (runtime), the CNI
# plugins (bridge, host-local, loopback), iptables and conntrack (kube-proxy), mmdebstrap
# (stand-in images), catatonit (the pause image), socat (the API server as seen from pods) and
# buildah (images built from the project's Dockerfiles, e.g. the Medusa server). Installs what
# is missing, once, as root.
set -euo pipefail
packages=(containerd runc containernetworking-plugins iptables conntrack mmdebstrap catatonit socat buildah)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "the real node needs root; not installing ${missing[*]} (the cluster runs kwok-only)" >&2
  exit 0
fi
echo "installing Debian packages for the real node: ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
