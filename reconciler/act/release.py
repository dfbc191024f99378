"""The store's Helm release: `helm upgrade --install --atomic --wait` of its engine's chart, or, when
the release is already deployed as wanted (installed before a crash), only recording it.

Deciding between the two on the observed release is what keeps a repeat from installing twice.
"""

from __future__ import annotations

from domain.actors import Stamp
from domain.store import Store
from reconciler.act.outcomes import Recorded
from reconciler.context import StoreContext
from reconciler.decide.actions import RecordRelease


async def install_release(ctx: StoreContext) -> Recorded:
    chart = ctx.chart()
    installed = await ctx.cluster.helm.upgrade_install(
        ctx.release, ctx.store.namespace, chart, ctx.values(), wait=ctx.settings.helm_timeout
    )
    metadata = (installed.get("chart") or {}).get("metadata") or {}
    revision = int(installed.get("version", 0))
    return _recorded(ctx, revision, f"{metadata.get('name')}-{metadata.get('version')}")


def record_release(ctx: StoreContext, action: RecordRelease) -> Recorded:
    return _recorded(ctx, action.revision, action.chart)


def _recorded(ctx: StoreContext, revision: int, chart: str) -> Recorded:
    release = ctx.release

    def record(store: Store, stamp: Stamp) -> None:
        store.record_release_installed(release=release, chart=chart, revision=revision, stamp=stamp)

    return Recorded(record, f"release {release} revision {revision} of {chart}")
