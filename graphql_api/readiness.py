"""What `/readyz` answers: whether this API process can serve, and what is degraded.

Fed by the pool (a `SELECT 1`), the broadcaster's follower (is its LISTEN up right now) and the
quarantine table (events a handler set aside); feeds `/readyz` and the quarantine gauge of
`/metrics`.

Ready means the database answers and the live feed's LISTEN is up: without it subscriptions would
silently stop receiving pushes, so the process must leave the load balancer until it reconnects.
Quarantined events make the answer degraded, not unready: the rest of the platform works (that is
the point of setting an event aside), and taking every API process out of rotation for one bad
event would stop everyone again. The reason names the handler and the command that lists them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from graphql_api.context import ApiServices
from postgres import quarantine
from projections.schema import READ_MODEL_CHANNEL

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Readiness:
    ready: bool
    body: dict[str, Any] = field(default_factory=dict)


async def quarantined(services: ApiServices) -> dict[str, int]:
    """Events set aside per handler; refreshes the `storeplane_quarantined_events` gauge."""
    counts = await quarantine.counts(services.read_model.pool)
    services.metrics.quarantined.clear()
    for handler, count in counts.items():
        services.metrics.quarantined.labels(handler).set(count)
    return counts


async def readiness(services: ApiServices) -> Readiness:
    try:
        await services.read_model.pool.fetchval("SELECT 1")
        counts = await quarantined(services)
    except Exception:  # any failure means "not ready"; its text is for the log, not the caller
        log.warning("readiness: the database is unavailable", exc_info=True)
        return Readiness(False, {"ready": False, "database": "unavailable"})
    live = services.broadcaster.listening
    degraded = [] if live else [f"live feed: the LISTEN on {READ_MODEL_CHANNEL} is down (reconnecting)"]
    degraded += [
        f"{count} events quarantined by {handler}; see `storeplane projections quarantine list`"
        for handler, count in sorted(counts.items())
    ]
    return Readiness(live, {"ready": live, "database": "ok", "live": live, "degraded": degraded})
