"""Failure classification as a table: which errors are worth a retry and what the user reads."""

from __future__ import annotations

import json
from dataclasses import dataclass

import aiohttp
import pytest
from kubernetes_asyncio.client.rest import ApiException

from reconciler.act.failures import classify, redact
from reconciler.cluster.charts import ChartMissing
from reconciler.cluster.helm import HelmError
from reconciler.decide.actions import Step

STATUS_REASONS = {409: "Conflict", 403: "Forbidden", 422: "Invalid", 429: "TooManyRequests",
                  503: "ServiceUnavailable"}


def api_error(status: int, message: str) -> ApiException:
    error = ApiException(status=status, reason="Reason")
    error.body = json.dumps({"kind": "Status", "message": message, "reason": STATUS_REASONS[status]})
    return error


def helm_error(stderr: str) -> HelmError:
    return HelmError("upgrade", 1, stderr)


@dataclass(frozen=True)
class Case:
    name: str
    error: BaseException
    permanent: bool
    reason_contains: str


CASES = [
    Case("conflict 409 is temporary", api_error(409, "the object has been modified"), False, "modified"),
    Case("server error 503 is temporary", api_error(503, "etcd unavailable"), False, "HTTP 503"),
    Case("too many requests is temporary", api_error(429, "slow down"), False, "slow down"),
    Case("invalid object 422 is permanent", api_error(422, "spec.hard: Invalid"), True, "Invalid"),
    Case(
        "quota exceeded 403 is permanent",
        api_error(403, 'pods "x" is forbidden: exceeded quota: storeplane-quota'), True, "exceeded quota",
    ),
    Case(
        "namespace being terminated 403 is temporary",
        api_error(403, "unable to create new content in namespace x because it is being terminated"),
        False, "being terminated",
    ),
    Case("connection refused is temporary",
         aiohttp.ClientConnectionError("Cannot connect to host 127.0.0.1:1"), False, "unreachable"),
    Case("a timeout is temporary", TimeoutError(), False, "TimeoutError"),
    Case(
        "helm schema violation is permanent",
        helm_error("Error: values don't meet the specifications of the schema(s)"), True, "schema",
    ),
    Case(
        "helm quota rejection is permanent",
        helm_error('Error: persistentvolumeclaims "d" is forbidden: exceeded quota: storeplane-quota'),
        True, "exceeded quota",
    ),
    Case(
        "helm wait timeout is temporary",
        helm_error("Error: release shop failed, and has been uninstalled due to atomic being set: "
                   "context deadline exceeded"),
        False, "atomic",
    ),
    Case(
        "helm cannot reach the cluster: temporary",
        helm_error("Error: Kubernetes cluster unreachable: Get https://127.0.0.1:1: connection refused"),
        False, "unreachable",
    ),
    Case("helm lock held by another operation: temporary",
         helm_error("Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress"),
         False, "another operation"),
    Case("missing chart is permanent", ChartMissing("no Helm chart for engine 'medusa'"), True, "medusa"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_classify(case: Case) -> None:
    failed = classify(Step.RELEASE, case.error)
    assert (failed.step, failed.permanent) == (Step.RELEASE, case.permanent)
    assert case.reason_contains in failed.reason


def test_reasons_are_one_bounded_line() -> None:
    failed = classify(Step.RELEASE, helm_error("Error: template: x\n" + "y" * 2000))
    assert "\n" not in failed.reason
    assert len(failed.reason) <= 400


def test_raw_cluster_and_helm_text_never_reaches_the_reason() -> None:
    """The reason is stored in tenant-visible, exported, immutable events."""
    leaky = [
        api_error(422, 'Secret "db" is invalid: data[password]: hunter2 at 10.0.3.7:6443'),
        helm_error("Error: template: shop/templates/x.yaml:3: host db.internal.corp password=hunter2"),
        helm_error("Error: something new happened at https://admin:hunter2@10.0.3.7:6443"),
        aiohttp.ClientConnectionError("Cannot connect to host 10.0.3.7:6443"),
        RuntimeError("postgresql://storeplane:hunter2@db.internal.corp/storeplane"),
    ]
    for error in leaky:
        reason = classify(Step.RELEASE, error).reason
        for secret in ("hunter2", "10.0.3.7", "internal.corp"):
            assert secret not in reason, (error, reason)


def test_the_log_keeps_the_detail_without_known_secrets() -> None:
    env = {"DATABASE_URL": "postgresql://sp:s3cr3t-pw@db/sp", "STOREPLANE_ADMIN_TOKEN": "sp_abc_xyz123"}
    text = ("could not reach postgresql://sp:s3cr3t-pw@db/sp with token sp_abc_xyz123; "
            "password: p4ss Authorization: Bearer eyJhbGciOi")
    redacted = redact(text, env)
    for secret in ("s3cr3t-pw", "sp_abc_xyz123", "p4ss", "eyJhbGciOi"):
        assert secret not in redacted
    assert "could not reach" in redacted
