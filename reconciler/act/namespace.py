"""The store's namespace, with the storeplane labels (store id, tenant, engine, managed-by).

Created with a plain create (so we know whether this call made it), then server-side applied,
which puts its labels back when changed; repeating it changes nothing. A namespace of that name
that is not labelled as this store's is never adopted. The lease is confirmed before (by the
worker) and again after a create: a holder that lost its lease meanwhile removes the namespace it
just made, so a stale holder waking up after another finished the store's deletion cannot leave a
resurrected namespace behind.
With least privilege (the platform chart), the reconciler then binds itself the store role there
(`cluster.access`), before anything reads or writes inside the namespace, and the API the
credentials role (a reveal's `get` of the credentials Secret).
"""

from __future__ import annotations

from typing import Any

from domain.actors import Stamp
from domain.store import Store
from reconciler.act.outcomes import Failed, Recorded
from reconciler.cluster import access, manifests
from reconciler.cluster.kube import core
from reconciler.context import StoreContext
from reconciler.decide import messages
from reconciler.decide.actions import Step
from reconciler.fence import StaleLease

NAMESPACES = "/api/v1/namespaces"


def owned_by(found: dict[str, Any], ctx: StoreContext) -> bool:
    """Whether an existing namespace carries this store's id label (storeplane made it for it)."""
    labels = found.get("metadata", {}).get("labels") or {}
    return labels.get(manifests.STORE_ID_LABEL) == str(ctx.store.id)


async def ensure_namespace(ctx: StoreContext) -> Recorded | Failed:
    name = ctx.store.namespace
    kube = ctx.cluster.kube
    manifest = manifests.namespace(ctx.store)
    created = await kube.create(NAMESPACES, manifest)
    if created:
        try:
            await ctx.guard.confirm()
        except StaleLease:
            await kube.delete(core(name))
            raise
    else:
        found = await kube.get(core(name))
        if found is not None and not owned_by(found, ctx):
            return Failed(Step.NAMESPACE, messages.NAMESPACE_FOREIGN.format(namespace=name), permanent=True)
    await kube.apply(core(name), manifest)
    if (store_access := ctx.settings.store_access) is not None:
        await access.grant(kube, store_access, name, manifests.store_labels(ctx.store))
    if (credentials_access := ctx.settings.credentials_access) is not None:
        await access.bind(kube, credentials_access, name, manifests.store_labels(ctx.store))

    def record(store: Store, stamp: Stamp) -> None:
        store.record_namespace_ready(namespace=name, stamp=stamp)

    return Recorded(record, f"namespace {name} {'created' if created else 'applied'}")
