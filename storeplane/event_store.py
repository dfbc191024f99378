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

Why not the library's insert itself: it sends the table lock and the INSERT, waits for their
results, and only then sends COMMIT, so the events table's EXCLUSIVE lock, which every append
queues for, is held across a round trip and across this thread's wait for the GIL (the API's
event loop and the reconciler's share the process). Here the lock, the NOTIFY, the INSERT and the
COMMIT go to the server as one simple-protocol message: the lock is taken and released inside the
server, and a client that stops mid-send never holds it, since nothing runs before the whole
message has arrived. The fence, whose result the client must read, goes first, in its own
pipelined round trip, before the lock is asked for.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import ClientCursor, Connection, pq
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

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
                return self._append(stored_events, **kwargs)
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

    def _append(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> list[int]:
        """One attempt: the opening (and the fence, when there is one) in one pipelined round
        trip, then the lock, the insert and the COMMIT in one message (see the module)."""
        fence: Fence | None = kwargs.get("fence")
        with self.datastore.get_connection() as conn:
            try:
                opening = [SQL("BEGIN"), *self._bounds(conn)]
                if fence is not None:
                    with conn.pipeline(), conn.cursor() as curs:
                        for statement in opening:
                            curs.execute(statement)
                        fence.verify(curs)
                    opening = []
                if not stored_events:
                    conn.execute("COMMIT")
                    return []
                return self._commit_events(conn, opening, stored_events)
            except BaseException:
                # A refused fence, a conflicting key, an interrupted call: the transaction
                # that is still open rolls back here, not when the pool next hands it out.
                if conn.info.transaction_status in (pq.TransactionStatus.INTRANS,
                                                    pq.TransactionStatus.INERROR):
                    conn.rollback()
                raise

    def _bounds(self, conn: Connection[DictRow]) -> list[SQL | Composed]:
        """Why the bound: a process that stops (SIGSTOP, a frozen VM) between the fence's round
        trip and the message that commits leaves its transaction open, holding the tenant's quota
        lock or the lease's row, and every create of that tenant or claim of that store waits.
        `transaction_timeout` (PostgreSQL 17+) ends a transaction whatever its state; on an older
        server the gap remains. (The library's pipeline once left a backend waiting for its Sync,
        a state PostgreSQL does not count as idle in transaction; fault scenario 3 caught it.)"""
        if conn.info.server_version >= TRANSACTION_TIMEOUT_SINCE:
            return [_BOUNDED]
        return []

    def _commit_events(
        self, conn: Connection[DictRow], opening: list[SQL | Composed], stored_events: Sequence[StoredEvent]
    ) -> list[int]:
        rows = SQL(", ").join([SQL("(%s, %s, %s, %s)")] * len(stored_events))
        insert = SQL(
            "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
            "VALUES {rows} RETURNING notification_id"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name),
                 rows=rows)
        message = SQL("; ").join([
            *opening,
            *self.lock_table_statements,  # the library's: its lock_timeout, then LOCK TABLE
            SQL("NOTIFY {channel}").format(channel=Identifier(self.channel_name)),
            insert,
            SQL("COMMIT"),
        ])
        params = [value for event in stored_events
                  for value in (event.originator_id, event.originator_version, event.topic, event.state)]
        # Client-side binding: the simple protocol carries several statements but no parameters.
        with ClientCursor(conn) as curs:
            curs.execute(message, params)
            for result in curs.results():
                if result.pgresult is not None and result.pgresult.status == pq.ExecStatus.TUPLES_OK:
                    return [int(row["notification_id"]) for row in result.fetchall()]
        raise AssertionError("unreachable: the INSERT … RETURNING answers rows or raises")

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
