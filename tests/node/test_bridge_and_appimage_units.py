"""The API server bridge and the project-image keys, without a cluster or a build.

Fed by made-up kubeconfigs and build contexts in tmp_path; feeds nothing. Runs everywhere
(no root), so a machine without the real node still checks what the node and the image
cache rely on: the bridge forwards to the kubeconfig's apiserver, the EndpointSlice belongs to
the ``kubernetes`` Service's ``https`` port, and an image key changes with the Dockerfile's
context but not with the ignored ``node_modules`` or build output.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storeplane.localcluster import apibridge, appimages


def test_the_bridge_listens_on_the_pod_gateway_and_forwards_to_the_kubeconfigs_server(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig.yaml"
    kubeconfig.write_text("clusters:\n- cluster:\n    server: https://127.0.0.1:32764\n  name: c\n")

    args = apibridge.socat_args(kubeconfig, "10.244.0.1")

    assert args == ["socat", "TCP-LISTEN:6443,bind=10.244.0.1,fork,reuseaddr", "TCP:127.0.0.1:32764"]


def test_a_kubeconfig_without_a_server_port_is_refused_with_its_path(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig.yaml"
    kubeconfig.write_text("clusters:\n- cluster:\n    server: https://example\n")

    with pytest.raises(apibridge.ApiBridgeError, match=r"kubeconfig\.yaml"):
        apibridge.socat_args(kubeconfig, "10.244.0.1")


def test_the_endpoint_slice_serves_the_kubernetes_services_https_port() -> None:
    slice_ = json.loads(apibridge.endpoint_slice("10.244.0.1"))

    assert slice_["metadata"]["labels"]["kubernetes.io/service-name"] == "kubernetes"
    assert slice_["endpoints"][0]["addresses"] == ["10.244.0.1"]
    assert slice_["ports"] == [{"name": "https", "port": 6443, "protocol": "TCP"}]


def test_an_image_key_follows_the_context_but_not_node_modules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = tmp_path / "medusa"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM docker.io/library/node:20-trixie-slim\n")
    monkeypatch.setattr(appimages, "CONTEXTS_DIR", tmp_path)
    first = appimages.image_key(appimages.MEDUSA)

    (context / "node_modules").mkdir()
    (context / "node_modules" / "x.js").write_text("ignored")
    unchanged = appimages.image_key(appimages.MEDUSA)
    (context / "Dockerfile").write_text("FROM docker.io/library/node:20-trixie-slim\nUSER node\n")
    changed = appimages.image_key(appimages.MEDUSA)

    assert first == unchanged != changed
    assert first.startswith("medusa-2.10.3-")


def test_the_storeplane_images_key_follows_what_its_dockerfile_copies_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dockerfile_dir = tmp_path / "deploy" / "images" / "storeplane"
    dockerfile_dir.mkdir(parents=True)
    (dockerfile_dir / "Dockerfile").write_text("FROM docker.io/library/python:3.13-slim-trixie\n")
    for name in ("domain/store.py", "web/src/app.tsx", "tests/test_x.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("v1")
    monkeypatch.setattr(appimages, "CONTEXTS_DIR", tmp_path / "deploy" / "images")
    monkeypatch.setattr(appimages, "_helm_dir", lambda cache: tmp_path / "k8s" / "helm-key" / "bin")
    first = appimages.image_key(appimages.STOREPLANE)

    for ignored in (
        "tests/test_x.py", "web/node_modules/x.js", "web/dist/index.html", "domain/__pycache__/s.pyc",
    ):
        (tmp_path / ignored).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / ignored).write_text("v2")
    unchanged = appimages.image_key(appimages.STOREPLANE)
    (tmp_path / "web/src/app.tsx").write_text("v2")
    changed = appimages.image_key(appimages.STOREPLANE)
    monkeypatch.setattr(appimages, "_helm_dir", lambda cache: tmp_path / "k8s" / "other-helm" / "bin")
    other_helm = appimages.image_key(appimages.STOREPLANE)

    assert first == unchanged != changed != other_helm
    assert first.startswith("storeplane-0.1.0-")


def test_the_storeplane_dockerignore_admits_exactly_the_inputs_the_key_hashes() -> None:
    ignore = appimages.CONTEXTS_DIR / "storeplane" / "Dockerfile.dockerignore"
    lines = [line for line in ignore.read_text().splitlines() if line and not line.startswith("#")]

    admitted = {line.removeprefix("!") for line in lines if line.startswith("!")}
    excluded = {line.split("/")[-1] for line in lines[1:] if not line.startswith("!")}

    assert lines[0] == "*"
    assert admitted == set(appimages.STOREPLANE.repo_inputs)
    assert excluded >= set(appimages.STOREPLANE.ignored)
