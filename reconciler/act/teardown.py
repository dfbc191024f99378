"""Deleting, second part: delete the namespace (the API then removes everything in it), and, once
nothing of the store is left, finish the deletion. A namespace not labelled as this store's is
left alone: it was never ours to delete."""

from __future__ import annotations

from domain.actors import Stamp
from domain.store import Store
from reconciler.act.namespace import owned_by
from reconciler.act.outcomes import Finished, Recorded
from reconciler.cluster.kube import core
from reconciler.context import StoreContext


async def delete_namespace(ctx: StoreContext) -> Recorded:
    name = ctx.store.namespace
    found = await ctx.cluster.kube.get(core(name))
    if found is not None and not owned_by(found, ctx):
        return Recorded(None, f"namespace {name} is not this store's; left alone")
    await ctx.cluster.kube.delete(core(name))
    reason = f"deleting namespace {name}"

    def record(store: Store, stamp: Stamp) -> None:
        store.note_progress(reason=reason, stamp=stamp)

    return Recorded(record, reason)


def finish_deletion() -> Finished:
    return Finished()
