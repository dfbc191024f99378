"""Compile the real node's binaries (kubelet, kube-proxy, CoreDNS, Traefik) once, like ``build.py``.

Fed by ``versions.NODE_BINARIES``, the same wrapper module as kube-apiserver and Traefik's; feeds
``node.py`` with the bin dir ``<cache>/node/<key>/bin``. Its own cache key, so the
control-plane binaries are never rebuilt because of a node pin.
"""

from __future__ import annotations

import sys
from pathlib import Path

from storeplane.localcluster import build, paths, versions


def node_build_key(cache: Path) -> str:
    env = build.go_environment(cache)
    wrappers = build.wrapper_sources(versions.NODE_BINARIES)
    return versions.node_recipe_fingerprint(go_version=build.go_version(env), wrapper_sources=wrappers)


def node_bin_dir(cache: Path | None = None) -> Path:
    """Where the node binaries for the current pins live (whether or not built yet)."""
    cache = cache or paths.cache_dir()
    return cache / "node" / node_build_key(cache) / "bin"


def ensure_node_built(cache: Path | None = None, progress: build.Progress | None = None) -> Path:
    """Return the node bin dir, compiling kubelet, kube-proxy, CoreDNS and Traefik first if missing."""
    cache = cache or paths.cache_dir()
    report = progress or build._stderr_progress
    env = build.go_environment(cache)
    key = node_build_key(cache)
    target = cache / "node" / key
    if (target / build.BUILD_INFO).exists():
        return target / "bin"
    with build._exclusive(cache / "node" / f".{key}.lock"):
        if not (target / build.BUILD_INFO).exists():
            build._build_all(target, env, report, specs=versions.NODE_BINARIES)
    return target / "bin"


def main() -> int:
    try:
        print(ensure_node_built())
    except build.BuildError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
