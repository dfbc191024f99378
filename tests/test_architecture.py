"""The domain imports no I/O library: it can be tested, replayed and reasoned about without any."""

from __future__ import annotations

import subprocess
import sys

IO_MODULES = (
    "psycopg", "psycopg_pool", "asyncpg", "kubernetes_asyncio", "aiohttp", "strawberry",
    "starlette", "uvicorn", "websockets", "socket", "asyncio", "subprocess",
)


def test_importing_every_domain_module_loads_no_io_library() -> None:
    probe = (
        "import sys, pkgutil, importlib, domain\n"
        "for info in pkgutil.iter_modules(domain.__path__):\n"
        "    importlib.import_module(f'domain.{info.name}')\n"
        f"print(','.join(m for m in {IO_MODULES!r} if m in sys.modules))\n"
    )
    # A fresh interpreter: this test process has long since imported all of them.
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
