"""A store's NetworkPolicy isolates it both ways, read as a CNI would enforce it.

The local control plane stores NetworkPolicies without enforcing them (kwok runs no CNI), so the
policy is evaluated here by the rules of the NetworkPolicy API (a connection is allowed when some
rule of the policy admits its peer and port). Before, the policy restricted ingress only: a
store's code reached the cloud metadata service, the Kubernetes API, storeplane and other stores.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import pytest

from domain.store import StoreStatus
from reconciler.cluster import manifests
from reconciler.snapshot import StoreSnapshot

INGRESS_LABELS = {"kubernetes.io/metadata.name": "ingress-nginx"}


@dataclass(frozen=True)
class Peer:
    """The other end of a connection: a pod (namespace and labels) or an address outside."""

    ip: str
    namespace_labels: dict[str, str] = field(default_factory=dict)
    pod_labels: dict[str, str] | None = None  # None: not a pod of the cluster


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items())


def _admits(policy_peer: dict[str, Any], peer: Peer, own_namespace: dict[str, str]) -> bool:
    if "ipBlock" in policy_peer:
        block = policy_peer["ipBlock"]
        address = ipaddress.ip_address(peer.ip)
        network = ipaddress.ip_network(block["cidr"])
        if address.version != network.version or address not in network:
            return False
        return not any(
            address.version == ipaddress.ip_network(e).version and address in ipaddress.ip_network(e)
            for e in block.get("except", [])
        )
    if peer.pod_labels is None:
        return False
    if "namespaceSelector" in policy_peer:
        if not _selects(policy_peer["namespaceSelector"], peer.namespace_labels):
            return False
    elif peer.namespace_labels != own_namespace:  # a podSelector alone means this namespace
        return False
    return _selects(policy_peer.get("podSelector", {}), peer.pod_labels)


def allowed(policy: dict[str, Any], direction: str, peer: Peer, port: int, protocol: str,
            own_namespace: dict[str, str]) -> bool:
    key, peers_key = ("egress", "to") if direction == "egress" else ("ingress", "from")
    for rule in policy["spec"].get(key, []):
        ports = rule.get("ports")
        if ports and not any(p["port"] == port and p.get("protocol", "TCP") == protocol for p in ports):
            continue
        if any(_admits(p, peer, own_namespace) for p in rule.get(peers_key, [])):
            return True
    return False


def _store(engine: str) -> StoreSnapshot:
    return StoreSnapshot(
        id=uuid4(), version=1, name="shop", tenant="acme", engine=engine, plan="small",
        namespace="store-acme-shop", status=StoreStatus.PROVISIONING, attempt=0, retry_at=None,
        completed_steps=frozenset(), correlation_id="c",
    )


@pytest.fixture(params=["woocommerce", "medusa"])
def policy(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    engine = request.param
    return engine, manifests.network_policy(_store(engine), INGRESS_LABELS)


OWN = {"kubernetes.io/metadata.name": "store-acme-shop"}
DNS = Peer("10.96.0.10", {"kubernetes.io/metadata.name": "kube-system"}, {"k8s-app": "kube-dns"})


@pytest.mark.parametrize(
    ("peer", "port", "protocol", "expected"),
    [
        pytest.param(DNS, 53, "UDP", True, id="cluster-dns-udp"),
        pytest.param(DNS, 53, "TCP", True, id="cluster-dns-tcp"),
        pytest.param(Peer("10.244.1.7", OWN, {"app.kubernetes.io/component": "database"}), 3306, "TCP",
                     True, id="own-database"),
        pytest.param(Peer("93.184.216.34"), 443, "TCP", True, id="the-internet"),
        pytest.param(Peer("2606:2800:220:1:248:1893:25c8:1946"), 443, "TCP", True, id="the-internet-v6"),
        pytest.param(Peer("169.254.169.254"), 80, "TCP", False, id="cloud-metadata"),
        pytest.param(Peer("fd00:ec2::254"), 80, "TCP", False, id="cloud-metadata-v6"),
        pytest.param(Peer("10.96.0.1"), 443, "TCP", False, id="kubernetes-api-service"),
        pytest.param(Peer("172.18.0.2"), 6443, "TCP", False, id="kubernetes-api-node"),
        pytest.param(Peer("127.0.0.1"), 5432, "TCP", False, id="loopback-range"),
        pytest.param(Peer("192.168.1.10"), 8080, "TCP", False, id="storeplane-on-the-lan"),
        pytest.param(Peer("10.244.2.9", {"kubernetes.io/metadata.name": "store-other"}, {"app": "x"}),
                     80, "TCP", False, id="another-store"),
        pytest.param(Peer("10.244.3.3", {"kubernetes.io/metadata.name": "kube-system"}, {"app": "x"}),
                     53, "UDP", False, id="not-the-dns-pods"),
    ],
)
def test_egress(policy: tuple[str, dict[str, Any]], peer: Peer, port: int, protocol: str,
                expected: bool) -> None:
    _, manifest = policy
    assert "Egress" in manifest["spec"]["policyTypes"]
    assert allowed(manifest, "egress", peer, port, protocol, OWN) is expected


def test_the_ingress_controller_reaches_the_web_port_only(policy: tuple[str, dict[str, Any]]) -> None:
    engine, manifest = policy
    controller = Peer("10.244.0.5", INGRESS_LABELS, {"app.kubernetes.io/name": "ingress-nginx"})
    web = manifests.WEB_PORTS[engine]
    assert allowed(manifest, "ingress", controller, web, "TCP", OWN)
    for database_port in (3306, 5432, 6379):
        assert not allowed(manifest, "ingress", controller, database_port, "TCP", OWN)
    neighbour = Peer("10.244.2.9", {"kubernetes.io/metadata.name": "store-other"}, {"app": "x"})
    assert not allowed(manifest, "ingress", neighbour, web, "TCP", OWN)
    inside = Peer("10.244.1.8", OWN, {"app.kubernetes.io/component": "setup"})
    assert allowed(manifest, "ingress", inside, 3306, "TCP", OWN)


def test_a_public_api_server_address_can_be_excluded() -> None:
    manifest = manifests.network_policy(_store("woocommerce"), INGRESS_LABELS, ("34.1.2.3/32",))
    assert not allowed(manifest, "egress", Peer("34.1.2.3"), 443, "TCP", OWN)
    assert allowed(manifest, "egress", Peer("34.1.2.4"), 443, "TCP", OWN)


def test_store_namespaces_enforce_the_restricted_pod_security_profile() -> None:
    labels = manifests.namespace(_store("medusa"))["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels[manifests.STORE_ID_LABEL]
