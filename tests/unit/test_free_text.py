"""What free text may enter the event store: no control characters, NUL or lone surrogates, at any
door; correlation ids short printable ASCII; no tenant named like the platform itself."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from domain.naming import check_new_tenant
from domain.text import check_correlation_id, check_text
from projections.queries import StoreFilter


@pytest.mark.parametrize(
    "bad", ["a\x00b", "bell\x07", "esc\x1b[2J", "new\nline", "del\x7f", "c1\x85", "lone\ud800", "\udc00"]
)
def test_control_characters_nul_and_lone_surrogates_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_text("idempotencyKey", bad)
    assert refused.value.field == "idempotencyKey"


@pytest.mark.parametrize("good", ["order-42", "Bestellung für Ümit", "日本語の店", "emoji 🛒", "zwj\u200d"])
def test_text_of_any_script_passes(good: str) -> None:
    assert check_text("name", good) == good


@pytest.mark.parametrize("bad", ["", "has space", "x" * 65, "café", "tab\there"])
def test_a_correlation_id_is_short_printable_ascii(bad: str) -> None:
    with pytest.raises(InvalidInput):
        check_correlation_id("correlationId", bad)
    assert check_correlation_id("correlationId", "api-0123456789abcdef") == "api-0123456789abcdef"


@pytest.mark.parametrize("reserved", ["admin", "system", "storeplane", "kube-system", "system-x"])
def test_reserved_tenant_names_cannot_have_stores(reserved: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_new_tenant(reserved)
    assert refused.value.field == "tenant"
    assert check_new_tenant("acme") == "acme"


def test_a_search_with_nul_is_refused_whichever_door_it_came_through() -> None:
    with pytest.raises(InvalidInput) as refused:
        StoreFilter(name_contains="a\x00b")
    assert refused.value.field == "nameContains"
