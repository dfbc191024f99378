"""The composition root: the one place that builds storeplane's services and runs its long-lived parts.

Fed by the CLI, which only parses arguments into a `Components` value; feeds the projection runner,
the audit chain, the GraphQL API and the reconciler with their pool, services and settings, runs
them as named root tasks of one `asyncio.TaskGroup` on uvloop, and turns SIGINT/SIGTERM into the
shared stop event. `storeplane up` runs all four; `api`, `reconciler` and `projections run` run one,
and `followers` runs the projection runner and the audit chain, each active in one replica only
(`storeplane.leadership`).

Why a stop event first and cancellation second: a root task that ends (or fails) sets `stop`, and
the others get `grace` seconds to finish on their own — the reconciler hands its leases back, uvicorn
closes its sockets — before the task group cancels whatever is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import asyncpg
import uvloop

from audit.chain import ChainProjection, signed_checkpoint_file
from graphql_api.config import ApiConfig
from graphql_api.server import ApiServer, build_services
from graphql_api.tokens import ensure_schema as ensure_token_schema
from postgres.locks import LockKey
from projections.moves import ReadModelMoves
from projections.runner import ProjectionRunner
from reconciler.cluster.charts import LOCAL_PROFILE, REAL_NODE_PROFILE, REPO_CHARTS_DIR, ChartSource
from reconciler.cluster.credentials import KubeCredentialsSource
from reconciler.cluster.kube import KubeAccess, NoClusterConfigured
from reconciler.run import run_reconciler
from reconciler.settings import ReconcilerSettings
from storeplane.database import create_pool
from storeplane.leadership import exclusive
from storeplane.runtime import Runtime
from storeplane.workers import reuse_port_socket, worker_process

log = logging.getLogger(__name__)

RootTask = Callable[[asyncio.Event], Coroutine[Any, Any, None]]
StartHook = Callable[[asyncpg.Pool], Awaitable[None]]
STOP_GRACE_SECONDS = 30.0


@dataclass(frozen=True)
class ApiOptions:
    host: str = "127.0.0.1"
    port: int = 8080
    dev: bool = False
    workers: int = 1  # API processes on the port (storeplane.workers)
    reuse_port: bool = False  # bind with SO_REUSEPORT (set for every worker when workers > 1)


@dataclass(frozen=True)
class ClusterChoice:
    access: KubeAccess
    helm_binary: str | None  # None: `helm` from PATH (or STOREPLANE_HELM)
    local: bool  # the local control plane: install with the charts' values-local.yaml
    real_node: bool = False  # ... and its real node runs: values-real-node.yaml too


@dataclass(frozen=True)
class ReconcilerOptions:
    cluster: ClusterChoice
    charts_dir: Path = REPO_CHARTS_DIR
    local_values: bool | None = None  # None: only on the local control plane
    concurrency: int = 0  # 0: the settings' default (STOREPLANE_RECONCILER_CONCURRENCY or 8)


@dataclass(frozen=True)
class Components:
    """Which long-lived parts a command runs; the CLI builds one of these and nothing else."""

    projections: bool = False
    audit_chain: bool = False
    api: ApiOptions | None = None
    reconciler: ReconcilerOptions | None = None
    # Called once the schema is there and before the parts start (`up` announces the API here).
    on_start: StartHook | None = None


def choose_cluster() -> ClusterChoice:
    """KUBECONFIG or in-cluster config when set; otherwise the local control plane, started (and
    built, on first use) here."""
    try:
        return ClusterChoice(KubeAccess.from_env(), None, local=False)
    except NoClusterConfigured:
        pass
    from storeplane.localcluster import runtime  # only needed without a configured cluster

    print("storeplane: no KUBECONFIG; starting the local control plane", flush=True)
    from storeplane.localcluster import node

    cluster = runtime.up(runtime.cluster())
    real_node = all(node.running(cluster).values())  # started by `storeplane cluster up`
    return ClusterChoice(
        KubeAccess(cluster.kubeconfig), str(cluster.bin_dir / "helm"), local=True, real_node=real_node
    )


def existing_cluster() -> KubeAccess | None:
    """The cluster this process may read without starting one: KUBECONFIG or in-cluster config,
    else the local control plane's kubeconfig if `storeplane cluster up` (or `up`) made one."""
    try:
        return KubeAccess.from_env()
    except NoClusterConfigured:
        pass
    from storeplane.localcluster import paths, runtime  # only needed without a configured cluster

    # The path alone: `runtime.cluster()` would build the cluster binaries when they are missing.
    kubeconfig = paths.clusters_dir() / runtime.DEFAULT_NAME / runtime.KUBECONFIG_NAME
    return KubeAccess(kubeconfig) if kubeconfig.exists() else None


