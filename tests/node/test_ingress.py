"""The real node's Traefik: an Ingress under ``.localhost`` answers from the host by its host
name, and ``storeplane cluster status`` says where the ingress listens.

Fed by the session cluster's real node (``kubectl`` fixture); feeds nothing. Requests go as a
browser's would (``ingress_client``: loopback, the name in the Host header).
"""

from __future__ import annotations

import argparse
import subprocess
from typing import Any

import pytest

from storeplane.cli.cluster import register
from storeplane.localcluster import nodebuild, versions
from storeplane.localcluster import nodeconfig as nc
from tests.fixtures.kube import KubeCluster
from tests.node import ingress_client
from tests.node.kube import Kubectl, eventually, on_real_node

pytestmark = [pytest.mark.cluster, pytest.mark.node]


def _web(name: str, host: str) -> list[dict[str, Any]]:
    labels = {"app": name}
    container = {
        "name": "web",
        "command": ["httpd", "-f", "-p", "8080", "-h", "/www"],
        "ports": [{"containerPort": 8080}],
        "readinessProbe": {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 1},
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": on_real_node({"containers": [container]})},
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": labels, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]},
    }
    backend = {"service": {"name": name, "port": {"name": "http"}}}
    path = {"path": "/", "pathType": "Prefix", "backend": backend}
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name},
        "spec": {
            "ingressClassName": nc.INGRESS_CLASS,
            "rules": [{"host": host, "http": {"paths": [path]}}],
        },
    }
    return [deployment, service, ingress]


def test_an_ingress_under_localhost_answers_from_the_host_through_traefik(kubectl: Kubectl) -> None:
    host = f"shop.{kubectl.namespace}.stores.localhost"
    kubectl.apply(*_web("shop", host))
    kubectl.wait("deployment/shop", "condition=Available")
    url = nc.ingress_url(host)

    def answered() -> tuple[int, str] | None:
        status, body = ingress_client.get(url)
        return (status, body) if status == 200 else None

    _status, body = eventually(answered, what=f"GET {url}")
    assert "storeplane stand-in base" in body
    # Another host has no route: Traefik's own 404, so the answer above was routed by name.
    assert ingress_client.get(nc.ingress_url(f"other.{kubectl.namespace}.stores.localhost"))[0] == 404
    # Traefik writes where it answers into the Ingress's status.
    address = eventually(
        lambda: kubectl.json("ingress", "shop")["status"].get("loadBalancer", {}).get("ingress"),
        what="Ingress status address",
    )
    assert address == [{"ip": nc.INGRESS_ADDRESS}]


def test_cluster_status_reports_the_ingress_address(
    real_node: KubeCluster, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser(prog="storeplane")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["cluster", "status", "--name", real_node.name])

    assert args.handler(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"ingress\ttraefik\t{nc.ingress_url()}\tclass {nc.INGRESS_CLASS}" in lines


def test_the_built_traefik_reports_its_pin(real_node: KubeCluster) -> None:
    traefik = nodebuild.node_bin_dir() / "traefik"
    result = subprocess.run([str(traefik), "version"], capture_output=True, text=True, timeout=30, check=True)
    assert f"Version:      {versions.TRAEFIK_VERSION}" in result.stdout.splitlines()
