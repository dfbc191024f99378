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
event loop and the reconciler's share the process). Here the whole append, BEGIN, the fence's
statement (which raises `domain.fence.REFUSED_SQLSTATE` to refuse), the lock, the NOTIFY, the
INSERT and the COMMIT, goes to the server as one simple-protocol message: one round trip, every
lock taken and released inside the server, and a client that stops mid-send holds none, since
PostgreSQL runs a simple query once the whole message has arrived. A statement that fails skips
the rest of the message, and the transaction it leaves aborted is rolled back.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import ClientCursor, Connection, pq
from psycopg.abc import Query
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from domain.fence import REFUSED_SQLSTATE, Fence

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
        """One attempt, one message: the opening, the fence, the lock, the insert and the COMMIT
        (see the module)."""
        fence: Fence | None = kwargs.get("fence")
        if fence is None and not stored_events:
            return []
        with self.datastore.get_connection() as conn:
            try:
                return self._commit_events(conn, fence, stored_events)
            except psycopg.Error as error:
                if fence is not None and error.sqlstate == REFUSED_SQLSTATE:
                    raise fence.refused(error.diag.message_primary or "") from None
                raise
            finally:
                # A refused fence, a conflicting key, an interrupted call: the transaction
                # that is still open rolls back here, not when the pool next hands it out.
                if conn.info.transaction_status in (pq.TransactionStatus.INTRANS,
                                                    pq.TransactionStatus.INERROR):
                    conn.rollback()

    def _bounds(self, conn: Connection[DictRow]) -> list[SQL]:
        """Why the bound: a process that stops (SIGSTOP, a frozen VM) with its transaction open
        would hold the tenant's quota lock or the lease's row, and every create of that tenant or
        claim of that store would wait. The append is one message now, so only a server that never
        sees its end can leave it open; `transaction_timeout` (PostgreSQL 17+) ends a transaction
        whatever its state, and on an older server the gap remains. (The library's pipeline once
        left a backend waiting for its Sync, a state PostgreSQL does not count as idle in
        transaction; fault scenario 3 caught it.)"""
        if conn.info.server_version >= TRANSACTION_TIMEOUT_SINCE:
            return [_BOUNDED]
        return []

    def _commit_events(
        self, conn: Connection[DictRow], fence: Fence | None, stored_events: Sequence[StoredEvent]
    ) -> list[int]:
        statements: list[Query] = [SQL("BEGIN"), *self._bounds(conn)]
        params: list[object] = []
        if fence is not None:
            check, check_params = fence.statement()
            statements.append(SQL(check))
            params.extend(check_params)
        if stored_events:
            rows = SQL(", ").join([SQL("(%s, %s, %s, %s)")] * len(stored_events))
            statements += [
                *self.lock_table_statements,  # the library's: its lock_timeout, then LOCK TABLE
                SQL("NOTIFY {channel}").format(channel=Identifier(self.channel_name)),
                SQL(
                    "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
                    "VALUES {rows} RETURNING notification_id"
                ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name),
                         rows=rows),
            ]
            params += [value for event in stored_events
                       for value in (event.originator_id, event.originator_version, event.topic, event.state)]
        statements.append(SQL("COMMIT"))
        # Client-side binding: the simple protocol carries several statements but no parameters.
        with ClientCursor(conn) as curs:
            curs.execute(SQL("; ").join(statements), params)
            for result in curs.results():
                if result.pgresult is not None and result.pgresult.status == pq.ExecStatus.TUPLES_OK \
                        and result.description and result.description[0].name == "notification_id":
                    return [int(row["notification_id"]) for row in result.fetchall()]
        if not stored_events:
            return []
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
