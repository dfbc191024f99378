"""Who did something: every event names its actor, so an audit can answer "who did this?".

Actors are plain strings of the form `<kind>:<id>`; the kinds are fixed here.
"""

from __future__ import annotations

RECONCILER = "system:reconciler"


def tenant_actor(tenant: str, token_id: str) -> str:
    return f"tenant:{tenant}/token:{token_id}"


def admin_actor(token_id: str) -> str:
    return f"admin:{token_id}"


def operator_actor(user: str) -> str:
    return f"operator:{user}"
