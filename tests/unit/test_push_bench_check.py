"""The push benchmark's exactly-once check (`bench.api_push_latency.check_exactly_once`): it is
what says no push was lost or duplicated at 10,000 subscribers, so it must see each way of failing."""

from __future__ import annotations

import json

import pytest

from bench.api_push_latency import check_exactly_once


def _next(version: int) -> tuple[float, str]:
    payload = {"data": {"storeEvents": {"version": version}}}
    return (0.0, json.dumps({"id": "1", "type": "next", "payload": payload}))


PING = (0.0, json.dumps({"type": "ping"}))


@pytest.mark.parametrize(
    ("frames", "problem"),
    [
        pytest.param([_next(3), PING, _next(4), _next(5)], None, id="every event once, pings aside"),
        pytest.param([_next(3), _next(5)], "1 sockets: lost", id="a gap"),
        pytest.param([_next(3), _next(4), _next(4), _next(5)], "1 sockets: duplicated", id="a repeat"),
        pytest.param([_next(4), _next(3), _next(5)], "1 sockets: out of order", id="a swap"),
        pytest.param([_next(2), _next(3), _next(4)], "1 sockets: other", id="an older event, one missing"),
        pytest.param(
            [_next(3), _next(4), _next(5), (0.0, '{"id":"1","type":"complete"}')],
            '1 sockets: unexpected message {"id":"1","type":"complete"}', id="a complete",
        ),
    ],
)
def test_each_socket_must_get_every_event_once_in_order(
    frames: list[tuple[float, str]], problem: str | None
) -> None:
    good = [_next(3), _next(4), _next(5)]
    found = check_exactly_once([good, frames], [3, 4, 5])
    assert found == ([] if problem is None else [problem])