def credentials_source(components: Components) -> KubeCredentialsSource | None:
    """Where the API reads store credentials for a reveal: the reconciler's cluster when this process
    runs one, else the cluster it can find (in a pod: its own service account, which the reconciler
    binds in each store namespace to a `get` of the credentials Secret alone)."""
    access = components.reconciler.cluster.access if components.reconciler else existing_cluster()
    return KubeCredentialsSource(access) if access is not None else None


def chart_profiles(options: ReconcilerOptions, environ: Mapping[str, str] = os.environ) -> tuple[str, ...]:
    """The `values-<profile>.yaml` files every chart is installed with: STOREPLANE_CHART_PROFILES
    (comma-separated) when set; else `local` on the local control plane (or as `--local-values`
    says) and `real-node` while that control plane's real node runs."""
    if (named := environ.get("STOREPLANE_CHART_PROFILES")) is not None:
        return tuple(p.strip() for p in named.split(",") if p.strip())
    local = options.cluster.local if options.local_values is None else options.local_values
    real_node = options.cluster.real_node and options.local_values is not False
    return (*((LOCAL_PROFILE,) if local else ()), *((REAL_NODE_PROFILE,) if real_node else ()))


def reconciler_settings(runtime: Runtime, options: ReconcilerOptions) -> ReconcilerSettings:
    settings = ReconcilerSettings.from_env(
        charts=ChartSource.from_directory(options.charts_dir, profiles=chart_profiles(options)),
        base_domain=runtime.settings.base_domain, helm_binary=options.cluster.helm_binary,
        helm_home=runtime.settings.data_dir / "helm",
    )
    if options.concurrency:
        settings = replace(settings, concurrency=options.concurrency)
    return settings


async def root_tasks(
    runtime: Runtime, pool: asyncpg.Pool, components: Components, *, request_pool: asyncpg.Pool | None = None
) -> dict[str, RootTask]:
    """The named root tasks of `components`. A new long-lived part adds one entry here.
    `request_pool`: the API's pool for its requests' statements (`build_services`)."""
    tasks: dict[str, RootTask] = {}
    url = runtime.database_url
    moves = ReadModelMoves()  # the projection runner below tells the reconciler below directly
    if components.projections:
        runner = ProjectionRunner(pool, moves=moves).run
        tasks["projections"] = exclusive(url, LockKey.PROJECTIONS_LEADER, runner, name="projections")
    if components.audit_chain:
        signed = await signed_checkpoint_file(pool, runtime.settings.data_dir)
        chain = ChainProjection(pool, signed=signed).run
        tasks["audit_chain"] = exclusive(url, LockKey.AUDIT_CHAIN_LEADER, chain, name="audit_chain")
    if components.api is not None:
        options = components.api
        config = ApiConfig.from_env(dev=True if options.dev else None)
        services = build_services(
            database_url=runtime.database_url, pool=pool, service=runtime.service, config=config,
            credentials=credentials_source(components), request_pool=request_pool,
        )
        server = ApiServer(
            services, host=options.host, port=options.port, tune_collector=config.tuned_collector
        )
        if runtime.settings.dashboard_dir is not None:
            server.dashboard = runtime.settings.dashboard_dir
        if options.reuse_port or options.workers > 1:
            server.sock = reuse_port_socket(options.host, options.port)
        tasks["api"] = server.run
        for index in range(1, options.workers):
            tasks[f"api_worker_{index}"] = worker_process(
                index, database_url=url, host=options.host, port=options.port, dev=options.dev
            )
    if components.reconciler is not None:
        tasks["reconciler"] = _reconciler_task(runtime, pool, components.reconciler, moves)
    return tasks


