"""Fixtures for the chart tests: a private helm home per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.charts.rendering import HelmMissing, Manifest, Rendering, helm_binary, manifests, template


@pytest.fixture(scope="session")
def helm_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Helm's cache/config/data dirs, away from ~/.config/helm; fails (never skips) without helm."""
    try:
        helm_binary()
    except HelmMissing as error:
        pytest.fail(f"the chart tests need helm: {error}", pytrace=False)
    return tmp_path_factory.mktemp("helm-home")


Render = Callable[[Rendering], list[Manifest]]


@pytest.fixture(scope="session")
def render(helm_home: Path) -> Render:
    """helm template, once per distinct rendering per session."""
    rendered: dict[Rendering, list[Manifest]] = {}

    def _render(rendering: Rendering) -> list[Manifest]:
        if rendering not in rendered:
            rendered[rendering] = manifests(template(rendering, home=helm_home))
        return rendered[rendering]

    return _render
