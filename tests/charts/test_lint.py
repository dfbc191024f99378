"""helm lint --strict passes for each chart with each values file it ships.

Given a chart and one of its values files (or none), with the store values the reconciler
sets, when linted strictly, then helm reports no warning or error.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml

from tests.charts.rendering import (
    CHARTS_DIR,
    ENGINES,
    TYPICAL_STORE,
    VALUES_FILES,
    kubernetes_version,
    run_helm,
)


@pytest.mark.parametrize(("engine", "values_file"), list(itertools.product(ENGINES, VALUES_FILES)))
def test_lint_strict(engine: str, values_file: str | None, helm_home: Path) -> None:
    chart = CHARTS_DIR / engine
    args = ["lint", "--strict", str(chart), "--kube-version", kubernetes_version()]
    args += TYPICAL_STORE.helm_args()
    if values_file:
        args += ["-f", str(chart / values_file)]

    linted = run_helm(args, home=helm_home)

    assert linted.returncode == 0, linted.output
    assert "[WARNING]" not in linted.output, linted.output
    assert "[ERROR]" not in linted.output, linted.output


@pytest.mark.parametrize("engine", ENGINES)
def test_chart_ships_its_documentation_and_values_files(engine: str) -> None:
    chart = CHARTS_DIR / engine
    for name in ("README.md", "values.schema.json", "templates/NOTES.txt", *filter(None, VALUES_FILES)):
        assert (chart / name).is_file(), f"{engine} chart lacks {name}"


# Maps whose keys are the user's (or a fixed Kubernetes shape), documented as one value.
_DOCUMENTED_WHOLE = {"resources", "options", "annotations", "nodeSelector"}


def _value_paths(values: dict[str, object], prefix: str = "") -> list[str]:
    paths = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value and key not in _DOCUMENTED_WHOLE:
            paths += _value_paths(value, f"{path}.")
        else:
            paths.append(path)
    return paths


@pytest.mark.parametrize("engine", ENGINES)
def test_readme_lists_every_value(engine: str) -> None:
    chart = CHARTS_DIR / engine
    values = yaml.safe_load((chart / "values.yaml").read_text())
    readme = (chart / "README.md").read_text()

    missing = [path for path in _value_paths(values) if f"`{path}`" not in readme]

    assert not missing, f"{engine}/README.md does not document: {', '.join(missing)}"
