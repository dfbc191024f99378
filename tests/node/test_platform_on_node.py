"""The platform, installed by its own chart on the real node, provisions and deletes a store.

Fed by ``deploy/helm/storeplane`` with ``values-local.yaml`` (the real node's toleration, the
in-chart PostgreSQL on the postgres stand-in, the schema Job hook), the ``storeplane/storeplane``
image built by ``appimages`` and the session's real node. Given ``helm install``, when every
platform pod is Ready on the real node, then a tenant's GraphQL calls to the in-cluster API
create two stores that the in-cluster reconciler provisions to READY (their own pods land on
kwok nodes) while one API pod and one reconciler pod are deleted mid-provisioning, the audit
chain verifies, deleting one store leaves nothing of it, and ``helm uninstall`` leaves the
other store's namespace alone. GraphQL goes through a ``kubectl port-forward`` to one API pod:
the API server's service proxy drops the Authorization header. Prints the timings.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from storeplane.localcluster import nodeconfig as nc
from tests.node.kube import Kubectl, eventually, port_forward
from tests.node.service_proxy import request

pytestmark = [pytest.mark.cluster, pytest.mark.node]

CHART = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "storeplane"
RELEASE = "sp-node"
FULLNAME = f"{RELEASE}-storeplane"
API_PORT = 8080  # the pod's; a port-forward to a pod skips the Service's port 80
INSTALL_TIMEOUT = 600
STORE_TIMEOUT = 300
CREATE = """mutation($input: CreateStoreInput!) {
  createStore(input: $input) { store { id status namespace } } }"""
DELETE = "mutation($id: ID!) { deleteStore(id: $id) { store { id status } } }"
STORE = "query($id: ID!) { store(id: $id) { status statusReason namespace } }"


def _helm(kubectl: Kubectl, tmp_path: Path, *args: str, timeout: float) -> None:
    env = {**kubectl.cluster.env(), "HELM_CACHE_HOME": str(tmp_path / "helm")}
    command = [str(kubectl.cluster.bin_dir / "helm"), "--namespace", kubectl.namespace, *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)}:\n{result.stdout}{result.stderr}\n{kubectl.diagnosis()}")


def _pods(kubectl: Kubectl, component: str = "") -> list[dict[str, Any]]:
    selector = f"app.kubernetes.io/instance={RELEASE}"
    if component:
        selector += f",app.kubernetes.io/component={component}"
    items: list[dict[str, Any]] = kubectl.json("pods", "-l", selector)["items"]
    # The schema Job's pod (a hook, deleted once it succeeded) is not one of the platform's.
    return [
        p for p in items
        if not p["metadata"].get("deletionTimestamp")
        and p["metadata"]["labels"].get("app.kubernetes.io/component") != "schema"
    ]


def _ready(pod: dict[str, Any]) -> bool:
    conditions = pod.get("status", {}).get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def _real_node(kubectl: Kubectl) -> str:
    nodes = kubectl.json("nodes", "-l", f"{nc.NODE_LABEL}=real")["items"]
    assert len(nodes) == 1, f"one real node expected: {[n['metadata']['name'] for n in nodes]}"
    name: str = nodes[0]["metadata"]["name"]
    return name


class Api:
    """A tenant's GraphQL calls to one API pod, through a port-forward."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token

    def data(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        status, body = request(
            f"{self.base}/graphql", "POST", {"query": query, "variables": variables},
            {"Authorization": f"Bearer {self.token}"}, None,
        )
        assert status == 200, f"GraphQL answered {status}: {body}"
        assert not body.get("errors"), body["errors"]
        result: dict[str, Any] = body["data"]
        return result

    def create(self, name: str) -> dict[str, Any]:
        store: dict[str, Any] = self.data(CREATE, {"input": {"name": name, "engine": "WOOCOMMERCE"}})[
            "createStore"
        ]["store"]
        return store

    def status(self, store_id: str) -> dict[str, Any]:
        store: dict[str, Any] = self.data(STORE, {"id": store_id})["store"]
        return store


def _until_status(api: Api, store_id: str, wanted: str, kubectl: Kubectl) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        store = api.status(store_id)
        assert store["status"] != "FAILED", f"store {store_id} failed: {store['statusReason']}"
        return store if store["status"] == wanted else None

    try:
        result: dict[str, Any] = eventually(reached, what=f"store {store_id} {wanted}", timeout=STORE_TIMEOUT)
    except AssertionError as error:
        logs = kubectl.run("logs", "-l", "app.kubernetes.io/component=reconciler", "--tail=40", check=False)
        raise AssertionError(f"{error}\n--- reconciler logs ---\n{logs}") from error
    return result


def _namespace_phase(kubectl: Kubectl, name: str) -> str:
    found = kubectl.run("get", "namespace", name, "-o", "jsonpath={.status.phase}", check=False)
    return "" if "NotFound" in found else found.strip()


def _volumes_of(kubectl: Kubectl, namespace: str) -> list[str]:
    claims = {pv["metadata"]["name"]: pv["spec"].get("claimRef") or {} for pv in kubectl.json("pv")["items"]}
    return [name for name, claim in claims.items() if claim.get("namespace") == namespace]


def test_the_platform_chart_on_the_real_node_provisions_and_deletes_a_store(
    kubectl: Kubectl, tmp_path: Path
) -> None:
    started = time.monotonic()
    _helm(
        kubectl, tmp_path, "install", RELEASE, str(CHART), "-f", str(CHART / "values-local.yaml"),
        "--wait", "--timeout", f"{INSTALL_TIMEOUT}s", timeout=INSTALL_TIMEOUT + 30,
    )
    installed = time.monotonic()
    node = _real_node(kubectl)
    pods = _pods(kubectl)
    placed = {p["metadata"]["name"]: (p["spec"].get("nodeName"), _ready(p)) for p in pods}
    assert len(pods) == 7, placed
    assert all(spot == (node, True) for spot in placed.values()), placed

    token = kubectl.run("exec", f"deploy/{FULLNAME}-api", "--", "storeplane", "tokens", "create", "--tenant",
                        "acme").strip()
    api_pods = sorted(p["metadata"]["name"] for p in _pods(kubectl, "api"))
    reconciler_pods = sorted(p["metadata"]["name"] for p in _pods(kubectl, "reconciler"))
    with port_forward(kubectl, f"pod/{api_pods[0]}", API_PORT) as base:
        api = Api(base, token)
        made = time.monotonic()
        kept, gone = api.create("kept"), api.create("gone")
        # Mid-provisioning: the other API pod and one reconciler go; their leases and
        # connections with them.
        kubectl.run("delete", "pod", api_pods[1], reconciler_pods[0], "--wait=false")
        for store in (kept, gone):
            _until_status(api, store["id"], "READY", kubectl)
        ready = time.monotonic()
        eventually(lambda: len([p for p in _pods(kubectl) if _ready(p)]) == 7, what="deleted pods replaced")
        kubectl.run("exec", f"deploy/{FULLNAME}-api", "--", "storeplane", "audit", "verify")

        api.data(DELETE, {"id": gone["id"]})
        _until_status(api, gone["id"], "DELETED", kubectl)
        assert _namespace_phase(kubectl, gone["namespace"]) == "", "a deleted store's namespace remains"
        eventually(lambda: not _volumes_of(kubectl, gone["namespace"]), what="the deleted store's volumes")

    _helm(kubectl, tmp_path, "uninstall", RELEASE, "--wait", timeout=300)
    try:
        assert _namespace_phase(kubectl, kept["namespace"]) == "Active", "helm uninstall took a store"
        assert "deployment" in Kubectl(kubectl.cluster, kept["namespace"]).run("get", "deploy", "-o", "name")
    finally:
        kubectl.run("delete", "namespace", kept["namespace"], "--wait=false", check=False)
    numbers = {"install_to_ready_s": round(installed - started, 1), "stores_ready_s": round(ready - made, 1)}
    print(f"\nplatform on the real node: {json.dumps(numbers)}")
