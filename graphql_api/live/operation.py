"""Which websocket operation a subscription resolver serves: its protocol, its id, whether it ended.

Fed by the websocket protocol handlers below (strawberry's, which `graphql_api.app` plugs in): each
runs an operation in a task of its own, so naming the operation in a context variable just before
that task is created makes it visible to that operation's resolver, and to no other. Read by
`graphql_api.live.push`, which writes the operation's `next` (or, for graphql-ws, `data`) messages
itself and must stop the moment the client completes (stops) the operation.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message, SubscribeMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import StartMessage


@dataclass
class LiveOperation:
    """One subscription on one socket, as its protocol names it."""

    id: str
    kind: str  # the message type that carries a result: "next" (graphql-transport-ws), "data" (graphql-ws)
    ended: bool = False
    parkable: bool = False
    """Whether its handler can keep it open once its resolver has returned (`park`)."""
    _release: Callable[[], None] | None = field(default=None, repr=False)

    @property
    def parked(self) -> bool:
        return self._release is not None

    def park(self, release: Callable[[], None]) -> bool:
        """Keeps the operation open after its resolver returns; `release` is called once when it
        ends (the client completes it, or the socket closes). False: it cannot be parked."""
        if not self.parkable or self.ended or self._release is not None:
            return False
        self._release = release
        return True

    def end(self) -> None:
        """The client completed the operation or its socket closed: no push may follow."""
        self.ended = True
        release, self._release = self._release, None
        if release is not None:
            release()

    def message(self, payload_json: str) -> str:
        """The protocol message carrying a result payload (already JSON), as strawberry writes it."""
        return f'{{"id":{json.dumps(self.id)},"type":"{self.kind}","payload":{payload_json}}}'


CURRENT_OPERATION: ContextVar[LiveOperation | None] = ContextVar("live_operation", default=None)


class TransportWSHandler(BaseGraphQLTransportWSHandler[Any, None]):
    """graphql-transport-ws, naming each operation for its resolver and ending it on `complete`.

    Its operations can be parked: a subscription whose results the broadcaster writes to the
    socket itself (`graphql_api.live.push`) needs no GraphQL stream any more, yet strawberry's
    stream (the operation's task, graphql-core's execution of the subscription, every schema
    extension's open hooks, the resolver's generator) would stay suspended for the socket's whole
    life: about 10 KiB per idle subscription (`bench.idle_memory`). A parked operation's resolver
    returns; strawberry's `complete` for it is not sent and its id stays registered, so the client
    still owns it: its `complete`, a duplicate `subscribe` (4409) and the socket's close end it as
    they would have, and `LiveOperation.end` then lets its subscription go."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.live: dict[str, LiveOperation] = {}

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        operation = LiveOperation(str(message["id"]), "next", parkable=True)
        token = CURRENT_OPERATION.set(operation)
        try:
            await super().handle_subscribe(message)  # creates the operation's task in this context
        finally:
            CURRENT_OPERATION.reset(token)
        if message["id"] in self.operations:
            self.live[message["id"]] = operation

    def on_request_accepted(self) -> None:
        """Starts no timer task of strawberry's for `connection_init`: the door's timer
        (`graphql_api.app`, one `call_later` per socket, for both protocols) already closes a
        socket that has not initialised in time (4408). Strawberry's task per socket duplicated it
        and, once cancelled by the `connection_init`, kept its traceback, and with it the frames of
        its sleep, for the socket's whole life (about 1 KiB, `bench.idle_memory`)."""

    def _parked(self, operation_id: object) -> bool:
        live = self.live.get(str(operation_id))
        return live is not None and live.parked

    def forget_id(self, id: str) -> None:
        if not self._parked(id):  # strawberry forgets an operation as its stream ends
            super().forget_id(id)

    async def send_message(self, message: Message) -> None:
        if message.get("type") == "complete" and self._parked(message.get("id")):
            return  # the stream ended because it was parked: the operation goes on
        await super().send_message(message)

    async def cleanup_operation(self, operation_id: str) -> None:
        live = self.live.pop(operation_id, None)
        if live is not None:
            live.end()  # before the task is cancelled: no push may follow the client's complete
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
            live.end()
        await super().cleanup_operation(operation_id)
