"""Acting: one module per action, each idempotent and safe to repeat after a crash at any line.

Fed by the worker with the action `decide` chose; `run` dispatches it to its module and turns any
exception into a classified `Failed` outcome, so nothing raises through the worker's loop.
"""

from __future__ import annotations

from reconciler.act import (
    credentials,
    drift,
    guardrails,
    namespace,
    readiness,
    recover_release,
    release,
    start,
    teardown,
    uninstall,
)
from reconciler.act.failures import classify
from reconciler.act.outcomes import Failed, Outcome, Settled, Waiting
from reconciler.context import StoreContext
from reconciler.decide.actions import (
    Action,
    ApplyGuardrails,
    DeleteNamespace,
    EnsureNamespace,
    FinishDeletion,
    GiveUp,
    Idle,
    InstallRelease,
    IssueCredentials,
    MarkReady,
    RecordDrift,
    RecordRelease,
    RecoverRelease,
    StartProvisioning,
    UninstallRelease,
    Wait,
)
from reconciler.fence import StaleLease


async def run(ctx: StoreContext, action: Action) -> Outcome:
    try:
        return await _dispatch(ctx, action)
    except StaleLease:  # not a failure of the store: this process must stop working on it
        raise
    except Exception as error:  # every failure becomes a value the worker records
        return classify(action.step, error)


async def _dispatch(ctx: StoreContext, action: Action) -> Outcome:
    match action:
        case StartProvisioning():
            return start.start_provisioning()
        case EnsureNamespace():
            return await namespace.ensure_namespace(ctx)
        case ApplyGuardrails():
            return await guardrails.apply_guardrails(ctx)
        case IssueCredentials():
            return await credentials.issue_credentials(ctx)
        case InstallRelease():
            return await release.install_release(ctx)
        case RecordRelease():
            return release.record_release(ctx, action)
        case RecoverRelease():
            return await recover_release.recover_release(ctx, action)
        case MarkReady():
            return await readiness.mark_ready(ctx)
        case RecordDrift():
            return drift.record_drift(action)
        case UninstallRelease():
            return await uninstall.uninstall_release(ctx)
        case DeleteNamespace():
            return await teardown.delete_namespace(ctx)
        case FinishDeletion():
            return teardown.finish_deletion()
        case Wait():
            return Waiting(reason=action.reason, after=action.after)
        case GiveUp():
            return Failed(action.failed_step, action.reason, permanent=action.permanent)
        case Idle():
            return Settled(after=action.after)
