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
    # Checked on the raw text before parsing and before the token is looked up (admission.py).
    max_query_tokens: int = 2000
    max_query_nesting: int = 24
    # A GET may carry a query (never a mutation) of this many bytes of URL query string at most.
    max_get_query_bytes: int = 4096
    # The estimated fields an operation may resolve (cost.py), and each tenant's shared budget of
    # them: `query_budget` at once, refilled at `query_budget_rate` a second (ratelimit.py).
    max_query_cost: int = 10_000
    query_budget: int = 100_000
    query_budget_rate: float = 10_000.0
    # Production mode turns introspection off unless STOREPLANE_INTROSPECTION says otherwise; it
    # is only ever answered to authenticated callers.
    introspection: bool = True
    metrics_require_token: bool = False
    # Websockets: seconds to send connection_init, sockets at once per token and per address,
    # and how often a socket's token is checked again (besides the revocation NOTIFY).
    ws_init_timeout_seconds: float = 10.0
    max_sockets_per_token: int = 20
    max_sockets_per_address: int = 100
    token_cache_seconds: float = 5.0
    # Failed authentications a client address may make: a burst, then this many a second.
    auth_failure_burst: int = 20
    auth_failure_rate: float = 1.0
    # Batches a subscriber may fall behind before it is dropped; a batch is one NOTIFY's worth of
    # events, so a burst of many events never drops a subscriber that keeps up between bursts.
    subscriber_queue_batches: int = 64
    # The broadcaster reads the feed this often even without a NOTIFY: a safety net, not the path.
    live_poll_seconds: float = 5.0
    service_threads: int = 16
    # Freeze the start-up heap and raise the young generation's threshold (live/collector.py);
    # STOREPLANE_API_GC=default leaves Python's collector as it comes (for an A/B measurement).
    tuned_collector: bool = True

    @classmethod
    def from_env(cls, *, dev: bool | None = None) -> ApiConfig:
        production = _flag("STOREPLANE_PRODUCTION")
        introspection = os.environ.get("STOREPLANE_INTROSPECTION")
        return cls(
            dev=_flag("STOREPLANE_DEV") if dev is None else dev,
            max_live_stores=_int("STOREPLANE_MAX_LIVE_STORES", cls.max_live_stores),
            mutation_rate_per_second=_float("STOREPLANE_MUTATION_RATE", cls.mutation_rate_per_second),
            mutation_burst=_int("STOREPLANE_MUTATION_BURST", cls.mutation_burst),
            max_page_size=_int("STOREPLANE_MAX_PAGE_SIZE", cls.max_page_size),
            max_query_depth=_int("STOREPLANE_MAX_QUERY_DEPTH", cls.max_query_depth),
            max_body_bytes=_int("STOREPLANE_MAX_BODY_BYTES", cls.max_body_bytes),
            subscriber_queue_batches=_int("STOREPLANE_SUBSCRIBER_QUEUE", cls.subscriber_queue_batches),
            max_query_tokens=_int("STOREPLANE_MAX_QUERY_TOKENS", cls.max_query_tokens),
            max_get_query_bytes=_int("STOREPLANE_MAX_GET_QUERY_BYTES", cls.max_get_query_bytes),
            max_query_cost=_int("STOREPLANE_MAX_QUERY_COST", cls.max_query_cost),
            query_budget=_int("STOREPLANE_QUERY_BUDGET", cls.query_budget),
            query_budget_rate=_float("STOREPLANE_QUERY_BUDGET_RATE", cls.query_budget_rate),
            introspection=_flag("STOREPLANE_INTROSPECTION") if introspection else not production,
            metrics_require_token=_flag("STOREPLANE_METRICS_REQUIRE_TOKEN"),
            tuned_collector=os.environ.get("STOREPLANE_API_GC", "tuned").strip().lower() != "default",
            ws_init_timeout_seconds=_float("STOREPLANE_WS_INIT_TIMEOUT", cls.ws_init_timeout_seconds),
            max_sockets_per_token=_int("STOREPLANE_MAX_SOCKETS_PER_TOKEN", cls.max_sockets_per_token),
            max_sockets_per_address=_int(
                "STOREPLANE_MAX_SOCKETS_PER_ADDRESS", cls.max_sockets_per_address
            ),
        )
