"""Connection URLs shown or logged never carry their password."""

from __future__ import annotations

import pytest

from storeplane.redact import redact_text, redact_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://storeplane:s3cr%40t@127.0.0.1:5432/storeplane",
         "postgresql://storeplane:***@127.0.0.1:5432/storeplane"),
        ("postgresql://app@db/x", "postgresql://app@db/x"),
        ("postgresql://db/x?user=a&password=hunter2&sslmode=require",
         "postgresql://db/x?user=a&password=***&sslmode=require"),
        ("postgresql://u:p@/db?host=/run/pg", "postgresql://u:***@/db?host=/run/pg"),
    ],
)
def test_a_url_is_shown_without_its_password(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_urls_in_free_text_lose_their_passwords() -> None:
    text = "could not connect to postgresql://storeplane:hunter2@127.0.0.1:5/storeplane: refused"
    shown = "could not connect to postgresql://storeplane:***@127.0.0.1:5/storeplane: refused"
    assert redact_text(text) == shown
    assert "hunter2" not in redact_text(text)
