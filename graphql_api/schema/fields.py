"""Typed decorators for described fields: `strawberry.field(description=…)` is typed as returning Any,
which mypy --strict refuses as a decorator; passing the resolver positionally keeps the types."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.types.field import StrawberryField

Resolver = Callable[..., Any]


def field(description: str) -> Callable[[Resolver], StrawberryField]:
    return lambda resolver: strawberry.field(resolver, description=description)


def mutation(description: str) -> Callable[[Resolver], StrawberryField]:
    return lambda resolver: strawberry.mutation(resolver, description=description)


def subscription(description: str) -> Callable[[Resolver], StrawberryField]:
    return lambda resolver: strawberry.subscription(resolver, description=description)
