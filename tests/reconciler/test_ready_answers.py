"""READY means the store answers: on the real node, where its container really runs, the
reconciler calls the store through the API server's proxy before recording it ready, and says
what answered; a store whose page stops answering is not made ready."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from domain.service import StoreService
from projections.queries import ReadModel
from storeplane.localcluster import nodeconfig as nc
from tests.fixtures.kube import KubeCluster
from tests.reconciler.harness import fast_settings, mini_charts, reconciler, status_is, wait_for
from tests.reconciler.test_provisioning import create

pytestmark = [pytest.mark.cluster, pytest.mark.node, pytest.mark.asyncio(loop_scope="session")]


def real_node_values(path: Path, *, serves: bool) -> Path:
    """Values that put the mini store's pods on the real node with a real web server; `serves`
    False points the Ingress at a Service port nothing listens on."""
    values = {
        "runnable": True,
        "tolerations": [{"key": nc.TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"}],
        "nodeSelector": {nc.NODE_LABEL: "real"},
    }
    if not serves:
        values["replicas"] = 0
    path.write_text(json.dumps(values))
    return path


async def test_a_store_on_the_real_node_is_ready_once_its_page_answers(
    real_node: KubeCluster, database_url: str, service: StoreService, read_model: ReadModel,
    tenant: str, helm_home: Path, tmp_path: Path,
) -> None:
    settings = fast_settings(real_node, mini_charts(real_node_values(tmp_path / "v.json", serves=True)),
                             helm_home)
    store_id, _ = create(service, tenant)
    async with reconciler(database_url, settings, real_node.kubeconfig):
        row = await wait_for(read_model, store_id, status_is("ready", "failed"), what="ready", within=240)
    assert row.status == "ready", row.status_reason
    ready = (await read_model.events(store_id=row.id))[-1]
    assert ready.type == "BecameReady"
    check = json.loads(ready.data)["check"]
    assert check.startswith("GET / answered HTTP 200 in "), check


async def test_a_store_whose_service_has_nothing_behind_it_is_not_made_ready(
    real_node: KubeCluster, database_url: str, service: StoreService, read_model: ReadModel,
    tenant: str, helm_home: Path, tmp_path: Path,
) -> None:
    """No pod behind the Service (0 replicas: the workloads are "ready", nothing can answer):
    every attempt fails at the ready step with what the call got, until the retries run out."""
    settings = fast_settings(real_node, mini_charts(real_node_values(tmp_path / "v.json", serves=False)),
                             helm_home)
    store_id, _ = create(service, tenant)
    async with reconciler(database_url, settings, real_node.kubeconfig):
        row = await wait_for(read_model, store_id, status_is("ready", "failed"), what="failed", within=240)
    assert row.status == "failed"
    assert "GET / through Service" in row.status_reason, row.status_reason
    assert "answered HTTP 503" in row.status_reason, row.status_reason
