"""A document seen again is neither parsed nor validated again, and its limits still hold: the
depth rule refuses a cached document as it refused it the first time, and a syntax error is still
a typed VALIDATION_FAILED (`graphql_api.document_cache`)."""

from __future__ import annotations

import pytest
from strawberry.extensions.parser_cache import _get_parse_cache
from strawberry.extensions.validation_cache import _get_validate_cache

from graphql_api.config import ApiConfig
from graphql_api.document_cache import DOCUMENT_CACHE_SIZE
from graphql_api.metrics import ApiMetrics
from graphql_api.schema.root import build_schema

pytestmark = pytest.mark.asyncio

DEEP = "{ stores(first: 1) { edges { node { id } } } }"  # depth 4


async def test_a_repeated_document_hits_both_caches_and_is_still_refused_over_the_depth() -> None:
    schema = build_schema(ApiConfig(max_query_depth=2), ApiMetrics())
    parses, validations = _get_parse_cache(DOCUMENT_CACHE_SIZE), _get_validate_cache(DOCUMENT_CACHE_SIZE)
    first = await schema.execute(DEEP)
    parsed, validated = parses.cache_info().hits, validations.cache_info().hits
    second = await schema.execute(DEEP)
    assert parses.cache_info().hits == parsed + 1
    assert validations.cache_info().hits == validated + 1
    for result in (first, second):
        assert result.errors is not None
        assert "exceeds maximum operation depth" in result.errors[0].message
        assert (result.errors[0].extensions or {})["code"] == "VALIDATION_FAILED"


async def test_a_syntax_error_is_still_a_typed_error_each_time() -> None:
    schema = build_schema(ApiConfig(), ApiMetrics())
    for _ in range(2):
        result = await schema.execute("{ me { ")
        assert result.errors is not None
        assert (result.errors[0].extensions or {})["code"] == "VALIDATION_FAILED"
