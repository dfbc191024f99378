"""The platform, installed by its own chart on the real node and reached through Traefik, serves
the dashboard and GraphQL, provisions and deletes stores, and upgrades without losing a create.

Fed by ``deploy/helm/storeplane`` with ``values-local.yaml`` (the real node's toleration, the
in-chart PostgreSQL on the postgres stand-in, the schema Job hook, the Ingress of class traefik),
the ``storeplane/storeplane`` image built by ``appimages`` and the session's real node, whose
Traefik serves ``storeplane.localhost`` at 127.0.0.1:80 (``platform_api``). One release for the
module, in file order: (1) given ``helm install``, the dashboard's page and its script, tenant
GraphQL (Authorization passes) and a websocket subscription answer through the ingress, and two
stores created there reach READY (their pods on kwok nodes) while an API pod and a reconciler
pod are deleted; the audit chain verifies; a deleted store leaves nothing. (2) When ``helm
upgrade`` moves the release to a second tag of the image while a burst of creates arrives, then
every pod runs the new tag and every create exists exactly once and reaches READY. (3) ``helm
uninstall`` leaves a store's namespace alone. Prints the timings and what the burst saw.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from storeplane.localcluster import appimages, node, runtime
from storeplane.localcluster import nodeconfig as nc
from tests.fixtures.kube import KubeCluster
from tests.node import platform_api as api
from tests.node.kube import Kubectl, eventually
from tests.node.upgrade_burst import Burst

pytestmark = [pytest.mark.cluster, pytest.mark.node]

CHART = api.CHART
RELEASE = "sp-node"
FULLNAME = f"{RELEASE}-storeplane"
IMAGE = appimages.STOREPLANE.name  # docker.io/storeplane/storeplane:0.1.0, the chart's appVersion
NEXT_TAG = IMAGE.rpartition(":")[2] + "-next"  # the same build under a second name
# As the pods name it (the chart's image.repository; containerd's name has docker.io/ in front).
NEXT_IMAGE = f"{yaml.safe_load((CHART / 'values.yaml').read_text())['image']['repository']}:{NEXT_TAG}"
INSTALL_TIMEOUT = 600
STORE_TIMEOUT = 300
COMPONENTS = ("api", "reconciler", "followers")
STORE_UPDATES = "subscription { storeUpdated { id status } }"


@dataclass(frozen=True)
class Platform:
    kubectl: Kubectl
    helm_cache: Path

    def helm(self, *args: str, timeout: float) -> str:
        env = {**self.kubectl.cluster.env(), "HELM_CACHE_HOME": str(self.helm_cache)}
        command = [str(self.kubectl.cluster.bin_dir / "helm"), *args]
        result = subprocess.run(
            command, env=env, capture_output=True, text=True, check=False, timeout=timeout
        )
        if result.returncode != 0:
            raise AssertionError(
                f"helm {' '.join(args)}:\n{result.stdout}{result.stderr}\n{self.kubectl.diagnosis()}"
            )
        return result.stdout

    def token(self, *args: str) -> str:
        return self.kubectl.run("exec", f"deploy/{FULLNAME}-api", "--", "storeplane", "tokens", "create",
                                *args).strip()

    def install_args(self, *more: str) -> list[str]:
        return ["--namespace", self.kubectl.namespace, RELEASE, str(CHART), "-f",
                str(CHART / "values-local.yaml"), *more, "--wait", "--timeout", f"{INSTALL_TIMEOUT}s"]


@pytest.fixture(scope="module")
def platform(real_node: KubeCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    admin = Kubectl(real_node, "default")
    name = f"n-{uuid.uuid4().hex[:10]}"
    admin.run("create", "namespace", name)
    scoped = Kubectl(real_node, name)
    eventually(lambda: "default" in scoped.run("get", "serviceaccounts", check=False), what="ServiceAccount")
    release = Platform(scoped, tmp_path_factory.mktemp("helm"))
    started = time.monotonic()
    release.helm("install", *release.install_args(), timeout=INSTALL_TIMEOUT + 30)
    print(f"\nplatform installed in {time.monotonic() - started:.1f}s")
    yield release
    release.helm("uninstall", "--namespace", name, RELEASE, "--ignore-not-found", "--wait", timeout=300)
    admin.run("delete", "namespace", name, "--wait=false", check=False)


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


def _until_status(token: str, store_id: str, wanted: str, kubectl: Kubectl) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        store = api.status(token, store_id)
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


def test_through_traefik_the_dashboard_graphql_and_subscriptions_answer_and_stores_come_and_go(
    platform: Platform,
) -> None:
    kubectl = platform.kubectl
    node_name = _real_node(kubectl)
    placed = {p["metadata"]["name"]: (p["spec"].get("nodeName"), _ready(p)) for p in _pods(kubectl)}
    assert len(placed) == 7, placed
    assert all(spot == (node_name, True) for spot in placed.values()), placed

    def dashboard() -> tuple[int, str, str] | None:
        answer = api.get("/")
        return answer if answer[0] == 200 else None

    _status, kind, page = eventually(dashboard, what="the dashboard's page through Traefik")
    assert kind.startswith("text/html"), kind
    script = api.script_of(page)
    status, kind, _body = api.get(script)
    assert (status, kind.split(";")[0]) in {(200, "text/javascript"), (200, "application/javascript")}
    # Unauthenticated GraphQL is refused: the 200s below are the token's, so the header passed.
    assert api.post("not-a-token", api.STORE, {"id": str(uuid.uuid4())})[1].get("errors")

    token = platform.token("--tenant", "acme")
    api_pods = sorted(p["metadata"]["name"] for p in _pods(kubectl, "api"))
    reconciler_pods = sorted(p["metadata"]["name"] for p in _pods(kubectl, "reconciler"))
    made = time.monotonic()
    with api.subscription(token, STORE_UPDATES) as updates:
        kept = api.create(token, "kept")
        # The subscription's socket went through Traefik's websocket upgrade.
        assert api.next_data(updates)["storeUpdated"]["id"] == kept["id"]
    gone = api.create(token, "gone")
    # Mid-provisioning: one API pod and one reconciler go; their leases and connections with them.
    kubectl.run("delete", "pod", api_pods[1], reconciler_pods[0], "--wait=false")
    for store in (kept, gone):
        _until_status(token, store["id"], "READY", kubectl)
    ready = time.monotonic()
    eventually(lambda: len([p for p in _pods(kubectl) if _ready(p)]) == 7, what="deleted pods replaced")
    kubectl.run("exec", f"deploy/{FULLNAME}-api", "--", "storeplane", "audit", "verify")

    api.data(token, api.DELETE, {"id": gone["id"]})
    _until_status(token, gone["id"], "DELETED", kubectl)
    assert _namespace_phase(kubectl, gone["namespace"]) == "", "a deleted store's namespace remains"
    eventually(lambda: not _volumes_of(kubectl, gone["namespace"]), what="the deleted store's volumes")
    print(f"\nplatform through traefik: {json.dumps({'stores_ready_s': round(ready - made, 1)})}")


def _images(kubectl: Kubectl, component: str) -> set[str]:
    return {c["image"] for p in _pods(kubectl, component) for c in p["spec"]["containers"]}


def _replica_sets(kubectl: Kubectl, component: str) -> dict[str, tuple[str, int]]:
    """Each ReplicaSet of a component: (its image, its replicas)."""
    found = kubectl.json("replicasets", "-l", f"app.kubernetes.io/instance={RELEASE},"
                         f"app.kubernetes.io/component={component}")["items"]
    return {
        rs["metadata"]["name"]: (rs["spec"]["template"]["spec"]["containers"][0]["image"],
                                 rs["spec"]["replicas"])
        for rs in found
    }


def _requested_per_key(kubectl: Kubectl, tenants: tuple[str, ...]) -> dict[tuple[str, str], int]:
    """How many StoreRequested (the creation event) each (tenant, idempotency key) has in the log."""
    names = ",".join(f"'{t}'" for t in tenants)
    sql = (
        "SELECT state->>'tenant', state->>'idempotency_key', count(*) FROM storeplane_events_readable "
        f"WHERE topic LIKE '%Store.Requested' AND state->>'tenant' IN ({names}) GROUP BY 1, 2"
    )
    psql = ["psql", "-U", "storeplane", "-d", "storeplane", "-tAF", "\t", "-c", sql]
    out = kubectl.run("exec", f"{FULLNAME}-postgresql-0", "--", *psql)
    rows = [line.split("\t") for line in out.splitlines() if line.strip()]
    return {(tenant, key): int(count) for tenant, key, count in rows}


def _releases_by_namespace(platform: Platform) -> dict[str, list[str]]:
    releases = json.loads(platform.helm("list", "--all-namespaces", "--all", "-o", "json", timeout=60))
    by_namespace: dict[str, list[str]] = {}
    for release in releases:
        by_namespace.setdefault(release["namespace"], []).append(release["name"])
    return by_namespace


def test_a_rolling_upgrade_during_a_burst_of_creates_loses_none_and_duplicates_none(
    platform: Platform, real_node: KubeCluster
) -> None:
    kubectl = platform.kubectl
    cluster = runtime.cluster(real_node.name, bin_dir=real_node.bin_dir)
    node.tag_image(cluster, IMAGE, f"{IMAGE.rpartition(':')[0]}:{NEXT_TAG}")
    before = {c: set(_replica_sets(kubectl, c)) for c in COMPONENTS}
    burst = Burst(token=platform.token("--tenant", "admin", "--admin"),
                  tenants=tuple(f"burst{i}" for i in range(6)), per_tenant=8, pause=3.0)
    sender = threading.Thread(target=burst.run)
    sender.start()
    eventually(lambda: burst.acknowledged(), what="the burst's first acknowledged create")
    upgrade_started = time.monotonic()
    upgrade = platform.install_args("--set", f"image.tag={NEXT_TAG}")
    platform.helm("upgrade", *upgrade, timeout=INSTALL_TIMEOUT + 30)
    upgraded = time.monotonic()
    sender.join()

    # The rollout happened: a new ReplicaSet per component holds every pod, on the new tag.
    for component in COMPONENTS:
        sets = _replica_sets(kubectl, component)
        new = {name: spec for name, spec in sets.items() if name not in before[component]}
        assert [image for image, _ in new.values()] == [NEXT_IMAGE], (component, sets)
        assert all(replicas == 0 for name, (_, replicas) in sets.items() if name in before[component]), sets
        assert _images(kubectl, component) == {NEXT_IMAGE}, component
    during = [c for c in burst.creates if upgrade_started <= c.started <= upgraded]
    assert during, "no create was sent while the upgrade ran: the burst did not overlap it"

    # Every create was acknowledged (after retries with its key), and exists exactly once.
    assert [c.key for c in burst.creates if not c.store_id] == [], burst.summary()
    per_key = _requested_per_key(kubectl, burst.tenants)
    assert per_key == {(c.tenant, c.key): 1 for c in burst.creates}
    admin = burst.token
    namespaces = {}
    for entry in burst.creates:
        store = _until_status(admin, entry.store_id, "READY", kubectl)
        namespaces[entry.store_id] = store["namespace"]
    assert len(set(namespaces.values())) == len(burst.creates)
    releases = _releases_by_namespace(platform)
    assert all(len(releases.get(ns, [])) == 1 for ns in namespaces.values()), releases
    kubectl.run("exec", f"deploy/{FULLNAME}-api", "--", "storeplane", "audit", "verify")
    numbers = {"upgrade_s": round(upgraded - upgrade_started, 1), "creates_during_upgrade": len(during),
               **burst.summary()}
    print(f"\nrolling upgrade under a burst: {json.dumps(numbers)}")


def test_helm_uninstall_leaves_the_stores_alone(platform: Platform) -> None:
    kubectl = platform.kubectl
    token = platform.token("--tenant", "keeper")
    kept = api.create(token, "kept")
    _until_status(token, kept["id"], "READY", kubectl)
    platform.helm("uninstall", "--namespace", kubectl.namespace, RELEASE, "--wait", timeout=300)
    try:
        assert _namespace_phase(kubectl, kept["namespace"]) == "Active", "helm uninstall took a store"
        assert "deployment" in Kubectl(kubectl.cluster, kept["namespace"]).run("get", "deploy", "-o", "name")
    finally:
        kubectl.run("delete", "namespace", kept["namespace"], "--wait=false", check=False)
