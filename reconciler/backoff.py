"""After a failure: retry later (exponential backoff with jitter) or fail for good. Pure.

Fed by the worker with the store's recorded attempt count (retry state lives in the events, not in
sleeps); feeds it the event to record: AttemptFailed with `retry_at`, or ProvisioningFailed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from reconciler.settings import RetryPolicy


@dataclass(frozen=True)
class RetryAt:
    when: datetime


@dataclass(frozen=True)
class GiveUpFor:
    """Fail the store; `retryable` tells the user whether retrying as is may help."""

    retryable: bool


def retry_delay(attempt: int, policy: RetryPolicy, jitter: float) -> timedelta:
    """Delay before retry number `attempt` (1-based): half the exponential step plus up to half
    again at random (`jitter` in [0, 1)), so stores that failed together do not retry together."""
    exponent = min(max(attempt - 1, 0), 30)  # beyond this the cap always wins; avoids overflow
    ceiling: timedelta = min(policy.cap, policy.base * (2**exponent))
    return ceiling / 2 + (ceiling / 2) * jitter


def after_failure(
    *, attempts_so_far: int, permanent: bool, now: datetime, policy: RetryPolicy, jitter: float
) -> RetryAt | GiveUpFor:
    if permanent:
        return GiveUpFor(retryable=False)
    attempt = attempts_so_far + 1
    if attempt >= policy.max_attempts:
        return GiveUpFor(retryable=True)
    return RetryAt(now + retry_delay(attempt, policy, jitter))
