"""The process's one re-check of websocket tokens (graphql_api.sessions.Sessions.recheck): each
token with sockets is checked once a round, however many sockets it has; the sockets of a token
found bad are closed 4403, the others stay; a socket gone is no longer checked."""

from __future__ import annotations

import asyncio

import pytest

from graphql_api.sessions import CLOSE_FORBIDDEN, Sessions

pytestmark = pytest.mark.asyncio


class Sockets:
    def __init__(self) -> None:
        self.closed: list[tuple[str, int, str]] = []

    def closer(self, name: str):  # type: ignore[no-untyped-def]
        async def close(code: int, reason: str) -> None:
            self.closed.append((name, code, reason))

        return close


async def rounds(sessions: Sessions, checks: list[str], count: int, bad: set[str]) -> None:
    """Runs `recheck` until it has made `count` checks (a guard against hangs, not timing)."""
    stop = asyncio.Event()

    async def check(token: str) -> bool:
        checks.append(token)
        if len(checks) >= count:
            stop.set()
        return token not in bad

    await asyncio.wait_for(sessions.recheck(check, every=0.01, stop=stop), 5)
    await asyncio.sleep(0)  # the closes run in tasks of their own


async def test_each_token_is_checked_once_a_round_and_a_bad_ones_sockets_are_closed() -> None:
    sessions, sockets, checks = Sessions(per_token=10, per_address=10), Sockets(), []
    for n in range(3):
        assert sessions.join_token("good", n, sockets.closer(f"good-{n}"), "tok_good_s")
    for n in range(3, 5):
        assert sessions.join_token("bad", n, sockets.closer(f"bad-{n}"), "tok_bad_s")
    await rounds(sessions, checks, 2, bad={"tok_bad_s"})
    assert sorted(checks) == ["tok_bad_s", "tok_good_s"]  # once per token, not per socket
    assert sorted(sockets.closed) == [
        ("bad-3", CLOSE_FORBIDDEN, "the token is expired or revoked"),
        ("bad-4", CLOSE_FORBIDDEN, "the token is expired or revoked"),
    ]
    assert sessions.sockets_of("bad") == 0
    assert sessions.sockets_of("good") == 3


async def test_a_token_whose_sockets_have_all_left_is_not_checked_again() -> None:
    sessions, sockets, checks = Sessions(per_token=10, per_address=10), Sockets(), []
    sessions.join_token("gone", 1, sockets.closer("gone"), "tok_gone_s")
    sessions.join_token("here", 2, sockets.closer("here"), "tok_here_s")
    sessions.leave_token("gone", 1)
    await rounds(sessions, checks, 2, bad={"tok_gone_s"})
    assert checks == ["tok_here_s", "tok_here_s"]
    assert sockets.closed == []


async def test_a_revoked_token_is_not_checked_again() -> None:
    sessions, sockets, checks = Sessions(per_token=10, per_address=10), Sockets(), []
    sessions.join_token("revoked", 1, sockets.closer("r"), "tok_revoked_s")
    sessions.join_token("other", 2, sockets.closer("o"), "tok_other_s")
    sessions.revoked("revoked")
    await rounds(sessions, checks, 1, bad=set())
    assert checks == ["tok_other_s"]
    assert sockets.closed == [("r", CLOSE_FORBIDDEN, "token revoked")]
