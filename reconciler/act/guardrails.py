"""The store's guardrails: ResourceQuota and LimitRange from its plan, and a default-deny
NetworkPolicy that admits only the ingress controller and the store's own pods.

Server-side apply, so a repeat is a no-op and a guardrail changed out of band is put back; a
NetworkPolicy added out of band (which could only widen access) is removed.
"""

from __future__ import annotations

from domain.actors import Stamp
from domain.store import Store
from reconciler.act.outcomes import Recorded
from reconciler.cluster import manifests
from reconciler.cluster.kube import core, grouped
from reconciler.context import StoreContext
from reconciler.observe.extra_policies import extra_policies


async def apply_guardrails(ctx: StoreContext) -> Recorded:
    namespace = ctx.store.namespace
    plan = ctx.plans.get(ctx.store.plan)
    kube = ctx.cluster.kube
    quota = manifests.resource_quota(ctx.store, plan)
    await kube.apply(core(namespace, "resourcequotas", manifests.QUOTA), quota)
    await kube.apply(core(namespace, "limitranges", manifests.LIMITS), manifests.limit_range(ctx.store, plan))
    await kube.apply(
        grouped("networking.k8s.io/v1", namespace, "networkpolicies", manifests.NETWORK_POLICY),
        manifests.network_policy(ctx.store, ctx.ingress_labels()),
    )
    policies = await kube.items(grouped("networking.k8s.io/v1", namespace, "networkpolicies"))
    for name in extra_policies(policies, namespace=namespace, release=ctx.release):
        await kube.delete(grouped("networking.k8s.io/v1", namespace, "networkpolicies", name))
    resources = [
        f"ResourceQuota/{manifests.QUOTA}", f"LimitRange/{manifests.LIMITS}",
        f"NetworkPolicy/{manifests.NETWORK_POLICY}",
    ]

    def record(store: Store, stamp: Stamp) -> None:
        store.record_guardrails_applied(resources=resources, stamp=stamp)

    return Recorded(record, f"guardrails of plan {plan.name} applied")
