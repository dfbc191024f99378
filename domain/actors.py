"""Who did something: every event names its actor, so an audit can answer "who did this?".

Actors are plain strings of the form `<kind>:<id>`; the kinds are fixed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

RECONCILER = "system:reconciler"


def tenant_actor(tenant: str, token_id: str) -> str:
    return f"tenant:{tenant}/token:{token_id}"


def admin_actor(token_id: str) -> str:
    return f"admin:{token_id}"


def operator_actor(user: str) -> str:
    return f"operator:{user}"


@dataclass(frozen=True)
class Stamp:
    """Who asked for a change and for which request: every command takes one, every event keeps both.

    One value instead of an `actor` and a `correlation_id` argument on every command; the events
    still store the two fields by name (their persisted form does not change).
    """

    actor: str
    correlation_id: str

    def fields(self) -> StampFields:
        """The two event attributes, for `**` into a recorded event's method."""
        return {"actor": self.actor, "correlation_id": self.correlation_id}


class StampFields(TypedDict):
    actor: str
    correlation_id: str
