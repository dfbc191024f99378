"""One database-error taxonomy: which failures mean "the database is unreachable, try again" and
which mean "this data cannot be written, however often you try".

Used by every loop that talks to PostgreSQL (followers, the reconciler, the API): `DATABASE_ERRORS`
is what a loop survives by reconnecting or retrying later; `DATA_ERRORS` is what a projection must
not retry forever (PostgreSQL refused the content itself: SQLSTATE class 22, a NUL in text, an
unsupported escape in jsonb, a value out of range; class 23, a constraint) — it sets the event
aside instead (see `postgres.quarantine`).

`TimeoutError` belongs to the first group: a connect or `command_timeout` that expires is the same
situation as a refused connection, and only one of the five hand-written copies this replaces had it.
So does `InternalClientError` ("cannot switch to state 11; another operation (2) is in progress"):
asyncpg raises it on a connection whose server was killed while it was still reading an error, and
the pool terminates that connection on release, so the next attempt gets a fresh one. Outside this
group it killed the fault suite's projection loop once, freezing the read model.
"""

from __future__ import annotations

import asyncpg

DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    TimeoutError,
)
"""Anything a call to PostgreSQL raises when the database, the network or the server's state is the
cause. A loop catching these survives a restart of the database."""

DATA_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.DataError,
    asyncpg.IntegrityConstraintViolationError,
)
"""PostgreSQL refused these values (SQLSTATE classes 22 and 23): retrying the same write fails
again. Both are also `DATABASE_ERRORS`, so catch these first."""
