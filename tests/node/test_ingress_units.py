"""The ingress pieces without a cluster: Traefik's build recipe and command line, its
IngressClass, the URL it answers at, and the upstream go.mod edits the wrapper copies.

Fed by literal go.mod JSON and the pins; feeds nothing. These run everywhere.
"""

from __future__ import annotations

import json
from pathlib import Path

from storeplane.localcluster import build, nodeconfig, versions

LAYOUT = nodeconfig.NodeLayout(
    root=Path("/state/node"), cgroup_root="/x", kubeconfig=Path("/state/kubeconfig"), ca_file=Path("/ca")
)


def test_upstream_replaces_with_published_modules_and_excludes_are_copied_local_ones_are_not() -> None:
    upstream = {
        "Replace": [
            {"Old": {"Path": "github.com/gorilla/mux"},
             "New": {"Path": "github.com/containous/mux", "Version": "v0.0.0-2025"}},
            {"Old": {"Path": "example.com/a", "Version": "v1.0.0"},
             "New": {"Path": "example.com/b", "Version": "v1.1.0"}},
            {"Old": {"Path": "k8s.io/api"}, "New": {"Path": "./staging/src/k8s.io/api"}},
        ],
        "Exclude": [{"Path": "example.com/sdk", "Version": "v3.0.83+incompatible"}],
    }

    assert build.published_edits(upstream) == [
        "-replace=github.com/gorilla/mux=github.com/containous/mux@v0.0.0-2025",
        "-replace=example.com/a@v1.0.0=example.com/b@v1.1.0",
        "-exclude=example.com/sdk@v3.0.83+incompatible",
    ]
    assert build.published_edits({"Replace": None, "Exclude": None}) == []


def test_traefiks_wrapper_is_in_the_node_key_only() -> None:
    assert "traefik" in build.wrapper_sources(versions.NODE_BINARIES)
    assert set(build.wrapper_sources(versions.BINARIES)) == {"kubernetes", "etcd"}
    traefik = next(spec for spec in versions.NODE_BINARIES if spec.name == "traefik")
    assert traefik.version == versions.TRAEFIK_VERSION
    assert f"-X {versions.TRAEFIK_MODULE}/pkg/version.Version={versions.TRAEFIK_VERSION}" in traefik.ldflags


def test_traefik_listens_on_loopback_watches_its_class_and_calls_no_one() -> None:
    args = nodeconfig.traefik_args(LAYOUT, Path("/bin/traefik"))

    assert args[:3] == ["/usr/bin/env", "KUBECONFIG=/state/kubeconfig", "/bin/traefik"]
    assert "--entryPoints.web.address=127.0.0.1:80" in args
    assert f"--entryPoints.traefik.address={nodeconfig.TRAEFIK_PING}" in args
    assert "--global.checkNewVersion=false" in args
    assert "--global.sendAnonymousUsage=false" in args
    assert f"--providers.kubernetesIngress.ingressClass={nodeconfig.INGRESS_CLASS}" in args
    addresses = [a.split("=", 1)[1] for a in args if a.startswith("--entryPoints.")]
    assert all(a.startswith("127.0.0.1:") for a in addresses)
    assert not any(a.startswith(("--api", "--metrics", "--tracing")) for a in args)


def test_the_ingress_class_names_traefiks_controller() -> None:
    manifest = json.loads(nodeconfig.ingress_class())

    assert manifest["kind"] == "IngressClass"
    assert manifest["metadata"]["name"] == "traefik"
    assert manifest["spec"]["controller"] == "traefik.io/ingress-controller"


def test_the_ingress_url_needs_no_port_on_80() -> None:
    assert nodeconfig.ingress_url() == "http://127.0.0.1/"
    assert nodeconfig.ingress_url("shop.t.stores.localhost") == "http://shop.t.stores.localhost/"


def test_real_node_store_values_name_the_nodes_ingress_class() -> None:
    values = (Path(__file__).resolve().parents[2] / "charts" / "medusa" / "values-real-node.yaml").read_text()
    assert f"className: {nodeconfig.INGRESS_CLASS}" in values
