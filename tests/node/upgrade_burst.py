"""A burst of createStore calls through the ingress while something disturbs the API (an upgrade).

Fed by ``platform_api`` (GraphQL through Traefik) and an admin token; feeds the rolling-upgrade
test and ``bench/platform_upgrade.py`` with what each request saw. One thread per tenant sends
creates one after another, each with its own idempotency key, and retries a create with the same
key until it is acknowledged: after a dropped connection, a refusal, or a gateway error (Traefik's
502/503/504 while a backend goes away). Every ``hang_up_every``-th create first sends its request
and hangs up without reading the answer, as a client whose connection dropped, so the retry path
runs even when the upgrade itself drops nothing. Tenants keep each one under the quota of live
stores (``STOREPLANE_MAX_LIVE_STORES``, 10).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.node import platform_api

RETRY_PAUSE = 0.5
MAX_ATTEMPTS = 40  # 20 s of refusals: far longer than any pod's switch-over


@dataclass
class Create:
    tenant: str
    key: str
    started: float = 0.0
    store_id: str = ""
    hung_up: bool = False  # the first attempt was sent and abandoned on purpose
    failures: list[str] = field(default_factory=list)  # what each failed attempt saw


@dataclass
class Burst:
    token: str  # an admin's: it may create for any tenant
    tenants: tuple[str, ...]
    per_tenant: int
    pause: float  # seconds between one tenant's creates
    hang_up_every: int = 5
    creates: list[Create] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, stop_early: Callable[[], bool] = lambda: False) -> None:
        threads = [threading.Thread(target=self._tenant, args=(t, stop_early)) for t in self.tenants]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _tenant(self, tenant: str, stop_early: Callable[[], bool]) -> None:
        for number in range(self.per_tenant):
            if number and stop_early():
                return
            entry = Create(tenant=tenant, key=f"{tenant}-{number}", started=time.monotonic())
            with self._lock:
                self.creates.append(entry)
                entry.hung_up = len(self.creates) % self.hang_up_every == 0
            self._create(entry)
            time.sleep(self.pause)

    def _create(self, entry: Create) -> None:
        name = entry.key
        variables = {"input": {"name": name, "engine": "WOOCOMMERCE", "idempotencyKey": entry.key,
                               "tenant": entry.tenant}}
        if entry.hung_up:
            try:
                platform_api.send_and_hang_up(self.token, platform_api.CREATE, variables)
            except OSError as error:
                entry.failures.append(f"hang-up attempt: {error}")
        for _attempt in range(MAX_ATTEMPTS):
            outcome = _attempt_create(self.token, variables)
            if isinstance(outcome, str):
                entry.failures.append(outcome)
                time.sleep(RETRY_PAUSE)
                continue
            entry.store_id = outcome["id"]
            return

    def acknowledged(self) -> list[Create]:
        return [c for c in self.creates if c.store_id]

    def summary(self) -> dict[str, Any]:
        failed = [f for c in self.creates for f in c.failures if not f.startswith("hang-up")]
        kinds: dict[str, int] = {}
        for failure in failed:
            kind = failure.split(":", 1)[0]
            kinds[kind] = kinds.get(kind, 0) + 1
        return {
            "creates": len(self.creates),
            "acknowledged": len(self.acknowledged()),
            "hung_up_on_purpose": sum(c.hung_up for c in self.creates),
            "creates_that_saw_an_error": sum(
                any(not f.startswith("hang-up") for f in c.failures) for c in self.creates
            ),
            "failed_attempts": len(failed),
            "failed_attempts_by_kind": kinds,
        }


def _attempt_create(token: str, variables: dict[str, Any]) -> dict[str, Any] | str:
    """The store, or what went wrong (``<kind>: <detail>``) for a retry."""
    try:
        status, body = platform_api.post(token, platform_api.CREATE, variables)
    except OSError as error:
        return f"connection: {type(error).__name__} {error}"
    if status != 200:
        return f"HTTP {status}: {str(body)[:200]}"
    if body.get("errors") or not body.get("data"):
        return f"GraphQL error: {body.get('errors')}"
    store: dict[str, Any] = body["data"]["createStore"]["store"]
    return store
