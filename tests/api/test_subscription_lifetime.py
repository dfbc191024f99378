"""A subscription is the broadcaster's (and counted in /metrics) exactly as long as its operation:
completing it, closing its socket, or a socket that drops mid-subscription all let it go."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect

from tests.api.client import PATIENCE, Api
from tests.api.conftest import Running
from tests.api.documents import STORE_EVENTS
from tests.api.test_direct_push import init, joined

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _counted(running: Running) -> tuple[int, float]:
    gauge = running.services.metrics.registry.get_sample_value("storeplane_api_subscriptions")
    assert gauge is not None
    return running.services.broadcaster.subscriber_count, gauge


async def _back_to(running: Running, expected: tuple[int, float]) -> None:
    for _ in range(int(PATIENCE / 0.05)):
        if _counted(running) == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"still {_counted(running)}, expected {expected}")


@pytest.mark.parametrize("ending", ["complete", "close", "drop"])
async def test_a_subscription_is_let_go_when_its_operation_ends(
    running: Running, api: Api, token: str, ending: str
) -> None:
    before = _counted(running)
    ws = await connect(api.ws_url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    try:
        await init(ws, token)
        await ws.send(json.dumps({"id": "a", "type": "subscribe", "payload": {"query": STORE_EVENTS}}))
        await joined(running, before[0] + 1, pushing=True)
        assert _counted(running) == (before[0] + 1, before[1] + 1)
        if ending == "complete":
            await ws.send(json.dumps({"id": "a", "type": "complete"}))
        elif ending == "close":
            await ws.close()
        else:
            ws.transport.abort()  # no close handshake: the connection is just gone
        await _back_to(running, before)
    finally:
        await ws.close()
