"""The list stays usable with more than a thousand stores: one server page at a time, paging by
cursor, and filters and name search answered by the server. Runs on a database of its own, served
by the API alone, so no reconciler tries to provision the seeded stores."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest
from playwright.sync_api import Browser, expect

from domain.actors import Stamp
from domain.service import StoreService
from projections.runner import ProjectionRunner
from storeplane.database import create_pool, open_service
from tests.e2e.browser import new_context, shoot, sign_in, store_row
from tests.e2e.server import Platform

STORES = 1_050
MEDUSA_EVERY = 3  # every third store runs Medusa, so the engine filter has something to split


@pytest.fixture
def seeded(private_database_url: str) -> tuple[str, str]:
    """A tenant with STORES stores, requested through the application service like any other."""
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    service: StoreService = open_service(private_database_url)
    try:
        for i in range(STORES):
            engine = "medusa" if i % MEDUSA_EVERY == 0 else "woocommerce"
            service.create_store(
                tenant=tenant, name=f"bulk-{i:04d}", engine=engine, plan="small",
                idempotency_key=None, stamp=Stamp(f"tenant:{tenant}", f"seed-{i}"),
            )
    finally:
        service.close()
    return private_database_url, tenant


async def _catch_up(database_url: str) -> None:
    pool: asyncpg.Pool = await create_pool(database_url, max_size=2)
    try:
        await ProjectionRunner(pool).catch_up()
    finally:
        await pool.close()


@pytest.fixture
def projected(seeded: tuple[str, str]) -> tuple[str, str]:
    """The seeded stores in the read model. In a thread of its own: Playwright's sync API owns this
    thread's event loop."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, _catch_up(seeded[0])).result()
    return seeded


@pytest.fixture
def api_only(projected: tuple[str, str], dashboard_dist: Path, tmp_path: Path) -> Iterator[Platform]:
    running = Platform(database_url=projected[0], log_path=tmp_path / "storeplane-api.log", command=("api",))
    running.start()
    yield running
    running.stop()


def test_a_thousand_stores_page_filter_and_search(
    api_only: Platform, projected: tuple[str, str], browser: Browser
) -> None:
    _, tenant = projected
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, api_only.base_url, api_only.token(tenant))
    count = page.locator("#stores-title ~ p")
    expect(count).to_have_text(f"{STORES} matching")
    expect(page.locator("tbody tr")).to_have_count(50)
    expect(store_row(page, f"bulk-{STORES - 1:04d}")).to_be_visible()  # newest first

    page.get_by_role("button", name="Next page").click()
    expect(page.get_by_text("Page 2")).to_be_visible()
    expect(store_row(page, f"bulk-{STORES - 51:04d}")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(50)
    shoot(page, "10-many-stores-page-2")

    page.get_by_label("Search by name").fill("bulk-0777")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.get_by_text("Page 1")).to_be_visible()
    page.get_by_label("Search by name").fill("")

    page.get_by_label("Filter by engine").select_option("MEDUSA")
    medusa = len(range(0, STORES, MEDUSA_EVERY))
    expect(count).to_have_text(f"{medusa} matching")
    engines = page.locator("tbody tr td[data-label=Engine]")
    expect(engines.filter(has_text=re.compile("WooCommerce"))).to_have_count(0)
    page.get_by_label("Filter by status").select_option("READY")
    expect(count).to_have_text("0 matching")
    expect(page.get_by_text("No stores match")).to_be_visible()
    context.close()
