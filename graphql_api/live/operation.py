"""Which websocket operation a subscription resolver serves: its protocol, its id, whether it ended.

Fed by the websocket protocol handlers below (strawberry's, which `graphql_api.app` plugs in): each
runs an operation in a task of its own, so naming the operation in a context variable just before
that task is created makes it visible to that operation's resolver, and to no other. Read by
`graphql_api.live.push`, which writes the operation's `next` (or, for graphql-ws, `data`) messages
itself and must stop the moment the client completes (stops) the operation.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import StartMessage


@dataclass
class LiveOperation:
    """One subscription on one socket, as its protocol names it."""

    id: str
    kind: str  # the message type that carries a result: "next" (graphql-transport-ws), "data" (graphql-ws)
    ended: bool = False

    def message(self, payload_json: str) -> str:
        """The protocol message carrying a result payload (already JSON), as strawberry writes it."""
        return f'{{"id":{json.dumps(self.id)},"type":"{self.kind}","payload":{payload_json}}}'


CURRENT_OPERATION: ContextVar[LiveOperation | None] = ContextVar("live_operation", default=None)


class TransportWSHandler(BaseGraphQLTransportWSHandler[Any, None]):
    """graphql-transport-ws, naming each operation for its resolver and ending it on `complete`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.live: dict[str, LiveOperation] = {}

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        operation = LiveOperation(str(message["id"]), "next")
        token = CURRENT_OPERATION.set(operation)
        try:
            await super().handle_subscribe(message)  # creates the operation's task in this context
        finally:
            CURRENT_OPERATION.reset(token)
        if message["id"] in self.operations:
            self.live[message["id"]] = operation

    async def cleanup_operation(self, operation_id: str) -> None:
        live = self.live.pop(operation_id, None)
        if live is not None:
            live.ended = True  # before the task is cancelled: no push may follow the client's complete
        await super().cleanup_operation(operation_id)


class WSHandler(BaseGraphQLWSHandler[Any, None]):
    """The legacy graphql-ws, naming each operation for its resolver and ending it on `stop`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.live: dict[str, LiveOperation] = {}

    async def handle_start(self, message: StartMessage) -> None:
        operation = LiveOperation(str(message["id"]), "data")
        token = CURRENT_OPERATION.set(operation)
        try:
            await super().handle_start(message)
        finally:
            CURRENT_OPERATION.reset(token)
        if message["id"] in self.tasks:
            self.live[message["id"]] = operation

    async def cleanup_operation(self, operation_id: str) -> None:
        live = self.live.pop(operation_id, None)
        if live is not None:
            live.ended = True
        await super().cleanup_operation(operation_id)
