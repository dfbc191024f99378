"""How the reconciler behaves: concurrency, lease and poll timings, retry policy, cluster options.

Built once by the entry point (from the environment or by a test) and passed explicitly to every
part of the reconciler; nothing reads the environment after start-up.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from reconciler.cluster.access import CREDENTIALS_BINDING, StoreAccess
from reconciler.cluster.charts import ChartSource

DEFAULT_INGRESS_NAMESPACE = "ingress-nginx"
# Beyond its --timeout, what a helm operation may still take to end by itself (its --atomic
# clean-up, its last API calls).
HELM_EXIT_MARGIN = timedelta(seconds=30)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter for temporary failures, then FAILED after `max_attempts`."""

    base: timedelta = timedelta(seconds=2)
    cap: timedelta = timedelta(minutes=5)
    max_attempts: int = 6


@dataclass(frozen=True)
class ReconcilerSettings:
    charts: ChartSource
    base_domain: str = "stores.localhost"
    concurrency: int = 8
    lease_ttl: timedelta = timedelta(seconds=30)
    poll_interval: timedelta = timedelta(seconds=5)
    resync_interval: timedelta = timedelta(minutes=2)
    helm_timeout: timedelta = timedelta(minutes=5)
    # A release left pending for longer than this by a previous holder is treated as stuck — but
    # never sooner than `release_grace` allows (see there).
    stuck_release_grace: timedelta = timedelta(seconds=30)
    shutdown_grace: timedelta = timedelta(seconds=20)
    kube_request_timeout: timedelta = timedelta(seconds=10)
    helm_binary: str = "helm"
    # HELM_{CONFIG,CACHE,DATA}_HOME for our helm processes; None keeps the user's.
    helm_home: Path | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # Pods in namespaces matching this selector (the ingress controller) may reach every store.
    ingress_namespace_labels: tuple[tuple[str, str], ...] = (
        ("kubernetes.io/metadata.name", DEFAULT_INGRESS_NAMESPACE),
    )
    # With least privilege (the platform chart): the role to bind in each store namespace.
    store_access: StoreAccess | None = None
    # ... and the API's: `get` of the credentials Secret there, for a reveal.
    credentials_access: StoreAccess | None = None

    @property
    def release_grace(self) -> timedelta:
        """How long a pending release is left alone before it is recovered: at least the helm
        timeout plus `HELM_EXIT_MARGIN`. A holder that lost its lease while paused (not killed:
        its helm then dies with it) may still have `helm upgrade --install --wait` running; helm
        ends that itself within its --timeout, and recovering sooner would race it (a rollback
        or uninstall under a running install). The lease cannot tell a paused holder from a dead
        one, so the bound holds for both; it costs a crashed install that much latency."""
        return max(self.stuck_release_grace, self.helm_timeout + HELM_EXIT_MARGIN)

    @classmethod
    def from_env(
        cls, *, charts: ChartSource, base_domain: str, helm_binary: str | None = None,
        helm_home: Path | None = None,
    ) -> ReconcilerSettings:
        """Reads the STOREPLANE_* reconciler variables; anything unset keeps its default."""
        defaults = cls(charts=charts, base_domain=base_domain)
        ingress = os.environ.get("STOREPLANE_INGRESS_NAMESPACE")
        return cls(
            charts=charts,
            base_domain=base_domain,
            concurrency=int(os.environ.get("STOREPLANE_RECONCILER_CONCURRENCY", defaults.concurrency)),
            helm_timeout=_seconds("STOREPLANE_HELM_TIMEOUT_SECONDS", defaults.helm_timeout),
            lease_ttl=_seconds("STOREPLANE_LEASE_SECONDS", defaults.lease_ttl),
            stuck_release_grace=_seconds("STOREPLANE_STUCK_RELEASE_SECONDS", defaults.stuck_release_grace),
            shutdown_grace=_seconds("STOREPLANE_SHUTDOWN_GRACE_SECONDS", defaults.shutdown_grace),
            poll_interval=_seconds("STOREPLANE_RECONCILER_POLL_SECONDS", defaults.poll_interval),
            resync_interval=_seconds("STOREPLANE_RESYNC_SECONDS", defaults.resync_interval),
            helm_binary=helm_binary or os.environ.get("STOREPLANE_HELM", "helm"),
            helm_home=helm_home,
            store_access=StoreAccess.parse(
                os.environ.get("STOREPLANE_STORE_ROLE"), os.environ.get("STOREPLANE_SERVICE_ACCOUNT")
            ),
            credentials_access=StoreAccess.parse(
                os.environ.get("STOREPLANE_CREDENTIALS_ROLE"),
                os.environ.get("STOREPLANE_API_SERVICE_ACCOUNT"),
                binding=CREDENTIALS_BINDING, variable="STOREPLANE_API_SERVICE_ACCOUNT",
            ),
            ingress_namespace_labels=(
                (("kubernetes.io/metadata.name", ingress),) if ingress
                else defaults.ingress_namespace_labels
            ),
        )


def _seconds(variable: str, default: timedelta) -> timedelta:
    value = os.environ.get(variable)
    return timedelta(seconds=float(value)) if value else default
