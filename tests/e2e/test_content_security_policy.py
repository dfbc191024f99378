"""The dashboard works under its Content-Security-Policy: served with `default-src 'self'` and
`frame-ancestors 'none'`, it signs in, goes live over its websocket, lists stores and opens the
create form with no violation reported by the browser (before, it was served with no policy)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.browser import new_context, sign_in
from tests.e2e.server import Platform

pytestmark = pytest.mark.cluster

# Playwright injects this through the DevTools protocol, so the policy does not block it.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


def test_the_dashboard_runs_under_its_content_security_policy(
    platform: Platform, browser: Browser, tenant: str
) -> None:
    context = new_context(browser)
    page = context.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    response = page.goto(platform.base_url + "/")
    assert response is not None
    headers = response.headers
    policy = headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    sign_in(page, platform.base_url, platform.token(tenant))  # waits for "Live": the websocket
    expect(page.get_by_role("form", name="New store")).to_be_visible()
    assert page.evaluate("window.__cspViolations") == []
    assert not [text for text in console if "Content Security Policy" in text]
    context.close()
