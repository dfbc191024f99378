"""Helm's view of a release (`Helm.release`: status, values, chart) as a `ReleaseState`. Pure.

Fed by the observer; feeds `decide` with whether the release is absent, in sync with our chart and
values, out of sync, failed, or locked by a pending operation (and for how long).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from reconciler.cluster.charts import ChartMissing, desired_config
from reconciler.context import StoreContext
from reconciler.decide import messages
from reconciler.observe.observation import ABSENT_RELEASE, ReleaseState, ReleaseStatus

PENDING = frozenset({"pending-install", "pending-upgrade", "pending-rollback"})


def release_state(
    ctx: StoreContext, status: dict[str, Any] | None, *, now: datetime | None = None
) -> ReleaseState:
    if status is None:
        return ABSENT_RELEASE
    info = status.get("info") or {}
    helm_status = str(info.get("status", "unknown"))
    base = ReleaseState(
        ReleaseStatus.IN_SYNC, helm_status=helm_status, revision=int(status.get("version", 0)),
        chart=str(status.get("chart_id", "")),
        age=_age(info.get("last_deployed"), now or datetime.now(UTC)),
    )
    reason = messages.RELEASE_NOT_DEPLOYED.format(release=ctx.release, helm_status=helm_status)
    if helm_status in PENDING:
        return _with(base, ReleaseStatus.LOCKED, reason)
    if helm_status == "uninstalling":
        return _with(base, ReleaseStatus.UNINSTALLING, reason)
    if helm_status != "deployed":
        return _with(base, ReleaseStatus.FAILED, reason)
    difference = _difference(ctx, base.chart, status.get("config") or {})
    if difference:
        changed = messages.RELEASE_CHANGED.format(release=ctx.release, what=difference)
        return _with(base, ReleaseStatus.OUT_OF_SYNC, changed)
    return base


def _difference(ctx: StoreContext, chart: str, config: dict[str, Any]) -> str:
    try:
        ref = ctx.chart()
        wanted_chart = ref.identity()
        wanted_values = desired_config(ref, ctx.values())
    except ChartMissing:
        return ""  # nothing to compare with; installing will say what is missing
    if chart != wanted_chart:
        return f"chart {wanted_chart} (deployed: {chart})"
    if _normal(config) != _normal(wanted_values):
        return "values"
    return ""


def _normal(values: dict[str, Any]) -> Any:
    return json.loads(json.dumps(values, sort_keys=True, default=str))


def _age(stamp: object, now: datetime) -> timedelta:
    if not isinstance(stamp, str) or not stamp:
        return timedelta(0)
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return timedelta(0)
    return max(now - when, timedelta(0))


def _with(base: ReleaseState, status: ReleaseStatus, reason: str) -> ReleaseState:
    return ReleaseState(
        status, reason=reason, helm_status=base.helm_status, revision=base.revision, chart=base.chart,
        age=base.age,
    )
