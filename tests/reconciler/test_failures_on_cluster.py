"""Impossible requests on the real local control plane: the store ends FAILED with a reason a user
can read, other stores are not held up, and `retryStore` recovers it once the cause is fixed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from domain.actors import Stamp, tenant_actor
from domain.service import StoreService
from projections.queries import ReadModel
from tests.fixtures.kube import KubeCluster
from tests.reconciler.harness import (
    ClusterTools,
    fast_settings,
    mini_charts,
    reconciler,
    status_is,
    unique_name,
    wait_for,
)

pytestmark = [pytest.mark.cluster, pytest.mark.asyncio(loop_scope="session")]


@pytest.mark.parametrize(
    ("broken_values", "reason_contains"),
    [
        pytest.param("storage: 50Gi\n", "exceeded quota", id="chart asks for more storage than the plan"),
        pytest.param("storage: lots\n", "schema", id="values the chart's schema rejects"),
    ],
)
async def test_an_impossible_store_fails_readably_and_retry_recovers_it_once_fixed(
    broken_values: str, reason_contains: str, kube_cluster: KubeCluster, database_url: str,
    service: StoreService, read_model: ReadModel, tenant: str, tools: ClusterTools, helm_home: Path,
    tmp_path: Path,
) -> None:
    values = tmp_path / "values.yaml"
    values.write_text(broken_values)
    settings = fast_settings(kube_cluster, mini_charts(values), helm_home)
    actor = tenant_actor(tenant, "t1")
    broken = service.create_store(
        tenant=tenant, name=unique_name("bad"), engine="woocommerce", plan="small",
        idempotency_key=None, stamp=Stamp(actor, "create-bad"),
    )
    async with reconciler(database_url, settings, kube_cluster.kubeconfig):
        failed = await wait_for(read_model, broken.id, status_is("failed", "ready"), what="failed")
        assert failed.status == "failed"
        assert failed.status_reason.startswith("release: ")
        assert reason_contains in failed.status_reason
        assert tools.release_status(broken.name, broken.namespace) is None, "atomic install rolled back"

        values.write_text("storage: 1Gi\n")
        retried = service.retry_store(broken.id, stamp=Stamp(actor, "retry-bad"))
        ready = await wait_for(
            read_model, broken.id, status_is("ready", "failed", after_version=retried.version),
            what="ready after retry",
        )
    assert (ready.status, ready.status_reason) == ("ready", "")
    events = await read_model.events(store_id=broken.id)
    failed_event = next(e for e in events if e.type == "ProvisioningFailed")
    assert json.loads(failed_event.data)["retryable"] is False
    after_retry = [e for e in events if e.sequence > failed_event.sequence]
    assert after_retry[0].type == "RetryRequested"
    assert {e.correlation_id for e in after_retry} == {"retry-bad"}
    assert [h["status"] for h in tools.history(broken.name, broken.namespace)] == ["deployed"]


async def test_a_store_that_cannot_be_provisioned_does_not_hold_up_others(
    kube_cluster: KubeCluster, database_url: str, service: StoreService, read_model: ReadModel,
    tenant: str, helm_home: Path, tmp_path: Path,
) -> None:
    """A chart that is not there yet is missing for every store of that engine only."""
    charts = mini_charts()
    missing = {**charts.charts}
    missing["medusa"] = type(charts.charts["medusa"])(tmp_path / "no-such-chart")
    settings = fast_settings(kube_cluster, type(charts)(missing), helm_home)
    actor = tenant_actor(tenant, "t1")
    stuck = service.create_store(
        tenant=tenant, name=unique_name("m"), engine="medusa", plan="small", idempotency_key=None,
        stamp=Stamp(actor, "create-m"),
    )
    fine = service.create_store(
        tenant=tenant, name=unique_name("w"), engine="woocommerce", plan="small", idempotency_key=None,
        stamp=Stamp(actor, "create-w"),
    )
    async with reconciler(database_url, settings, kube_cluster.kubeconfig):
        ok = await wait_for(read_model, fine.id, status_is("ready", "failed"), what="other store ready")
        failed = await wait_for(read_model, stuck.id, status_is("failed"), what="failed")
    assert ok.status == "ready"
    assert "no Helm chart for engine 'medusa'" in failed.status_reason
    assert failed.attempt == 0, "a missing chart is permanent: no retries"
