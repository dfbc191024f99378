"""A TCP proxy the tests can cut and restore: the Kubernetes API "going away" for one reconciler
without stopping the shared cluster. TLS passes through untouched."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from urllib.parse import urlsplit

import yaml


class ApiProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.server: asyncio.Server | None = None
        self.port = 0
        self.connections: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Refuses new connections and drops the open ones, like an API server that died."""
        if self.server is not None:
            self.server.close()
            for writer in list(self.connections):
                writer.close()
            await self.server.wait_closed()
            self.server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        self.connections.update({writer, up_writer})
        try:
            await asyncio.gather(relay(reader, up_writer), relay(up_reader, writer))
        finally:
            self.connections.difference_update({writer, up_writer})
            for w in (writer, up_writer):
                w.close()


async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copies `reader` to `writer` until either side ends, then closes `writer`."""
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    with contextlib.suppress(OSError):
        writer.close()


def upstream_of(kubeconfig: Path) -> tuple[str, int]:
    config = yaml.safe_load(kubeconfig.read_text())
    server = urlsplit(config["clusters"][0]["cluster"]["server"])
    return server.hostname or "127.0.0.1", server.port or 443


def kubeconfig_via(kubeconfig: Path, port: int, target: Path) -> Path:
    """A copy of `kubeconfig` whose server is the proxy (same host, so the certificate matches)."""
    config = yaml.safe_load(kubeconfig.read_text())
    for cluster in config["clusters"]:
        server = urlsplit(cluster["cluster"]["server"])
        cluster["cluster"]["server"] = f"{server.scheme}://{server.hostname}:{port}"
    target.write_text(yaml.safe_dump(config))
    return target
