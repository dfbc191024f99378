"""How long provisioning took, step by step: from the request (or the retry) that started the
latest attempt to each outcome the reconciler recorded, up to READY or the final failure.

Fed by a store's events as (type name, time) pairs, oldest first (the read model's event feed or a
replay); feeds the API's `Store.provisioningTimes` and the create-to-ready benchmark. Pure: the
event's own timestamps are the clock, so a replay gives the same numbers as the live run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

STARTS = frozenset({"Requested", "RetryRequested"})
"""Events that begin an attempt the user asked for: the clock starts there."""
OUTCOMES = frozenset({
    "ProvisioningStarted", "NamespaceReady", "GuardrailsApplied", "CredentialsIssued",
    "ReleaseInstalled", "ReleaseRecovered", "AttemptFailed", "BecameReady", "ProvisioningFailed",
})
"""The reconciler's steps on the way to READY (a failed attempt that is retried counts: the
shopper's wait includes it)."""
ENDS = frozenset({"BecameReady", "ProvisioningFailed"})


@dataclass(frozen=True)
class StepTime:
    step: str  # the event type that marks the step done
    at: datetime
    took: timedelta  # since the previous step (or the start)
    since_start: timedelta


def provisioning_times(events: Iterable[tuple[str, datetime]]) -> list[StepTime]:
    """The latest attempt's steps; empty before any request. Outcomes after READY (drift, a
    later deletion) belong to no attempt and are left out."""
    ordered: Sequence[tuple[str, datetime]] = list(events)
    starts = [i for i, (kind, _) in enumerate(ordered) if kind in STARTS]
    if not starts:
        return []
    started_at = previous = ordered[starts[-1]][1]
    steps: list[StepTime] = []
    for kind, at in ordered[starts[-1] + 1:]:
        if kind not in OUTCOMES:
            continue
        steps.append(StepTime(step=kind, at=at, took=at - previous, since_start=at - started_at))
        previous = at
        if kind in ENDS:
            break
    return steps
