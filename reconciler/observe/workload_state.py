"""Whether a store's workloads are ready: Deployments and StatefulSets ready, Jobs complete. Pure.

Fed by the observer with the namespace's Deployments, StatefulSets and Jobs (plain JSON); feeds
`decide` with in-sync, pending (with what it waits for) or broken (a Job that gave up).
"""

from __future__ import annotations

from typing import Any

from reconciler.decide import messages
from reconciler.observe.observation import IN_SYNC, Part, PartStatus


def workloads_state(
    deployments: list[dict[str, Any]], statefulsets: list[dict[str, Any]], jobs: list[dict[str, Any]]
) -> Part:
    for job in jobs:
        failed = _condition(job, "Failed")
        if failed is not None:
            what = f"job {_name(job)}"
            return Part(PartStatus.BROKEN, messages.WORKLOADS_BROKEN.format(what=what, message=failed))
    waiting = [
        *(d for d in map(_deployment_waiting, deployments) if d),
        *(s for s in map(_statefulset_waiting, statefulsets) if s),
        *(f"job {_name(j)} to complete" for j in jobs if _condition(j, "Complete") is None),
    ]
    if waiting:
        return Part(PartStatus.PENDING, messages.WORKLOADS_WAITING.format(what=", ".join(waiting)))
    return IN_SYNC


def _name(item: dict[str, Any]) -> str:
    return str(item["metadata"]["name"])


def _condition(item: dict[str, Any], kind: str) -> str | None:
    for condition in (item.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind and condition.get("status") == "True":
            return str(condition.get("message") or condition.get("reason") or kind)
    return None


def _deployment_waiting(item: dict[str, Any]) -> str:
    wanted = int((item.get("spec") or {}).get("replicas", 1))
    status = item.get("status") or {}
    current = int(item["metadata"].get("generation", 0)) <= int(status.get("observedGeneration", 0))
    ready = int(status.get("readyReplicas", 0))
    updated = int(status.get("updatedReplicas", 0))
    if current and ready >= wanted and updated >= wanted:
        return ""
    return f"deployment {_name(item)} ({ready}/{wanted} ready)"


def _statefulset_waiting(item: dict[str, Any]) -> str:
    wanted = int((item.get("spec") or {}).get("replicas", 1))
    ready = int((item.get("status") or {}).get("readyReplicas", 0))
    if ready >= wanted:
        return ""
    return f"statefulset {_name(item)} ({ready}/{wanted} ready)"
