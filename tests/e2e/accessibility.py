"""Automated accessibility checks in the real browser: axe-core (from web/node_modules, installed by
the dashboard build) against WCAG 2.1 A and AA: labels, contrast, roles, names, landmarks."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import BrowserContext, Page

AXE = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def load_axe(context: BrowserContext) -> None:
    """axe-core in every page of `context`, as an init script: the dashboard's Content-Security-Policy
    (`script-src 'self'`) refuses an injected <script> tag, but not the browser's own init scripts,
    so the checks run under the same CSP a user gets."""
    context.add_init_script(path=str(AXE))


def assert_accessible(page: Page, what: str) -> None:
    assert page.evaluate("typeof window.axe !== 'undefined'"), "axe-core is missing: load_axe(context)"
    result = page.evaluate(
        "async (tags) => (await axe.run(document, { runOnly: { type: 'tag', values: tags } }))"
        ".violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')) }))",
        WCAG_AA,
    )
    assert result == [], f"accessibility violations on {what}:\n{json.dumps(result, indent=2)}"
