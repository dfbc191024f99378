"""The store's credentials Secret: generated once, never rotated by a repeat.

Created only if absent; an existing Secret only gains the keys it lacks. The values never leave
this module: not in events, logs or the read model (events name the Secret, nothing more).
"""

from __future__ import annotations

from domain.actors import Stamp
from domain.store import Store
from reconciler.act.outcomes import Recorded
from reconciler.cluster import manifests
from reconciler.cluster.charts import CREDENTIALS_SECRET
from reconciler.cluster.kube import core
from reconciler.context import StoreContext


async def issue_credentials(ctx: StoreContext) -> Recorded:
    kube = ctx.cluster.kube
    namespace = ctx.store.namespace
    created = await kube.create(core(namespace, "secrets"), manifests.credentials(ctx.store, ctx.host))
    if not created:
        path = core(namespace, "secrets", CREDENTIALS_SECRET)
        existing = await kube.get(path) or {}
        present = (existing.get("data") or {}).keys()
        fresh = manifests.generate_credentials(ctx.host)
        lacking = {k: v for k, v in fresh.items() if k not in present}
        if lacking:
            await kube.merge_patch(path, {"stringData": lacking})

    def record(store: Store, stamp: Stamp) -> None:
        store.record_credentials_issued(secret_name=CREDENTIALS_SECRET, stamp=stamp)

    return Recorded(record, f"secret {CREDENTIALS_SECRET} present")
