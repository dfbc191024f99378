"""Marking a store ready once it answers: its release is recorded, its workloads are ready, and a
shopper's first request — through the Service its Ingress routes the store's host to, called via
the API server's service proxy — gets an answer. The store URL comes from that ingress host,
`<name>.<tenant>.<base-domain>`.

Through the service proxy rather than the ingress: the reconciler reaches the API server from
anywhere (in the cluster or beside it), while the ingress controller's address is the operator's
business. The ingress rule itself is still what names the Service, so a store whose Ingress routes
nowhere is not ready either. On nodes kwok simulates nothing can answer: the event says the call
was skipped and why, instead of failing a store that is as ready as kwok can make it.
"""

from __future__ import annotations

import time

import aiohttp
from kubernetes_asyncio.client.rest import ApiException

from domain.actors import Stamp
from domain.store import Store
from reconciler.act.outcomes import Failed, Recorded
from reconciler.cluster.kube import grouped
from reconciler.context import StoreContext
from reconciler.decide import messages
from reconciler.decide.actions import Step
from reconciler.observe.serving import SERVING_PATHS, Backend, backend_for, endpoint_nodes, simulated

ANSWER_TIMEOUT_SECONDS = 10.0


async def mark_ready(ctx: StoreContext) -> Recorded | Failed:
    namespace = ctx.store.namespace
    ingresses = await ctx.cluster.kube.items(grouped("networking.k8s.io/v1", namespace, "ingresses"))
    backend = backend_for(ingresses, ctx.host)
    if backend is None:
        return Failed(Step.READY, messages.SERVING_NO_ROUTE.format(host=ctx.host), permanent=False)
    skipped = await _simulated_nodes(ctx, backend)
    if skipped:
        return _ready(ctx, messages.SERVING_SIMULATED.format(nodes=", ".join(sorted(skipped))))
    return await _call(ctx, backend)


async def _simulated_nodes(ctx: StoreContext, backend: Backend) -> set[str]:
    """The nodes of the Service's endpoints when all are kwok's, else an empty set. Reading a node
    is a cluster-wide right an operator may withhold: then the store is simply called."""
    slices = await ctx.cluster.kube.items(
        grouped("discovery.k8s.io/v1", ctx.store.namespace, "endpointslices"),
        query=[("labelSelector", f"kubernetes.io/service-name={backend.service}")],
    )
    names = endpoint_nodes(slices)
    try:
        nodes = [node for name in sorted(names) if (node := await ctx.cluster.kube.get(core_node(name)))]
    except ApiException as error:
        if error.status == 403:
            return set()
        raise
    return names if simulated(nodes) and len(nodes) == len(names) else set()


def core_node(name: str) -> str:
    return f"/api/v1/nodes/{name}"


async def _call(ctx: StoreContext, backend: Backend) -> Recorded | Failed:
    path = SERVING_PATHS.get(ctx.store.engine, "/")
    proxied = backend.proxy_path(ctx.store.namespace, path)
    started = time.monotonic()
    try:
        status = await ctx.cluster.kube.status_of(proxied, within=ANSWER_TIMEOUT_SECONDS)
    except (TimeoutError, aiohttp.ClientError):
        silent = messages.SERVING_SILENT.format(
            path=path, service=backend.service, seconds=int(ANSWER_TIMEOUT_SECONDS)
        )
        return Failed(Step.READY, silent, permanent=False)
    if status >= 400:
        refused = messages.SERVING_REFUSED.format(path=path, service=backend.service, status=status)
        return Failed(Step.READY, refused, permanent=False)
    millis = round((time.monotonic() - started) * 1000)
    return _ready(ctx, messages.SERVING_ANSWERED.format(
        path=path, status=status, millis=millis, service=backend.service,
    ))


def _ready(ctx: StoreContext, check: str) -> Recorded:
    url = ctx.url

    def record(store: Store, stamp: Stamp) -> None:
        store.record_ready(url=url, check=check, stamp=stamp)

    return Recorded(record, f"ready at {url} ({check})")
