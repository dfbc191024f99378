"""The event store's recorder: eventsourcing's PostgreSQL recorder, plus a fence checked in the
append transaction and appends that happen exactly once when a connection dies around COMMIT.

Fed by `StoreService.save` (eventsourcing hands `save`'s keyword arguments to the recorder);
configured by `storeplane.database.eventsourcing_env` (`APPLICATION_RECORDER_TOPIC`), so every
service the platform opens uses it.

Why not the library's own retry: `insert_events` is retried by eventsourcing on any connection error,
including one that arrives after the server committed (the reply was lost). The repeat then hits the
unique (originator_id, originator_version) key, and the caller is told its own write conflicted —
an unkeyed create answers `NameTaken` for the caller's own store, a delete `CONFLICT`. Here, after a
connection error the outcome is in doubt, so before trying again (and whenever a retry conflicts)
we look whether exactly our events — same id, version, topic and bytes, the bytes carrying the
event's own timestamp — are stored; if so, the append happened and we return as if the reply had
arrived. The conflicting insert of a retry waits on the event table's lock held by an in-flight
commit, so a commit still finishing on the old connection is seen, not missed.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from domain.fence import Fence

ATTEMPTS = 8
FIRST_WAIT_SECONDS = 0.1
MAX_WAIT_SECONDS = 2.0
# The longest an append's transaction may live: eventsourcing waits up to 10 s for the table lock
# (POSTGRES_LOCK_TIMEOUT in `storeplane.database`), and the append itself takes milliseconds.
APPEND_TRANSACTION_TIMEOUT_MS = 15_000
_BOUNDED = SQL("SET LOCAL transaction_timeout = " + str(APPEND_TRANSACTION_TIMEOUT_MS))
TRANSACTION_TIMEOUT_SINCE = 170000  # PostgreSQL 17 added transaction_timeout


class ExactlyOnceRecorder(PostgresApplicationRecorder):
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        in_doubt = False
        wait = FIRST_WAIT_SECONDS
        for attempt in range(1, ATTEMPTS + 1):
            try:
                if in_doubt and (landed := self._landed(stored_events)) is not None:
                    return landed
                inserted: Sequence[int] | None = _insert_once(self, stored_events, **kwargs)
                return inserted
            except (InterfaceError, OperationalError):
                in_doubt = True
                if attempt == ATTEMPTS:
                    raise
                # A server restart kills every pooled connection, not just this one: test the
                # idle ones (and replace the dead) so the next attempt does not draw another.
                self.datastore.pool.check()
            except IntegrityError:
                if in_doubt and (landed := self._landed(stored_events)) is not None:
                    return landed
                raise
            time.sleep(wait)
            wait = min(wait * 2, MAX_WAIT_SECONDS)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        """Runs first in the append's transaction: bounds it, then checks the fence.

        Why the bound: eventsourcing sends the append as a pipeline, and a process that stops
        (SIGSTOP, a frozen VM) after sending the INSERT but before the pipeline's Sync leaves its
        backend waiting for input in the middle of the transaction, which PostgreSQL does not count
        as "idle in transaction", so `idle_in_transaction_session_timeout` never ends it: it kept
        the events table's EXCLUSIVE lock, the audit chain's row and the lease's row until the
        process woke, and every other append and lease claim waited (fault scenario 3 caught it
        once in a full run). `transaction_timeout` (PostgreSQL 17+) ends it whatever its state; on
        an older server the gap remains."""
        if curs.connection.info.server_version >= TRANSACTION_TIMEOUT_SINCE:
            curs.execute(_BOUNDED)
        fence: Fence | None = kwargs.get("fence")
        if fence is not None:
            fence.verify(curs)
        super()._insert_events(curs, stored_events, **kwargs)

    def _landed(self, stored_events: Sequence[StoredEvent]) -> list[int] | None:
        """The notification ids of exactly these events if they are all stored, else None."""
        if not stored_events:
            return []
        query = SQL(
            "SELECT notification_id, topic, state FROM {schema}.{table} "
            "WHERE originator_id = %s AND originator_version = %s"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))
        ids: list[int] = []
        with self.datastore.transaction(commit=False) as curs:
            for event in stored_events:
                curs.execute(query, (event.originator_id, event.originator_version))
                row = curs.fetchone()
                if row is None or row["topic"] != event.topic or bytes(row["state"]) != event.state:
                    return None
                ids.append(int(row["notification_id"]))
        return ids


# The library's insert without its retry decorator (which `functools.wraps` keeps as __wrapped__):
# the loop above is the only retry, so none of them can report our own commit as a conflict.
_insert_once = PostgresApplicationRecorder.insert_events.__wrapped__
