"""The event feed: every store event as a row an auditor or the dashboard timeline can read.

Fed by Store events; the sequence is the event's position in the whole event store, so "every
event after sequence N" is one indexed query for subscriptions that catch up.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.store import Store

_ENVELOPE = {"originator_id", "originator_version", "timestamp", "originator_topic", "actor",
             "correlation_id"}


@dataclass(frozen=True)
class FeedRow:
    sequence: int
    store_id: UUID
    tenant: str
    version: int
    type: str
    occurred_at: datetime
    actor: str
    correlation_id: str
    data: str


def _plain(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def event_type_name(event: Store.Event) -> str:
    return type(event).__name__


def feed_row(event: Store.Event, sequence: int, tenant: str) -> FeedRow:
    payload = {k: _plain(v) for k, v in vars(event).items() if k not in _ENVELOPE}
    return FeedRow(
        sequence=sequence,
        store_id=event.originator_id,
        tenant=tenant,
        version=event.originator_version,
        type=event_type_name(event),
        occurred_at=event.timestamp,
        actor=event.actor,
        correlation_id=event.correlation_id,
        data=json.dumps(payload, sort_keys=True, separators=(",", ":")),
    )
