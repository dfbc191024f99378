"""Which Helm chart each store engine installs, and the values it is installed with.

Fed by the charts directory of the repository (or a test's own charts); feeds the release action
(the `helm upgrade --install` arguments) and the observer (what an in-sync release looks like).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from domain.catalog import Engine

CREDENTIALS_SECRET = "store-credentials"  # noqa: S105 (a Secret's name)
LOCAL_PROFILE = "local"  # the local control plane: no pulls, small requests, kwok-friendly
REAL_NODE_PROFILE = "real-node"  # the local cluster's real node: its taint, locally built images
REPO_CHARTS_DIR = Path(__file__).resolve().parents[2] / "charts"


class ChartMissing(LookupError):
    """No chart is configured for an engine, or its directory has no Chart.yaml."""


@dataclass(frozen=True)
class ChartRef:
    path: Path
    values_files: tuple[Path, ...] = ()

    def identity(self) -> str:
        """`<name>-<version>`, as Helm reports a release's chart."""
        meta = yaml.safe_load((self.path / "Chart.yaml").read_text())
        return f"{meta['name']}-{meta['version']}"


@dataclass(frozen=True)
class ChartSource:
    charts: Mapping[str, ChartRef]

    @classmethod
    def from_directory(
        cls, directory: Path = REPO_CHARTS_DIR, *, profiles: Sequence[str] = ()
    ) -> ChartSource:
        """`<directory>/<engine>` for every engine, layered with its `values-<profile>.yaml` for
        each of `profiles` it has, in order (a chart without one installs as it would without
        the profile: WooCommerce has no real-node values, so its stores stay on kwok nodes)."""
        refs = {}
        for engine in Engine:
            path = directory / engine.value
            files = tuple(f for p in profiles if (f := path / f"values-{p}.yaml").exists())
            refs[engine.value] = ChartRef(path=path, values_files=files)
        return cls(refs)

    def for_engine(self, engine: str) -> ChartRef:
        ref = self.charts.get(engine)
        if ref is None or not (ref.path / "Chart.yaml").is_file():
            where = ref.path if ref else "(none configured)"
            raise ChartMissing(f"no Helm chart for engine {engine!r} at {where}")
        return ref


@dataclass(frozen=True)
class StoreValues:
    """The values storeplane sets on every release; the charts' contract."""

    name: str
    tenant: str
    host: str
    credentials_secret: str = CREDENTIALS_SECRET

    def set_string_args(self) -> list[str]:
        return [
            "--set-string",
            f"store.name={self.name},store.tenant={self.tenant},store.host={self.host}",
            "--set",
            f"store.credentialsSecret={self.credentials_secret}",
        ]

    def as_tree(self) -> dict[str, Any]:
        return {
            "store": {
                "name": self.name, "tenant": self.tenant, "host": self.host,
                "credentialsSecret": self.credentials_secret,
            }
        }


def desired_config(ref: ChartRef, values: StoreValues) -> dict[str, Any]:
    """The user-supplied values Helm records for our install: the files, then our settings."""
    merged: dict[str, Any] = {}
    for values_file in ref.values_files:
        merged = deep_merge(merged, yaml.safe_load(values_file.read_text()) or {})
    return deep_merge(merged, values.as_tree())


def deep_merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = value
    return result
