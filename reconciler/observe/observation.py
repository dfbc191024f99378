"""The world as the observer read it: each part of a store's cluster state as a status from a closed
set plus a reason a person can read.

Fed by `observe` (Kubernetes and Helm reads); feeds `decide`. Pure values, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class NamespaceStatus(StrEnum):
    ABSENT = "absent"
    ACTIVE = "active"  # exists, belongs to this store, labels as they should be
    MISLABELED = "mislabeled"  # belongs to this store, but its labels were changed
    FOREIGN = "foreign"  # exists but was not created for this store
    TERMINATING = "terminating"


class PartStatus(StrEnum):
    """Guardrails, credentials and workloads: in the state we want, or not yet."""

    IN_SYNC = "in-sync"
    MISSING = "missing"
    CHANGED = "changed"
    PENDING = "pending"  # workloads still starting
    BROKEN = "broken"  # workloads failed (e.g. a Job that gave up)


class ReleaseStatus(StrEnum):
    ABSENT = "absent"
    IN_SYNC = "in-sync"  # deployed with our chart and values
    OUT_OF_SYNC = "out-of-sync"  # deployed, but chart or values differ from ours
    LOCKED = "locked"  # pending-install / pending-upgrade / pending-rollback
    FAILED = "failed"
    UNINSTALLING = "uninstalling"


@dataclass(frozen=True)
class Part:
    status: PartStatus
    reason: str = ""


IN_SYNC = Part(PartStatus.IN_SYNC)


@dataclass(frozen=True)
class NamespaceState:
    status: NamespaceStatus
    reason: str = ""


@dataclass(frozen=True)
class ReleaseState:
    status: ReleaseStatus
    reason: str = ""
    helm_status: str = ""  # Helm's own word, e.g. "pending-install"
    revision: int = 0
    chart: str = ""
    age: timedelta = timedelta(0)  # since Helm last touched the release


ABSENT_RELEASE = ReleaseState(ReleaseStatus.ABSENT)


@dataclass(frozen=True)
class World:
    """One observation of a store's cluster state; `unreachable` means none of it could be read."""

    namespace: NamespaceState
    guardrails: Part = IN_SYNC
    credentials: Part = IN_SYNC
    release: ReleaseState = ABSENT_RELEASE
    workloads: Part = IN_SYNC
    unreachable: str = ""
    # The reading was refused for good (403 of missing RBAC, 422): retrying will not help.
    unreachable_permanent: bool = False

    @classmethod
    def unreachable_because(cls, reason: str, *, permanent: bool = False) -> World:
        return cls(
            namespace=NamespaceState(NamespaceStatus.ABSENT), unreachable=reason,
            unreachable_permanent=permanent,
        )

    @classmethod
    def empty(cls) -> World:
        """Nothing of the store exists: what a missing namespace implies for every other part."""
        missing = Part(PartStatus.MISSING)
        return cls(
            namespace=NamespaceState(NamespaceStatus.ABSENT), guardrails=missing,
            credentials=missing, workloads=missing,
        )
