"""Helm's release records read from their Secrets: the newest revision, in the shape `helm status`
and `helm history` report; a record of an unknown format is refused, not guessed at. Pure (the
test beside the cluster tests checks the same against a release the real helm made)."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest

from reconciler.cluster.release_records import (
    RELEASE_TYPE,
    UnreadableRelease,
    latest_release,
    reads_secrets,
)


def record(revision: int, status: str = "deployed", config: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": "shop", "namespace": "store-ns", "version": revision, "config": config or {},
        "info": {"status": status, "last_deployed": "2026-12-01T10:00:00.5+00:00"},
        "chart": {"metadata": {"name": "woocommerce", "version": "0.3.1"}, "templates": []},
        "manifest": "---\n",
    }


def secret(body: dict[str, Any], *, compressed: bool = True, kind: str = RELEASE_TYPE) -> dict[str, Any]:
    """A Secret as Helm's secret driver writes it, as the Kubernetes API returns it."""
    stored = json.dumps(body).encode()
    helm_encoded = base64.b64encode(gzip.compress(stored) if compressed else stored)
    return {
        "type": kind,
        "metadata": {"name": f"sh.helm.release.v1.shop.v{body['version']}",
                     "labels": {"owner": "helm", "name": "shop", "version": str(body["version"])}},
        "data": {"release": base64.b64encode(helm_encoded).decode()},
    }


def test_no_secrets_is_no_release() -> None:
    assert latest_release([]) is None


def test_the_newest_revision_is_reported_as_helm_reports_it() -> None:
    found = latest_release([secret(record(10, "deployed", {"a": 1})),
                            secret(record(2, "superseded")), secret(record(11, "failed", {"a": 2}))])
    assert found == {
        "name": "shop", "namespace": "store-ns", "version": 11, "config": {"a": 2},
        "info": {"status": "failed", "last_deployed": "2026-12-01T10:00:00.5+00:00"},
        "chart_id": "woocommerce-0.3.1",
    }


def test_an_uncompressed_record_is_read_too() -> None:
    found = latest_release([secret(record(1), compressed=False)])
    assert found is not None
    assert found["version"] == 1


@pytest.mark.parametrize("broken", [
    pytest.param(secret(record(1), kind="helm.sh/release.v2"), id="another format version"),
    pytest.param({**secret(record(1)), "data": {}}, id="no release key"),
    pytest.param({**secret(record(1)), "data": {"release": "bm90IGJhc2U2NA@@"}}, id="not base64"),
    pytest.param({**secret(record(1)), "data": {"release": base64.b64encode(base64.b64encode(
        b"\x1f\x8b not gzip")).decode()}}, id="broken gzip"),
])
def test_a_record_it_cannot_read_is_refused(broken: dict[str, Any]) -> None:
    with pytest.raises(UnreadableRelease):
        latest_release([broken])


@pytest.mark.parametrize(("environ", "expected"), [
    ({}, True), ({"HELM_DRIVER": "secret"}, True), ({"HELM_DRIVER": "Secrets"}, True),
    ({"HELM_DRIVER": "configmap"}, False), ({"HELM_DRIVER": "sql"}, False),
])
def test_only_the_secret_driver_is_read_directly(environ: dict[str, str], expected: bool) -> None:
    assert reads_secrets(environ) is expected