def _reconciler_task(
    runtime: Runtime, pool: asyncpg.Pool, options: ReconcilerOptions, moves: ReadModelMoves
) -> RootTask:
    settings = reconciler_settings(runtime, options)

    async def run(stop: asyncio.Event) -> None:
        await run_reconciler(
            stop, pool=pool, service=runtime.service, settings=settings, kube_config=options.cluster.access,
            moves=moves,
        )

    return run


API_REQUEST_POOL = 16  # connections for the API's requests' statements, per API process


def _pool_size(components: Components) -> int:
    size = 2 + 2 * (components.projections + components.audit_chain)
    if components.api is not None:
        size += 4  # the token store and its LISTEN; requests use their own pool (_run)
    if components.reconciler is not None:
        size += (components.reconciler.concurrency or 8) + 4
    return size


def run(runtime: Runtime, components: Components) -> None:
    """Runs `components` until SIGINT/SIGTERM or until one of them ends; blocks the caller."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    run_event_loop(_run(runtime, components))


async def _run(runtime: Runtime, components: Components) -> None:
    pool = await create_pool(runtime.database_url, max_size=_pool_size(components))
    requests: asyncpg.Pool | None = None
    try:
        if components.api is not None:
            requests = await create_pool(runtime.database_url, max_size=API_REQUEST_POOL, stateless=True)
        await ensure_token_schema(pool)
        if components.on_start is not None:
            await components.on_start(pool)
        await supervise(await root_tasks(runtime, pool, components, request_pool=requests))
    finally:
        if requests is not None:
            await requests.close()
        await pool.close()


def run_event_loop(main: Coroutine[Any, Any, None]) -> None:
    """Runs a long-lived command on uvloop (installed with uvicorn[standard]): less CPU per request."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)


async def supervise(
    tasks: Mapping[str, RootTask], *, stop: asyncio.Event | None = None, grace: float = STOP_GRACE_SECONDS
) -> None:
    """Runs `tasks` in one task group until the first ends or a signal arrives, then stops them all.

    Raises `RuntimeError` naming the tasks that failed; their tracebacks are logged.
    """
    stop = stop or asyncio.Event()
    failed: dict[str, BaseException] = {}
    with _signals_set(stop):
        async with asyncio.TaskGroup() as group:
            for name, work in tasks.items():
                group.create_task(_root(name, work, stop, failed, grace), name=name)
    if failed:
        raise RuntimeError(f"storeplane stopped because {', '.join(failed)} failed")


async def _root(
    name: str, work: RootTask, stop: asyncio.Event, failed: dict[str, BaseException], grace: float
) -> None:
    """One root task: its end stops the others; once stopping, it has `grace` seconds to finish."""
    try:
        async with _deadline_after(stop, grace):
            await work(stop)
    except TimeoutError:
        log.warning("task %s did not stop within %.0fs; cancelled", name, grace)
    except Exception as error:
        log.error("task %s failed", name, exc_info=error)
        failed[name] = error
    finally:
        stop.set()


@contextlib.asynccontextmanager
async def _deadline_after(stop: asyncio.Event, grace: float) -> AsyncIterator[None]:
    """A timeout that starts counting when `stop` is set (asyncio.timeout, rescheduled)."""
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(None) as deadline:
        watcher = asyncio.create_task(stop.wait())
        watcher.add_done_callback(
            lambda waited: None if waited.cancelled() else deadline.reschedule(loop.time() + grace)
        )
        try:
            yield
        finally:
            watcher.cancel()


@contextlib.contextmanager
def _signals_set(stop: asyncio.Event) -> Any:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        yield
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
