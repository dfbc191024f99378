"""Rendering storeplane's own chart (`deploy/helm/storeplane`) with helm, for the tests beside it.

Fed by the chart and the helm the local-cluster build compiles (through `tests.charts.rendering`);
feeds the tests with rendered manifests or helm's error text.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tests.charts.rendering import REPO_ROOT, HelmResult, Manifest, kubernetes_version, manifests, run_helm

CHART = REPO_ROOT / "deploy" / "helm" / "storeplane"
VALUES_FILES = ("values-local.yaml", "values-production.yaml")


def template(
    *, home: Path, values_file: str | None = None, sets: Sequence[str] = (), release: str = "storeplane",
    namespace: str = "storeplane", show_only: Sequence[str] = (),
) -> HelmResult:
    args = ["template", release, str(CHART), "--namespace", namespace, "--kube-version", kubernetes_version()]
    if values_file:
        args += ["-f", str(CHART / values_file)]
    for assignment in sets:
        args += ["--set", assignment]
    for template_path in show_only:
        args += ["--show-only", template_path]
    return run_helm(args, home=home)


def rendered(*, home: Path, values_file: str | None = None, sets: Sequence[str] = ()) -> list[Manifest]:
    return manifests(template(home=home, values_file=values_file, sets=sets))
