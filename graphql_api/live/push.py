"""Live results written by the broadcaster straight to each subscriber's socket, in one loop.

Fed by a subscription resolver (`graphql_api.schema.subscriptions`), which, once its catch-up is
sent, hands its `Subscription` a `DirectPush`: its socket (`direct_socket`), its operation's id
(`operation`), strawberry's executor of its document (`shared_results`) and a `Feed`, what it would
yield for a batch. The broadcaster's `offer` then calls `deliver` for each batch, so a live event
costs, per socket, a frame lookup and a transport write, instead of a task wake-up, a GraphQL
stream step, the protocol handler and three layers of `send`.

Each result is executed and written to JSON once per (document, variables, caller's visibility)
and event, and each frame is built once per operation id too (clients number their operations
alike), all memoised on the batch, which every subscriber it reaches shares.

What stays strawberry's: subscribe, validation, the catch-up, the first result, errors, `complete`.
Once this path has a graphql-transport-ws subscription, its operation is parked
(`graphql_api.live.operation`): strawberry's stream for it ends, and the operation lives on in its
handler until the client completes it or the socket closes. A document that selects a field
resolved by awaiting (one read from the database) is not pushed here at all; a result that still
turns out to need awaiting is handed back (`Outcome.STRAWBERRY`): the subscription then queues
that batch and every later one for its resolver, which yields them the ordinary way, in order, or,
when the operation is parked and its resolver has returned, drops the subscriber (closed 4008
with the way to resume, as a slow one is).
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Sequence
from typing import Protocol, cast

from graphql import ExecutionResult, FieldNode, TypeInfo, TypeInfoVisitor, Visitor, visit
from graphql.language import DocumentNode
from starlette.websockets import WebSocket

from graphql_api.extensions import recode
from graphql_api.live.direct_socket import DirectSocket, text_frame
from graphql_api.live.operation import CURRENT_OPERATION, LiveOperation
from graphql_api.live.shared_results import SUBSCRIPTION_EXECUTOR, SharedEventExecutor, encode_json
from graphql_api.live.subscription import Batch, Outcome
from graphql_api.metrics import ApiMetrics


class Feed(Protocol):
    """What one subscriber is sent from a batch: `select` is pure, `sent` moves its cursor on, and
    `position` is what `select` depends on besides the batch (subscribers alike share frames)."""

    def select(self, batch: Batch) -> Sequence[object]: ...

    def position(self, batch: Batch) -> Hashable: ...

    def sent(self, batch: Batch) -> None: ...


class DirectPush:
    """One subscription's live results, written to its socket without leaving the broadcaster's loop."""

    __slots__ = ("_key", "executor", "feed", "max_behind", "metrics", "operation", "socket")

    def __init__(
        self, socket: DirectSocket, operation: LiveOperation, executor: SharedEventExecutor,
        feed: Feed, *, metrics: ApiMetrics, max_behind: int,
    ) -> None:
        self.socket = socket
        self.operation = operation
        self.executor = executor
        self.feed = feed
        self.metrics = metrics
        self.max_behind = max_behind
        self._key: Hashable = executor.share_key()

    def deliver(self, batch: Batch) -> Outcome:
        """Writes this subscriber's results of `batch` (already filtered to its topic)."""
        # Subscribers of one topic, document, operation id and cursor get the same bytes: built
        # for the first, then one dictionary look-up each (the rest of the cost is the write).
        key = ("frames", id(batch.events), self._key, self.operation.kind, self.operation.id,
               self.feed.position(batch))
        hit = batch.memo.get(key)
        if hit is None or cast(tuple[object, object], hit)[0] is not batch.events:
            hit = batch.memo[key] = (batch.events, self._frames(batch))
        frames = cast(tuple[object, bytes | None], hit)[1]
        if frames is None:
            return Outcome.STRAWBERRY
        if not frames or self.operation.ended:  # nothing new; or the client completed it
            return Outcome.SENT
        if not self.socket.write(frames):
            return Outcome.SENT  # closed: the handler ends the operation when it notices
        self.feed.sent(batch)
        return Outcome.BEHIND if self.socket.behind > self.max_behind else Outcome.SENT

    def _frames(self, batch: Batch) -> bytes | None:
        """This subscriber's frames of `batch`, joined (one write); None if a result needs awaiting."""
        frames = []
        for value in self.feed.select(batch):
            payload = batch.shared(("payload", self._key, id(value)),
                                   functools.partial(self._payload, value))
            if payload is None:
                return None
            frames.append(text_frame(self.operation.message(payload)))
        return b"".join(frames)

    def _payload(self, value: object) -> str | None:
        """The result's payload as JSON, as strawberry would send it; None if it must be awaited."""
        result = self.executor.build_per_event_executor(value).execute_operation(False)
        if not isinstance(result, ExecutionResult):
            close = getattr(result, "close", None)
            if close is not None:
                close()  # a coroutine nobody will await; the resolver's own path computes it again
            return None
        recode(result, self.metrics)
        payload: dict[str, object] = {"data": result.data}
        if result.errors:
            payload["errors"] = [error.formatted for error in result.errors]
        if result.extensions:
            payload["extensions"] = result.extensions
        return encode_json(payload)


class _AwaitedFields(Visitor):
    """Finds whether a document selects a field whose strawberry resolver is a coroutine."""

    def __init__(self, type_info: TypeInfo, subscription_type: object) -> None:
        super().__init__()
        self.type_info = type_info
        self.subscription_type = subscription_type
        self.found = False

    def enter_field(self, node: FieldNode, *_: object) -> None:
        if self.type_info.get_parent_type() is self.subscription_type:
            return  # the subscription's own field: its (async) resolver is the source, not a result
        field = self.type_info.get_field_def()
        definition = field.extensions.get("strawberry-definition") if field is not None else None
        self.found = self.found or bool(getattr(definition, "is_async", False))


def selects_awaited_fields(executor: SharedEventExecutor) -> bool:
    """Whether executing the document may await (then it cannot be pushed from a plain loop)."""
    fragments = (details.definition for details in executor.fragments.values())
    document = DocumentNode(definitions=(executor.operation, *fragments))
    type_info = TypeInfo(executor.schema)
    finder = _AwaitedFields(type_info, executor.schema.subscription_type)
    visit(document, TypeInfoVisitor(type_info, finder))
    return finder.found


def direct_push(
    request: object, feed: Feed, *, metrics: ApiMetrics, max_behind: int
) -> DirectPush | None:
    """The direct path for the subscription resolved in this task, or None when there is none
    (not a websocket of the server this understands, or an operation not started by our handlers)."""
    operation = CURRENT_OPERATION.get()
    executor = SUBSCRIPTION_EXECUTOR.get()
    if operation is None or executor is None or not isinstance(request, WebSocket):
        return None
    socket = DirectSocket.of(request)
    if socket is None:
        return None
    # The operation's task, which keeps its context, outlives this call once the operation is
    # parked: the subscription's own executor must not stay reachable from it.
    SUBSCRIPTION_EXECUTOR.set(None)
    alike = executor.shared.pushing_executor(executor.share_key())
    if alike is None:
        if selects_awaited_fields(executor):
            return None
        alike = executor.shared.push_with(executor)
    return DirectPush(socket, operation, alike, feed, metrics=metrics, max_behind=max_behind)
