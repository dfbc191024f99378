"""The actions `decide` can choose: small values naming what to do next, never how.

Fed by `decide`; feeds `reconciler.act.run`, which has one module per action that does the work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class Step(StrEnum):
    """Where an action belongs, for failure reasons (`<step>: <reason>`)."""

    START = "start"
    NAMESPACE = "namespace"
    GUARDRAILS = "guardrails"
    CREDENTIALS = "credentials"
    RELEASE = "release"
    READY = "ready"
    DRIFT = "drift"
    DELETE = "delete"


@dataclass(frozen=True)
class StartProvisioning:
    step = Step.START


@dataclass(frozen=True)
class EnsureNamespace:
    step = Step.NAMESPACE


@dataclass(frozen=True)
class ApplyGuardrails:
    step = Step.GUARDRAILS


@dataclass(frozen=True)
class IssueCredentials:
    step = Step.CREDENTIALS


@dataclass(frozen=True)
class InstallRelease:
    """`helm upgrade --install`: the release is absent, failed or out of sync."""

    step = Step.RELEASE


@dataclass(frozen=True)
class RecordRelease:
    """The release is already deployed as we want it (installed before a crash): record only."""

    revision: int
    chart: str
    step = Step.RELEASE


@dataclass(frozen=True)
class RecoverRelease:
    """A release left locked in a pending state by a process that died."""

    helm_status: str
    step = Step.RELEASE


@dataclass(frozen=True)
class MarkReady:
    step = Step.READY


@dataclass(frozen=True)
class RecordDrift:
    drift: str
    step = Step.DRIFT


@dataclass(frozen=True)
class UninstallRelease:
    step = Step.DELETE


@dataclass(frozen=True)
class DeleteNamespace:
    step = Step.DELETE


@dataclass(frozen=True)
class FinishDeletion:
    step = Step.DELETE


@dataclass(frozen=True)
class Wait:
    """Nothing to do until the world moves on; `reason` is shown to the user while waiting."""

    reason: str
    after: timedelta
    step = Step.START


@dataclass(frozen=True)
class GiveUp:
    """The observation alone shows the step cannot proceed now (`permanent`) or for a while."""

    failed_step: Step
    reason: str
    permanent: bool

    @property
    def step(self) -> Step:
        return self.failed_step


@dataclass(frozen=True)
class Idle:
    """The store needs nothing; look again after `after` (drift resync) or never (None)."""

    after: timedelta | None
    step = Step.START


Action = (
    StartProvisioning | EnsureNamespace | ApplyGuardrails | IssueCredentials | InstallRelease
    | RecordRelease | RecoverRelease | MarkReady | RecordDrift | UninstallRelease
    | DeleteNamespace | FinishDeletion | Wait | GiveUp | Idle
)
