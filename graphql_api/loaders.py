"""Batched reads for fields that repeat under a list: a page of stores each asking for its events
or its provisioning times.

Made per request (`ApiContext.loaders`), so nothing is cached past one operation; fed by the
`events` and `provisioningTimes` fields of `Store`; feeds them the same rows `ReadModel.events` and
`ReadModel.latest_attempt` would, but one query answers every store of the page (before: one round
trip per store, ~3,000 for 30 aliases of 100 stores). The SQL reads the read model's feed table
directly: a lateral join keeps each store's own limit (`ReadModel.latest_attempts` likewise).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from strawberry.dataloader import DataLoader

from projections.event_feed import FeedRow
from projections.queries import ReadModel

EventsKey = tuple[UUID, int, int]  # store id, after (sequence), limit
Attempt = list[tuple[str, datetime]]  # (event type, occurred at), oldest first


def _events_sql(schema: str) -> str:
    return f"""
SELECT e.* FROM unnest($1::uuid[]) AS wanted(id)
CROSS JOIN LATERAL (
    SELECT * FROM {schema}.store_events
    WHERE store_id = wanted.id AND sequence > $2
    ORDER BY sequence LIMIT $3
) AS e
ORDER BY e.store_id, e.sequence"""


async def _load_events(read_model: ReadModel, keys: list[EventsKey]) -> Sequence[list[FeedRow]]:
    groups: dict[tuple[int, int], list[UUID]] = defaultdict(list)
    for store_id, after, limit in keys:
        groups[(after, limit)].append(store_id)
    found: dict[EventsKey, list[FeedRow]] = defaultdict(list)
    for (after, limit), store_ids in groups.items():
        records = await read_model.pool.fetch(
            _events_sql(read_model.schema), sorted(set(store_ids)), after, limit
        )
        for record in records:
            values = dict(record)
            if not isinstance(values["data"], str):
                values["data"] = json.dumps(values["data"])
            row = FeedRow(**values)
            found[(row.store_id, after, limit)].append(row)
    return [found.get(key, []) for key in keys]


async def _load_attempts(read_model: ReadModel, keys: list[UUID]) -> Sequence[Attempt]:
    found = await read_model.latest_attempts(keys)
    return [found.get(key, []) for key in keys]


@dataclass
class Loaders:
    read_model: ReadModel
    events: DataLoader[EventsKey, list[FeedRow]] = field(init=False)
    latest_attempts: DataLoader[UUID, Attempt] = field(init=False)

    def __post_init__(self) -> None:
        read_model = self.read_model

        async def load(keys: list[EventsKey]) -> Sequence[list[FeedRow]]:
            return await _load_events(read_model, keys)

        async def load_attempts(keys: list[UUID]) -> Sequence[Attempt]:
            return await _load_attempts(read_model, keys)

        self.events = DataLoader(load_fn=load)
        self.latest_attempts = DataLoader(load_fn=load_attempts)
