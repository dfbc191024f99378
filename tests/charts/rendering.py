"""Run helm against the store charts and read what it renders.

Fed by the charts in ``charts/`` and the helm binary the local-cluster build compiles
(``storeplane.localcluster.build.ensure_built``); feeds the chart tests with lint results,
rendered manifests and schema errors. No cluster needed.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CHARTS_DIR = REPO_ROOT / "charts"
ENGINES = ("woocommerce", "medusa")
# Values files shipped next to each chart, besides values.yaml (None = chart defaults only).
VALUES_FILES: tuple[str | None, ...] = (None, "values-local.yaml", "values-production.example.yaml")
# For working on the charts without the full local-cluster build: an explicit helm binary.
HELM_OVERRIDE_ENV = "STOREPLANE_HELM"

Manifest = dict[str, Any]


@dataclass(frozen=True)
class StoreValues:
    """What the reconciler passes with --set-string/--set on every install."""

    name: str
    tenant: str
    host: str
    credentials_secret: str

    def helm_args(self) -> list[str]:
        return [
            "--set-string",
            f"store.name={self.name},store.tenant={self.tenant},store.host={self.host}",
            "--set",
            f"store.credentialsSecret={self.credentials_secret}",
        ]


TYPICAL_STORE = StoreValues("shop1", "acme", "shop1.acme.local.stores.dev", "shop1-credentials")
# The longest store name the domain allows, starting with a digit (a valid DNS-1123 label,
# but not a valid DNS-1035 one, so it must never become a Service name).
EDGE_STORE = StoreValues(
    name="1" + "x" * 38 + "9",
    tenant="t" * 40,
    host=f"1{'x' * 38}9.{'t' * 40}.stores.example.com",
    credentials_secret=f"1{'x' * 38}9-credentials",
)


class HelmMissing(RuntimeError):
    """No helm binary could be found or built; the message says how to get one."""


@cache
def helm_binary() -> Path:
    override = os.environ.get(HELM_OVERRIDE_ENV)
    if override:
        path = Path(override)
        if not path.is_file():
            raise HelmMissing(f"{HELM_OVERRIDE_ENV}={override} is not a file")
        return path
    try:
        from storeplane.localcluster.build import BuildError, ensure_built
    except ImportError as error:
        raise HelmMissing(
            "storeplane.localcluster.build is not importable, so helm cannot be located; "
            f"set {HELM_OVERRIDE_ENV}=/path/to/helm to test the charts anyway ({error})"
        ) from error
    try:
        helm = ensure_built() / "helm"
    except BuildError as error:
        raise HelmMissing(f"building the local-cluster binaries (helm too) failed:\n{error}") from error
    if not helm.is_file():
        raise HelmMissing(f"the local-cluster build finished but {helm} does not exist")
    return helm


def kubernetes_version() -> str:
    """The Kubernetes version the local cluster runs, and that the manifests must be valid for."""
    from storeplane.localcluster.versions import KUBERNETES_VERSION

    return KUBERNETES_VERSION


@dataclass(frozen=True)
class HelmResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def _helm_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    for variable in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        env[variable] = str(home / variable.lower())
    return env


def run_helm(args: Sequence[str], *, home: Path, timeout: float = 120) -> HelmResult:
    completed = subprocess.run(
        [str(helm_binary()), *args],
        env=_helm_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return HelmResult(completed.returncode, completed.stdout, completed.stderr)


@dataclass(frozen=True)
class Rendering:
    """One way of rendering a chart: values files and extra --set overrides."""

    engine: str
    values_file: str | None = None
    store: StoreValues = TYPICAL_STORE
    sets: tuple[str, ...] = field(default=())
    # The Helm release name; the reconciler uses the store name.
    release: str | None = None

    @property
    def chart(self) -> Path:
        return CHARTS_DIR / self.engine

    def value_args(self) -> list[str]:
        args: list[str] = []
        if self.values_file:
            args += ["-f", str(self.chart / self.values_file)]
        args += self.store.helm_args()
        for assignment in self.sets:
            args += ["--set", assignment]
        return args

    def describe(self) -> str:
        parts = [self.engine, self.values_file or "defaults", *self.sets]
        if self.store is not TYPICAL_STORE:
            parts.append(f"store={self.store.name}")
        return " ".join(parts)


def template(rendering: Rendering, *, home: Path, extra: Sequence[str] = ()) -> HelmResult:
    return run_helm(
        [
            "template",
            rendering.release or rendering.store.name,
            str(rendering.chart),
            "--namespace",
            "store-test",
            "--kube-version",
            kubernetes_version(),
            *rendering.value_args(),
            *extra,
        ],
        home=home,
    )


def manifests(result: HelmResult) -> list[Manifest]:
    if result.returncode != 0:
        raise AssertionError(f"helm template failed:\n{result.output}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def pod_specs(docs: Sequence[Manifest]) -> Iterator[tuple[Manifest, Manifest]]:
    """(workload, pod spec) for every workload that makes pods."""
    for doc in docs:
        if doc["kind"] in {"Deployment", "StatefulSet", "Job", "DaemonSet", "ReplicaSet"}:
            yield doc, doc["spec"]["template"]["spec"]
        elif doc["kind"] == "Pod":
            yield doc, doc["spec"]


def containers(pod: Mapping[str, Any]) -> Iterator[tuple[str, Manifest]]:
    """("containers" | "initContainers", container) for every container of a pod spec."""
    for kind in ("initContainers", "containers"):
        for container in pod.get(kind) or []:
            yield kind, container


def where(workload: Mapping[str, Any], container: Mapping[str, Any] | None = None) -> str:
    place = f"{workload['kind']}/{workload['metadata']['name']}"
    return f"{place} container {container['name']}" if container else place
