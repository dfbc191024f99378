"""Tamper evidence from the moment of commit: the append trigger chains each event in the
transaction that stores it, with the very bytes `audit.hashing` computes; an edit made before any
chain follower ran is caught; a signed checkpoint file that disappears is a break."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import pytest

from audit.chain import CHAIN_COLUMNS, ChainProjection, database_identity, link_records
from audit.hashing import GLOBAL_GENESIS
from audit.signed_checkpoint import Checkpoint, SignedCheckpointFile
from audit.verify import verify
from audit.walk import BreakKind
from domain.service import EVENTS_TABLE, StoreService
from tests.audit import tampering
from tests.audit.history import make_history

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_the_trigger_writes_the_rows_the_python_chain_computes(
    scratch_service: StoreService, scratch_pool: asyncpg.Pool
) -> None:
    make_history(scratch_service, f"t-{uuid.uuid4().hex[:8]}", 5)
    events = await scratch_pool.fetch(
        f"SELECT notification_id, originator_id, originator_version, topic, state "
        f"FROM public.{EVENTS_TABLE} ORDER BY notification_id")
    recorded = await scratch_pool.fetch(
        f"SELECT {', '.join(CHAIN_COLUMNS)} FROM audit.event_chain ORDER BY notification_id")
    expected, head = link_records(events, Checkpoint(0, 0, GLOBAL_GENESIS), {})
    assert [tuple(r) for r in recorded] == expected
    tracking = await scratch_pool.fetchrow("SELECT position, count, head FROM audit.tracking")
    assert (tracking["position"], tracking["count"], bytes(tracking["head"])) == (
        head.position, head.count, head.head)


async def test_an_edit_before_any_follower_ran_is_caught(
    scratch_url: str, scratch_service: StoreService, scratch_pool: asyncpg.Pool
) -> None:
    make_history(scratch_service, f"t-{uuid.uuid4().hex[:8]}", 4)
    edited = tampering.change_actor(scratch_url)  # no ChainProjection has run on this database
    verdict = await verify(scratch_pool)
    assert verdict.broken is not None, "edited between commit and the follower, yet intact"
    assert (verdict.broken.kind, verdict.broken.notification_id) == (BreakKind.CHANGED, edited)


async def test_an_event_written_with_triggers_off_is_reported_unchained(
    scratch_url: str, scratch_service: StoreService, scratch_pool: asyncpg.Pool
) -> None:
    make_history(scratch_service, f"t-{uuid.uuid4().hex[:8]}", 1)
    newest = tampering.stored_events(scratch_url)[-1]
    tampering.run_sql(scratch_url, f"""INSERT INTO {tampering.EVENTS}
        (originator_id, originator_version, topic, state)
        SELECT originator_id, originator_version + 1, topic, state FROM {tampering.EVENTS}
        WHERE notification_id = {newest.notification_id}""")
    verdict = await verify(scratch_pool)
    assert verdict.intact
    assert verdict.unchained == 1, "what nothing protects is counted, not passed as chained"


async def test_a_missing_signed_file_while_events_are_chained_is_broken(
    scratch_service: StoreService, scratch_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    async with scratch_pool.acquire() as conn:
        signed = SignedCheckpointFile(tmp_path, await database_identity(conn))
    assert (await verify(scratch_pool, signed=signed)).intact, "an empty history needs no file"
    make_history(scratch_service, f"t-{uuid.uuid4().hex[:8]}", 2)
    await ChainProjection(scratch_pool, signed=signed).catch_up()
    assert (await verify(scratch_pool, signed=signed)).intact
    signed.path.unlink()
    verdict = await verify(scratch_pool, signed=signed)
    assert verdict.broken is not None
    assert verdict.broken.kind is BreakKind.UNSIGNED
