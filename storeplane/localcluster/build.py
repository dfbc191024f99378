"""Compile the pinned local-cluster binaries with the machine's Go toolchain, once.

Fed by ``versions.BINARIES`` and the wrapper go.mod templates in
``deploy/local-cluster/go/``; feeds ``runtime.py`` and the CLI with the bin
directory (``ensure_built()``) that holds kube-apiserver, etcd, kwok, kwokctl, helm, ...
Outputs live outside the checkout in ``<cache>/k8s/<key>/bin`` and are reused while
the key (every version, flag and template) is unchanged.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from storeplane.localcluster import paths, versions
from storeplane.localcluster.versions import BinarySpec

Progress = Callable[[str], None]

WRAPPERS_DIR = Path(__file__).resolve().parents[2] / "deploy" / "local-cluster" / "go"
BUILD_INFO = "build-info.json"
# Where the machine's toolchain lives when a non-login shell (CI) lacks it on PATH.
FALLBACK_GO_ROOT = Path("/usr/local/go/bin")


class BuildError(RuntimeError):
    """A go command failed; the message names the step and carries its output tail."""


def _stderr_progress(message: str) -> None:
    print(f"[storeplane cluster build] {message}", file=sys.stderr, flush=True)


def go_environment(cache_dir: Path) -> dict[str, str]:
    """Go's caches under our cache dir, so a CI run on the same machine reuses them."""
    go_root = cache_dir / "go"
    env = dict(os.environ)
    env.update(
        GOPATH=str(go_root / "path"),
        GOMODCACHE=str(go_root / "mod"),
        GOCACHE=str(go_root / "build"),
        GOTOOLCHAIN="local",  # never download a toolchain
        GOFLAGS="-mod=mod",
        GOWORK="off",
        CGO_ENABLED="0",
    )
    if shutil.which("go", path=env.get("PATH")) is None and (FALLBACK_GO_ROOT / "go").exists():
        env["PATH"] = f"{FALLBACK_GO_ROOT}{os.pathsep}{env.get('PATH', '')}"
    return env


def _run(args: list[str], *, cwd: Path, env: Mapping[str, str], step: str) -> str:
    try:
        result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError as error:
        raise BuildError(f"{step}: {args[0]} not found on PATH (install Go >= 1.26)") from error
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-40:])
        raise BuildError(f"{step} failed (exit {result.returncode}): {' '.join(args)}\n{tail}")
    return result.stdout


def go_version(env: Mapping[str, str]) -> str:
    return _run(["go", "env", "GOVERSION"], cwd=Path.cwd(), env=env, step="go env").strip()


def wrapper_sources(specs: tuple[BinarySpec, ...]) -> dict[str, str]:
    """The wrapper templates these specs build in: a wrapper only the node uses (Traefik's)
    never changes the control plane's cache key."""
    used = {spec.wrapper for spec in specs if spec.mode == "wrapper"}
    templates = sorted(WRAPPERS_DIR.glob("*/go.mod"))
    return {p.parent.name: p.read_text() for p in templates if p.parent.name in used}


def build_key(env: Mapping[str, str]) -> str:
    sources = wrapper_sources(versions.BINARIES)
    return versions.recipe_fingerprint(go_version=go_version(env), wrapper_sources=sources)


def _downloaded_go_mod(module: str, version: str, *, cwd: Path, env: Mapping[str, str]) -> Path:
    out = _run(
        ["go", "mod", "download", "-json", f"{module}@{version}"],
        cwd=cwd,
        env=env,
        step=f"download {module}@{version}",
    )
    return Path(json.loads(out)["GoMod"])


_RELATIVE_REPLACE = re.compile(r"^\s*(?:replace\s+)?(\S+)\s+=>\s+(\.\.?/\S*)\s*$", re.MULTILINE)


def replaces_for(upstream_go_mod: str, *, module: str, version: str) -> dict[str, str]:
    """Map every module upstream replaces with a local path to its published version.

    k8s.io/kubernetes' staging modules are published as v0.Y.Z for v1.Y.Z; etcd's
    siblings share the server's version. Paths such as ``./FORBIDDEN_DEPENDENCY``
    are guards, not code, and are left out.
    """
    published = "v0." + version.split(".", 1)[1] if module == versions.KUBERNETES_MODULE else version
    return {
        name: published
        for name, target in _RELATIVE_REPLACE.findall(upstream_go_mod)
        if "FORBIDDEN" not in target
    }


