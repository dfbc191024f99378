"""The owner gets in, in headless chromium against the real platform: a store followed to READY
offers "Open store" and "Open admin", and its credentials panel reveals, on a click, the values of
the store's real Secret — the password out of the page until shown, each value copied to the
clipboard — while the timeline records the reveal live, under the dashboard's CSP."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.accessibility import assert_accessible
from tests.e2e.browser import new_context, shoot, sign_in, store_row
from tests.e2e.server import Platform
from tests.e2e.test_content_security_policy import RECORD_VIOLATIONS
from tests.fixtures.kube import KubeCluster

PROVISIONED_MS = 300_000  # provisioning on the local control plane: helm install and readiness

pytestmark = pytest.mark.cluster


def _secret(cluster: KubeCluster, namespace: str) -> dict[str, str]:
    kubectl = str(cluster.bin_dir / "kubectl")
    done = subprocess.run(
        [kubectl, "get", "secret", "store-credentials", "-n", namespace, "-o", "json"],
        env=cluster.env(), capture_output=True, text=True, timeout=60, check=True,
    )
    data = json.loads(done.stdout)["data"]
    return {key: base64.b64decode(value).decode() for key, value in data.items()}


def _credential(page: Page, name: str) -> str:
    return page.locator(f'[data-credential="{name}"]').inner_text()


def test_a_ready_store_opens_and_reveals_its_credentials_on_a_click(
    platform: Platform, browser: Browser, tenant: str, kube_cluster: KubeCluster,
) -> None:
    context = new_context(browser)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=platform.base_url)
    page = context.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in(page, platform.base_url, platform.token(tenant))
    name = f"own-{uuid.uuid4().hex[:6]}"
    form = page.get_by_role("form", name="New store")
    form.get_by_label("Name").fill(name)
    form.get_by_role("button", name="Create store").click()
    expect(store_row(page, name).locator("[data-status]")).to_have_attribute(
        "data-status", "READY", timeout=PROVISIONED_MS)
    store_row(page, name).get_by_role("link", name=name, exact=True).click()

    url = page.locator(".facts div", has_text="URL").locator("a").inner_text()
    expect(page.get_by_role("link", name="Open store")).to_have_attribute("href", url)
    expect(page.get_by_role("link", name="Open admin")).to_have_attribute("href", f"{url}wp-admin/")
    namespace = page.locator(".facts div", has_text="Namespace").locator("code").inner_text()
    secret = _secret(kube_cluster, namespace)
    panel = page.get_by_role("region", name="Admin credentials")
    expect(panel.locator("[data-credential]")).to_have_count(0)  # nothing asked for yet

    panel.get_by_role("button", name="Reveal credentials").click()
    expect(panel.locator('[data-credential="username"]')).to_have_text(secret["admin-username"])
    expect(panel.locator('[data-credential="admin-url"]')).to_have_text(f"{url}wp-admin/")
    expect(panel.locator('[data-credential="publishable-key"]')).to_have_count(0)  # WooCommerce has none
    assert secret["admin-password"] not in page.content(), "the password is in the page before it is shown"
    shoot(page, "20-credentials-revealed")
    assert_accessible(page, "the revealed credentials panel")

    panel.get_by_role("button", name="Copy password").click()
    expect(panel.get_by_role("status").filter(has_text="Copied")).to_have_count(1)
    assert page.evaluate("navigator.clipboard.readText()") == secret["admin-password"]
    panel.get_by_role("button", name="Show password").click()
    assert _credential(page, "password") == secret["admin-password"]

    timeline = page.get_by_role("list", name=re.compile("Timeline"))
    reveal = timeline.locator('[data-event-type="CredentialsRevealed"]')
    expect(reveal).to_contain_text("Admin credentials revealed")
    expect(reveal).to_contain_text(f"tenant:{tenant}")
    expect(timeline).not_to_contain_text(secret["admin-password"])

    panel.get_by_role("button", name="Hide credentials").click()
    expect(panel.locator("[data-credential]")).to_have_count(0)
    assert secret["admin-password"] not in page.content()
    assert page.evaluate("window.__cspViolations") == []
    context.close()
