"""What an action came to, as a value: record something, wait, settle, or fail (temporary or
permanent). Actions return these instead of raising through the loop.

Fed by the action modules; feeds the worker, which records outcomes through the application service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from domain.actors import Stamp
from domain.store import Store
from reconciler.decide.actions import Step

Record = Callable[[Store, Stamp], None]  # the stamp names the reconciler and the causing request


@dataclass(frozen=True)
class Recorded:
    """The action changed (or confirmed) the world; record this (if anything), then decide again."""

    record: Record | None
    summary: str


@dataclass(frozen=True)
class Finished:
    """Nothing of a deleted store is left in the cluster: record Deleted and free its name."""


@dataclass(frozen=True)
class Failed:
    step: Step
    reason: str
    permanent: bool


@dataclass(frozen=True)
class Waiting:
    """The cluster is working on something; show `reason` (if any) and look again after `after`."""

    reason: str
    after: timedelta


@dataclass(frozen=True)
class Settled:
    """The store needs nothing now; look again after `after`, or only when it changes (None)."""

    after: timedelta | None


Outcome = Recorded | Finished | Failed | Waiting | Settled
