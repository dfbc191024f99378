"""The API process serves the built dashboard at `/`, beside `/graphql` (so `storeplane up` needs
nothing else)."""

from __future__ import annotations

import pytest

from graphql_api.app import DASHBOARD_DIST
from tests.api.conftest import Running

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_the_dashboard_is_served_at_the_root(running: Running) -> None:
    assert (DASHBOARD_DIST / "index.html").is_file(), (
        f"no dashboard build at {DASHBOARD_DIST}: run web/scripts/build.sh (make test does)"
    )
    page = await running.api.http.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<div id="root">' in page.text or "<script" in page.text
    health = await running.api.http.get("/healthz")
    assert health.text == "ok\n", "the dashboard mount must not shadow the API's own routes"
