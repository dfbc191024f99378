"""Classifying what went wrong: temporary (retry with backoff) or permanent (fail with a reason).

Fed by the exceptions actions and the observer catch (Kubernetes API errors, helm's messages,
connection errors); feeds them a `Failed` outcome with a reason a user can read.
"""

from __future__ import annotations

import asyncio
import json

import aiohttp
from kubernetes_asyncio.client.rest import ApiException

from reconciler.act.outcomes import Failed
from reconciler.cluster.charts import ChartMissing
from reconciler.cluster.helm import HelmError
from reconciler.decide import messages
from reconciler.decide.actions import Step

# helm's messages for problems no retry will fix: the chart or its values are wrong, or the
# namespace's quota forbids what the chart asks for.
_PERMANENT_HELM = (
    "values don't meet the specifications of the schema",
    "exceeded quota",
    "is forbidden",
    "parse error",
    "yaml:",
    "template:",
    "unable to build kubernetes objects",
    "error validating",
    "is invalid",
    "chart.yaml file is missing",
    "path \"",  # path "<chart>" not found
    "validation: chart",
)
# Requests the API server rejects as such; anything else (409, 429, 5xx, 404 of a namespace that
# is being recreated, no answer at all) may succeed later.
_PERMANENT_STATUS = frozenset({400, 403, 405, 413, 415, 422})
_TEMPORARY_MARKERS = ("being terminated", "timed out", "context deadline exceeded", "try again")
MAX_REASON = 400


def api_message(error: ApiException) -> str:
    try:
        body = json.loads(error.body or "{}")
    except (TypeError, ValueError):
        body = {}
    message = body.get("message") if isinstance(body, dict) else None
    return str(message or error.reason or f"HTTP {error.status}")


def _temporary_text(lowered: str) -> bool:
    return any(marker in lowered for marker in _TEMPORARY_MARKERS)


def classify(step: Step, error: BaseException) -> Failed:
    """The failure an exception means; unknown errors are temporary (retries are bounded)."""
    if isinstance(error, ApiException):
        status = int(error.status or 0)
        message = api_message(error)
        permanent = status in _PERMANENT_STATUS and not _temporary_text(message.lower())
        return Failed(step, _short(f"{message} (HTTP {status})"), permanent=permanent)
    if isinstance(error, HelmError):
        return _helm(step, error)
    if isinstance(error, ChartMissing):
        return Failed(step, _short(str(error)), permanent=True)
    if isinstance(error, aiohttp.ClientError | OSError | TimeoutError | asyncio.TimeoutError):
        return Failed(step, messages.API_UNREACHABLE.format(error=_describe(error)), permanent=False)
    return Failed(step, _short(_describe(error)), permanent=False)


def _helm(step: Step, error: HelmError) -> Failed:
    text = error.stderr.removeprefix("Error: ")
    lowered = text.lower()
    if "kubernetes cluster unreachable" in lowered or "connection refused" in lowered:
        return Failed(step, messages.API_UNREACHABLE.format(error=_short(text)), permanent=False)
    permanent = not _temporary_text(lowered) and any(m in lowered for m in _PERMANENT_HELM)
    return Failed(step, _short(text), permanent=permanent)


def _describe(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _short(text: str) -> str:
    """One line, bounded: reasons end up in events and on the dashboard."""
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_REASON else flat[: MAX_REASON - 1] + "…"
