"""A real Medusa store, installed by its chart on the real node, takes an order.

Fed by ``charts/medusa`` (values-local.yaml + values-real-node.yaml), the locally built
``storeplane/medusa`` image (deploy/images/medusa, built by ``appimages``) and the session's
real node. Given the reconciler's credentials Secret, when the chart is installed and its
migrations and seed Jobs complete, then a shopper with the publishable key the seed stored in
the Secret places an order through the Store API, the admin finds it through the Admin API,
seeding again changes nothing, and deleting the store removes everything, volumes included.
The shopper reaches the store through the API server's service proxy; the admin through a
port-forward (the proxy drops Authorization headers). Prints the timings and RSS.
"""

from __future__ import annotations

import base64
import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.node.kube import Kubectl, eventually, port_forward
from tests.node.medusa_shopper import admin_api, admin_order_ids, place_order
from tests.node.service_proxy import PortForward, ServiceProxy

pytestmark = [pytest.mark.cluster, pytest.mark.node]

CHART = Path(__file__).resolve().parents[2] / "charts" / "medusa"
SECRET = "store-credentials"
ADMIN_EMAIL = "owner@shop1.example"
ADMIN_PASSWORD = "owner-password-1"
INSTALL_TIMEOUT = 900
SETUP_JOBS = "storeplane.dev/setup-job=true"
COUNTED = ("products", "regions", "api-keys", "shipping-options", "stock-locations", "sales-channels")


def _credentials() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": SECRET},
        "stringData": {
            "admin-username": ADMIN_EMAIL,
            "admin-email": ADMIN_EMAIL,
            "admin-password": ADMIN_PASSWORD,
            "database-password": "dbpass1234",
            "jwt-secret": "jwt-secret-for-the-test",
            "cookie-secret": "cookie-secret-for-the-test",
        },
    }


def _helm(kubectl: Kubectl, tmp_path: Path, *args: str, timeout: float) -> None:
    env = {**kubectl.cluster.env(), "HELM_CACHE_HOME": str(tmp_path / "helm")}
    command = [str(kubectl.cluster.bin_dir / "helm"), "--namespace", kubectl.namespace, *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)}:\n{result.stdout}{result.stderr}\n{_diagnose(kubectl)}")


def _diagnose(kubectl: Kubectl) -> str:
    pods = kubectl.run("get", "pods,jobs,pvc", "-o", "wide", check=False)
    logs = kubectl.run("logs", "-l", SETUP_JOBS, "--all-containers", "--tail=40", check=False)
    server = kubectl.run("logs", "deploy/medusa", "--all-containers", "--tail=60", check=False)
    return f"{pods}\n--- setup job logs ---\n{logs}\n--- server logs ---\n{server}"


def _install(kubectl: Kubectl, tmp_path: Path) -> None:
    _helm(
        kubectl, tmp_path,
        "install", "shop1", str(CHART),
        "-f", str(CHART / "values-local.yaml"),
        "-f", str(CHART / "values-real-node.yaml"),
        "--set-string", "store.name=shop1,store.tenant=acme,store.host=shop1.acme.localhost",
        "--set", f"store.credentialsSecret={SECRET}",
        "--wait", "--timeout", f"{INSTALL_TIMEOUT}s",
        timeout=INSTALL_TIMEOUT + 30,
    )
    try:
        kubectl.run(
            "wait", "--for=condition=complete", "job", "-l", SETUP_JOBS, "--timeout=600s", timeout=630
        )
    except AssertionError as error:
        raise AssertionError(f"{error}\n{_diagnose(kubectl)}") from error


def _secret_key(kubectl: Kubectl, key: str) -> str:
    data = kubectl.json("secret", SECRET)["data"]
    return base64.b64decode(data[key]).decode() if key in data else ""


def _job_seconds(kubectl: Kubectl, component: str) -> float:
    job = kubectl.json("job", "-l", f"app.kubernetes.io/component={component}")["items"][0]["status"]
    start, end = (time.strptime(job[k], "%Y-%m-%dT%H:%M:%SZ") for k in ("startTime", "completionTime"))
    return time.mktime(end) - time.mktime(start)


