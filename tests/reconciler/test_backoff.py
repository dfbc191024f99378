"""Retry policy as a table: after a failure, when to retry, or whether to fail for good."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from reconciler.backoff import GiveUpFor, RetryAt, after_failure, retry_delay
from reconciler.settings import RetryPolicy

NOW = datetime(2025, 1, 1, tzinfo=UTC)
POLICY = RetryPolicy(base=timedelta(seconds=2), cap=timedelta(seconds=30), max_attempts=4)


@dataclass(frozen=True)
class Case:
    name: str
    attempts_so_far: int
    permanent: bool
    jitter: float
    expected: RetryAt | GiveUpFor


CASES = [
    Case("first temporary failure, no jitter: half the base", 0, False, 0.0,
         RetryAt(NOW + timedelta(seconds=1))),
    Case("first temporary failure, full jitter: the base", 0, False, 0.999999,
         RetryAt(NOW + timedelta(seconds=1.999999))),
    Case("third failure doubles twice", 2, False, 0.0, RetryAt(NOW + timedelta(seconds=4))),
    Case("the last allowed attempt fails: retryable FAILED", 3, False, 0.0, GiveUpFor(retryable=True)),
    Case("permanent failure: FAILED at once, not retryable", 0, True, 0.5, GiveUpFor(retryable=False)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_after_failure(case: Case) -> None:
    outcome = after_failure(
        attempts_so_far=case.attempts_so_far, permanent=case.permanent, now=NOW, policy=POLICY,
        jitter=case.jitter,
    )
    assert outcome == case.expected


@pytest.mark.parametrize("attempt", [1, 2, 5, 10, 60])
def test_delay_stays_within_half_and_whole_of_the_capped_step(attempt: int) -> None:
    step = min(POLICY.cap, POLICY.base * 2 ** min(attempt - 1, 10))
    assert step / 2 <= retry_delay(attempt, POLICY, 0.0) <= retry_delay(attempt, POLICY, 0.99) <= step
