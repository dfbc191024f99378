"""One subscriber's bounded backlog (graphql_api.live.subscription): batches in the order offered,
a waiting reader woken by the next one, the subscriber dropped (with the notice as the only thing
left to read) once more than `max_batches` wait, and a pusher taking over only when nothing waits."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from graphql_api.live.subscription import Batch, Outcome, SubscriberDropped, Subscription, Topic
from projections.event_feed import FeedRow

pytestmark = pytest.mark.asyncio
TOPIC = Topic("acme")


def batch(sequence: int) -> Batch:
    row = FeedRow(sequence=sequence, store_id=uuid.UUID(int=1), tenant="acme", version=sequence,
                  type="ProgressNoted", occurred_at=datetime.now(UTC), actor="a", correlation_id="c",
                  data="{}")
    return Batch((row,))


def sequences(batches: list[Batch]) -> list[int]:
    return [b.events[0].sequence for b in batches]


async def read(subscription: Subscription, count: int) -> list[Batch]:
    reader = subscription.batches()
    return [await asyncio.wait_for(anext(reader), 5) for _ in range(count)]


async def test_batches_come_in_the_order_offered() -> None:
    subscription = Subscription(TOPIC, max_batches=4, start=0)
    for sequence in (1, 2, 3):
        assert subscription.offer(batch(sequence))
    assert sequences(await read(subscription, 3)) == [1, 2, 3]


async def test_a_waiting_reader_is_woken_by_the_next_batch() -> None:
    subscription = Subscription(TOPIC, max_batches=4, start=0)
    reading = asyncio.create_task(read(subscription, 2))
    await asyncio.sleep(0)  # the reader now waits on an empty backlog
    subscription.offer(batch(7))
    await asyncio.sleep(0)
    subscription.offer(batch(8))
    assert sequences(await reading) == [7, 8]


async def test_one_batch_too_many_drops_the_subscriber_and_frees_its_backlog() -> None:
    reasons: list[str] = []
    subscription = Subscription(TOPIC, max_batches=2, start=0, on_drop=reasons.append)
    assert subscription.offer(batch(1))
    assert subscription.offer(batch(2))
    assert not subscription.offer(batch(3))
    assert not subscription.offer(batch(4))  # dropped for good
    assert subscription.dropped is not None
    assert len(reasons) == 1
    with pytest.raises(SubscriberDropped, match="more than 2 batches behind"):
        await read(subscription, 1)  # the notice comes first: the backlog was freed


class _Recorder:
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.delivered: list[int] = []

    def deliver(self, batch: Batch) -> Outcome:
        self.delivered.append(batch.events[0].sequence)
        return self.outcome


async def test_a_pusher_takes_over_only_once_the_backlog_is_read() -> None:
    subscription = Subscription(TOPIC, max_batches=4, start=0)
    subscription.offer(batch(1))
    pusher = _Recorder(Outcome.SENT)
    reader = subscription.batches(pusher)
    assert sequences([await asyncio.wait_for(anext(reader), 5)]) == [1]
    waiting = asyncio.create_task(anext(reader))
    await asyncio.sleep(0)
    assert subscription.pushing
    subscription.offer(batch(2))
    assert pusher.delivered == [2]
    waiting.cancel()


async def test_a_batch_the_pusher_hands_back_goes_to_the_reader_and_so_do_the_rest() -> None:
    subscription = Subscription(TOPIC, max_batches=4, start=0)
    pusher = _Recorder(Outcome.STRAWBERRY)
    reader = subscription.batches(pusher)
    waiting = asyncio.create_task(anext(reader))
    await asyncio.sleep(0)
    subscription.offer(batch(5))
    subscription.offer(batch(6))
    assert sequences([await asyncio.wait_for(waiting, 5), await anext(reader)]) == [5, 6]
    assert pusher.delivered == [5]
    assert not subscription.pushing


async def test_a_parked_reader_stops_once_the_pusher_has_everything() -> None:
    subscription = Subscription(TOPIC, max_batches=4, start=0)
    subscription.offer(batch(1))
    subscription.on_park = lambda: True
    pusher = _Recorder(Outcome.SENT)
    read = [b async for b in subscription.batches(pusher)]  # ends: parked once the backlog is read
    assert sequences(read) == [1]
    assert subscription.offer(batch(2))
    assert pusher.delivered == [2]


async def test_a_reader_that_may_not_park_waits_as_before() -> None:
    subscription = Subscription(TOPIC, max_batches=4, start=0)
    subscription.on_park = lambda: False
    reader = subscription.batches(_Recorder(Outcome.SENT))
    waiting = asyncio.create_task(anext(reader))
    await asyncio.sleep(0.01)
    assert not waiting.done()
    assert subscription.pushing
    waiting.cancel()


async def test_a_batch_handed_back_to_a_parked_reader_drops_the_subscriber() -> None:
    reasons: list[str] = []
    subscription = Subscription(TOPIC, max_batches=4, start=0, on_drop=reasons.append)
    subscription.on_park = lambda: True
    assert [b async for b in subscription.batches(_Recorder(Outcome.STRAWBERRY))] == []
    assert not subscription.offer(batch(3))  # nobody would read it: the client is told instead
    assert subscription.dropped is not None
    assert len(reasons) == 1
    assert "resubscribe" in reasons[0]
