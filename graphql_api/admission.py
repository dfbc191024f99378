"""The cheap first look at a GraphQL document, before it is parsed, validated or authenticated.

Fed by the HTTP view (`graphql_api.app`) with the raw `query` string of each request; feeds it a
typed refusal or nothing. Why our own pass over graphql-core's lexer instead of `parse(...,
max_tokens=)` alone: it stops at the first token over a limit, so its cost is bounded by the limits
and not by the document (64 KiB of `{ me { tenant } }` took over a second to parse and validate,
with no token), and besides tokens it counts what the parser would turn into work later: aliases
(a `name:` in a selection set, not in arguments) and nesting, which a recursive parser pays for
with its stack.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import GraphQLError
from graphql.language import Lexer, Source, TokenKind

from graphql_api.errors import ApiError, invalid


@dataclass(frozen=True)
class DocumentLimits:
    max_tokens: int = 2000
    max_aliases: int = 30
    max_nesting: int = 24  # braces and parentheses open at once; depth 8 needs 9 plus arguments


def check_document(query: str, limits: DocumentLimits) -> ApiError | None:
    """A VALIDATION_FAILED error when `query` breaks a limit, else None (then parse it)."""
    lexer = Lexer(Source(query))
    tokens = aliases = 0
    braces = parens = 0  # open now; object values in arguments open braces inside parentheses
    previous = TokenKind.SOF
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
            elif kind == TokenKind.COLON and previous == TokenKind.NAME and parens == 0 and braces > 0:
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
