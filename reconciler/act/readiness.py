"""Marking a store ready once it answers: its release is recorded, its workloads are ready, and a
shopper's first request — through the Service its Ingress routes the store's host to, called via
the API server's service proxy — gets an answer. The store URL comes from that ingress host,
`<name>.<tenant>.<base-domain>`. Until the chart's setup Jobs (migrations, seed, WooCommerce's
setup) have finished the store waits: its server may answer before it has anything to sell. For
Medusa the visit goes on to the Store API with the publishable key its seed stored in the
credentials Secret, which proves the seed's work reached the server.

Through the service proxy rather than the ingress: the reconciler reaches the API server from
anywhere (in the cluster or beside it), while the ingress controller's address is the operator's
business. The ingress rule itself is still what names the Service, so a store whose Ingress routes
nowhere is not ready either. On nodes kwok simulates nothing can answer: the event says the call
was skipped and why, instead of failing a store that is as ready as kwok can make it.
"""

from __future__ import annotations

import time
from datetime import timedelta

import aiohttp
from kubernetes_asyncio.client.rest import ApiException

from domain.actors import Stamp
from domain.store import Store
from reconciler.act.outcomes import Failed, Recorded, Waiting
from reconciler.cluster.charts import CREDENTIALS_SECRET
from reconciler.cluster.kube import grouped
from reconciler.context import StoreContext
from reconciler.decide import messages
from reconciler.decide.actions import Step
from reconciler.observe.serving import (
    PUBLISHABLE_KEY_HEADER,
    SETUP_JOB_SELECTOR,
    Backend,
    SetupJobs,
    backend_for,
    endpoint_nodes,
    probes_for,
    publishable_key,
    setup_jobs,
    simulated,
)

ANSWER_TIMEOUT_SECONDS = 10.0
SETUP_POLL = timedelta(seconds=3)


async def mark_ready(ctx: StoreContext) -> Recorded | Failed | Waiting:
    namespace = ctx.store.namespace
    ingresses = await ctx.cluster.kube.items(grouped("networking.k8s.io/v1", namespace, "ingresses"))
    backend = backend_for(ingresses, ctx.host)
    if backend is None:
        return Failed(Step.READY, messages.SERVING_NO_ROUTE.format(host=ctx.host), permanent=False)
    skipped = await _simulated_nodes(ctx, backend)
    if skipped:
        return _ready(ctx, messages.SERVING_SIMULATED.format(nodes=", ".join(sorted(skipped))))
    setup = setup_jobs(await ctx.cluster.kube.items(
        grouped("batch/v1", namespace, "jobs"), query=[("labelSelector", SETUP_JOB_SELECTOR)],
    ))
    if setup.failed:
        failed = "; ".join(f"{name}: {why}" for name, why in setup.failed)
        return Failed(Step.READY, messages.SETUP_JOB_FAILED.format(jobs=failed), permanent=False)
    if setup.running:
        # Bounded by the Jobs themselves (their backoffLimit and activeDeadlineSeconds).
        running = messages.SETUP_JOB_RUNNING.format(jobs=", ".join(setup.running))
        return Waiting(reason=running, after=SETUP_POLL)
    return await _call(ctx, backend, setup)


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


async def _call(ctx: StoreContext, backend: Backend, setup: SetupJobs) -> Recorded | Failed:
    """Every probe of the engine in order; the first that fails is the reason to wait."""
    answered: list[str] = []
    for probe in probes_for(ctx.store.engine, setup):
        headers: dict[str, str] = {}
        if probe.with_publishable_key:
            key = publishable_key(await ctx.cluster.kube.get(_credentials_secret(ctx.store.namespace)))
            if key is None:
                no_key = messages.SERVING_NO_KEY.format(path=probe.path, secret=CREDENTIALS_SECRET)
                return Failed(Step.READY, no_key, permanent=False)
            headers[PUBLISHABLE_KEY_HEADER] = key
        outcome = await _get(ctx, backend, probe.path, headers)
        if isinstance(outcome, Failed):
            return outcome
        answered.append(outcome)
    return _ready(ctx, messages.SERVING_ANSWERED.format(calls=", ".join(answered), service=backend.service))


async def _get(ctx: StoreContext, backend: Backend, path: str, headers: dict[str, str]) -> str | Failed:
    proxied = backend.proxy_path(ctx.store.namespace, path)
    started = time.monotonic()
    try:
        status = await ctx.cluster.kube.status_of(proxied, within=ANSWER_TIMEOUT_SECONDS, headers=headers)
    except (TimeoutError, aiohttp.ClientError):
        silent = messages.SERVING_SILENT.format(
            path=path, service=backend.service, seconds=int(ANSWER_TIMEOUT_SECONDS)
        )
        return Failed(Step.READY, silent, permanent=False)
    if status >= 400:
        refused = messages.SERVING_REFUSED.format(path=path, service=backend.service, status=status)
        return Failed(Step.READY, refused, permanent=False)
    millis = round((time.monotonic() - started) * 1000)
    return messages.SERVING_CALL.format(path=path, status=status, millis=millis)


def _credentials_secret(namespace: str) -> str:
    return f"/api/v1/namespaces/{namespace}/secrets/{CREDENTIALS_SECRET}"


def _ready(ctx: StoreContext, check: str) -> Recorded:
    url = ctx.url

    def record(store: Store, stamp: Stamp) -> None:
        store.record_ready(url=url, check=check, stamp=stamp)

    return Recorded(record, f"ready at {url} ({check})")
