"""The reconciler's main loop: wake, claim stores that need work, run a bounded number of workers.

Fed by the projection's NOTIFY on `storeplane_read_model` (sub-second reaction; sooner, through
`projections.moves`, when the projection runs in this process), a periodic poll as a safety net,
and the worker verdicts' own timers (retry_at, waits, drift resyncs); feeds each claimed store to
a `Worker`. Leases are renewed while work runs; a lease lost (or a database out of reach for too
long) cancels its work, and stopping hands every store back.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import os
import random
import socket
import time
from collections.abc import AsyncIterator, Coroutine
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from domain.store import StoreStatus
from postgres.errors import DATABASE_ERRORS
from postgres.follower import Follower, first_of
from projections.moves import ReadModelMoves
from projections.schema import READ_MODEL_CHANNEL, READ_MODEL_SCHEMA
from reconciler.backoff import retry_delay
from reconciler.fence import StaleLease
from reconciler.leases import Claim, Leases
from reconciler.settings import ReconcilerSettings
from reconciler.worker import Verdict, Worker, utc_now

log = logging.getLogger(__name__)

LISTEN_RETRY_SECONDS = 1.0
LISTEN_POLL_SECONDS = 3600.0  # the loop polls on its own (`settings.poll_interval`)
INTERRUPTIBLE = frozenset({StoreStatus.PROVISIONING, StoreStatus.REQUESTED})


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:6]}"


class Dispatcher:
    def __init__(
        self, *, pool: asyncpg.Pool, worker: Worker, settings: ReconcilerSettings, holder: str | None = None,
        moves: ReadModelMoves | None = None,
    ) -> None:
        self.pool = pool
        self.moves = moves or ReadModelMoves()
        """This process's projection runner's signal, if it runs one: it wakes the loop sooner."""
        self.worker = worker
        self.settings = settings
        self.leases = Leases(pool, holder=holder or holder_name(), ttl=settings.lease_ttl)
        self.running: dict[UUID, asyncio.Task[None]] = {}
        self.timers: list[datetime] = []
        self.wake = asyncio.Event()
        self.stopping = asyncio.Event()
        self.preempted: set[UUID] = set()
        self.finishing: set[asyncio.Task[None]] = set()  # handing their store back
        # When each running store's lease was last known good (monotonic seconds): its claim, then
        # the start of each renewal that kept it.
        self.confirmed_at: dict[UUID, float] = {}

    async def run(self, stop: asyncio.Event) -> None:
        log.info("reconciler %s started (concurrency %d)", self.leases.holder, self.settings.concurrency)
        async with (
            _in_background(self._listen_forever(), "listen read model"),
            _in_background(self._renew_forever(), "lease renewal"),
        ):
            with self.moves.listening(self.wake.set):
                try:
                    while not stop.is_set():
                        self.wake.clear()
                        await self._fill()
                        await self._preempt_deleted()
                        await self._sleep(stop)
                finally:
                    await self._drain()
        log.info("reconciler %s stopped", self.leases.holder)

    async def _fill(self) -> None:
        """Claims stores for every free slot; repeats while a claim comes back full."""
        while (free := self.settings.concurrency - len(self.running)) > 0:
            try:
                claims = await self.leases.claim(free)
            except DATABASE_ERRORS as error:
                log.warning("claiming work failed: %s", error)
                return
            for claim in claims:
                self._start(claim)
            if len(claims) < free:
                return

    async def _preempt_deleted(self) -> None:
        """Interrupts provisioning of stores whose deletion was requested meanwhile (a `helm install
        --wait` can take minutes); the store is handed back at once and its deletion starts."""
        busy = [i for i, status in self.worker.working_on.items() if status in INTERRUPTIBLE]
        if not busy:
            return
        try:
            deleting = await self.pool.fetch(
                f"SELECT id FROM {READ_MODEL_SCHEMA}.stores "
                "WHERE id = ANY($1::uuid[]) AND status = 'deleting'",
                busy,
            )
        except DATABASE_ERRORS:
            return
        for record in deleting:
            task = self.running.get(record["id"])
            if task is not None:
                log.info("store=%s deletion requested; interrupting its provisioning", record["id"])
                self.preempted.add(record["id"])
                task.cancel()

    def _start(self, claim: Claim) -> None:
        task = asyncio.create_task(self._work(claim), name=f"reconcile {claim.store_id}")
        self.running[claim.store_id] = task
        self.confirmed_at[claim.store_id] = time.monotonic()

        def finished(_: asyncio.Task[None]) -> None:
            if self.running.get(claim.store_id) is task:
                del self.running[claim.store_id]
            self.finishing.discard(task)
            self.wake.set()

        task.add_done_callback(finished)

    async def _work(self, claim: Claim) -> None:
        verdict: Verdict | None = None
        fence = self.leases.fence(claim)
        stale = False
        try:
            verdict = await self.worker.reconcile(claim.store_id, stopping=self.stopping, fence=fence)
        except StaleLease as error:
            # Another holder may be working on the store: stop, and touch neither it nor its lease.
            stale = True
            log.warning("store=%s %s; stopping work on it", claim.store_id, error)
        except Exception:
            log.exception("store=%s reconcile crashed; handing it back", claim.store_id)
        finally:
            self._stop_tracking(claim.store_id)
            if not stale:
                await self._hand_back(claim, verdict)

    def _stop_tracking(self, store_id: UUID) -> None:
        """Before the lease is released: the store is no longer ours to renew, and once released it
        may be claimed again (by us too) while this task is still finishing."""
        task = asyncio.current_task()
        if task is not None and self.running.get(store_id) is task:
            del self.running[store_id]
            self.confirmed_at.pop(store_id, None)
            self.finishing.add(task)

    async def _hand_back(self, claim: Claim, verdict: Verdict | None) -> None:
        try:
            if not await self._release(claim, verdict):
                # Work that found nothing to do (a store finished by another holder while this
                # process was paused) records nothing either way; the operator still learns why.
                log.warning("store=%s lease epoch %d of %s was no longer current at hand-back; "
                            "left to its holder", claim.store_id, claim.epoch, self.leases.holder)
        except DATABASE_ERRORS as error:
            log.warning("store=%s lease release failed (it will expire): %s", claim.store_id, error)

    async def _release(self, claim: Claim, verdict: Verdict | None) -> bool:
        """Hands the lease back with when to look again; False when it was no longer ours."""
        if claim.store_id in self.preempted:
            self.preempted.discard(claim.store_id)
            return await self.leases.release(
                claim.store_id, version=0, not_before=utc_now(), failures=claim.failures
            )
        if verdict is not None and verdict.gone:
            return await self.leases.forget(claim.store_id)
        if verdict is None or verdict.failed:  # crashed, cancelled, or failed without retry state
            failures = claim.failures + 1
            delay = retry_delay(failures, self.settings.retry, random.random())
            version = verdict.version if verdict else None  # None: as the store is now
            self._remember(utc_now() + delay)
            return await self.leases.release(
                claim.store_id, version=version, not_before=utc_now() + delay, failures=failures
            )
        if verdict.look_again_at is not None:
            self._remember(verdict.look_again_at)
        return await self.leases.release(
            claim.store_id, version=verdict.version, not_before=verdict.look_again_at, failures=0
        )

    def _remember(self, when: datetime) -> None:
        heapq.heappush(self.timers, when)

    async def _sleep(self, stop: asyncio.Event) -> None:
        now = utc_now()
        while self.timers and self.timers[0] <= now:
            heapq.heappop(self.timers)
        timeout = self.settings.poll_interval.total_seconds()
        if self.timers:
            timeout = min(timeout, (self.timers[0] - now).total_seconds())
        await first_of(self.wake, stop, within=max(timeout, 0.01))

    async def _drain(self) -> None:
        """Lets in-flight work finish its current action, then cancels what is left; every lease is
        handed back so another process (or the next start) resumes at once."""
        self.stopping.set()
        tasks = [*self.running.values(), *self.finishing]
        if tasks:
            log.info("stopping: waiting for %d stores to reach a safe point", len(tasks))
            _, pending = await asyncio.wait(tasks, timeout=self.settings.shutdown_grace.total_seconds())
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        with contextlib.suppress(*DATABASE_ERRORS):
            await self.leases.release_all()

    async def _renew_forever(self) -> None:
        """Renews every ttl/6 on a connection of its own, each call bounded by ttl/6; a store whose
        lease could not be confirmed for half the TTL — refused, timed out, database gone, pool
        exhausted, whatever the reason — has its work cancelled while the lease still stands, so
        no action outlives it (the fence in the append catches whatever slips through)."""
        ttl = self.settings.lease_ttl.total_seconds()
        step = ttl / 6
        conn: asyncpg.pool.PoolConnectionProxy | None = None
        try:
            while True:
                await asyncio.sleep(step)
                held = dict(self.running)
                started = time.monotonic()
                try:
                    async with asyncio.timeout(step):
                        if conn is None or conn.is_closed():
                            conn = await self.pool.acquire()
                        kept = await self.leases.renew(list(held), conn=conn)
                except DATABASE_ERRORS as error:
                    log.warning("renewing leases failed: %r", error)
                    await _released(self.pool, conn)
                    conn = None
                    self._cancel(held, older_than=ttl / 2)
                    continue
                for store_id in kept:
                    self.confirmed_at[store_id] = started
                # Refused: another holder has it (or it expired); stop at once.
                self._cancel({i: t for i, t in held.items() if i not in kept}, older_than=0)
        finally:
            await _released(self.pool, conn)

    def _cancel(self, held: dict[UUID, asyncio.Task[None]], *, older_than: float) -> None:
        """Cancels the work of stores not confirmed for `older_than` seconds."""
        now = time.monotonic()
        for store_id, task in held.items():
            if self.running.get(store_id) is not task:  # already handing it back
                continue
            if now - self.confirmed_at.get(store_id, 0.0) >= older_than:
                log.warning("store=%s lease not confirmed for %.1fs; cancelling its work",
                            store_id, now - self.confirmed_at.get(store_id, 0.0))
                task.cancel()

    async def _listen_forever(self) -> None:
        """Wakes the loop on every read-model NOTIFY, through `postgres.follower` (reconnects with
        backoff after a database restart, and wakes once on each reconnect for what it missed)."""

        async def woken() -> None:
            self.wake.set()

        follower = Follower(self.pool, READ_MODEL_CHANNEL, woken, poll_interval=LISTEN_POLL_SECONDS,
                            max_backoff=LISTEN_RETRY_SECONDS)
        await follower.run(asyncio.Event())  # runs until the surrounding block cancels it


async def _released(pool: asyncpg.Pool, conn: asyncpg.pool.PoolConnectionProxy | None) -> None:
    """Gives a connection back to the pool (which closes it if it is broken)."""
    if conn is not None:
        with contextlib.suppress(Exception):
            await pool.release(conn, timeout=1)


@contextlib.asynccontextmanager
async def _in_background(work: Coroutine[Any, Any, None], name: str) -> AsyncIterator[None]:
    """Runs `work` as a task for the duration of the block, and cancels it at the end."""
    task = asyncio.create_task(work, name=name)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
