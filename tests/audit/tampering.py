"""What an attacker with direct PostgreSQL access does to the history, one function per attack.

Each takes the database URL and returns the notification id the verifier should name (None when
the break can only be located as a range). Statements touching the audit tables first switch off
their append-only triggers, as a superuser can: the triggers stop accidents, not attackers.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass

import psycopg

from domain.service import EVENTS_TABLE

EVENTS = f"public.{EVENTS_TABLE}"


@dataclass(frozen=True)
class StoredEvent:
    notification_id: int
    originator_id: uuid.UUID
    version: int
    topic: str


def stored_events(url: str) -> list[StoredEvent]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            f"SELECT notification_id, originator_id, originator_version, topic FROM {EVENTS} "
            "ORDER BY notification_id"
        ).fetchall()
    return [StoredEvent(*row) for row in rows]


def run_sql(url: str, *statements: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("SET session_replication_role = replica")
        for statement in statements:
            conn.execute(statement.encode())


def of_topic(url: str, suffix: str) -> list[StoredEvent]:
    return [e for e in stored_events(url) if e.topic.endswith(suffix)]


def change_actor(url: str) -> int | None:
    target = of_topic(url, "Store.ProvisioningStarted")[2]
    run_sql(url, f"""UPDATE {EVENTS} SET state = convert_to(jsonb_set(convert_from(state, 'UTF8')::jsonb,
                     '{{actor}}', '"admin:mallory"')::text, 'UTF8')
                     WHERE notification_id = {target.notification_id}""")
    return target.notification_id


def remove_middle(url: str) -> int | None:
    target = stored_events(url)[7]
    run_sql(url, f"DELETE FROM {EVENTS} WHERE notification_id = {target.notification_id}")
    return target.notification_id


def insert_into_gap(url: str) -> int | None:
    ids = [e.notification_id for e in stored_events(url)]
    gap = next(a + 1 for a, b in itertools.pairwise(ids) if b > a + 1)
    source = of_topic(url, "Store.Requested")[0]
    run_sql(url, f"""INSERT INTO {EVENTS} (originator_id, originator_version, topic, state, notification_id)
                     SELECT '{uuid.uuid4()}', 1, topic, state, {gap} FROM {EVENTS}
                     WHERE notification_id = {source.notification_id}""")
    return gap


def swap_states(url: str) -> int | None:
    first, second = of_topic(url, "Store.ProvisioningStarted")[1:3]
    a, b = first.notification_id, second.notification_id
    run_sql(url, f"""UPDATE {EVENTS} e SET state = o.state FROM {EVENTS} o
                     WHERE (e.notification_id, o.notification_id) IN (({a}, {b}), ({b}, {a}))""")
    return a


def swap_notification_ids(url: str) -> int | None:
    events = stored_events(url)
    a, b = events[4].notification_id, events[9].notification_id
    run_sql(url,
            f"UPDATE {EVENTS} SET notification_id = -1 WHERE notification_id = {a}",
            f"UPDATE {EVENTS} SET notification_id = {a} WHERE notification_id = {b}",
            f"UPDATE {EVENTS} SET notification_id = {b} WHERE notification_id = -1")
    return a


def remove_newest(url: str) -> int | None:
    newest = stored_events(url)[-1].notification_id
    run_sql(url, f"DELETE FROM {EVENTS} WHERE notification_id = {newest}")
    return newest


def remove_newest_everywhere(url: str) -> int | None:
    """Removes the newest event and every database trace of it: chain row, checkpoints, tracking."""
    newest = stored_events(url)[-1].notification_id
    run_sql(
        url,
        f"DELETE FROM {EVENTS} WHERE notification_id = {newest}",
        f"DELETE FROM audit.event_chain WHERE notification_id = {newest}",
        f"DELETE FROM audit_checkpoints.chain_heads WHERE position >= {newest}",
        """UPDATE audit.tracking t SET position = c.notification_id, count = c.ordinal,
                   head = c.global_hash
            FROM (SELECT * FROM audit.event_chain ORDER BY notification_id DESC LIMIT 1) c""",
    )
    return None


def wipe_audit_tables(url: str) -> None:
    """What an attacker does before re-chaining a rewritten history with our own code."""
    run_sql(url, "DELETE FROM audit.event_chain", "DELETE FROM audit_checkpoints.chain_heads",
            "UPDATE audit.tracking SET position = 0, count = 0, head = NULL")
