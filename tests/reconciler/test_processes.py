"""Several `storeplane reconciler` processes, crashes and shutdowns, on the real control plane.

Two processes provisioning many stores never install a release twice; a process SIGKILLed in the
middle of `helm install` leaves a release locked in pending-install, which the next process
recovers (recorded as an event) and finishes without duplicates; SIGTERM hands in-flight stores back.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from domain.actors import Stamp, tenant_actor
from domain.service import StoreService
from domain.store import Store
from projections.queries import ReadModel
from reconciler.schema import LEASES, ensure_schema
from tests.fixtures.kube import KubeCluster
from tests.reconciler.harness import (
    MINI_CHART,
    ClusterTools,
    reconciler_process,
    status_is,
    unique_name,
    wait_for,
)

pytestmark = [pytest.mark.cluster, pytest.mark.asyncio(loop_scope="session")]

STORES = int(os.environ.get("STOREPLANE_TEST_RECONCILER_STORES", "16"))
GATE_LABEL = "storeplane-test/gate"


def charts_dir(root: Path, values: str | None = None) -> Path:
    """`<root>/<engine>` → the mini chart, with `values` as its values-local.yaml."""
    root.mkdir()
    for engine in ("woocommerce", "medusa"):
        chart = root / engine
        chart.mkdir()
        for item in MINI_CHART.iterdir():
            (chart / item.name).symlink_to(item)
        if values is not None:
            (chart / "values-local.yaml").write_text(values)
    return root


def stop(process: subprocess.Popen[str], sig: signal.Signals = signal.SIGTERM) -> tuple[int, str]:
    process.send_signal(sig)
    output, _ = process.communicate(timeout=90)
    return process.returncode, output


def create(service: StoreService, tenant: str, engine: str = "woocommerce") -> Store:
    return service.create_store(
        tenant=tenant, name=unique_name("p"), engine=engine, plan="small", idempotency_key=None,
        stamp=Stamp(tenant_actor(tenant, "t1"), f"create-{uuid.uuid4().hex[:6]}"),
    )


async def _leased(pool: asyncpg.Pool, stores: list[Store]) -> bool:
    count = await pool.fetchval(
        f"SELECT count(*) FROM {LEASES} WHERE store_id = ANY($1::uuid[])", [s.id for s in stores]
    )
    return bool(count)


async def _until_async(condition: Callable[[], Awaitable[bool]], what: str, within: float = 60) -> None:
    for _ in range(int(within / 0.1)):
        if await condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_two_processes_provisioning_many_stores_never_install_a_release_twice(
    kube_cluster: KubeCluster, database_url: str, service: StoreService, read_model: ReadModel,
    pool: asyncpg.Pool, tenant: str, tools: ClusterTools, helm_home: Path, tmp_path: Path,
) -> None:
    await ensure_schema(pool)
    charts = charts_dir(tmp_path / "charts")
    env = {"STOREPLANE_RECONCILER_CONCURRENCY": "4"}
    processes = [reconciler_process(database_url, kube_cluster, charts, helm_home, extra_env=env)]
    outputs: list[str] = []
    try:
        stores = [create(service, tenant, ("woocommerce", "medusa")[i % 2]) for i in range(STORES)]
        # The second process starts once the first works (past its start-up): two processes
        # running `setup_schema` at the same instant can fail in eventsourcing's CREATE TABLE.
        await _until_async(lambda: _leased(pool, stores), "the first process to claim a store")
        processes.append(reconciler_process(database_url, kube_cluster, charts, helm_home, extra_env=env))
        for store in stores:
            row = await wait_for(read_model, store.id, status_is("ready", "failed"), what="ready", within=600)
            assert row.status == "ready", row.status_reason
    finally:
        outputs = [stop(p)[1] for p in processes]
    installs = Counter(re.findall(r"store=(\S+) .*action=InstallRelease", "\n".join(outputs)))
    for store in stores:
        assert [h["status"] for h in tools.history(store.name, store.namespace)] == ["deployed"]
        assert installs[str(store.id)] == 1, f"{store.id} installed {installs[str(store.id)]} times"
        types = [e.type for e in await read_model.events(store_id=store.id)]
        assert types.count("ReleaseInstalled") == 1
    workers = [set(re.findall(r"store=(\S+) ", output)) for output in outputs]
    assert all(workers), "both processes took part:\n" + "\n----\n".join(o[-3000:] for o in outputs)


@pytest.fixture
def gate(tools: ClusterTools) -> Iterator[str]:
    """A node label the store's pods require; absent, `helm install --wait` hangs mid-way."""
    token = uuid.uuid4().hex[:8]
    yield token
    node = tools.json("kubectl", "get", "nodes")["items"][0]["metadata"]["name"]
    tools.run("kubectl", "label", "node", node, f"{GATE_LABEL}-", check=False)


