"""Reading the world: a store's namespace, guardrails, credentials, release and workloads, each
turned into a status from a closed set with a reason.

Fed by the Kubernetes API (Helm's release records included, `cluster.release_records`); feeds
`decide`. It never changes anything, and an unreachable cluster is an observation too
(`World.unreachable`), not an exception.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from typing import Any

import aiohttp
from kubernetes_asyncio.client.rest import ApiException

from reconciler.act.failures import classify
from reconciler.cluster import manifests
from reconciler.cluster.charts import CREDENTIALS_SECRET
from reconciler.cluster.helm import HelmError
from reconciler.cluster.kube import core, grouped
from reconciler.cluster.release_records import UnreadableRelease, read_release, reads_secrets
from reconciler.context import StoreContext
from reconciler.decide import messages
from reconciler.decide.actions import Step
from reconciler.decide.next_action import needs_release
from reconciler.observe.extra_policies import extra_policies
from reconciler.observe.observation import (
    IN_SYNC,
    NamespaceState,
    NamespaceStatus,
    Part,
    PartStatus,
    ReleaseState,
    World,
)
from reconciler.observe.release_state import release_state
from reconciler.observe.termination import remaining_resources
from reconciler.observe.workload_state import workloads_state

_READ_ERRORS = (ApiException, HelmError, aiohttp.ClientError, OSError, TimeoutError)


async def observe(ctx: StoreContext) -> World:
    try:
        return await _observe(ctx)
    except _READ_ERRORS as error:
        failed = classify(Step.START, error)
        return World.unreachable_because(failed.reason, permanent=failed.permanent)


async def _observe(ctx: StoreContext) -> World:
    kube = ctx.cluster.kube
    found = await kube.get(core(ctx.store.namespace))
    if found is None:
        return World.empty()
    namespace = namespace_state(ctx, found)
    if namespace.status is NamespaceStatus.FOREIGN:
        # Nothing in someone else's namespace is ours: neither to adopt nor to uninstall.
        return replace(World.empty(), namespace=namespace)
    if namespace.status is NamespaceStatus.TERMINATING:
        missing = Part(PartStatus.MISSING)  # going away with the namespace
        return World(namespace=namespace, guardrails=missing, credentials=missing, workloads=missing)
    guardrails, credentials = await asyncio.gather(_guardrails(ctx), _credentials(ctx))
    world = World(namespace=namespace, guardrails=guardrails, credentials=credentials)
    if not needs_release(ctx.store):
        return world
    release, workloads = await asyncio.gather(_release(ctx), _workloads(ctx))
    return replace(world, release=release, workloads=workloads)


def namespace_state(ctx: StoreContext, found: dict[str, Any]) -> NamespaceState:
    name = ctx.store.namespace
    if found.get("status", {}).get("phase") == "Terminating" or found["metadata"].get("deletionTimestamp"):
        remaining = remaining_resources(found)
        return NamespaceState(
            NamespaceStatus.TERMINATING,
            messages.NAMESPACE_TERMINATING.format(namespace=name, remaining=remaining),
        )
    labels = found["metadata"].get("labels") or {}
    # Unlabelled counts as foreign: storeplane labels a namespace in the request that creates it.
    if labels.get(manifests.STORE_ID_LABEL) != str(ctx.store.id):
        return NamespaceState(NamespaceStatus.FOREIGN, messages.NAMESPACE_FOREIGN.format(namespace=name))
    # Pod Security labels included: a namespace made before they existed is relabelled (drift).
    if not manifests.contains(labels, manifests.namespace_labels(ctx.store)):
        return NamespaceState(
            NamespaceStatus.MISLABELED, messages.NAMESPACE_LABELS_CHANGED.format(namespace=name)
        )
    return NamespaceState(NamespaceStatus.ACTIVE)


async def _guardrails(ctx: StoreContext) -> Part:
    plan = ctx.plans.get(ctx.store.plan)
    wanted = (
        (core(ctx.store.namespace, "resourcequotas", manifests.QUOTA),
         manifests.resource_quota(ctx.store, plan)),
        (core(ctx.store.namespace, "limitranges", manifests.LIMITS),
         manifests.limit_range(ctx.store, plan)),
        (grouped("networking.k8s.io/v1", ctx.store.namespace, "networkpolicies", manifests.NETWORK_POLICY),
         manifests.network_policy(ctx.store, ctx.ingress_labels())),
    )
    policies_path = grouped("networking.k8s.io/v1", ctx.store.namespace, "networkpolicies")
    found, policies = await asyncio.gather(
        asyncio.gather(*(ctx.cluster.kube.get(path) for path, _ in wanted)),
        ctx.cluster.kube.items(policies_path),
    )
    for (_, desired), actual in zip(wanted, found, strict=True):
        kind, name = desired["kind"], desired["metadata"]["name"]
        if actual is None:
            return Part(PartStatus.MISSING, messages.GUARDRAIL_MISSING.format(kind=kind, name=name))
        if not manifests.contains(actual.get("spec"), desired["spec"]):
            return Part(PartStatus.CHANGED, messages.GUARDRAIL_CHANGED.format(kind=kind, name=name))
    extra = extra_policies(policies, namespace=ctx.store.namespace, release=ctx.release)
    if extra:
        return Part(PartStatus.CHANGED, messages.GUARDRAIL_ADDED.format(names=", ".join(extra)))
    return IN_SYNC


async def _credentials(ctx: StoreContext) -> Part:
    name = CREDENTIALS_SECRET
    secret = await ctx.cluster.kube.get(core(ctx.store.namespace, "secrets", name))
    if secret is None:
        return Part(PartStatus.MISSING, messages.CREDENTIALS_MISSING.format(name=name))
    lacking = [k for k in manifests.CREDENTIAL_KEYS if k not in (secret.get("data") or {})]
    if lacking:
        return Part(
            PartStatus.CHANGED, messages.CREDENTIALS_INCOMPLETE.format(name=name, keys=", ".join(lacking))
        )
    return IN_SYNC


async def _release(ctx: StoreContext) -> ReleaseState:
    namespace = ctx.store.namespace
    if reads_secrets():
        # A record in a format this reconciler does not know is left to helm, which does.
        with contextlib.suppress(UnreadableRelease):
            return release_state(ctx, await read_release(ctx.cluster.kube, ctx.release, namespace))
    return release_state(ctx, await ctx.cluster.helm.release(ctx.release, namespace))


async def _workloads(ctx: StoreContext) -> Part:
    namespace = ctx.store.namespace
    deployments, statefulsets, jobs = await asyncio.gather(
        ctx.cluster.kube.items(grouped("apps/v1", namespace, "deployments")),
        ctx.cluster.kube.items(grouped("apps/v1", namespace, "statefulsets")),
        ctx.cluster.kube.items(grouped("batch/v1", namespace, "jobs")),
    )
    return workloads_state(deployments, statefulsets, jobs)
