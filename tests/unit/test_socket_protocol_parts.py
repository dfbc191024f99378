"""The lean parts of the API's websocket protocol (graphql_api.live.socket_protocol): the inbox hands
messages over in order, each waiting reader is woken by a put, and a reader that gives up leaves
nothing behind; the flag holds its waiters until set, and a cleared flag blocks them again."""

from __future__ import annotations

import asyncio

import pytest

from graphql_api.live.socket_protocol import Flag, Inbox

pytestmark = pytest.mark.asyncio


async def test_the_inbox_hands_messages_over_in_order() -> None:
    inbox: Inbox[int] = Inbox()
    for item in (1, 2, 3):
        inbox.put_nowait(item)
    assert inbox.qsize() == 3
    assert [await inbox.get() for _ in range(3)] == [1, 2, 3]
    assert inbox.empty()


async def test_a_waiting_reader_gets_the_next_put() -> None:
    inbox: Inbox[str] = Inbox()
    reader = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    assert not reader.done()
    inbox.put_nowait("hello")
    assert await asyncio.wait_for(reader, 1) == "hello"


async def test_two_readers_get_one_message_each() -> None:
    inbox: Inbox[int] = Inbox()
    readers = [asyncio.create_task(inbox.get()) for _ in range(2)]
    await asyncio.sleep(0)
    inbox.put_nowait(1)
    inbox.put_nowait(2)
    assert sorted(await asyncio.wait_for(asyncio.gather(*readers), 1)) == [1, 2]


async def test_a_reader_that_gives_up_leaves_no_waiter_and_loses_no_message() -> None:
    inbox: Inbox[int] = Inbox()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(inbox.get(), 0.01)
    assert inbox._waiters == []
    inbox.put_nowait(7)
    assert await inbox.get() == 7


async def test_the_flag_releases_its_waiters_when_set_and_holds_them_when_cleared() -> None:
    flag = Flag(is_set=True)
    assert await asyncio.wait_for(flag.wait(), 1)
    flag.clear()
    waiter = asyncio.create_task(flag.wait())
    await asyncio.sleep(0.01)
    assert not waiter.done()
    flag.set()
    assert await asyncio.wait_for(waiter, 1)
    assert flag._waiters == []
