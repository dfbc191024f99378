"""One execution and one serialisation per pushed event and kind of subscriber, not one per subscriber.

Fed by the strawberry schema (`SharedEventExecutor` executes each subscription event) and read by the
websocket adapter of `graphql_api.app` (`encoded_payload`). Subscribers that share the operation
document, its variables and what their caller may see (`visibility`), and receive the same event
object from the broadcaster (see `Batch.shared`), get the same result object; its JSON is then
written once and the same text goes to each of their sockets. Without this, 1,000 subscribers cost
1,000 GraphQL executions and 1,000 JSON encodings per event.
"""

from __future__ import annotations

import json
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from contextvars import ContextVar
from typing import Any, ClassVar, cast

from graphql import (
    ExecutionResult,
    FieldNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLResolveInfo,
    OperationType,
    print_ast,
)
from graphql.execution import Executor
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

Visibility = Callable[[Any], Hashable]


class SharedResults:
    """The results of the latest events (bounded), and the JSON of their payloads."""

    def __init__(self, *, size: int = 512) -> None:
        self.size = size
        # Keyed by id() of the payload / data, holding the object itself so an id is never reused
        # while its entry lives.
        self._results: OrderedDict[tuple[Hashable, int], tuple[object, ExecutionResult]] = OrderedDict()
        self._encoded: OrderedDict[int, tuple[object, str | None]] = OrderedDict()
        # One executor per share key for the subscriptions pushed directly (graphql_api.live.push):
        # each result is executed once per key anyway, so the others' executors were held, one
        # per socket (about 3 KiB each), only to go unused. Weak: it lives while one of them does.
        self._executors: weakref.WeakValueDictionary[Hashable, SharedEventExecutor] = (
            weakref.WeakValueDictionary()
        )

    def pushing_executor(self, key: Hashable) -> SharedEventExecutor | None:
        """The executor subscriptions of `key` push with, if one of them is live."""
        return self._executors.get(key)

    def push_with(self, executor: SharedEventExecutor) -> SharedEventExecutor:
        """`executor`, or the one subscriptions of its share key already push with."""
        return self._executors.setdefault(executor.share_key(), executor)

    def result(self, key: Hashable, payload: object) -> ExecutionResult | None:
        hit = self._results.get((key, id(payload)))
        return hit[1] if hit is not None and hit[0] is payload else None

    def remember(self, key: Hashable, payload: object, result: ExecutionResult) -> None:
        self._results[(key, id(payload))] = (payload, result)
        if len(self._results) > self.size:
            self._results.popitem(last=False)
        if result.data is not None and not result.errors:
            self._encoded[id(result.data)] = (result.data, None)
            if len(self._encoded) > self.size:
                self._encoded.popitem(last=False)

    def encoded_payload(self, payload: object) -> str | None:
        """The JSON of a `{"data": …}` payload whose data is a shared result's, written once; else None."""
        if not isinstance(payload, dict) or len(payload) != 1 or "data" not in payload:
            return None
        data = payload["data"]
        hit = self._encoded.get(id(data))
        if hit is None or hit[0] is not data:
            return None
        if hit[1] is None:
            hit = (data, encode_json(payload))
            self._encoded[id(data)] = hit
        return hit[1]

    def encode_message(self, message: Mapping[str, object]) -> str:
        """A protocol message as JSON text, reusing the shared payload's JSON when there is one."""
        shared = self.encoded_payload(message.get("payload"))
        if shared is None:
            return encode_json(message)
        head = encode_json({k: v for k, v in message.items() if k != "payload"})
        return f'{head[:-1]},"payload":{shared}}}'


def encode_json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))  # as strawberry's own encoder writes it


class _Replay:
    """Stands in for a per-event executor whose result another subscriber's execution produced."""

    __slots__ = ("result",)

    def __init__(self, result: ExecutionResult) -> None:
        self.result = result

    def execute_operation(self, serially: bool | None = None) -> ExecutionResult:
        return self.result


class SharedEventExecutor(StrawberryGraphQLCoreExecutionContext):
    """Executes a subscription event once per (document, variables, visibility) and replays it."""

    shared: ClassVar[SharedResults]
    visibility: ClassVar[Visibility]
    _share_key: Hashable | None = None
    _remember_as: tuple[Hashable, object] | None = None
    _per_event = False

    def build_resolve_info(
        self, field_def: GraphQLField, field_nodes: list[FieldNode], parent_type: GraphQLObjectType,
        path: Path,
    ) -> GraphQLResolveInfo[Any]:
        subscribing = self.operation.operation == OperationType.SUBSCRIPTION
        if subscribing and not self._per_event and path.prev is None:
            # The subscription's own field, resolved once when it starts, in its operation's task:
            # its resolver may push results itself (graphql_api.live.push) with this executor.
            SUBSCRIPTION_EXECUTOR.set(self)
        return super().build_resolve_info(field_def, field_nodes, parent_type, path)

    def share_key(self) -> Hashable:
        """What two subscribers must share to receive the same result for the same event."""
        return self._key()

    @classmethod
    def sharing(cls, shared: SharedResults, visibility: Visibility) -> type[SharedEventExecutor]:
        """This class bound to a cache and to what makes two callers see the same thing."""
        return type("BoundSharedEventExecutor", (cls,), {"shared": shared, "visibility": visibility})

    def build_per_event_executor(self, payload: Any) -> Executor[Any]:
        key = self._key()
        result = self.shared.result(key, payload)
        if result is not None:
            # graphql-core only calls execute_operation on what this returns.
            return cast("Executor[Any]", _Replay(result))
        executor = cast(SharedEventExecutor, super().build_per_event_executor(payload))
        executor._remember_as = (key, payload)
        executor._per_event = True
        return executor

    def execute_operation(self, serially: bool | None = None) -> Any:
        result = super().execute_operation(serially)
        if self._remember_as is not None and isinstance(result, ExecutionResult):
            # An awaitable result (an async field) is not shared: each subscriber awaits its own.
            self.shared.remember(*self._remember_as, result)
        return result

    def _key(self) -> Hashable:
        if self._share_key is None:
            fragments = sorted(print_ast(f) for f in self.fragment_definitions.values())
            variables = json.dumps(self.variable_values.coerced, sort_keys=True, default=repr)
            self._share_key = (
                print_ast(self.operation), tuple(fragments), variables,
                type(self).visibility(self.context_value),
            )
        return self._share_key


SUBSCRIPTION_EXECUTOR: ContextVar[SharedEventExecutor | None] = ContextVar(
    "subscription_executor", default=None
)
