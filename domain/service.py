"""The store application service: one method per use case, get → command → save.

Fed by the API, the CLI and the reconciler; it appends events to the PostgreSQL event store through
the `eventsourcing` library, which the projections then read. Infrastructure errors become domain
errors here, so callers only ever see the types in `domain.errors`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any, ClassVar, ParamSpec, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError

from domain.actors import Stamp
from domain.catalog import PlanCatalog
from domain.credentials import StoreCredentials, credentials_from_secret
from domain.errors import (
    AppendRefused,
    ConcurrentModification,
    IdempotencyKeyReused,
    NameTaken,
    StorageUnavailable,
    StoreNotFound,
)
from domain.fence import Fence
from domain.name_reservation import NameReservation, reservation_id
from domain.store import Store, store_id_for

EVENTS_TABLE = "storeplane_events"
TRANSIENT_ATTEMPTS = 3

P = ParamSpec("P")
R = TypeVar("R")


def retried_on_lost_connections(read: Callable[P, R]) -> Callable[P, R]:
    """Runs a read again when its database connection died under it (a server restart leaves every
    pooled connection dead). Only reads: a write whose connection dies may have committed, so
    repeating the whole use case could decide afresh on its own result (an unkeyed create would
    find its own name taken). Appends are made exactly once by the recorder instead
    (`storeplane.event_store`), and an append still in doubt after its retries is
    `StorageUnavailable`, never a conflict."""

    @functools.wraps(read)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        for _ in range(TRANSIENT_ATTEMPTS - 1):
            try:
                return read(*args, **kwargs)
            except (OperationalError, InterfaceError):
                continue
        return read(*args, **kwargs)

    return run


class StoreService(Application[UUID]):
    name = "storeplane"
    # A bounded cache of recent aggregates: eventsourcing fast-forwards a cached store with the
    # events appended since (by any process), so reads stay exact while skipping most replays.
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "1024"}

    def __init__(self, env: dict[str, str] | None = None, plans: PlanCatalog | None = None) -> None:
        super().__init__(env)
        self.plans = plans or PlanCatalog()

    # Use cases of users ---------------------------------------------------------------------

    def create_store(
        self,
        *,
        tenant: str,
        name: str,
        engine: str,
        plan: str,
        idempotency_key: str | None,
        stamp: Stamp,
        fence: Fence | None = None,
    ) -> Store:
        """Records a new store. `fence` is checked in the append's own transaction (the API's
        quota, `graphql_api.quota.QuotaFence`); a repeated keyed request is answered with its
        store even where the fence would refuse a new one.

        The common case, a name never used and a key never seen, is one append and no read: the
        store and a new reservation of its name are saved together, and the event table's unique
        (id, version) key refuses the pair if either exists (a keyed store's id comes from its key,
        a reservation's from the tenant and name). Only then are they read, to tell a repeated
        request, a reclaimable name and a taken one apart. Reading first cost two statements and
        two replays on every create (issue 17)."""
        # The id and namespace are chosen once, before anything can be retried, so a repeated
        # attempt writes the very same request (and the recorder can recognise it as landed).
        request = functools.partial(
            Store.request, name=name, tenant=tenant, engine=engine, plan=plan,
            idempotency_key=idempotency_key, stamp=stamp, plans=self.plans,
        )
        store = request()
        try:
            self._save(store, NameReservation(tenant=store.tenant, name=store.name, store_id=store.id),
                       fence=fence)
            return store
        except IntegrityError:
            pass  # the key or the name was seen before: the careful path below tells which
        except AppendRefused:
            if idempotency_key and (existing := self._find(store.id)) is not None:
                return self._same_request(existing, store, idempotency_key)
            raise
        # `save` took the refused events off the aggregates, so the request is made again (a keyed
        # store gets the same id; an unkeyed one a new one, its first never having been stored).
        return self._create_carefully(request(), idempotency_key, fence)

    def _create_carefully(self, store: Store, idempotency_key: str | None, fence: Fence | None) -> Store:
        """A create whose key or name was seen before: the repeated request's store, or the name
        reclaimed from a deleted store, or `NameTaken`."""
        if idempotency_key:
            existing = self._find(store.id)
            if existing is not None:
                return self._same_request(existing, store, idempotency_key)
        reservation = self._claim_name(tenant=store.tenant, name=store.name, store_id=store.id)
        try:
            self._save(store, reservation, fence=fence)
        except IntegrityError:
            return self._explain_lost_create(store, idempotency_key)
        return store

    def delete_store(self, store_id: UUID, *, stamp: Stamp, tenant: str | None = None) -> Store:
        return self.change(
            store_id,
            lambda s: s.request_deletion(stamp=stamp),
            tenant=tenant,
        )

    def retry_store(self, store_id: UUID, *, stamp: Stamp, tenant: str | None = None) -> Store:
        return self.change(
            store_id,
            lambda s: s.request_retry(stamp=stamp),
            tenant=tenant,
        )

    def credentials_target(self, store_id: UUID, *, tenant: str | None = None) -> Store:
        """The store whose credentials the caller may read, before anything is read or recorded:
        NOT_FOUND for another tenant's store, `CredentialsNotReady` unless READY."""
        store = self.get_store(store_id, tenant=tenant)
        store.check_credentials_readable()
        return store

    def reveal_credentials(
        self, store_id: UUID, *, secret: Mapping[str, str], stamp: Stamp, tenant: str | None = None
    ) -> StoreCredentials:
        """Records that the caller was shown the credentials in `secret` (the store's Secret, read by
        the caller's adapter) and returns them. Recorded before they are returned: a reveal that
        could not be recorded shows nothing."""
        store = self.get_store(store_id, tenant=tenant)
        store.reveal_credentials(stamp=stamp)  # the guards again: the store may have changed since
        credentials = credentials_from_secret(store.id, store.engine, store.url, secret)
        self._save_store(store)
        return credentials

    # Use cases of the reconciler ------------------------------------------------------------

    def change(
        self,
        store_id: UUID,
        command: Callable[[Store], None],
        *,
        tenant: str | None = None,
        expected_version: int | None = None,
        fence: Fence | None = None,
        as_read: Store | None = None,
    ) -> Store:
        """Applies one command to the current store and saves what it recorded, or raises.

        `expected_version`: the version the caller decided on; any other current version is
        `ConcurrentModification` (the reconciler's outcomes are only true of the store they saw).
        `fence`: checked by the recorder inside the append's transaction (the reconciler's lease,
        `reconciler.fence.LeaseFence`); a stale one refuses the append with its own error.
        `as_read`: the aggregate the caller decided on, at `expected_version`, so it is not read
        again: if the store moved on since, its next version is already taken and the append is
        refused (`ConcurrentModification`) all the same. The command changes it, so a caller
        keeps it only if this returns."""
        if as_read is not None and as_read.id == store_id and as_read.version == expected_version:
            store = as_read
            if tenant is not None and store.tenant != tenant:
                raise StoreNotFound(store_id)
        else:
            store = self.get_store(store_id, tenant=tenant)
        if expected_version is not None and store.version != expected_version:
            raise ConcurrentModification(store_id)
        command(store)
        self._save_store(store, fence=fence)
        return store

    def finish_deletion(
        self, store_id: UUID, *, stamp: Stamp,
        expected_version: int | None = None, fence: Fence | None = None,
    ) -> Store:
        """Records the store as deleted and frees its name, in one atomic write."""
        store = self.get_store(store_id)
        if expected_version is not None and store.version != expected_version:
            raise ConcurrentModification(store_id)
        store.record_deleted(stamp=stamp)
        reservation = self._find_reservation(store.tenant, store.name)
        if reservation is not None:
            reservation.release(store.id)
        self._save_store(store, reservation, fence=fence)
        return store

    # Reading ----------------------------------------------------------------------------------

    @retried_on_lost_connections
    def get_store(self, store_id: UUID, *, tenant: str | None = None) -> Store:
        store = self._find(store_id)
        if store is None or (tenant is not None and store.tenant != tenant):
            raise StoreNotFound(store_id)
        return store

    def store_at(
        self, store_id: UUID, *, version: int | None = None, at: datetime | None = None,
        tenant: str | None = None,
    ) -> Store:
        """The store as it was after event `version`, or at instant `at`, replayed from events."""
        current = self.get_store(store_id, tenant=tenant)
        if at is not None:
            versions = [e.originator_version for e in self.history(store_id) if e.timestamp <= at]
            if not versions:
                raise StoreNotFound(store_id)
            version = versions[-1] if version is None else min(version, versions[-1])
        if version is None or version >= current.version:
            return current
        if version < 1:
            raise StoreNotFound(store_id)
        store: Store = self.repository.get(store_id, version=version)
        return store

    def history(self, store_id: UUID) -> Iterator[Store.Event]:
        for domain_event in self.events.get(store_id):
            assert isinstance(domain_event, Store.Event)
            yield domain_event

    # Helpers ----------------------------------------------------------------------------------

    @retried_on_lost_connections
    def _find(self, store_id: UUID) -> Store | None:
        try:
            store: Any = self.repository.get(store_id)
        except AggregateNotFoundError:
            return None
        return store if isinstance(store, Store) else None

    @retried_on_lost_connections
    def _find_reservation(self, tenant: str, name: str) -> NameReservation | None:
        try:
            reservation: Any = self.repository.get(reservation_id(tenant, name))
        except AggregateNotFoundError:
            return None
        assert isinstance(reservation, NameReservation)
        return reservation

    def _claim_name(self, *, tenant: str, name: str, store_id: UUID) -> NameReservation:
        reservation = self._find_reservation(tenant, name)
        if reservation is None:
            return NameReservation(tenant=tenant, name=name, store_id=store_id)
        reservation.claim(store_id)
        return reservation

    def _save_store(self, store: Store, *others: NameReservation | None, fence: Fence | None = None) -> None:
        try:
            self._save(store, *others, fence=fence)
        except IntegrityError:
            raise ConcurrentModification(store.id) from None

    def _save(self, *aggregates: Store | NameReservation | None, fence: Fence | None = None) -> None:
        """Appends, exactly once (the recorder retries and recognises a landed commit); an append
        still in doubt once the recorder gives up is `StorageUnavailable`."""
        try:
            if fence is None:
                self.save(*aggregates)
            else:
                self.save(*aggregates, fence=fence)
        except (OperationalError, InterfaceError) as error:
            raise StorageUnavailable(str(error)) from None

    @staticmethod
    def _same_request(existing: Store, requested: Store, key: str) -> Store:
        same = (existing.name, existing.engine, existing.plan) == (
            requested.name, requested.engine, requested.plan,
        )
        if not same:
            raise IdempotencyKeyReused(key)
        return existing

    def _explain_lost_create(self, store: Store, idempotency_key: str | None) -> Store:
        """Another create won the race: the same keyed request (return its store) or the name."""
        if idempotency_key:
            winner = self._find(store_id_for(store.tenant, idempotency_key))
            if winner is not None:
                return self._same_request(winner, store, idempotency_key)
        raise NameTaken(store.tenant, store.name)
