"""Deleting, second part: delete the namespace (the API then removes everything in it), and, once
nothing of the store is left, finish the deletion."""

from __future__ import annotations

from domain.actors import Stamp
from domain.store import Store
from reconciler.act.outcomes import Finished, Recorded
from reconciler.cluster.kube import core
from reconciler.context import StoreContext


async def delete_namespace(ctx: StoreContext) -> Recorded:
    name = ctx.store.namespace
    await ctx.cluster.kube.delete(core(name))
    reason = f"deleting namespace {name}"

    def record(store: Store, stamp: Stamp) -> None:
        store.note_progress(reason=reason, stamp=stamp)

    return Recorded(record, reason)


def finish_deletion() -> Finished:
    return Finished()
