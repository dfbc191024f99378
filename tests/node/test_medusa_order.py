"""A real Medusa store, created through storeplane's public API on the real node, takes an order.

Fed by `storeplane up` on the session's cluster with the real node, installing every chart with its
`local` and `real-node` values (STOREPLANE_CHART_PROFILES), the locally built ``storeplane/medusa``
image and ``charts/medusa``. Given a tenant's token, when the tenant creates a MEDUSA store with
GraphQL, then the reconciler provisions it on the real node and records READY only after the
store's Store API answered with the publishable key its seed stored; the owner reveals the
credentials; the store's URL answers from the host through the node's Traefik; a shopper with
that key places an order through the Store API; the owner finds it through the Admin API;
seeding again changes nothing; a migrations run after one cut off before the admin's login was
created gives the admin its login back; and deleting the store through the API removes everything,
volumes included. The shopper reaches the store through the API server's
service proxy, the admin through a port-forward (the proxy drops Authorization headers). Prints
the timings, per step, and the server's RSS.
"""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.server import Platform, build_dashboard
from tests.fixtures.kube import KubeCluster
from tests.node import ingress_client
from tests.node.kube import Kubectl, eventually, port_forward
from tests.node.medusa_shopper import StoreCallFailed, admin_api, admin_order_ids, place_order
from tests.node.service_proxy import PortForward, ServiceProxy

pytestmark = [pytest.mark.cluster, pytest.mark.node]

READY_TIMEOUT = 900
COUNTED = ("products", "regions", "api-keys", "shipping-options", "stock-locations", "sales-channels")
STORE = """
query Store($id: ID!) {
  store(id: $id) {
    status statusReason namespace url
    provisioningTimes { step seconds sinceStartSeconds }
    events(first: 100) { type data }
  }
}"""
CREATE = """
mutation Create($input: CreateStoreInput!) { createStore(input: $input) { store { id namespace } } }"""
REVEAL = """
mutation Reveal($id: ID!) {
  revealStoreCredentials(id: $id) { adminUrl adminUsername adminPassword publishableKey }
}"""
DELETE = "mutation Delete($id: ID!) { deleteStore(id: $id) { store { status } } }"


@pytest.fixture(scope="module")
def platform(
    make_database: Callable[[], str], real_node: KubeCluster, tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Platform]:
    """`storeplane up` as an operator runs it beside the local cluster, on a database of its own."""
    build_dashboard()
    cluster_env = real_node.env()
    running = Platform(
        database_url=make_database(),
        log_path=tmp_path_factory.mktemp("medusa-platform") / "storeplane-up.log",
        extra_env={
            "KUBECONFIG": cluster_env["KUBECONFIG"],
            "PATH": cluster_env["PATH"],
            "STOREPLANE_CHART_PROFILES": "local,real-node",
            # Migrations and the first start of a cold image on a loaded 2-core machine.
            "STOREPLANE_HELM_TIMEOUT_SECONDS": "900",
        },
    )
    running.start()
    yield running
    running.stop()


