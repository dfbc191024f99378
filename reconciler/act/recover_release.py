"""Recovering a release locked in pending-install/-upgrade/-rollback by a process that died
mid-operation (helm refuses every later operation on it).

A release that never deployed is uninstalled, so the next install starts clean; one with an
earlier deployed revision is rolled back to it, keeping the store's data. Either way the recovery
is recorded as an event.
"""

from __future__ import annotations

from typing import Any

from domain.actors import Stamp
from domain.store import Store
from reconciler.act.outcomes import Recorded
from reconciler.context import StoreContext
from reconciler.decide.actions import RecoverRelease

DEPLOYED_ONCE = frozenset({"deployed", "superseded"})


def last_good_revision(history: list[dict[str, Any]]) -> int | None:
    """The newest revision that was deployed, if any: what a rollback should return to."""
    good = [int(h["revision"]) for h in history if h.get("status") in DEPLOYED_ONCE]
    return max(good) if good else None


async def recover_release(ctx: StoreContext, action: RecoverRelease) -> Recorded:
    helm = ctx.cluster.helm
    namespace = ctx.store.namespace
    target = last_good_revision(await helm.history(ctx.release, namespace))
    if target is None:
        await helm.uninstall(ctx.release, namespace, wait=ctx.settings.helm_timeout)
        how = "uninstalled"
    else:
        await helm.rollback(ctx.release, namespace, target, wait=ctx.settings.helm_timeout)
        how = f"rolled back to revision {target}"
    release = ctx.release

    def record(store: Store, stamp: Stamp) -> None:
        store.record_release_recovered(release=release, stuck_status=action.helm_status, stamp=stamp)

    return Recorded(record, f"release {release} stuck in {action.helm_status}: {how}")
