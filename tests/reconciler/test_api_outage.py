"""The Kubernetes API going away for a while: provisioning backs off (AttemptFailed with a growing
retry_at) and finishes once the API is back; an outage longer than the retry limit ends FAILED as
retryable, and `retryStore` then recovers. The outage is a proxy in front of the shared cluster."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from domain.actors import Stamp, tenant_actor
from domain.service import StoreService
from projections.queries import ReadModel
from reconciler.settings import RetryPolicy
from tests.fixtures.kube import KubeCluster
from tests.reconciler.harness import fast_settings, mini_charts, reconciler, status_is, unique_name, wait_for
from tests.reconciler.proxy import ApiProxy, kubeconfig_via, upstream_of

pytestmark = [pytest.mark.cluster, pytest.mark.asyncio(loop_scope="session")]


@pytest_asyncio.fixture(loop_scope="session")
async def proxy(kube_cluster: KubeCluster) -> AsyncIterator[ApiProxy]:
    api = ApiProxy(*upstream_of(kube_cluster.kubeconfig))
    await api.open()
    yield api
    await api.cut()


async def test_an_api_outage_is_survived_with_backoff(
    proxy: ApiProxy, kube_cluster: KubeCluster, database_url: str, service: StoreService,
    read_model: ReadModel, tenant: str, helm_home: Path, tmp_path: Path,
) -> None:
    kubeconfig = kubeconfig_via(kube_cluster.kubeconfig, proxy.port, tmp_path / "kubeconfig")
    retry = RetryPolicy(base=timedelta(seconds=1), cap=timedelta(seconds=3), max_attempts=30)
    settings = fast_settings(kube_cluster, mini_charts(), helm_home, retry=retry)
    await proxy.cut()
    store = service.create_store(
        tenant=tenant, name=unique_name("o"), engine="woocommerce", plan="small", idempotency_key=None,
        stamp=Stamp(tenant_actor(tenant, "t1"), "create-o"),
    )
    async with reconciler(database_url, settings, kubeconfig):
        waiting = await wait_for(read_model, store.id, lambda r: r.attempt >= 3, what="three failed attempts")
        assert "Kubernetes API unreachable" in waiting.status_reason
        await proxy.open()
        ready = await wait_for(read_model, store.id, status_is("ready", "failed"), what="ready")
    assert ready.status == "ready", ready.status_reason
    events = await read_model.events(store_id=store.id)
    failures = [json.loads(e.data) for e in events if e.type == "AttemptFailed"]
    retry_at = [datetime.fromisoformat(f["retry_at"]) for f in failures]
    assert [f["attempt"] for f in failures] == list(range(1, len(failures) + 1))
    assert retry_at == sorted(retry_at), "each retry is scheduled after the previous one"


async def test_an_outage_beyond_the_retry_limit_fails_retryable_and_retry_recovers(
    proxy: ApiProxy, kube_cluster: KubeCluster, database_url: str, service: StoreService,
    read_model: ReadModel, tenant: str, helm_home: Path, tmp_path: Path,
) -> None:
    kubeconfig = kubeconfig_via(kube_cluster.kubeconfig, proxy.port, tmp_path / "kubeconfig")
    retry = RetryPolicy(base=timedelta(milliseconds=200), cap=timedelta(seconds=1), max_attempts=3)
    settings = fast_settings(kube_cluster, mini_charts(), helm_home, retry=retry)
    await proxy.cut()
    actor = tenant_actor(tenant, "t1")
    store = service.create_store(
        tenant=tenant, name=unique_name("l"), engine="woocommerce", plan="small", idempotency_key=None,
        stamp=Stamp(actor, "create-l"),
    )
    async with reconciler(database_url, settings, kubeconfig):
        failed = await wait_for(read_model, store.id, status_is("failed"), what="failed")
        assert "Kubernetes API unreachable" in failed.status_reason
        events = await read_model.events(store_id=store.id)
        assert json.loads(events[-1].data)["retryable"] is True
        assert [e.type for e in events].count("AttemptFailed") == 2
        await proxy.open()
        retried = service.retry_store(store.id, stamp=Stamp(actor, "retry-l"))
        ready = await wait_for(
            read_model, store.id, status_is("ready", "failed", after_version=retried.version), what="ready"
        )
    assert ready.status == "ready", ready.status_reason
