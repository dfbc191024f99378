"""Tamper evidence on a real PostgreSQL: given a chained history, when an attacker edits the tables
directly, then `verify` names the kind of break and the first broken event; a clean history verifies.

Every test builds its own database (never the shared one) with a gap in the notification ids, as
rolled-back appends leave in real histories, and chains it in small batches with a signed file.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import asyncpg
import psycopg
import pytest

from audit.chain import ChainProjection, database_identity
from audit.signed_checkpoint import SignedCheckpointFile
from audit.verify import Verdict, verify
from audit.walk import BreakKind
from domain.service import StoreService
from tests.audit import tampering
from tests.audit.history import make_history

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def chained_history(
    url: str, service: StoreService, pool: asyncpg.Pool, directory: Path
) -> SignedCheckpointFile:
    make_history(service, f"t-{uuid.uuid4().hex[:8]}", 4)
    with psycopg.connect(url, autocommit=True) as conn:  # a hole, as a rolled-back append leaves
        conn.execute("SELECT setval('storeplane_events_notification_id_seq', "
                     "(SELECT max(notification_id) + 5 FROM storeplane_events))")
    make_history(service, f"t-{uuid.uuid4().hex[:8]}", 4)
    async with pool.acquire() as conn:
        signed = SignedCheckpointFile(directory, await database_identity(conn))
    await ChainProjection(pool, batch_size=4, signed=signed).catch_up()
    return signed


async def test_a_clean_history_verifies_and_new_events_extend_the_chain(
    scratch_url: str, scratch_service: StoreService, scratch_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    signed = await chained_history(scratch_url, scratch_service, scratch_pool, tmp_path)
    first = await verify(scratch_pool, signed=signed)
    assert first.intact, first.broken
    assert first.events == first.chained == len(tampering.stored_events(scratch_url))
    make_history(scratch_service, f"t-{uuid.uuid4().hex[:8]}", 2)
    pending = await verify(scratch_pool, signed=signed)
    assert pending.intact
    # Chained by the append trigger in the appending transaction: no window before a follower runs.
    assert pending.unchained == 0
    assert pending.chained == pending.events > first.events
    await ChainProjection(scratch_pool, batch_size=3, signed=signed).catch_up()  # checkpoints the head
    after = await verify(scratch_pool, signed=signed)
    assert after.intact
    assert after.unchained == 0
    assert after.chained == after.events
    assert after.checkpoints > first.checkpoints


Attack = Callable[[str], "int | None"]


@pytest.mark.parametrize(
    ("attack", "kind"),
    [
        pytest.param(tampering.change_actor, BreakKind.CHANGED, id="one-row-json-changed"),
        pytest.param(tampering.remove_middle, BreakKind.REMOVED, id="a-row-deleted"),
        pytest.param(tampering.insert_into_gap, BreakKind.INSERTED, id="a-row-inserted-into-a-gap"),
        pytest.param(tampering.swap_states, BreakKind.REORDERED, id="two-states-swapped"),
        pytest.param(tampering.swap_notification_ids, BreakKind.REORDERED, id="two-ids-swapped"),
        pytest.param(tampering.remove_newest, BreakKind.TRUNCATED, id="newest-event-deleted"),
        pytest.param(tampering.remove_newest_everywhere, BreakKind.TRUNCATED,
                     id="newest-event-and-its-chain-records-deleted"),
    ],
)
async def test_tampering_is_detected_and_located(
    scratch_url: str, scratch_service: StoreService, scratch_pool: asyncpg.Pool, tmp_path: Path,
    attack: Attack, kind: BreakKind,
) -> None:
    signed = await chained_history(scratch_url, scratch_service, scratch_pool, tmp_path)
    expected_at = attack(scratch_url)
    verdict = await verify(scratch_pool, signed=signed)
    assert verdict.broken is not None, "tampering went unnoticed"
    assert (verdict.broken.kind, verdict.broken.notification_id) == (kind, expected_at), (
        verdict.broken.describe())


async def test_a_consistently_rechained_rewrite_is_caught_only_by_the_signed_file(
    scratch_url: str, scratch_service: StoreService, scratch_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    signed = await chained_history(scratch_url, scratch_service, scratch_pool, tmp_path)
    tampering.change_actor(scratch_url)
    tampering.wipe_audit_tables(scratch_url)
    await ChainProjection(scratch_pool).catch_up()  # the attacker's own, unsigned, re-chaining
    assert (await verify(scratch_pool)).intact, "without the key's file the rewrite is consistent"
    verdict = await verify(scratch_pool, signed=signed)
    assert verdict.broken is not None
    assert verdict.broken.kind is BreakKind.CHANGED


async def test_a_forged_checkpoint_file_is_reported(
    scratch_url: str, scratch_service: StoreService, scratch_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    signed = await chained_history(scratch_url, scratch_service, scratch_pool, tmp_path)
    body = json.loads(signed.path.read_text())
    body["count"] -= 1
    signed.path.write_text(json.dumps(body))
    verdict: Verdict = await verify(scratch_pool, signed=signed)
    assert verdict.broken is not None
    assert verdict.broken.kind is BreakKind.FORGED
