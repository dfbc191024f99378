"""Fixtures of the browser tests: the built dashboard served by a real `storeplane up` on the suite's
PostgreSQL, and one headless chromium for the session. Prints where the screenshots are."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.e2e.browser import SCREENSHOTS, launch
from tests.e2e.server import Platform, build_dashboard
from tests.fixtures.kube import KubeCluster


@pytest.fixture(scope="session")
def dashboard_dist() -> Path:
    return build_dashboard()


@pytest.fixture(scope="session")
def platform(
    database_url: str, dashboard_dist: Path, kube_cluster: KubeCluster,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Platform]:
    """`storeplane up` with its reconciler on the session's local control plane (KUBECONFIG, and
    helm and kubectl on PATH, as `storeplane cluster env` would export them)."""
    cluster_env = kube_cluster.env()
    running = Platform(
        database_url=database_url,
        log_path=tmp_path_factory.mktemp("platform") / "storeplane-up.log",
        extra_env={
            "KUBECONFIG": cluster_env["KUBECONFIG"],
            "PATH": cluster_env["PATH"],
            # A small quota so the quota test reaches it with a handful of stores.
            "STOREPLANE_MAX_LIVE_STORES": "3",
        },
    )
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    # Screenshots are of this run only.
    for old in SCREENSHOTS.glob("*.png") if SCREENSHOTS.is_dir() else []:
        old.unlink()
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    shots = sorted(SCREENSHOTS.glob("*.png")) if SCREENSHOTS.is_dir() else []
    if shots:
        terminalreporter.write_line(f"dashboard screenshots ({len(shots)}): {SCREENSHOTS}")
