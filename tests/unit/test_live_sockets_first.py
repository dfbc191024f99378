"""`/graphql` websockets skip the HTTP stack: the GraphQL app gets them first-hand, for the socket's
whole life, while every HTTP request and any other websocket path still goes through it."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import pytest

from graphql_api.app import LiveSocketsFirst

Scope = MutableMapping[str, Any]


class Recording:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        self.seen.append((scope["type"], scope.get("path")))


async def _nothing() -> MutableMapping[str, Any]:
    return {}


async def _ignore(_: MutableMapping[str, Any]) -> None:
    return None


def _route(scopes: list[Scope]) -> tuple[Recording, Recording]:
    graphql, http = Recording(), Recording()
    door = LiveSocketsFirst(graphql, http)
    for scope in scopes:
        asyncio.run(door(scope, _nothing, _ignore))
    return graphql, http


@pytest.mark.parametrize("kind", ["http", "websocket"])
def test_only_graphql_websockets_skip_the_http_stack(kind: str) -> None:
    graphql, http = _route([{"type": kind, "path": "/graphql"}])
    if kind == "websocket":
        assert graphql.seen == [("websocket", "/graphql")]
        assert http.seen == []
    else:
        assert graphql.seen == []
        assert http.seen == [("http", "/graphql")]


def test_other_paths_and_lifespan_reach_the_http_stack() -> None:
    scopes: list[Scope] = [
        {"type": "websocket", "path": "/graphql/"},
        {"type": "websocket", "path": "/other"},
        {"type": "lifespan"},  # no path at all
    ]
    graphql, http = _route(scopes)
    assert graphql.seen == []
    assert http.seen == [(s["type"], s.get("path")) for s in scopes]
