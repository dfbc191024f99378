"""On a phone-sized screen, with the keyboard only: stores are created until the tenant's quota
(3 in these tests) is reached, and the refusal is said in plain words where the person is looking."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.accessibility import assert_accessible
from tests.e2e.browser import new_context, shoot, sign_in, store_row
from tests.e2e.server import Platform

pytestmark = pytest.mark.cluster  # the platform runs its reconciler on the local control plane
QUOTA = 3  # STOREPLANE_MAX_LIVE_STORES of the test platform


def test_quota_refusal_is_plain_on_a_phone(platform: Platform, browser: Browser, tenant: str) -> None:
    context = new_context(browser, phone=True)
    page = context.new_page()
    sign_in(page, platform.base_url, platform.token(tenant))
    name_field = page.get_by_role("form", name="New store").get_by_label("Name")
    names = [f"pocket-{i}-{uuid.uuid4().hex[:4]}" for i in range(QUOTA + 1)]
    for name in names[:QUOTA]:
        name_field.fill(name)
        name_field.press("Enter")  # the form submits from the keyboard
        expect(store_row(page, name)).to_be_visible()
    shoot(page, "11-phone-stores")

    name_field.fill(names[QUOTA])
    name_field.press("Enter")
    alert = page.get_by_role("form", name="New store").get_by_role("alert")
    expect(alert).to_contain_text("Quota reached")
    expect(alert).to_contain_text(re.compile(rf"limit is {QUOTA}"))
    expect(store_row(page, names[QUOTA])).to_have_count(0)
    shoot(page, "12-phone-quota-refused")
    assert_accessible(page, "the phone-width list with a quota error")

    store_row(page, names[0]).get_by_role("link", name=names[0], exact=True).click()
    expect(page.get_by_role("heading", name=names[0])).to_be_visible()
    expect(page.get_by_role("list", name=re.compile("Timeline"))).to_be_visible()
    shoot(page, "13-phone-store-detail")
    context.close()
