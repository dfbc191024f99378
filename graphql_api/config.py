"""The API's limits and switches, in one frozen value built from the environment.

Read by the app factory, the limits (quota, rate, page size, depth, body size) and the broadcaster.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class ApiConfig:
    dev: bool = False
    max_live_stores: int = 10
    mutation_rate_per_second: float = 5.0
    mutation_burst: int = 20
    max_page_size: int = 100
    default_page_size: int = 20
    max_query_depth: int = 8
    max_aliases: int = 30
    max_body_bytes: int = 64 * 1024
    # Batches a subscriber may fall behind before it is dropped; a batch is one NOTIFY's worth of
    # events, so a burst of many events never drops a subscriber that keeps up between bursts.
    subscriber_queue_batches: int = 64
    # The broadcaster reads the feed this often even without a NOTIFY: a safety net, not the path.
    live_poll_seconds: float = 5.0
    service_threads: int = 16

    @classmethod
    def from_env(cls, *, dev: bool | None = None) -> ApiConfig:
        return cls(
            dev=_flag("STOREPLANE_DEV") if dev is None else dev,
            max_live_stores=_int("STOREPLANE_MAX_LIVE_STORES", cls.max_live_stores),
            mutation_rate_per_second=_float("STOREPLANE_MUTATION_RATE", cls.mutation_rate_per_second),
            mutation_burst=_int("STOREPLANE_MUTATION_BURST", cls.mutation_burst),
            max_page_size=_int("STOREPLANE_MAX_PAGE_SIZE", cls.max_page_size),
            max_query_depth=_int("STOREPLANE_MAX_QUERY_DEPTH", cls.max_query_depth),
            max_body_bytes=_int("STOREPLANE_MAX_BODY_BYTES", cls.max_body_bytes),
            subscriber_queue_batches=_int("STOREPLANE_SUBSCRIBER_QUEUE", cls.subscriber_queue_batches),
        )
