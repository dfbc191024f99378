"""Where a store answers, from its Ingresses and its Service's endpoints: pure."""

from __future__ import annotations

import base64
from typing import Any

from reconciler.observe.serving import (
    Backend,
    SetupJobs,
    backend_for,
    endpoint_nodes,
    probes_for,
    publishable_key,
    setup_jobs,
    simulated,
)

HOST = "shop.acme.stores.test"


def ingress(host: str, *paths: tuple[str, str, dict[str, Any]]) -> dict[str, Any]:
    return {"spec": {"rules": [{"host": host, "http": {"paths": [
        {"path": path, "backend": {"service": {"name": name, "port": port}}} for path, name, port in paths
    ]}}]}}


def test_the_root_path_of_the_store_host_names_the_backend() -> None:
    ingresses = [
        ingress("other.acme.stores.test", ("/", "other", {"number": 80})),
        ingress(HOST, ("/static", "files", {"number": 8080}), ("/", "web", {"name": "http"})),
    ]
    assert backend_for(ingresses, HOST) == Backend("web", "http")


def test_without_a_rule_for_the_host_there_is_no_backend() -> None:
    assert backend_for([ingress("other.example", ("/", "web", {"number": 80}))], HOST) is None
    assert backend_for([{"spec": {}}], HOST) is None


def test_the_proxy_path_goes_through_the_api_server() -> None:
    assert Backend("web", "80").proxy_path("store-1", "/health") == (
        "/api/v1/namespaces/store-1/services/web:80/proxy/health"
    )


def test_only_ready_endpoints_count_and_a_missing_condition_means_ready() -> None:
    slices = [{"endpoints": [
        {"nodeName": "a", "conditions": {"ready": True}},
        {"nodeName": "b", "conditions": {"ready": False}},
        {"nodeName": "c"},
        {"conditions": {"ready": True}},
    ]}]
    assert endpoint_nodes(slices) == {"a", "c"}


def test_simulated_only_when_every_node_is_kwoks() -> None:
    kwok = {"metadata": {"annotations": {"kwok.x-k8s.io/node": "fake"}}}
    real = {"metadata": {"labels": {"storeplane.dev/node": "real"}}}
    assert simulated([kwok, kwok])
    assert not simulated([kwok, real])
    assert not simulated([])


def job(name: str, *conditions: tuple[str, str, str]) -> dict[str, Any]:
    labels = {"app.kubernetes.io/component": name}
    return {"metadata": {"name": name, "labels": labels}, "status": {"conditions": [
        {"type": kind, "status": status, "message": message} for kind, status, message in conditions
    ]}}


def test_a_setup_job_runs_until_it_completes_or_fails() -> None:
    jobs = [
        job("seed"),
        job("migrations", ("Complete", "True", "")),
        job("setup", ("Failed", "True", "BackoffLimitExceeded: 3 pods failed")),
        job("retrying", ("Failed", "False", "not yet")),
    ]
    assert setup_jobs(jobs) == SetupJobs(
        running=("retrying", "seed"), failed=(("setup", "BackoffLimitExceeded: 3 pods failed"),),
        components=("migrations", "retrying", "seed", "setup"),
    )
    assert setup_jobs([]) == SetupJobs()


def test_medusa_is_visited_with_its_publishable_key_after_its_health_and_wordpress_at_home() -> None:
    seeded = setup_jobs([job("migrations", ("Complete", "True", "")), job("seed", ("Complete", "True", ""))])
    assert [(p.path, p.with_publishable_key) for p in probes_for("medusa", seeded)] == [
        ("/health", False), ("/store/products", True)]
    assert [p.path for p in probes_for("woocommerce", seeded)] == ["/"]


def test_without_a_seed_there_is_no_key_and_medusa_is_visited_at_its_health_only() -> None:
    unseeded = setup_jobs([job("migrations", ("Complete", "True", ""))])
    assert [p.path for p in probes_for("medusa", unseeded)] == ["/health"]
    assert [p.path for p in probes_for("medusa")] == ["/health"]


def test_the_publishable_key_is_read_from_the_secret_only_when_it_is_there() -> None:
    key = base64.b64encode(b"pk_0123abc").decode()
    assert publishable_key({"data": {"publishable-key": key}}) == "pk_0123abc"
    assert publishable_key({"data": {"admin-password": key}}) is None
    assert publishable_key({"data": {"publishable-key": "%%%not-base64"}}) is None
    assert publishable_key(None) is None