def open_gate(tools: ClusterTools, token: str) -> None:
    node = tools.json("kubectl", "get", "nodes")["items"][0]["metadata"]["name"]
    tools.run("kubectl", "label", "node", node, f"{GATE_LABEL}={token}", "--overwrite")


async def wait_for_pending_install(tools: ClusterTools, store: Store) -> None:
    for _ in range(240):
        if tools.release_status(store.name, store.namespace) == "pending-install":
            return
        await asyncio.sleep(0.5)
    raise AssertionError("the install never started")


def helm_processes_for(namespace: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if command and command[0].endswith(b"helm") and namespace.encode() in command:
            found.append(int(entry.name))
    return found


async def test_a_reconciler_killed_mid_install_is_recovered_by_the_next_without_duplicates(
    kube_cluster: KubeCluster, database_url: str, service: StoreService, read_model: ReadModel,
    tenant: str, tools: ClusterTools, helm_home: Path, tmp_path: Path, gate: str,
) -> None:
    charts = charts_dir(tmp_path / "charts", f"nodeSelector:\n  {GATE_LABEL}: {gate}\n")
    first = reconciler_process(database_url, kube_cluster, charts, helm_home, extra_env={})
    store = create(service, tenant)
    try:
        await wait_for_pending_install(tools, store)
    finally:
        first.kill()  # SIGKILL: no cleanup, no lease release
        first.communicate(timeout=30)
    await _until(lambda: not helm_processes_for(store.namespace), "its helm child to die with it")
    open_gate(tools, gate)
    second = reconciler_process(database_url, kube_cluster, charts, helm_home)
    try:
        row = await wait_for(read_model, store.id, status_is("ready", "failed"), what="ready")
    finally:
        stop(second)
    assert row.status == "ready", row.status_reason
    types = [e.type for e in await read_model.events(store_id=store.id)]
    assert types.count("ProvisioningStarted") == 1
    assert "ReleaseRecovered" in types
    assert [h["status"] for h in tools.history(store.name, store.namespace)] == ["deployed"]
    for kind in ("deployments", "persistentvolumeclaims", "jobs", "resourcequotas", "networkpolicies"):
        assert len(tools.items(kind, store.namespace)) == 1, kind


async def test_sigterm_hands_in_flight_stores_back_at_once(
    kube_cluster: KubeCluster, database_url: str, service: StoreService, read_model: ReadModel,
    pool: asyncpg.Pool, tenant: str, tools: ClusterTools, helm_home: Path, tmp_path: Path, gate: str,
) -> None:
    charts = charts_dir(tmp_path / "charts", f"nodeSelector:\n  {GATE_LABEL}: {gate}\n")
    process = reconciler_process(
        database_url, kube_cluster, charts, helm_home, extra_env={"STOREPLANE_SHUTDOWN_GRACE_SECONDS": "2"}
    )
    store = create(service, tenant)
    try:
        await wait_for_pending_install(tools, store)
    finally:
        returncode, output = stop(process, signal.SIGTERM)
    assert returncode == 0, output
    lease = await pool.fetchrow(f"SELECT holder FROM {LEASES} WHERE store_id = $1", store.id)
    assert lease is not None
    assert lease["holder"] is None, "released, not left to expire"
    assert not helm_processes_for(store.namespace), "its helm was stopped with it"


async def _until(condition: object, what: str, within: float = 30) -> None:
    assert callable(condition)
    for _ in range(int(within / 0.25)):
        if condition():
            return
        await asyncio.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")