def _graphql(platform: Platform, token: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 (the platform's loopback URL)
        f"{platform.base_url}/graphql", data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
        body: dict[str, Any] = json.loads(response.read())
    assert not body.get("errors"), body["errors"]
    data: dict[str, Any] = body["data"]
    return data


def _diagnose(kubectl: Kubectl, platform: Platform) -> str:
    pods = kubectl.run("get", "pods,jobs,pvc", "-o", "wide", check=False)
    jobs = kubectl.run("logs", "-l", "storeplane.dev/setup-job=true", "--all-containers", "--tail=40",
                       check=False)
    server = kubectl.run("logs", "deploy/medusa", "--all-containers", "--tail=60", check=False)
    return (f"{pods}\n--- setup job logs ---\n{jobs}\n--- server logs ---\n{server}"
            f"\n--- storeplane up ---\n{platform.log_tail(60)}")


def _until_status(
    platform: Platform, token: str, store_id: str, wanted: set[str], kubectl: Kubectl, timeout: float,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        store: dict[str, Any] = _graphql(platform, token, STORE, {"id": store_id})["store"]
        if store["status"] in wanted:
            return store
        if store["status"] == "FAILED" or time.monotonic() > deadline:
            raise AssertionError(
                f"store {store_id} is {store['status']} ({store['statusReason']}), not {wanted}:\n"
                f"{_diagnose(kubectl, platform)}"
            )
        time.sleep(2)


def _job_seconds(kubectl: Kubectl, component: str) -> float:
    job = kubectl.json("job", "-l", f"app.kubernetes.io/component={component}")["items"][0]["status"]
    start, end = (time.strptime(job[k], "%Y-%m-%dT%H:%M:%SZ") for k in ("startTime", "completionTime"))
    return time.mktime(end) - time.mktime(start)


def _run_once(kubectl: Kubectl, component: str, container: str, pod: str, script: str | None = None) -> str:
    """Run one container of a setup Job's pod template as a pod of its own (with `script` as
    its shell script instead of the chart's, if given), without the Job's ordering; its log."""
    job = kubectl.json("job", "-l", f"app.kubernetes.io/component={component}")["items"][0]
    spec = job["spec"]["template"]["spec"]
    chosen = next(c for c in [*spec.get("initContainers", []), *spec["containers"]] if c["name"] == container)
    if script is not None:
        chosen = {**chosen, "args": [script]}
    spec = {**spec, "initContainers": [], "containers": [chosen], "restartPolicy": "Never"}
    kubectl.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": pod}, "spec": spec})
    try:
        kubectl.wait(f"pod/{pod}", "jsonpath={.status.phase}=Succeeded", timeout=300)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{kubectl.run('logs', pod, check=False)}") from error
    return kubectl.run("logs", pod)


def _seed_again(kubectl: Kubectl) -> None:
    """Run the seed container once more, without the chart's "already seeded" mark check."""
    _run_once(kubectl, "seed", "seed", "seed-again")


def _cut_off_admin(kubectl: Kubectl, email: str) -> None:
    """Leave the admin as a `medusa user` cut off after creating the user leaves it: the user is
    there, its emailpass login is not."""
    assert "'" not in email, email
    sql = ("WITH gone AS (DELETE FROM provider_identity"
           f" WHERE provider = 'emailpass' AND entity_id = '{email}' RETURNING auth_identity_id)"
           " DELETE FROM auth_identity WHERE id IN (SELECT auth_identity_id FROM gone)")
    log = _run_once(kubectl, "migrations", "record-migrations", "cut-off-admin",
                    script=f'psql -v ON_ERROR_STOP=1 -c "{sql}"')
    assert "DELETE 1" in log, log


def _admin_login_status(admin: PortForward, email: str, password: str) -> str:
    """"ok", or the failed login's answer ("HTTP 401: ...")."""
    try:
        admin_api(admin, email, password)
    except StoreCallFailed as failed:
        return str(failed).partition(": ")[2]
    return "ok"


def _counts(proxy: PortForward, email: str, password: str) -> dict[str, int]:
    api = admin_api(proxy, email, password)
    return {name: int(api(f"/admin/{name}?limit=1&fields=id")["count"]) for name in COUNTED}


def _medusa_rss_mib(kubectl: Kubectl) -> float:
    script = "cat /proc/[0-9]*/status 2>/dev/null | awk '/^VmRSS/ {s += $2} END {print s}'"
    return int(kubectl.run("exec", "deploy/medusa", "-c", "medusa", "--", "sh", "-c", script).strip()) / 1024


def _volumes(kubectl: Kubectl) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = kubectl.json("pv")["items"]
    return [pv for pv in items if (pv["spec"].get("claimRef") or {}).get("namespace") == kubectl.namespace]


def _leftovers(kubectl: Kubectl, paths: list[str]) -> list[str]:
    """What is left of a deleted store: its namespace, its volumes and their directories."""
    namespaces = Kubectl(kubectl.cluster, "default").json("namespaces")["items"]
    return [
        *(f"namespace/{kubectl.namespace}" for n in namespaces if n["metadata"]["name"] == kubectl.namespace),
        *(path for path in paths if Path(path).exists()),
        *(f"pv/{pv['metadata']['name']}" for pv in _volumes(kubectl)),
    ]


def test_a_medusa_store_created_through_the_api_takes_an_order(
    platform: Platform, real_node: KubeCluster, tmp_path: Path
) -> None:
    tenant = f"t{uuid.uuid4().hex[:8]}"
    token = platform.token(tenant)
    started = time.monotonic()
    shop = {"input": {"name": "shop", "engine": "MEDUSA", "plan": "small"}}
    created = _graphql(platform, token, CREATE, shop)
    store_id, namespace = created["createStore"]["store"]["id"], created["createStore"]["store"]["namespace"]
    kubectl = Kubectl(real_node, namespace)
    ready = _until_status(platform, token, store_id, {"READY"}, kubectl, READY_TIMEOUT)
    ready_after = time.monotonic() - started
    check = next(json.loads(e["data"]) if isinstance(e["data"], str) else e["data"]
                 for e in reversed(ready["events"]) if e["type"] == "BecameReady")["check"]
    assert "GET /store/products answered HTTP 200" in check, check
    assert ready["provisioningTimes"][-1]["step"] == "BecameReady", ready["provisioningTimes"]
    # Store.url opens from the host through the node's Traefik (Medusa answers 404 at "/": it is
    # headless; /health under the same URL is its own answer).
    health = f"{ready['url']}health"
    assert eventually(lambda: ingress_client.get(health)[0] == 200 or None, what=f"GET {health}")

    revealed = _graphql(platform, token, REVEAL, {"id": store_id})["revealStoreCredentials"]
    key = revealed["publishableKey"]
    assert key, revealed
    assert key.startswith("pk_"), revealed
    proxy = ServiceProxy.from_kubeconfig(real_node.kubeconfig, namespace, "medusa:80", tmp_path)
    try:
        order = place_order(proxy, key, "ada@example.com")
    except AssertionError as error:
        raise AssertionError(f"{error}\n{_diagnose(kubectl, platform)}") from error
    ordered_after = time.monotonic() - started

    email, password = revealed["adminUsername"], revealed["adminPassword"]
    with port_forward(kubectl, "svc/medusa") as base:
        admin = PortForward(base)
        try:
            assert order in admin_order_ids(admin, email, password)
        except StoreCallFailed as error:
            raise AssertionError(f"{error}\n{_diagnose(kubectl, platform)}") from error
        before = _counts(admin, email, password)
        _seed_again(kubectl)
        assert _counts(admin, email, password) == before
        # A migrations run cut off between creating the admin and its login: the next run completes it.
        _cut_off_admin(kubectl, email)
        assert _admin_login_status(admin, email, password).startswith("HTTP 401")
        _run_once(kubectl, "migrations", "migrate", "migrate-again")
        assert _admin_login_status(admin, email, password) == "ok"
    numbers = {
        "create_to_ready_s": round(ready_after, 1),
        "create_to_order_s": round(ordered_after, 1),
        "steps_s": {t["step"]: round(t["seconds"], 1) for t in ready["provisioningTimes"]},
        "migrations_job_s": _job_seconds(kubectl, "migrations"),
        "seed_job_s": _job_seconds(kubectl, "seed"),
        "medusa_rss_mib": round(_medusa_rss_mib(kubectl)),
        "seeded": before,
    }
    print(f"\nmedusa store numbers: {json.dumps(numbers)}")

    pvs = _volumes(kubectl)
    paths = [pv["spec"]["hostPath"]["path"] for pv in pvs if "hostPath" in pv["spec"]]
    assert pvs, "the store had no volumes to remove"
    one_off = ("seed-again", "cut-off-admin", "migrate-again")
    kubectl.run("delete", "pod", *one_off, "--ignore-not-found", timeout=60)
    _graphql(platform, token, DELETE, {"id": store_id})
    _until_status(platform, token, store_id, {"DELETED"}, kubectl, 600)
    try:
        eventually(lambda: not _leftovers(kubectl, paths), what="the store's namespace and volumes gone",
                   timeout=180)
    except AssertionError as error:
        raise AssertionError(f"{error}; left: {_leftovers(kubectl, paths)}") from error
