"""Deleting, first part: `helm uninstall --wait` of the store's release (also one left pending)."""

from __future__ import annotations

from domain.actors import Stamp
from domain.store import Store
from reconciler.act.outcomes import Recorded
from reconciler.context import StoreContext


async def uninstall_release(ctx: StoreContext) -> Recorded:
    release = ctx.release
    removed = await ctx.cluster.helm.uninstall(release, ctx.store.namespace, wait=ctx.settings.helm_timeout)
    if not removed:
        return Recorded(None, f"release {release} already gone")

    def record(store: Store, stamp: Stamp) -> None:
        store.record_release_uninstalled(release=release, stamp=stamp)

    return Recorded(record, f"release {release} uninstalled")