def _seed_again(kubectl: Kubectl) -> None:
    """Run the seed container once more, without the chart's "already seeded" mark check."""
    template = kubectl.json("job", "-l", "app.kubernetes.io/component=seed")["items"][0]["spec"]["template"]
    spec = template["spec"]
    seed = next(c for c in spec["initContainers"] if c["name"] == "seed")
    spec = {**spec, "initContainers": [], "containers": [seed], "restartPolicy": "Never"}
    kubectl.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "seed-again"}, "spec": spec})
    phase = "jsonpath={.status.phase}=Succeeded"
    try:
        kubectl.wait("pod/seed-again", phase, timeout=300)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{kubectl.run('logs', 'seed-again', check=False)}") from error


def _counts(proxy: PortForward) -> dict[str, int]:
    api = admin_api(proxy, ADMIN_EMAIL, ADMIN_PASSWORD)
    return {name: int(api(f"/admin/{name}?limit=1&fields=id")["count"]) for name in COUNTED}


def _medusa_rss_mib(kubectl: Kubectl) -> float:
    script = "cat /proc/[0-9]*/status 2>/dev/null | awk '/^VmRSS/ {s += $2} END {print s}'"
    return int(kubectl.run("exec", "deploy/medusa", "-c", "medusa", "--", "sh", "-c", script).strip()) / 1024


def _volumes(kubectl: Kubectl) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = kubectl.json("pv")["items"]
    return [pv for pv in items if (pv["spec"].get("claimRef") or {}).get("namespace") == kubectl.namespace]


def _leftovers(kubectl: Kubectl, paths: list[str]) -> list[str]:
    return [
        *kubectl.run("get", "all,pvc,jobs", "-o", "name", check=False).split(),
        *(path for path in paths if Path(path).exists()),
        *(pv["metadata"]["name"] for pv in _volumes(kubectl)),
    ]


def _delete(kubectl: Kubectl, tmp_path: Path) -> list[str]:
    """Uninstall and delete the claims (a StatefulSet's outlive it); return the PVs' host paths."""
    pvs = _volumes(kubectl)
    _helm(kubectl, tmp_path, "uninstall", "shop1", "--wait", timeout=300)
    kubectl.run("delete", "pvc", "--all", "--wait=true", timeout=180)
    kubectl.run("delete", "pod", "seed-again", "--ignore-not-found", timeout=60)
    return [pv["spec"]["hostPath"]["path"] for pv in pvs]


def test_a_medusa_store_on_the_real_node_takes_an_order(kubectl: Kubectl, tmp_path: Path) -> None:
    kubectl.apply(_credentials())
    started = time.monotonic()
    _install(kubectl, tmp_path)
    installed = time.monotonic()
    key = _secret_key(kubectl, "publishable-key")
    assert key.startswith("pk_"), f"the seed stored no publishable key in {SECRET}: {key!r}"
    proxy = ServiceProxy.from_kubeconfig(kubectl.cluster.kubeconfig, kubectl.namespace, "medusa:80", tmp_path)

    try:
        order = place_order(proxy, key, "ada@example.com")
    except AssertionError as error:
        raise AssertionError(f"{error}\n{_diagnose(kubectl)}") from error
    ordered = time.monotonic()

    with port_forward(kubectl, "svc/medusa") as base:
        admin = PortForward(base)
        assert order in admin_order_ids(admin, ADMIN_EMAIL, ADMIN_PASSWORD)
        before = _counts(admin)
        _seed_again(kubectl)
        assert _counts(admin) == before
    assert _secret_key(kubectl, "publishable-key") == key
    numbers = {
        "install_to_ready_s": round(installed - started, 1),
        "install_to_order_s": round(ordered - started, 1),
        "migrations_job_s": _job_seconds(kubectl, "migrations"),
        "seed_job_s": _job_seconds(kubectl, "seed"),
        "medusa_rss_mib": round(_medusa_rss_mib(kubectl)),
        "seeded": before,
    }
    print(f"\nmedusa store numbers: {json.dumps(numbers)}")

    paths = _delete(kubectl, tmp_path)
    try:
        eventually(lambda: not _leftovers(kubectl, paths), what="store objects and volumes gone", timeout=120)
    except AssertionError as error:
        raise AssertionError(f"{error}; left: {_leftovers(kubectl, paths)}") from error
