"""Reading a large query in chunks through a server-side cursor, for the audit's full-history walks.

Fed by one asyncpg connection inside a transaction (a cursor needs one); feeds `audit.verify` and
`audit.export`. Chunks rather than rows: iterating an asyncpg cursor row by row costs a validity
check per row, which dominated the walk; a chunk of a few thousand rows keeps memory bounded and
the per-row overhead negligible.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from projections.postgres_view import Connection

CHUNK = 5000


async def chunks(conn: Connection, query: str, *arguments: Any, size: int = CHUNK) -> AsyncIterator[
    list[asyncpg.Record]
]:
    """The query's rows, `size` at a time, in the query's order; the caller holds a transaction."""
    cursor = await conn.cursor(query, *arguments)
    while rows := await cursor.fetch(size):
        yield rows
