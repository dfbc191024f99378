"""Where local-cluster files live on this machine, outside the checkout.

Fed by the environment (``STOREPLANE_CACHE_DIR``, ``HOME``); feeds ``build.py``
(binary and Go caches) and ``runtime.py`` (cluster state dirs and kubeconfigs).
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "STOREPLANE_CACHE_DIR"


def cache_dir() -> Path:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured).expanduser().resolve()
    return Path.home() / ".cache" / "storeplane"


def clusters_dir(cache: Path | None = None) -> Path:
    return (cache or cache_dir()) / "clusters"
