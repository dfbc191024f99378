"""The live connection survives the server going away: the indicator says so, and when the server is
back the open store page catches up with what happened meanwhile, without a reload."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.browser import assert_never_reloaded, connection, new_context, shoot, sign_in, store_row
from tests.e2e.server import Platform

pytestmark = pytest.mark.cluster  # the platform runs its reconciler on the local control plane


def test_the_store_page_catches_up_after_the_server_comes_back(
    platform: Platform, browser: Browser, tenant: str
) -> None:
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, platform.base_url, platform.token(tenant))
    name = f"away-{uuid.uuid4().hex[:6]}"
    form = page.get_by_role("form", name="New store")
    form.get_by_label("Name").fill(name)
    form.get_by_role("button", name="Create store").click()
    row = store_row(page, name)
    store_id = row.get_attribute("data-store-id")
    row.get_by_role("link", name=name, exact=True).click()
    timeline = page.get_by_role("list", name=re.compile("Timeline"))
    expect(timeline.locator('[data-event-type="Requested"]')).to_be_visible()

    platform.stop()
    expect(connection(page)).to_have_text(re.compile("Reconnecting"))
    shoot(page, "08-reconnecting")
    # While the dashboard is cut off, an operator deletes the store from the CLI.
    platform.cli("stores", "delete", str(store_id))
    platform.start()

    # The dashboard retries with backoff up to 8 s (x1.25 jitter), so the first retry after the
    # server is back may come 10 s later; the default 5 s could expire first under load.
    expect(connection(page)).to_have_text(re.compile("Live"), timeout=20_000)
    expect(timeline.locator('[data-event-type="DeletionRequested"]')).to_contain_text("operator")
    badge = page.locator(".section-head [data-status]")
    expect(badge).to_have_attribute("data-status", re.compile("DELETING|DELETED"))
    shoot(page, "09-caught-up-after-reconnect")
    assert_never_reloaded(page)
    context.close()
