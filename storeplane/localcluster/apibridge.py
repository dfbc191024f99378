"""The API server as seen from the real node's pods: ``kubernetes.default.svc`` answers.

Fed by the cluster's kubeconfig (the apiserver's loopback address); feeds ``node.py`` with a
``socat`` command line (a daemon in the node's cgroup) that listens on the pod bridge's
address and forwards to the apiserver, and with the EndpointSlice that gives the
``kubernetes`` Service that endpoint. The apiserver listens on loopback only and runs with
``--endpoint-reconciler-type=none`` (Endpoints may not hold a loopback address), so without
this a pod that calls the API (the Medusa seed Job storing its publishable key) finds no
endpoint. The bridge address is reachable from pods only: traffic to it never leaves the host.
Its certificate names ``kubernetes.default.svc``, so clients verify it as usual.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import yaml

BRIDGE_PORT = 6443
SLICE_NAME = "kubernetes-real-node"


class ApiBridgeError(RuntimeError):
    """The kubeconfig names no apiserver address that can be forwarded to."""


def apiserver_address(kubeconfig: Path) -> tuple[str, int]:
    """Host and port of the (first) cluster's server in ``kubeconfig``."""
    config = yaml.safe_load(kubeconfig.read_text())
    try:
        server = str(config["clusters"][0]["cluster"]["server"])
    except (KeyError, IndexError, TypeError) as error:
        raise ApiBridgeError(f"{kubeconfig}: no clusters[0].cluster.server") from error
    parts = urlsplit(server)
    if parts.hostname is None or parts.port is None:
        raise ApiBridgeError(f"{kubeconfig}: server {server!r} has no host:port")
    return parts.hostname, parts.port


def socat_args(kubeconfig: Path, listen: str) -> list[str]:
    """socat forwarding ``listen``:BRIDGE_PORT to the apiserver, one child per connection."""
    host, port = apiserver_address(kubeconfig)
    return ["socat", f"TCP-LISTEN:{BRIDGE_PORT},bind={listen},fork,reuseaddr", f"TCP:{host}:{port}"]


def endpoint_slice(listen: str) -> str:
    """The ``kubernetes`` Service's endpoint: the bridge (the Service's port is named https)."""
    manifest = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": SLICE_NAME,
            "namespace": "default",
            "labels": {
                "kubernetes.io/service-name": "kubernetes",
                "endpointslice.kubernetes.io/managed-by": "storeplane.dev-real-node",
            },
        },
        "addressType": "IPv4",
        "endpoints": [{"addresses": [listen], "conditions": {"ready": True}}],
        "ports": [{"name": "https", "port": BRIDGE_PORT, "protocol": "TCP"}],
    }
    return json.dumps(manifest)
