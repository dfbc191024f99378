"""The cheap first look at a GraphQL document, before it is parsed, validated or authenticated.

Fed by the HTTP view (`graphql_api.app`) with the raw `query` string of each request; feeds it a
typed refusal or nothing. Why our own pass over graphql-core's lexer instead of `parse(...,
max_tokens=)` alone: it stops at the first token over a limit, so its cost is bounded by the limits
and not by the document (64 KiB of `{ me { tenant } }` took over a second to parse and validate,
with no token), and besides tokens it counts what the parser would turn into work later: aliases
(a `name:` in a selection set, not in arguments) and nesting, which a recursive parser pays for
with its stack. It also refuses strings no PostgreSQL text can hold (NUL, lone surrogates), in the
document and in the variables: refused here they are VALIDATION_FAILED, not an INTERNAL error at the
database.

A text once admitted is admitted again without its pass (a bounded LRU of admitted texts, refusals
never kept): clients repeat a handful of texts, and the pass was ~15 % of the server's CPU for a
trivial query, made twice per HTTP request (here and again in `QueryGuard.on_parse`).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from graphql import GraphQLError
from graphql.language import Lexer, Source, TokenKind

from graphql_api.errors import ApiError, invalid


def _unstorable(text: str) -> bool:
    """NUL and lone surrogates: no PostgreSQL text column (nor UTF-8) can hold them."""
    return "\x00" in text or any("\ud800" <= c <= "\udfff" for c in text)


def check_values(value: object, field: str = "variables") -> ApiError | None:
    """A VALIDATION_FAILED error naming the first string in `value` (variables, recursively) that
    could never be stored: a NUL or a lone surrogate (JSON lets `\\u0000` and `\\ud800` through).

    `extensions.field` is the input field itself (`name`, as the domain names it when it refuses other
    control characters), so a form can point at it; the message carries the whole path."""
    if isinstance(value, str):
        if _unstorable(value):
            leaf = next((part for part in reversed(field.split(".")) if not part.isdigit()), field)
            return invalid(leaf, f"{field} holds a NUL or an unpaired surrogate")
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = check_values(item, f"{field}.{key}") or (
                check_values(key, field) if isinstance(key, str) else None
            )
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = check_values(item, f"{field}.{index}")
            if found is not None:
                return found
    return None


@dataclass(frozen=True)
class DocumentLimits:
    max_tokens: int = 2000
    max_aliases: int = 30
    max_nesting: int = 24  # braces and parentheses open at once; depth 8 needs 9 plus arguments


ADMITTED_CACHE_SIZE = 256
_admitted: OrderedDict[tuple[str, DocumentLimits], None] = OrderedDict()


def check_document(query: str, limits: DocumentLimits) -> ApiError | None:
    """A VALIDATION_FAILED error when `query` breaks a limit, else None (then parse it)."""
    key = (query, limits)
    if key in _admitted:
        _admitted.move_to_end(key)
        return None
    refusal = _first_refusal(query, limits)
    if refusal is None:
        _admitted[key] = None
        if len(_admitted) > ADMITTED_CACHE_SIZE:
            _admitted.popitem(last=False)
    return refusal


def _first_refusal(query: str, limits: DocumentLimits) -> ApiError | None:
    lexer = Lexer(Source(query))
    tokens = aliases = 0
    braces = parens = 0  # open now; object values in arguments open braces inside parentheses
    previous = TokenKind.SOF
    argument = name = "query"  # the name before the latest colon: what a bad string literal is given to
    try:
        token = lexer.advance()
        while token.kind != TokenKind.EOF:
            tokens += 1
            if tokens > limits.max_tokens:
                return invalid("query", f"the document has more than {limits.max_tokens} tokens")
            kind = token.kind
            if kind == TokenKind.BRACE_L:
                braces += 1
            elif kind == TokenKind.BRACE_R:
                braces -= 1
            elif kind == TokenKind.PAREN_L:
                parens += 1
            elif kind == TokenKind.PAREN_R:
                parens -= 1
            elif kind in (TokenKind.STRING, TokenKind.BLOCK_STRING) and _unstorable(token.value or ""):
                return invalid(argument, f"{argument} holds a NUL or an unpaired surrogate")
            elif kind == TokenKind.NAME:
                name = token.value or "query"
            elif kind == TokenKind.COLON and previous == TokenKind.NAME:
                argument = name
            if kind == TokenKind.COLON and previous == TokenKind.NAME and parens == 0 and braces > 0:
                aliases += 1
                if aliases > limits.max_aliases:
                    return invalid("query", f"the document has more than {limits.max_aliases} aliases")
            if braces + parens > limits.max_nesting:
                return invalid("query", f"the document nests deeper than {limits.max_nesting} levels")
            previous = kind
            token = lexer.advance()
    except GraphQLError as error:  # a syntax error: said now, with its position, as the parser would
        return invalid("query", error.message)
    return None
