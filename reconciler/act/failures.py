"""Classifying what went wrong: temporary (retry with backoff) or permanent (fail with a reason).

Fed by the exceptions actions and the observer catch (Kubernetes API errors, helm's messages,
connection errors); feeds them a `Failed` outcome with a reason a user can read.

The reason goes into an immutable event the tenant sees and exports, so it is one of the named
templates of `messages` filled only with values of a closed kind (HTTP status, the API's Status
reason word, our own chart error) — never the cluster's or helm's raw text, which can name hosts,
addresses, other tenants' objects or rendered values. The raw text goes to the log, with known
secret values redacted (`redact`), for the operator.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re

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
_STATUS_REASON = re.compile(r"^[A-Za-z]{1,40}$")
# Secrets as they appear in error text: a URL's password, `password=…`-style pairs, bearer tokens.
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s]+@", re.IGNORECASE)
_PAIR = re.compile(r"(?P<key>password|passwd|token|secret|api[-_]?key)(?P<sep>\s*[:=]\s*)\S+", re.IGNORECASE)
_BEARER = re.compile(r"(?P<key>bearer\s+)\S+", re.IGNORECASE)
_SECRET_VARIABLE = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY$|DATABASE_URL", re.IGNORECASE)
REDACTED = "<redacted>"
log = logging.getLogger(__name__)


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
    failed = _classified(step, error)
    log.warning("step=%s %s (reason recorded: %r)", step.value, redact(_describe(error)), failed.reason)
    return failed


def _classified(step: Step, error: BaseException) -> Failed:
    if isinstance(error, ApiException):
        return _api(step, error)
    if isinstance(error, HelmError):
        return _helm(step, error)
    if isinstance(error, ChartMissing):
        return Failed(step, _short(str(error)), permanent=True)  # our own message: the engine
    if isinstance(error, aiohttp.ClientError | OSError):
        return Failed(step, messages.API_UNREACHABLE.format(error=type(error).__name__), permanent=False)
    if isinstance(error, TimeoutError | asyncio.TimeoutError):
        return Failed(step, messages.TIMED_OUT.format(error=type(error).__name__), permanent=False)
    return Failed(step, messages.UNEXPECTED.format(error=type(error).__name__), permanent=False)


def _api(step: Step, error: ApiException) -> Failed:
    status = int(error.status or 0)
    lowered = api_message(error).lower()
    permanent = status in _PERMANENT_STATUS and not _temporary_text(lowered)
    if "being terminated" in lowered:
        reason = messages.NAMESPACE_GOING_AWAY
    elif "exceeded quota" in lowered:
        reason = messages.QUOTA_EXCEEDED
    elif status == 409:
        reason = messages.API_CONFLICT.format(status=status)
    elif status == 429:
        reason = messages.API_SLOW_DOWN.format(status=status)
    else:
        reason = messages.API_REFUSED.format(kind=_status_reason(error), status=status)
    return Failed(step, reason, permanent=permanent)


def _status_reason(error: ApiException) -> str:
    """The Kubernetes Status `reason` (a CamelCase word from a fixed set, e.g. Invalid, Forbidden)."""
    try:
        body = json.loads(error.body or "{}")
    except (TypeError, ValueError):
        body = {}
    word = body.get("reason") if isinstance(body, dict) else None
    if isinstance(word, str) and _STATUS_REASON.match(word):
        return word
    return "Error"


def _helm(step: Step, error: HelmError) -> Failed:
    lowered = error.stderr.lower()
    command = error.command if _STATUS_REASON.match(error.command) else "operation"
    if "kubernetes cluster unreachable" in lowered or "connection refused" in lowered:
        return Failed(step, messages.API_UNREACHABLE.format(error="helm"), permanent=False)
    temporary = _temporary_text(lowered)
    permanent = not temporary and any(m in lowered for m in _PERMANENT_HELM)
    if "exceeded quota" in lowered:
        reason = messages.QUOTA_EXCEEDED
    elif "don't meet the specifications of the schema" in lowered:
        reason = messages.HELM_VALUES_REJECTED
    elif "another operation" in lowered and "in progress" in lowered:
        reason = messages.HELM_BUSY
    elif "atomic" in lowered or "timed out" in lowered or "context deadline exceeded" in lowered:
        reason = messages.HELM_TIMED_OUT.format(command=command)
    elif permanent:
        reason = messages.HELM_CHART_BROKEN.format(command=command)
    else:
        reason = messages.HELM_FAILED.format(command=command)
    return Failed(step, reason, permanent=permanent)


def redact(text: str, environ: dict[str, str] | None = None) -> str:
    """`text` with the secrets we know of masked: values of our secret-looking environment
    variables (DATABASE_URL's password among them), URL passwords, `password=…` pairs, bearer
    tokens."""
    env = os.environ if environ is None else environ
    for name, value in env.items():
        if _SECRET_VARIABLE.search(name) and len(value) >= 4:
            text = text.replace(value, REDACTED)
    text = _URL_PASSWORD.sub(lambda m: m["scheme"] + REDACTED + "@", text)
    text = _PAIR.sub(lambda m: m["key"] + m["sep"] + REDACTED, text)
    return _BEARER.sub(lambda m: m["key"] + REDACTED, text)


def _describe(error: BaseException) -> str:
    text = str(error).strip()
    if isinstance(error, ApiException):
        text = f"{api_message(error)} (HTTP {error.status})"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _short(text: str) -> str:
    """One line, bounded: reasons end up in events and on the dashboard."""
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_REASON else flat[: MAX_REASON - 1] + "…"
