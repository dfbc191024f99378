"""The admission pass keeps only admitted texts, boundedly: a refused text is refused every time,
and limits of another server are not answered from this one's entries (`graphql_api.admission`)."""

from __future__ import annotations

from graphql_api import admission
from graphql_api.admission import ADMITTED_CACHE_SIZE, DocumentLimits, check_document

ME = "{ me { tenant } }"


def test_an_admitted_text_is_kept_and_a_refused_one_is_refused_each_time() -> None:
    limits = DocumentLimits(max_tokens=6)
    assert check_document(ME, limits) is None
    assert (ME, limits) in admission._admitted
    long = "{ me { tenant tokenId } }"
    for _ in range(2):
        refusal = check_document(long, limits)
        assert refusal is not None
        assert "tokens" in refusal.message
    assert (long, limits) not in admission._admitted


def test_the_same_text_under_tighter_limits_is_checked_again() -> None:
    assert check_document(ME, DocumentLimits()) is None
    assert check_document(ME, DocumentLimits(max_tokens=3)) is not None


def test_the_kept_texts_are_bounded() -> None:
    limits = DocumentLimits()
    for i in range(ADMITTED_CACHE_SIZE + 10):
        assert check_document(f"{{ a{i} }}", limits) is None
    assert len(admission._admitted) == ADMITTED_CACHE_SIZE
