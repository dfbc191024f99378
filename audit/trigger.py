"""Chaining at the moment of commit: a PostgreSQL trigger links each event as it is appended.

Fed by every INSERT into the events table (eventsourcing's appends); feeds `audit.event_chain` and
the chain's tracking row (position, count, head), in the appending transaction itself. So no window
exists in which an event is stored but not chained: an edit made a millisecond after commit is an
edit of a chained event, and `audit verify` names it. Before this, events were chained only when the
chain follower ran, and an edit made before that was chained as if it were original.

Why in the database: only the appending transaction sees the event before anyone else can touch it.
Order is notification order: eventsourcing takes `LOCK TABLE ... IN EXCLUSIVE MODE` before every
insert, so appends (and their triggers) run one at a time, and the trigger's `FOR UPDATE` on the
tracking row also serialises it with the Python catch-up in `audit.chain`. The trigger chains every
event after the head up to the new one, so a database whose history predates the trigger (or a gap
the Python catch-up has not reached) is chained in order, never skipped. The head is the newer of
the tracking row and the last chain row: the tracking row is moved once per transaction, at commit,
by a deferred constraint trigger — moving it per event made a bulk append of 2,000 events several
times slower (each lock walked the chain of row versions the earlier updates left).

The arithmetic is `audit.hashing`'s, byte for byte, with PostgreSQL's built-in `sha256(bytea)`
(PostgreSQL >= 11; no pgcrypto needed): `int8send` is an 8-byte big-endian signed integer,
`uuid_send` the 16 bytes of the UUID, `int4send(octet_length(topic))` the 4-byte length prefix,
and `convert_to(topic, 'UTF8')` what Python's `str.encode()` gives. `tests/audit` checks the rows it
writes against the Python code, and `verify` recomputes every one of them in Python.

Cost (`bench/RESULTS.md`): measured with `bench/core_events.py` with and without it.
"""

from __future__ import annotations

from audit.hashing import GLOBAL_GENESIS
from domain.service import EVENTS_TABLE

_STORE_GENESIS_PREFIX = b"storeplane-audit:store:v1:"
TRIGGER_NAME = "storeplane_events_chain"
TRACKING_TRIGGER_NAME = "storeplane_events_chain_tracking"


def ddl(*, audit_schema: str, chain_table: str, tracking_table: str, projection: str) -> str:
    """The trigger function and the trigger (created only once the events table exists)."""
    return f"""
CREATE OR REPLACE FUNCTION {audit_schema}.chain_appended() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_position bigint;
    v_count bigint;
    v_head bytea;
    v_store bytea;
    v_digest bytea;
    v_topic bytea;
    v_link bytea;
    e record;
BEGIN
    -- Lock only: serialises with the Python catch-up. The head is the newest of the tracking row
    -- and the last chain row, since the tracking row moves once per transaction (below).
    SELECT position, count, head INTO v_position, v_count, v_head
    FROM {tracking_table} WHERE projection = '{projection}' FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;  -- no tracking row: the schema is not set up; verify reports the event unchained
    END IF;
    SELECT c.notification_id, c.ordinal, c.global_hash INTO e
    FROM {chain_table} c ORDER BY c.notification_id DESC LIMIT 1;
    IF FOUND THEN
        IF e.notification_id > v_position THEN
            v_position := e.notification_id;
            v_count := e.ordinal;
            v_head := e.global_hash;
        END IF;
    END IF;
    IF NEW.notification_id <= v_position THEN
        RETURN NULL;  -- chained already (by an earlier row's trigger), or below the head: verify judges
    END IF;
    v_head := coalesce(v_head, '\\x{GLOBAL_GENESIS.hex()}'::bytea);
    FOR e IN SELECT notification_id, originator_id, originator_version, topic, state
             FROM public.{EVENTS_TABLE}
             WHERE notification_id > v_position AND notification_id <= NEW.notification_id
             ORDER BY notification_id LOOP
        SELECT c.store_hash INTO v_store FROM {chain_table} c
        WHERE c.originator_id = e.originator_id ORDER BY c.originator_version DESC LIMIT 1;
        IF NOT FOUND THEN
            v_store := sha256('\\x{_STORE_GENESIS_PREFIX.hex()}'::bytea || uuid_send(e.originator_id));
        END IF;
        v_digest := sha256(e.state);
        v_topic := convert_to(e.topic, 'UTF8');
        v_link := int8send(e.notification_id::bigint) || uuid_send(e.originator_id)
            || int8send(e.originator_version::bigint) || int4send(octet_length(v_topic)) || v_topic
            || v_digest;
        v_head := sha256(v_head || v_link);
        v_store := sha256(v_store || v_link);
        v_count := v_count + 1;
        INSERT INTO {chain_table} (notification_id, ordinal, originator_id, originator_version, topic,
                                   state_digest, store_hash, global_hash)
        VALUES (e.notification_id, v_count, e.originator_id, e.originator_version, e.topic, v_digest,
                v_store, v_head);
        v_position := e.notification_id;
    END LOOP;
    RETURN NULL;
END;
$$;
CREATE OR REPLACE FUNCTION {audit_schema}.track_appended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- At commit, once per appended row but updating at most once per transaction: updating the
    -- row per event would leave a chain of row versions each later lock walks (quadratic in a bulk
    -- append of thousands of events).
    UPDATE {tracking_table} t SET position = c.notification_id, count = c.ordinal, head = c.global_hash
    FROM (SELECT notification_id, ordinal, global_hash FROM {chain_table}
          ORDER BY notification_id DESC LIMIT 1) c
    WHERE t.projection = '{projection}' AND t.position < c.notification_id;
    RETURN NULL;
END;
$$;
DO $$
BEGIN
    IF to_regclass('public.{EVENTS_TABLE}') IS NOT NULL THEN
        CREATE OR REPLACE TRIGGER {TRIGGER_NAME} AFTER INSERT ON public.{EVENTS_TABLE}
            FOR EACH ROW EXECUTE FUNCTION {audit_schema}.chain_appended();
        IF NOT EXISTS (SELECT FROM pg_trigger WHERE tgname = '{TRACKING_TRIGGER_NAME}'
                       AND tgrelid = 'public.{EVENTS_TABLE}'::regclass) THEN
            CREATE CONSTRAINT TRIGGER {TRACKING_TRIGGER_NAME} AFTER INSERT ON public.{EVENTS_TABLE}
                DEFERRABLE INITIALLY DEFERRED
                FOR EACH ROW EXECUTE FUNCTION {audit_schema}.track_appended();
        END IF;
    END IF;
END;
$$;
"""
