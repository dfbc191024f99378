"""Debian's headless chromium driven by Playwright, and the steps every dashboard test takes.

Fed by the system browser (/usr/bin/chromium; Playwright's own browser downloads are not used);
feeds the tests signed-in pages and the screenshots saved under test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Locator, Page, Playwright, ViewportSize, expect

from tests.e2e.accessibility import load_axe

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 375, "height": 740}
# Generous bounds for things that happen by themselves (pushes, provisioning); not speed checks.
LIVE_TIMEOUT_MS = 30_000


def launch(playwright: Playwright) -> Browser:
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)")
    # Playwright gives each launch a fresh temporary --user-data-dir and passes --headless.
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


def new_context(browser: Browser, *, phone: bool = False) -> BrowserContext:
    context = browser.new_context(viewport=PHONE if phone else DESKTOP, is_mobile=phone, has_touch=phone)
    context.set_default_timeout(LIVE_TIMEOUT_MS)
    load_axe(context)
    return context


def sign_in(page: Page, base_url: str, token: str) -> None:
    """Signs in through the form, then marks the document so a later reload would be noticed."""
    page.goto(base_url + "/")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(connection(page)).to_have_text(re.compile("Live"))
    page.evaluate("window.__storeplaneSameDocument = true")


def connection(page: Page) -> Locator:
    return page.locator("[data-connection]")


def assert_never_reloaded(page: Page) -> None:
    assert page.evaluate("window.__storeplaneSameDocument === true"), "the page was reloaded"


def store_row(page: Page, name: str) -> Locator:
    return page.locator(f'tr[data-store-name="{name}"]')


def shoot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