def published_edits(upstream: Mapping[str, Any]) -> list[str]:
    """``go mod edit`` flags that carry upstream's replaces with a published module and its
    excludes into the wrapper (``upstream``: ``go mod edit -json`` of its go.mod).

    Both apply only in the main module, so without them the wrapper would build against the
    originals (Traefik's forks of go-http-auth, mux, minheap) or hit the ambiguous import
    its exclude avoids. Replaces with a local path are ``replaces_for``'s.
    """
    edits = []
    for replace in upstream.get("Replace") or []:
        old, new = replace["Old"], replace["New"]
        if new.get("Version"):
            source = f"{old['Path']}@{old['Version']}" if old.get("Version") else old["Path"]
            edits.append(f"-replace={source}={new['Path']}@{new['Version']}")
    edits += [f"-exclude={e['Path']}@{e['Version']}" for e in upstream.get("Exclude") or []]
    return edits


def _prepare_wrapper(spec: BinarySpec, work: Path, env: Mapping[str, str]) -> Path:
    wrapper = work / "wrappers" / spec.wrapper
    if (wrapper / "go.mod").exists():
        return wrapper
    wrapper.mkdir(parents=True)
    shutil.copy(WRAPPERS_DIR / spec.wrapper / "go.mod", wrapper / "go.mod")
    go_mod = _downloaded_go_mod(spec.module, spec.version, cwd=wrapper, env=env)
    upstream = go_mod.read_text()
    edits = [f"-require={spec.module}@{spec.version}"]
    for name, version in sorted(replaces_for(upstream, module=spec.module, version=spec.version).items()):
        edits.append(f"-replace={name}={name}@{version}")
    parsed = _run(["go", "mod", "edit", "-json", str(go_mod)], cwd=wrapper, env=env, step=f"read {go_mod}")
    edits += published_edits(json.loads(parsed))
    _run(["go", "mod", "edit", *edits], cwd=wrapper, env=env, step=f"wrapper {spec.wrapper}")
    return wrapper


def _build_one(spec: BinarySpec, *, work: Path, bin_dir: Path, env: Mapping[str, str]) -> None:
    ldflags = " ".join((*versions.COMMON_LDFLAGS, *spec.ldflags))
    flags = [*versions.COMMON_GO_FLAGS, f"-ldflags={ldflags}"]
    if spec.mode == "wrapper":
        wrapper = _prepare_wrapper(spec, work, env)
        args = ["go", "build", *flags, "-o", str(bin_dir / spec.name), spec.package]
        _run(args, cwd=wrapper, env=env, step=f"build {spec.name}")
        return
    install_env = {**env, "GOBIN": str(bin_dir), "GOFLAGS": ""}
    args = ["go", "install", *flags, f"{spec.package}@{spec.version}"]
    _run(args, cwd=work, env=install_env, step=f"install {spec.name}")


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def built_bin_dir(cache_dir: Path | None = None) -> Path:
    """Where the binaries for the current pins live (whether or not built yet)."""
    cache = cache_dir or paths.cache_dir()
    return cache / "k8s" / build_key(go_environment(cache)) / "bin"


def ensure_built(cache_dir: Path | None = None, progress: Progress = _stderr_progress) -> Path:
    """Return the bin dir for the pinned versions, compiling everything first if missing."""
    cache = cache_dir or paths.cache_dir()
    env = go_environment(cache)
    key = build_key(env)
    target = cache / "k8s" / key
    if (target / BUILD_INFO).exists():
        return target / "bin"
    with _exclusive(cache / "k8s" / f".{key}.lock"):
        if (target / BUILD_INFO).exists():  # another process built it while we waited
            return target / "bin"
        _build_all(target, env, progress)
    return target / "bin"


def _build_all(
    target: Path,
    env: Mapping[str, str],
    progress: Progress,
    specs: tuple[BinarySpec, ...] = versions.BINARIES,
) -> None:
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        bin_dir = staging / "bin"
        bin_dir.mkdir()
        started = time.monotonic()
        timings: dict[str, float] = {}
        total = len(specs)
        # One binary at a time: linking kube-apiserver alone takes several GB.
        for index, spec in enumerate(specs, start=1):
            progress(f"{index}/{total} {spec.name} {spec.version}: building")
            step_started = time.monotonic()
            _build_one(spec, work=staging, bin_dir=bin_dir, env=env)
            timings[spec.name] = round(time.monotonic() - step_started, 1)
            progress(f"{index}/{total} {spec.name}: done in {timings[spec.name]:.0f}s")
        shutil.rmtree(staging / "wrappers", ignore_errors=True)
        info = {
            "key": target.name,
            "seconds": timings,
            "total_seconds": round(time.monotonic() - started, 1),
        }
        (staging / BUILD_INFO).write_text(json.dumps(info, indent=2) + "\n")
        staging.rename(target)
        progress(f"all binaries built in {info['total_seconds']:.0f}s into {target / 'bin'}")
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def main() -> int:
    try:
        print(ensure_built())
    except BuildError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
