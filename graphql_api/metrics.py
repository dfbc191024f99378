"""Prometheus metrics of the API, in a registry of its own (so several apps can live in one process).

Fed by the GraphQL extension (operations, errors, durations), the broadcaster (batches, drops,
reconnects) and the quarantine table (refreshed at each scrape and `/readyz`);
read by `/metrics`.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.operations = Counter(
            "storeplane_api_operations", "GraphQL operations executed", ["type"],
            registry=self.registry,
        )
        self.errors = Counter(
            "storeplane_api_errors", "GraphQL errors returned, by code", ["code"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "storeplane_api_operation_seconds", "Time to execute a query or mutation", ["type"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        self.subscriptions = Gauge(
            "storeplane_api_subscriptions", "Open subscriptions", registry=self.registry
        )
        self.live = Counter(
            "storeplane_api_live", "Broadcaster happenings: batch, dropped, reconnect", ["event"],
            registry=self.registry,
        )

        self.quarantined = Gauge(
            "storeplane_quarantined_events", "Events a handler set aside (postgres.quarantine), read "
            "from the table at each scrape", ["handler"], registry=self.registry,
        )

    def live_event(self, event: str) -> None:
        self.live.labels(event).inc()
