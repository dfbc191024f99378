"""One stored event as an auditor reads it: when, who, what, the correlation id, and its chain hashes.

Fed by rows of the events table (joined with the chain and with the aggregate's first event, which
names the tenant); feeds `audit history` and `audit export`, so both print the same record for the
same event. Read straight from the stored JSON rather than through the domain classes: an auditor
must be able to read every event the table holds, including one whose class has since changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

_ENVELOPE = ("timestamp", "originator_topic", "actor", "correlation_id")

# eventsourcing's JSON transcodings (see projections.decoding), turned into plain JSON values.
_TRANSCODED: dict[str, Callable[[str], str]] = {
    "uuid_hex": lambda data: str(UUID(hex=data)),
    "datetime_iso": str,
    "decimal_str": str,
}


def plain(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"_type_", "_data_"} and value["_type_"] in _TRANSCODED:
            return _TRANSCODED[value["_type_"]](value["_data_"])
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def split_topic(topic: str) -> tuple[str, str]:
    """`domain.store:Store.Requested` → (`Store`, `Requested`)."""
    qualname = topic.partition(":")[2]
    aggregate, _, event_type = qualname.rpartition(".")
    return aggregate, event_type


def event_record(
    *,
    notification_id: int,
    originator_id: UUID,
    originator_version: int,
    topic: str,
    state: bytes,
    tenant: str | None,
    global_hash: bytes | None,
    aggregate_hash: bytes | None,
) -> dict[str, Any]:
    payload = plain(json.loads(state))
    envelope = {key: payload.pop(key, None) for key in _ENVELOPE}
    aggregate, event_type = split_topic(topic)
    return {
        "sequence": notification_id,
        "occurred_at": envelope["timestamp"],
        "aggregate": aggregate,
        "aggregate_id": str(originator_id),
        "version": originator_version,
        "type": event_type,
        "tenant": tenant,
        "actor": envelope["actor"],
        "correlation_id": envelope["correlation_id"],
        "data": payload,
        "global_hash": global_hash.hex() if global_hash is not None else None,
        "aggregate_hash": aggregate_hash.hex() if aggregate_hash is not None else None,
    }


def has_nul(state_sql: str) -> str:
    """SQL: whether a stored state holds the JSON escape `\\u0000`, which jsonb refuses."""
    return f"(position('\\\\u0000'::bytea IN {state_sql}) > 0)"


def json_at(state_sql: str, path: str) -> str:
    """SQL: the text at `path` (a `#>>` path such as `{tenant}`) of a stored state; NULL for a state
    jsonb would refuse, so one poison event (see `postgres.quarantine`) cannot fail a whole query.
    Such rows are judged in Python instead (`record_from_row`, `ExportWindow.admits`)."""
    readable = f"convert_from({state_sql}, 'UTF8')::jsonb #>> '{path}'"
    return f"(CASE WHEN NOT {has_nul(state_sql)} THEN {readable} END)"


def record_from_row(row: Any) -> dict[str, Any]:
    """From a row with the columns every audit query selects (see `audit_query`)."""
    tenant = row["tenant"]
    if tenant is None and row["first_state"] is not None:  # jsonb refused it; Python's json does not
        tenant = json.loads(row["first_state"]).get("tenant")
    return event_record(
        notification_id=int(row["notification_id"]), originator_id=row["originator_id"],
        originator_version=int(row["originator_version"]), topic=row["topic"],
        state=bytes(row["state"]), tenant=tenant,
        global_hash=bytes(row["global_hash"]) if row["global_hash"] is not None else None,
        aggregate_hash=bytes(row["store_hash"]) if row["store_hash"] is not None else None,
    )


def audit_query(events_table: str, chain_table: str, where: str) -> str:
    """Events with their tenant (from the aggregate's first event) and chain hashes, in order."""
    return f"""
SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state,
       {json_at("f.state", "{tenant}")} AS tenant,
       CASE WHEN {has_nul("f.state")} THEN f.state END AS first_state,
       c.global_hash, c.store_hash
FROM {events_table} e
LEFT JOIN {events_table} f ON f.originator_id = e.originator_id AND f.originator_version = 1
LEFT JOIN {chain_table} c ON c.notification_id = e.notification_id
WHERE {where}
ORDER BY e.notification_id
"""
