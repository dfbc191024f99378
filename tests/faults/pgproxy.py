"""A TCP proxy in front of PostgreSQL that can lose the reply to a COMMIT: the client's COMMIT
reaches the server and is carried out, then the connection is cut before the answer gets back —
the one failure after which a client cannot know whether its write happened.

Runs its own event loop on a thread, so synchronous clients (the application service) can use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from urllib.parse import urlsplit, urlunsplit

_COMMITTED = b"C\x00\x00\x00\x0bCOMMIT\x00"  # CommandComplete, tag COMMIT


class CommitCutter:
    def __init__(self, upstream_url: str) -> None:
        parts = urlsplit(upstream_url)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self._parts = parts
        self.port = 0
        self.cuts = 0
        self._armed = 0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="commit-cutter", daemon=True)

    @property
    def url(self) -> str:
        netloc = self._parts.netloc.rsplit("@", 1)
        host = f"127.0.0.1:{self.port}"
        return urlunsplit(self._parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))

    def __enter__(self) -> CommitCutter:
        self._thread.start()
        self._ready.wait()
        return self

    def __exit__(self, *_: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def cut_after_next_commits(self, count: int = 1) -> None:
        """The next `count` COMMITs are carried out by the server, and their replies lost."""
        with self._lock:
            self._armed = count

    def _take_arm(self) -> bool:
        with self._lock:
            if self._armed <= 0:
                return False
            self._armed -= 1
            self.cuts += 1
            return True

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        cut = asyncio.Event()
        to_server = asyncio.create_task(self._client_to_server(reader, up_writer, cut))
        to_client = asyncio.create_task(self._server_to_client(up_reader, writer, cut))
        await asyncio.wait({to_server, to_client}, return_when=asyncio.FIRST_COMPLETED)
        for task in (to_server, to_client):
            task.cancel()
        for w in (writer, up_writer):
            with contextlib.suppress(Exception):
                w.close()

    async def _client_to_server(
        self, reader: asyncio.StreamReader, up: asyncio.StreamWriter, cut: asyncio.Event
    ) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await reader.read(65536):
                if b"COMMIT" in data and self._take_arm():
                    cut.set()  # the server gets the COMMIT; its answer will not come back
                up.write(data)
                await up.drain()

    async def _server_to_client(
        self, up: asyncio.StreamReader, writer: asyncio.StreamWriter, cut: asyncio.Event
    ) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            held = b""
            while data := await up.read(65536):
                if cut.is_set():
                    # Withheld from the client; once the server says COMMIT (its CommandComplete
                    # tag), the write is durable and the connection is cut.
                    held += data
                    if _COMMITTED in held:
                        return
                    continue
                writer.write(data)
                await writer.drain()
