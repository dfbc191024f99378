"""Pinned upstream versions and the recipe for each local-cluster binary.

Fed by nothing but this file (change a pin here, nowhere else); feeds ``build.py``,
which compiles every ``BinarySpec`` and keys its cache on ``recipe_fingerprint()``,
and ``runtime.py``, which tells kwokctl which Kubernetes version it is running.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Literal

KUBERNETES_VERSION = "v1.35.4"
ETCD_VERSION = "v3.6.8"
KWOK_VERSION = "v0.8.0"
HELM_VERSION = "v3.19.5"

# Bump when the way binaries are built changes (flags, wrapper handling), so the
# cache key changes even though no version did.
RECIPE_REVISION = 1

KUBERNETES_MODULE = "k8s.io/kubernetes"
ETCD_MODULE = "go.etcd.io/etcd/server/v3"
KWOK_MODULE = "sigs.k8s.io/kwok"
HELM_MODULE = "helm.sh/helm/v3"

# Fixed so that rebuilding the same pins gives the same bytes.
BUILD_DATE = "1970-01-01T00:00:00Z"

# How a binary's module is resolved: "wrapper" builds inside one of our wrapper
# modules under deploy/local-cluster/go/<wrapper>/, "install" uses `go install pkg@version`.
BuildMode = Literal["wrapper", "install"]


@dataclass(frozen=True)
class BinarySpec:
    """One binary to compile: where its package lives and the link-time flags."""

    name: str
    package: str
    module: str
    version: str
    mode: BuildMode
    ldflags: tuple[str, ...]
    wrapper: str = ""


def _kubernetes_ldflags() -> tuple[str, ...]:
    major, minor, _patch = KUBERNETES_VERSION.removeprefix("v").split(".")
    values = {
        "gitVersion": KUBERNETES_VERSION,
        "gitMajor": major,
        "gitMinor": minor,
        "gitTreeState": "archive",
        "buildDate": BUILD_DATE,
    }
    packages = ("k8s.io/client-go/pkg/version", "k8s.io/component-base/version")
    return tuple(f"-X {pkg}.{key}={value}" for pkg in packages for key, value in values.items())


def _kubernetes_binary(name: str) -> BinarySpec:
    return BinarySpec(
        name=name,
        package=f"{KUBERNETES_MODULE}/cmd/{name}",
        module=KUBERNETES_MODULE,
        version=KUBERNETES_VERSION,
        mode="wrapper",
        wrapper="kubernetes",
        ldflags=_kubernetes_ldflags(),
    )


def _kwok_binary(name: str) -> BinarySpec:
    consts = f"{KWOK_MODULE}/pkg/consts"
    return BinarySpec(
        name=name,
        package=f"{KWOK_MODULE}/cmd/{name}",
        module=KWOK_MODULE,
        version=KWOK_VERSION,
        mode="install",
        ldflags=(
            f"-X {consts}.Version={KWOK_VERSION.removeprefix('v')}",
            f"-X {consts}.KubeVersion={KUBERNETES_VERSION.removeprefix('v')}",
            f"-X {consts}.PreRelease=GA",
        ),
    )


def _helm_binary() -> BinarySpec:
    version_pkg = f"{HELM_MODULE}/internal/version"
    # Helm's offline default for .Capabilities.KubeVersion (helm template, lint):
    # make it the cluster we run rather than helm's own client-go.
    major, minor, _patch = KUBERNETES_VERSION.removeprefix("v").split(".")
    capabilities = tuple(
        f"-X {HELM_MODULE}/pkg/{pkg}.{key}={value}"
        for pkg in ("chartutil", "lint/rules")
        for key, value in (("k8sVersionMajor", major), ("k8sVersionMinor", minor))
    )
    return BinarySpec(
        name="helm",
        package=f"{HELM_MODULE}/cmd/helm",
        module=HELM_MODULE,
        version=HELM_VERSION,
        mode="install",
        ldflags=(
            f"-X {version_pkg}.version={HELM_VERSION}",
            f"-X {version_pkg}.metadata=",
            f"-X {version_pkg}.gitTreeState=clean",
            *capabilities,
        ),
    )


def _etcd_binary() -> BinarySpec:
    return BinarySpec(
        name="etcd",
        package=ETCD_MODULE,
        module=ETCD_MODULE,
        version=ETCD_VERSION,
        mode="wrapper",
        wrapper="etcd",
        ldflags=(),
    )


# Smallest first, so a broken toolchain or proxy shows up before the long links.
BINARIES: tuple[BinarySpec, ...] = (
    _kwok_binary("kwokctl"),
    _kwok_binary("kwok"),
    _etcd_binary(),
    _helm_binary(),
    _kubernetes_binary("kubectl"),
    _kubernetes_binary("kube-scheduler"),
    _kubernetes_binary("kube-controller-manager"),
    _kubernetes_binary("kube-apiserver"),
)

COMMON_GO_FLAGS: tuple[str, ...] = ("-trimpath",)
COMMON_LDFLAGS: tuple[str, ...] = ("-s", "-w")


def recipe_fingerprint(*, go_version: str, wrapper_sources: dict[str, str]) -> str:
    """A short hash of everything that decides the bytes of the built binaries."""
    recipe = {
        "revision": RECIPE_REVISION,
        "go": go_version,
        "flags": COMMON_GO_FLAGS,
        "ldflags": COMMON_LDFLAGS,
        "binaries": [asdict(spec) for spec in BINARIES],
        "wrappers": wrapper_sources,
    }
    digest = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()
    return f"{KUBERNETES_VERSION}-{digest[:16]}"


# The real node's binaries. A separate list with its own cache key, so adding or bumping
# them never invalidates the control-plane build above.
COREDNS_VERSION = "v1.14.7"
COREDNS_MODULE = "github.com/coredns/coredns"
# The ingress controller k3s ships. v3.6, not v3.7: from v3.7 on, upstream's go.mod replaces
# github.com/traefik/traefik/dynamic/ext with ./pkg/config/dynamic/ext, a nested module that
# the module zip leaves out (a directory with its own go.mod never goes into its parent's
# zip) and that the module proxy does not serve on its own, so no wrapper can point a replace
# at it; writing that package ourselves would mean carrying upstream source. v3.6 has no such
# replace, only replaces with published forks, which the wrapper copies (build.py).
TRAEFIK_VERSION = "v3.6.12"
TRAEFIK_MODULE = "github.com/traefik/traefik/v3"
# 2: Traefik joined the node binaries.
NODE_RECIPE_REVISION = 2


def _coredns_binary() -> BinarySpec:
    return BinarySpec(
        name="coredns",
        package=COREDNS_MODULE,
        module=COREDNS_MODULE,
        version=COREDNS_VERSION,
        mode="install",
        ldflags=(f"-X {COREDNS_MODULE}/coremain.GitCommit={COREDNS_VERSION}",),
    )


def _traefik_binary() -> BinarySpec:
    version_pkg = f"{TRAEFIK_MODULE}/pkg/version"
    # Its webui/static holds only the placeholder file that upstream's own `make clean-webui`
    # leaves, so the `//go:embed static` compiles as in a build without the UI; the node never
    # enables the dashboard (nodeconfig.traefik_args), so nothing is missing at run time.
    return BinarySpec(
        name="traefik",
        package=f"{TRAEFIK_MODULE}/cmd/traefik",
        module=TRAEFIK_MODULE,
        version=TRAEFIK_VERSION,
        mode="wrapper",
        wrapper="traefik",
        ldflags=(
            f"-X {version_pkg}.Version={TRAEFIK_VERSION}",
            f"-X {version_pkg}.Codename=storeplane",
            f"-X {version_pkg}.BuildDate={BUILD_DATE}",
        ),
    )


NODE_BINARIES: tuple[BinarySpec, ...] = (
    _kubernetes_binary("kube-proxy"),
    _kubernetes_binary("kubelet"),
    _coredns_binary(),
    _traefik_binary(),
)


def node_recipe_fingerprint(*, go_version: str, wrapper_sources: dict[str, str]) -> str:
    """A short hash of everything that decides the bytes of the node binaries."""
    recipe = {
        "revision": NODE_RECIPE_REVISION,
        "go": go_version,
        "flags": COMMON_GO_FLAGS,
        "ldflags": COMMON_LDFLAGS,
        "binaries": [asdict(spec) for spec in NODE_BINARIES],
        "wrappers": wrapper_sources,
    }
    digest = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()
    return f"node-{KUBERNETES_VERSION}-{digest[:16]}"
