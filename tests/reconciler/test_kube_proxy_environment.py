"""The reconciler's Kubernetes client honours HTTPS_PROXY and NO_PROXY as kubectl does, on the real
API server through a real CONNECT proxy, and reads the environment when it connects, not on every
request (aiohttp's `trust_env` read it, and `~/.netrc`, per request)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio

from reconciler.cluster.kube import KubeAccess, core
from tests.fixtures.kube import KubeCluster
from tests.reconciler.proxy import relay, upstream_of

pytestmark = [pytest.mark.cluster, pytest.mark.asyncio(loop_scope="session")]


class ConnectProxy:
    """An HTTP CONNECT proxy that remembers where it was asked to connect."""

    def __init__(self) -> None:
        self.targets: list[str] = []
        self.port = 0
        self.server: asyncio.Server | None = None

    async def open(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
        if method != "CONNECT":
            writer.close()
            return
        self.targets.append(target)
        host, port = target.rsplit(":", 1)
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(relay(reader, up_writer), relay(up_reader, writer))


@pytest_asyncio.fixture(loop_scope="session")
async def connect_proxy() -> AsyncIterator[ConnectProxy]:
    proxy = ConnectProxy()
    await proxy.open()
    yield proxy
    await proxy.close()


async def test_requests_go_through_the_proxy_the_environment_names(
    kube_cluster: KubeCluster, connect_proxy: ConnectProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{connect_proxy.port}")
    access = KubeAccess(kube_cluster.kubeconfig)
    async with access.connect(request_timeout=timedelta(seconds=20)) as kube:
        monkeypatch.delenv("https_proxy")  # read at connect: a later change is not seen
        assert await kube.get(core("default")) is not None
        assert await kube.get(core("kube-system")) is not None
    host, port = upstream_of(kube_cluster.kubeconfig)
    assert connect_proxy.targets == [f"{host}:{port}"]  # one kept-alive tunnel


async def test_no_proxy_bypasses_it(
    kube_cluster: KubeCluster, connect_proxy: ConnectProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{connect_proxy.port}")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.delenv("NO_PROXY", raising=False)
    async with KubeAccess(kube_cluster.kubeconfig).connect(request_timeout=timedelta(seconds=20)) as kube:
        assert await kube.get(core("default")) is not None
    assert connect_proxy.targets == []
