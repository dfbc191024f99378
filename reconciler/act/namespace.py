"""The store's namespace, with the storeplane labels (store id, tenant, engine, managed-by).

Server-side apply creates it or puts its labels back; repeating it changes nothing. With least
privilege (the platform chart), the reconciler then binds itself the store role there
(`cluster.access`), before anything reads or writes inside the namespace.
"""

from __future__ import annotations

from domain.actors import Stamp
from domain.store import Store
from reconciler.act.outcomes import Recorded
from reconciler.cluster import access, manifests
from reconciler.cluster.kube import core
from reconciler.context import StoreContext


async def ensure_namespace(ctx: StoreContext) -> Recorded:
    name = ctx.store.namespace
    await ctx.cluster.kube.apply(core(name), manifests.namespace(ctx.store))
    if (store_access := ctx.settings.store_access) is not None:
        await access.grant(ctx.cluster.kube, store_access, name, manifests.store_labels(ctx.store))

    def record(store: Store, stamp: Stamp) -> None:
        store.record_namespace_ready(namespace=name, stamp=stamp)

    return Recorded(record, f"namespace {name} applied")
