"""What a terminating namespace is still waiting for, read from its status conditions. Pure.

Fed by the observer with the namespace object; feeds the waiting reason a user sees while a store is
deleted ("3 resources left: pods, persistentvolumeclaims").
"""

from __future__ import annotations

import re
from typing import Any

# The namespace controller writes e.g. "Some resources are remaining: pods. has 2 resource instances".
_REMAINING = re.compile(r"([a-z0-9.-]+?)\.?(?:\s+has\s+)(\d+)\s+resource instances")
_FINALIZERS = re.compile(r"Some content in the namespace has finalizers remaining: (.+)")


def remaining_resources(namespace: dict[str, Any]) -> str:
    conditions = (namespace.get("status") or {}).get("conditions") or []
    counts: dict[str, int] = {}
    finalizers = ""
    for condition in conditions:
        if condition.get("status") != "True":
            continue
        message = str(condition.get("message", ""))
        if condition.get("type") == "NamespaceContentRemaining":
            for kind, count in _REMAINING.findall(message):
                counts[kind.rstrip(".")] = int(count)
        elif condition.get("type") == "NamespaceFinalizersRemaining":
            match = _FINALIZERS.search(message)
            finalizers = match.group(1) if match else message
    if counts:
        total = sum(counts.values())
        noun = "resource" if total == 1 else "resources"
        return f"{total} {noun} left ({', '.join(sorted(counts))})"
    if finalizers:
        return f"waiting for finalizers {finalizers}"
    return "waiting for its contents to be removed"
