"""A release as `helm status` and `helm history --max 1` report it, read from the Secrets Helm keeps
its releases in, without starting helm.

Fed by the observer on every round of every store; feeds `observe.release_state` the same dict
`Helm.release` returns (`info`, `version`, `config`, `chart_id`).

Why read Helm's storage ourselves: observing a release through the CLI took two helm processes per
round (`status`, then `history` for the chart), each a Go runtime start, a kubeconfig load and a
LIST of these same Secrets; at 10 new stores a second they were about a quarter of the machine's
CPU, and a reconciler's reaction waited behind them (issue 17). Helm has no library a Python
process can call, so the choice was the CLI or its storage.

The contract relied on is Helm 3's default storage driver ("secret"): each revision of release R
in namespace N is a Secret in N of type `helm.sh/release.v1`, labelled `owner=helm`, `name=R`,
`version=<revision>`, whose `release` key holds the release record as base64 of gzip of JSON (the
record `helm status -o json` prints, with the chart's metadata). The `.v1` in the type versions
that format: a Secret of another type is not read (`UnreadableRelease`), and a helm configured
with another driver (`HELM_DRIVER`) is asked through the CLI instead (`reads_secrets`).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import os
from collections.abc import Mapping
from typing import Any

from reconciler.cluster.kube import Kube, core

RELEASE_TYPE = "helm.sh/release.v1"
_GZIP_MAGIC = b"\x1f\x8b"


class UnreadableRelease(Exception):
    """A release Secret not in the format this module knows."""


def reads_secrets(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether helm keeps releases in Secrets here (its default), so they can be read directly."""
    return environ.get("HELM_DRIVER", "secret").lower() in ("", "secret", "secrets")


async def read_release(kube: Kube, release: str, namespace: str) -> dict[str, Any] | None:
    """The latest revision of `release` as `Helm.release` reports it; None when it has none."""
    secrets = await kube.items(
        core(namespace, "secrets"), query=[("labelSelector", f"owner=helm,name={release}")]
    )
    return latest_release(secrets)


def latest_release(secrets: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The highest revision among a release's Secrets (as helm's `Last` picks it), as `Helm.release`
    reports it; None for no Secrets. Pure."""
    if not secrets:
        return None
    newest = max(secrets, key=_revision)
    return as_reported(decode_record(newest))


def decode_record(secret: dict[str, Any]) -> dict[str, Any]:
    """The release record a Secret holds."""
    if secret.get("type") != RELEASE_TYPE:
        raise UnreadableRelease(f"secret {_name(secret)} is of type {secret.get('type')!r}, "
                                f"not {RELEASE_TYPE}")
    try:
        stored = base64.b64decode(base64.b64decode((secret.get("data") or {})["release"]))
        raw = gzip.decompress(stored) if stored[:2] == _GZIP_MAGIC else stored
        record: dict[str, Any] = json.loads(raw)
    except (KeyError, binascii.Error, OSError, EOFError, ValueError) as error:
        raise UnreadableRelease(f"secret {_name(secret)}: {error}") from error
    return record


def as_reported(record: dict[str, Any]) -> dict[str, Any]:
    """The fields `helm status -o json` reports that the observer reads, plus `chart_id` as
    `helm history` names the chart (`<name>-<version>`)."""
    metadata = (record.get("chart") or {}).get("metadata") or {}
    chart_id = f"{metadata.get('name', '')}-{metadata.get('version', '')}" if metadata else ""
    return {
        "name": record.get("name", ""),
        "namespace": record.get("namespace", ""),
        "info": record.get("info") or {},
        "version": record.get("version", 0),
        "config": record.get("config") or {},
        "chart_id": chart_id,
    }


def _revision(secret: dict[str, Any]) -> int:
    labels = (secret.get("metadata") or {}).get("labels") or {}
    try:
        return int(labels.get("version", 0))
    except ValueError:
        return 0


def _name(secret: dict[str, Any]) -> str:
    return str((secret.get("metadata") or {}).get("name", "?"))
