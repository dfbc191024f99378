"""Reconciling one store: observe → decide → act, repeated until the store needs nothing now.

Fed by the dispatcher with a store id it holds the lease of; reads the store from the event store,
the world from the cluster, and records each outcome through the application service. Returns a
`Verdict`: when to look at the store again, which the dispatcher keeps with the lease.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from domain.actors import Stamp
from domain.catalog import PlanCatalog
from domain.errors import ConcurrentModification, IllegalTransition
from domain.store import Store, StoreStatus
from reconciler import act
from reconciler.act.outcomes import Failed, Finished, Outcome, Recorded, Settled, Waiting
from reconciler.backoff import RetryAt, after_failure
from reconciler.context import Cluster, StoreContext
from reconciler.decide.actions import (
    Action,
    ApplyGuardrails,
    DeleteNamespace,
    EnsureNamespace,
    InstallRelease,
    IssueCredentials,
    RecoverRelease,
    UninstallRelease,
)
from reconciler.decide.next_action import DecideConfig, decide, needs_world
from reconciler.fence import Guard, LeaseFence
from reconciler.observe.world import observe
from reconciler.records import StoreRecords
from reconciler.settings import ReconcilerSettings
from reconciler.snapshot import StoreSnapshot

log = logging.getLogger(__name__)

# Enough for every step of a provisioning plus conflicts; a store that needs more is handed back,
# so one store can never keep a worker slot forever.
MAX_ROUNDS = 30
# READY too: a ready store that cannot be observed says so (and the note is cleared once it can).
NOTED = frozenset({StoreStatus.PROVISIONING, StoreStatus.DELETING, StoreStatus.READY})
# Actions that change the cluster: the lease is confirmed right before each (a holder that slept
# through its lease learns it here, before it acts, not only when it records the outcome).
CHANGES_CLUSTER = (
    EnsureNamespace, ApplyGuardrails, IssueCredentials, InstallRelease, RecoverRelease,
    UninstallRelease, DeleteNamespace,
)


@dataclass(frozen=True)
class Verdict:
    """How a worker leaves a store."""

    version: int
    look_again_at: datetime | None  # None: only when the store changes
    gone: bool = False  # deleted or unknown: forget it
    failed: bool = False  # a failure whose retry state is not in the store (deletion): back off


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Worker:
    records: StoreRecords
    cluster: Cluster
    settings: ReconcilerSettings
    plans: PlanCatalog
    clock: Callable[[], datetime] = utc_now
    jitter: Callable[[], float] = field(default=random.random)
    # The status each store in progress was last decided on, so the dispatcher can tell which
    # in-flight provisioning a deletion request should interrupt.
    working_on: dict[UUID, StoreStatus] = field(default_factory=dict)
    # Where leases are confirmed before cluster actions (the dispatcher's pool).
    pool: asyncpg.Pool | None = None

    @property
    def decide_config(self) -> DecideConfig:
        return DecideConfig(
            resync_interval=self.settings.resync_interval,
            stuck_release_grace=self.settings.release_grace,
        )

    async def reconcile(
        self, store_id: UUID, *, stopping: asyncio.Event, fence: LeaseFence | None = None
    ) -> Verdict:
        """Raises `StaleLease` when `fence` stops being current: the store is another holder's now,
        and nothing more is done or recorded for it here."""
        try:
            return await self._reconcile(store_id, stopping, fence)
        finally:
            self.working_on.pop(store_id, None)
            self.records.done_with(store_id)

    async def _reconcile(
        self, store_id: UUID, stopping: asyncio.Event, fence: LeaseFence | None
    ) -> Verdict:
        snapshot = await self.records.load(store_id)
        for _ in range(MAX_ROUNDS):
            if snapshot is None or snapshot.status is StoreStatus.DELETED:
                return Verdict(snapshot.version if snapshot else 0, None, gone=True)
            self.working_on[store_id] = snapshot.status
            outcome = await self._round(snapshot, fence)
            try:
                settled = await self._settle(snapshot, outcome, fence)
            except (ConcurrentModification, IllegalTransition) as conflict:
                # The store changed under us (e.g. deleted mid-provision): drop the stale outcome.
                _log(snapshot, "conflict", str(conflict))
                snapshot = await self.records.load(store_id)
                continue
            if isinstance(settled, Verdict):
                return settled
            snapshot = settled
            if snapshot.status is StoreStatus.READY:
                return Verdict(snapshot.version, self.clock() + self.settings.resync_interval)
            if stopping.is_set():
                return Verdict(snapshot.version, self.clock())
        version = snapshot.version if snapshot else 0
        return Verdict(version, self.clock() + self.decide_config.wait_interval)

    async def _round(self, snapshot: StoreSnapshot, fence: LeaseFence | None) -> Outcome:
        guard = Guard(fence, self.pool)
        ctx = StoreContext(snapshot, self.cluster, self.settings, self.plans, guard)
        world = await observe(ctx) if needs_world(snapshot) else None
        action = decide(snapshot, world, self.clock(), self.decide_config)
        if _changes_cluster(action):
            await guard.confirm()
        outcome = await act.run(ctx, action)
        _log(snapshot, type(action).__name__, _describe(outcome))
        return outcome

    async def _settle(
        self, snapshot: StoreSnapshot, outcome: Outcome, fence: LeaseFence | None
    ) -> StoreSnapshot | Verdict:
        now = self.clock()
        match outcome:
            case Recorded(record=None):
                return snapshot
            case Recorded(record=record) if record is not None:
                return await self.records.record(snapshot, record, fence=fence)
            case Finished():
                await self.records.finish_deletion(snapshot, fence=fence)
                return Verdict(snapshot.version + 1, None, gone=True)
            case Waiting(reason=reason, after=after):
                snapshot = await self._note(snapshot, reason, fence)
                return Verdict(snapshot.version, now + after)
            case Settled(after=after):
                if snapshot.status is StoreStatus.READY and snapshot.status_reason:
                    snapshot = await self._note(snapshot, "", fence, clear=True)
                return Verdict(snapshot.version, now + after if after is not None else None)
            case Failed():
                return await self._failed(snapshot, outcome, now, fence)
        raise AssertionError(f"unhandled outcome {outcome!r}")

    async def _failed(
        self, snapshot: StoreSnapshot, failure: Failed, now: datetime, fence: LeaseFence | None
    ) -> Verdict:
        if snapshot.status is not StoreStatus.PROVISIONING:
            snapshot = await self._note(snapshot, f"{failure.step}: {failure.reason}; retrying", fence)
            return Verdict(snapshot.version, None, failed=True)
        decision = after_failure(
            attempts_so_far=snapshot.attempt, permanent=failure.permanent, now=now,
            policy=self.settings.retry, jitter=self.jitter(),
        )
        step, reason = failure.step.value, failure.reason
        if isinstance(decision, RetryAt):
            def retry(store: Store, stamp: Stamp) -> None:
                store.record_attempt_failed(step=step, reason=reason, retry_at=decision.when, stamp=stamp)

            recorded = await self.records.record(snapshot, retry, fence=fence)
            return Verdict(recorded.version, decision.when)

        def fail(store: Store, stamp: Stamp) -> None:
            store.record_failed(step=step, reason=reason, retryable=decision.retryable, stamp=stamp)

        recorded = await self.records.record(snapshot, fail, fence=fence)
        return Verdict(recorded.version, None)

    async def _note(
        self, snapshot: StoreSnapshot, reason: str, fence: LeaseFence | None, *, clear: bool = False
    ) -> StoreSnapshot:
        """Shows the user what the store waits for (`clear`: that it waits for nothing any more);
        a no-op when the reason has not changed."""
        if (not reason and not clear) or snapshot.status not in NOTED:
            return snapshot

        def note(store: Store, stamp: Stamp) -> None:
            store.note_progress(reason=reason, stamp=stamp)

        return await self.records.record(snapshot, note, fence=fence)


def _changes_cluster(action: Action) -> bool:
    return isinstance(action, CHANGES_CLUSTER)


def _describe(outcome: Outcome) -> str:
    match outcome:
        case Recorded(summary=summary):
            return summary
        case Failed(step=step, reason=reason, permanent=permanent):
            return f"{'permanent' if permanent else 'temporary'} failure at {step}: {reason}"
        case Waiting(reason=reason, after=after):
            return f"waiting {after.total_seconds():.1f}s {reason}".rstrip()
        case Settled(after=after):
            return "in sync" if after is None else f"in sync; next check in {after.total_seconds():.0f}s"
    return "finished"


def _log(snapshot: StoreSnapshot, action: str, outcome: str) -> None:
    log.info(
        "store=%s correlation_id=%s status=%s action=%s outcome=%r",
        snapshot.id, snapshot.correlation_id, snapshot.status.value, action, outcome,
    )

