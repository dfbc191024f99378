"""Each distinct operation text is parsed and validated once, not on every request.

Fed by every HTTP and websocket operation (extensions of the root schema, `graphql_api.schema.root`);
feeds strawberry's execution with the cached syntax tree and validation errors. Clients send a
handful of texts again and again: parsing and validating `{ me { tenant } }` (with the depth and
alias rules) was about 40 % of the server's CPU for that query, and most of createStore's.

Strawberry's own `ParserCache` and `ValidationCache` do the caching; this module only makes them
hit and keeps errors as they were:
- `QueryDepthLimiter` and `MaxAliasesLimiter` build a new rule class each time they are made, i.e.
  per operation when given as factories, and `ValidationCache` keys on the rule classes, so it
  would never hit: `limit_rules` builds them once per schema.
- `ParserCache` raises a syntax error from inside its hook, where strawberry no longer turns it
  into the operation's error (the client got an error without a code); `ReportingParserCache`
  leaves such a text to strawberry's own parse, which reports it as before.
Both caches are bounded (LRU), so unique texts from a client cannot grow memory.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import MaxAliasesLimiter, ParserCache, QueryDepthLimiter

from graphql_api.config import ApiConfig

# Distinct documents kept; an entry is one document's syntax tree (or its validation errors).
DOCUMENT_CACHE_SIZE = 256


def limit_rules(config: ApiConfig) -> list[Any]:
    """The depth and alias limits as validation rules, made once per schema."""
    return [
        *QueryDepthLimiter(max_depth=config.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=config.max_aliases).validation_rules,
    ]


class ReportingParserCache(ParserCache):
    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        # A syntax error is not cached (lru_cache keeps no exceptions): strawberry's parse reports it.
        with contextlib.suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        yield
