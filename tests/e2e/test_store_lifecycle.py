"""A person's day with the dashboard, in headless chromium against the real platform: sign in, a
refused name explained under its field, a store created and followed live to its end state without
a reload, its timeline and its past, its deletion; another tenant never sees any of it."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.accessibility import assert_accessible
from tests.e2e.browser import assert_never_reloaded, new_context, shoot, sign_in, store_row
from tests.e2e.server import Platform

PROVISIONED_MS = 300_000  # provisioning on the local control plane: helm install and readiness

pytestmark = pytest.mark.cluster


def _create(page: Page, name: str) -> None:
    form = page.get_by_role("form", name="New store")
    form.get_by_label("Name").fill(name)
    form.get_by_role("button", name="Create store").click()


def _status(page: Page, name: str) -> Locator:
    return store_row(page, name).locator("[data-status]")


def test_a_store_from_request_to_deletion_is_followed_live(
    platform: Platform, browser: Browser, tenant: str
) -> None:
    owner_context, other_context = new_context(browser), new_context(browser)
    page, other = owner_context.new_page(), other_context.new_page()
    page.goto(platform.base_url + "/")
    expect(page.get_by_label("API token")).to_have_attribute("type", "password")
    shoot(page, "00-sign-in")
    assert_accessible(page, "the sign-in page")
    token = platform.token(tenant)
    sign_in(page, platform.base_url, token)
    assert token not in page.url, "the token must never be in the URL"
    stored = page.evaluate("() => [sessionStorage.length, localStorage.length]")
    assert stored == [1, 0], "the token is kept in sessionStorage only"
    sign_in(other, platform.base_url, platform.token(f"o-{uuid.uuid4().hex[:12]}"))
    shoot(page, "01-stores-signed-in")
    assert_accessible(page, "the stores list")

    # The API refuses the name; its VALIDATION_FAILED field puts the reason under "Name".
    _create(page, "Not_A_Dns_Name")
    name_field = page.get_by_role("form", name="New store").get_by_label("Name")
    expect(name_field).to_have_attribute("aria-invalid", "true")
    expect(name_field).to_have_accessible_description(re.compile("lower-case letters"))
    shoot(page, "02-create-refused-name")
    assert_accessible(page, "the create form showing a field error")

    name = f"shop-{uuid.uuid4().hex[:6]}"
    _create(page, name)
    expect(name_field).to_have_attribute("aria-invalid", "false")
    expect(store_row(page, name)).to_be_visible()
    expect(_status(page, name)).to_have_attribute("data-status", "READY", timeout=PROVISIONED_MS)
    expect(store_row(page, name).get_by_role("link", name=re.compile(rf"^{name}\."))).to_be_visible()
    shoot(page, "03-stores-ready")
    store_id = store_row(page, name).get_attribute("data-store-id")

    # Another tenant sees neither the row nor the store by its id.
    expect(store_row(other, name)).to_have_count(0)
    other.goto(f"{platform.base_url}/#/stores/{store_id}")
    expect(other.get_by_role("heading", name="Store not found")).to_be_visible()

    store_row(page, name).get_by_role("link", name=name, exact=True).click()
    timeline = page.get_by_role("list", name=re.compile("Timeline"))
    requested = timeline.locator('[data-event-type="Requested"]')
    expect(requested).to_contain_text(f"tenant:{tenant}")
    expect(requested.locator("code.correlation")).to_have_text(re.compile(r"\S{8,}"))
    expect(timeline.locator('[data-event-type="BecameReady"]')).to_contain_text("system:reconciler")
    expect(page.locator('[data-step][data-state="done"]')).to_have_count(5)
    shoot(page, "04-store-detail")
    assert_accessible(page, "the store page")

    page.get_by_role("button", name="Show the store as of version 1").click()
    past = page.locator(".past")
    expect(past).to_contain_text("As of version 1")
    expect(past.locator("[data-status]")).to_have_attribute("data-status", "REQUESTED")
    shoot(page, "05-time-travel")

    page.get_by_role("button", name="Delete store").click()
    dialog = page.get_by_role("alertdialog", name=f"Delete {name}?")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    shoot(page, "06-delete-confirmation")
    assert_accessible(page, "the delete confirmation")
    dialog.get_by_role("button", name="Delete").click()
    heading_badge = page.locator(".section-head [data-status]")
    expect(heading_badge).to_have_attribute("data-status", "DELETED", timeout=PROVISIONED_MS)
    expect(timeline.locator('[data-event-type="Deleted"]')).to_be_visible()

    page.get_by_role("link", name="← All stores").click()
    expect(page.get_by_text("No stores match")).to_be_visible()  # loaded, and the store is gone
    expect(store_row(page, name)).to_have_count(0)
    shoot(page, "07-stores-after-delete")
    other.goto(f"{platform.base_url}/#/")
    expect(other.get_by_text("No stores match")).to_be_visible()
    expect(store_row(other, name)).to_have_count(0)
    assert_never_reloaded(page)
    owner_context.close()
    other_context.close()
