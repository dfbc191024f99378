"""What every fault scenario asserts once the faults are over: no acknowledged command lost, no
event applied twice, one Helm release with one revision per live store, every store converged
(READY, or FAILED with a reason), nothing left in the cluster of a deleted store."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

import asyncpg

from domain.service import StoreService
from domain.store import Store
from tests.reconciler.harness import ClusterTools


async def applied_once(pool: asyncpg.Pool, store_ids: Iterable[UUID]) -> None:
    """The read model's version of each store is the count of its events: none skipped, none
    applied twice."""
    ids = list(store_ids)
    rows = await pool.fetch(
        """SELECT s.id, s.version, (SELECT count(*) FROM public.storeplane_events e
                                  WHERE e.originator_id = s.id) AS events
           FROM read_model.stores s WHERE s.id = ANY($1::uuid[])""",
        ids,
    )
    assert len(rows) == len(ids), "a store of an acknowledged create is missing from the read model"
    for row in rows:
        assert row["version"] == row["events"], dict(row)


def acknowledged_kept(service: StoreService, stores: Iterable[Store]) -> None:
    for store in stores:
        assert service.get_store(store.id).name == store.name


def one_release_one_revision(tools: ClusterTools, store: Store, history_types: list[str]) -> None:
    assert [h["status"] for h in tools.history(store.name, store.namespace)] == ["deployed"]
    assert history_types.count("ReleaseInstalled") == 1, history_types
    assert history_types.count("ProvisioningStarted") == 1, history_types


def nothing_left(tools: ClusterTools, store: Store) -> None:
    assert not tools.namespace_exists(store.namespace), f"namespace {store.namespace} left behind"
    assert tools.release_status(store.name, store.namespace) is None


def one_release_one_revision_or_recovered(
    tools: ClusterTools, store: Store, history_types: list[str]
) -> None:
    """After a fault that interrupted an install: one release; its revisions bounded by the
    recoveries recorded (each recovery may roll back or reinstall once), never a storm."""
    history = tools.history(store.name, store.namespace)
    assert history[-1]["status"] == "deployed", history
    recoveries = history_types.count("ReleaseRecovered")
    assert len(history) <= 1 + 2 * recoveries, (history, history_types)
    assert history_types.count("ProvisioningStarted") == 1, history_types
