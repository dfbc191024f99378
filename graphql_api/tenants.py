"""The tenants an admin can see: every tenant with a token or a store, and its store counts.

Read from the read model and the token table; feeds `Query.tenants`.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from domain.store import LIVE_STATUSES
from graphql_api.tokens import TOKENS_TABLE
from projections.schema import READ_MODEL_SCHEMA


@dataclass(frozen=True)
class TenantCounts:
    name: str
    live_stores: int
    stores: int


async def tenant_counts(pool: asyncpg.Pool) -> list[TenantCounts]:
    records = await pool.fetch(
        f"""SELECT t.tenant, coalesce(s.live, 0) AS live, coalesce(s.total, 0) AS total
            FROM (SELECT tenant FROM {READ_MODEL_SCHEMA}.stores
                  UNION SELECT tenant FROM {TOKENS_TABLE}) AS t
            LEFT JOIN (SELECT tenant, count(*) FILTER (WHERE status = ANY($1::text[])) AS live,
                              count(*) AS total
                       FROM {READ_MODEL_SCHEMA}.stores GROUP BY tenant) AS s USING (tenant)
            ORDER BY t.tenant""",
        sorted(s.value for s in LIVE_STATUSES),
    )
    return [TenantCounts(r["tenant"], int(r["live"]), int(r["total"])) for r in records]
