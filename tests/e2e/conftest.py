"""Fixtures of the browser tests: the built dashboard served by a real `storeplane up` on the suite's
PostgreSQL, and one headless chromium for the session. Prints where the screenshots are."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
    make_database: Callable[[], str], dashboard_dist: Path, kube_cluster: KubeCluster,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Platform]:
    """`storeplane up` with its reconciler on the session's local control plane (KUBECONFIG, and
    helm and kubectl on PATH, as `storeplane cluster env` would export them), on a database of its
    own: it keeps running for the rest of the session, and its reconciler must not work on the
    stores of other tests."""
    cluster_env = kube_cluster.env()
    running = Platform(
        database_url=make_database(),
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
def fresh_screenshots() -> Path:
    """Screenshots are of this run only."""
    for old in SCREENSHOTS.glob("*.png") if SCREENSHOTS.is_dir() else []:
        old.unlink()
    return SCREENSHOTS


@pytest.fixture(scope="module")
def browser(fresh_screenshots: Path) -> Iterator[Browser]:
    # Module scope, not session: Playwright's sync API keeps an event loop running in this thread
    # while it is open, and the async tests of other folders need that thread's loop to be free.
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    shots = sorted(SCREENSHOTS.glob("*.png")) if SCREENSHOTS.is_dir() else []
    if shots:
        terminalreporter.write_line(f"dashboard screenshots ({len(shots)}): {SCREENSHOTS}")
