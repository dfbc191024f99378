"""storeplane's own chart: it lints, renders valid objects, meets the restricted pod security
standard, asks for least privilege, and refuses bad values with a message an operator can act on.

Given the chart with its local and production values (and a few edge settings), when helm renders
it, then every object validates against Kubernetes 1.35's OpenAPI schema and the rules below hold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest

from storeplane.localcluster import nodeconfig as nc
from tests.charts.rendering import (
    Rendering,
    containers,
    kubernetes_version,
    manifests,
    pod_specs,
    run_helm,
    where,
)
from tests.charts.rendering import template as store_template
from tests.deploy.platform_chart import CHART, VALUES_FILES, rendered, template

RENDERINGS: list[tuple[str | None, tuple[str, ...]]] = [
    *((values_file, ()) for values_file in VALUES_FILES),
    (None, ("database.existingSecret=db",)),
    ("values-local.yaml", ("networkPolicy.enabled=false", "api.ingress.enabled=false")),
    ("values-production.yaml", ("api.ingress.tls.enabled=false",)),
    ("values-local.yaml", ("api.preStopSleepSeconds=0",)),
]


def _id(rendering: tuple[str | None, tuple[str, ...]]) -> str:
    return " ".join([rendering[0] or "defaults", *rendering[1]])


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_it_lints_strictly(values_file: str, helm_home: Path) -> None:
    result = run_helm(["lint", "--strict", str(CHART), "-f", str(CHART / values_file)], home=helm_home)
    assert result.returncode == 0, result.output


@pytest.mark.parametrize("rendering", RENDERINGS, ids=_id)
def test_every_object_is_valid_openapi(
    rendering: tuple[str | None, tuple[str, ...]], helm_home: Path
) -> None:
    errors = []
    for doc in rendered(home=helm_home, values_file=rendering[0], sets=rendering[1]):
        try:
            kubernetes_validate.validate(doc, kubernetes_version(), strict=True)
        except (kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError) as error:
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: {error}")
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_every_pod_meets_the_restricted_pod_security_standard(values_file: str, helm_home: Path) -> None:
    problems = []
    for workload, pod in pod_specs(rendered(home=helm_home, values_file=values_file)):
        security = pod.get("securityContext", {})
        seccomp = security.get("seccompProfile", {}).get("type")
        if not security.get("runAsNonRoot") or seccomp != "RuntimeDefault":
            problems.append(f"{where(workload)}: runAsNonRoot and RuntimeDefault seccomp")
        for _, container in containers(pod):
            context = container.get("securityContext", {})
            if context.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where(workload, container)}: allowPrivilegeEscalation must be false")
            if context.get("capabilities", {}).get("drop") != ["ALL"]:
                problems.append(f"{where(workload, container)}: capabilities must drop ALL")
            if "resources" not in container or "limits" not in container["resources"]:
                problems.append(f"{where(workload, container)}: needs resource limits")
    assert not problems, "\n".join(problems)


def _by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def test_the_api_and_the_reconciler_run_two_replicas_and_the_api_has_probes_and_a_budget(
    helm_home: Path,
) -> None:
    docs = rendered(home=helm_home, values_file="values-local.yaml")
    deployments = _by_kind(docs, "Deployment")
    api, reconciler = deployments["storeplane-api"], deployments["storeplane-reconciler"]
    assert api["spec"]["replicas"] >= 2
    assert reconciler["spec"]["replicas"] >= 2
    [container] = api["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert _by_kind(docs, "PodDisruptionBudget")["storeplane-api"]["spec"]["minAvailable"] >= 1
    followers = deployments["storeplane-followers"]["spec"]["template"]["spec"]
    assert followers["automountServiceAccountToken"] is False  # never talks to Kubernetes
    api_pod = api["spec"]["template"]["spec"]  # reads credentials Secrets with an account of its own
    assert api_pod["serviceAccountName"] == "storeplane-api"
    assert api_pod["automountServiceAccountToken"] is True
    hooks = [d for d in docs if d["kind"] == "Job"]
    assert [h["metadata"]["annotations"]["helm.sh/hook"] for h in hooks] == ["post-install,pre-upgrade"]


def test_rbac_grants_no_wildcard_no_cluster_wide_secrets_and_binds_only_the_store_roles(
    helm_home: Path,
) -> None:
    docs = rendered(home=helm_home, values_file="values-production.yaml")
    roles = _by_kind(docs, "ClusterRole")
    for role in roles.values():
        for rule in role["rules"]:
            for key in ("apiGroups", "resources", "verbs"):
                assert "*" not in rule.get(key, []), f"{role['metadata']['name']} has a wildcard in {key}"
    bound_cluster_wide = {b["roleRef"]["name"] for b in docs if b["kind"] == "ClusterRoleBinding"}
    assert bound_cluster_wide == {"storeplane-reconciler"}
    cluster_wide = roles["storeplane-reconciler"]["rules"]
    assert not any("secrets" in rule["resources"] for rule in cluster_wide)
    [bind] = [rule for rule in cluster_wide if "bind" in rule["verbs"]]
    assert bind["resourceNames"] == ["storeplane-store", "storeplane-store-credentials"]
    assert bind["resources"] == ["clusterroles"]
    # The API's role: one verb on one Secret name, bound only inside store namespaces.
    assert roles["storeplane-store-credentials"]["rules"] == [
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"],
         "resourceNames": ["store-credentials"]},
    ]
    writes = {"create", "update", "patch"}
    assert not any(
        kind in rule["resources"] and writes & set(rule["verbs"])
        for rule in cluster_wide for kind in ("clusterroles", "clusterrolebindings")
    )


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_an_upgrade_replaces_pods_one_by_one_and_a_stopping_api_pod_drains_first(
    values_file: str, helm_home: Path
) -> None:
    deployments = _by_kind(rendered(home=helm_home, values_file=values_file), "Deployment")
    for name in ("storeplane-api", "storeplane-reconciler"):
        strategy = deployments[name]["spec"]["strategy"]
        assert strategy == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}
    api = deployments["storeplane-api"]["spec"]["template"]["spec"]
    [container] = api["containers"]
    # A sleep the kubelet does itself (the image needs no shell), then SIGTERM, then uvicorn's 30 s.
    sleep = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert sleep >= 1
    assert api["terminationGracePeriodSeconds"] > sleep + 30


def test_without_a_pre_stop_sleep_the_api_has_no_hook(helm_home: Path) -> None:
    docs = rendered(home=helm_home, values_file="values-local.yaml", sets=("api.preStopSleepSeconds=0",))
    [container] = _by_kind(docs, "Deployment")["storeplane-api"]["spec"]["template"]["spec"]["containers"]
    assert "lifecycle" not in container


def test_locally_traefik_serves_the_api_and_its_network_policy_admits_the_node_address(
    helm_home: Path,
) -> None:
    docs = rendered(home=helm_home, values_file="values-local.yaml")
    ingress = _by_kind(docs, "Ingress")["storeplane-api"]["spec"]
    assert ingress["ingressClassName"] == nc.INGRESS_CLASS
    [rule] = ingress["rules"]
    assert rule["host"].endswith(".localhost")
    [allowed] = _by_kind(docs, "NetworkPolicy")["storeplane-api"]["spec"]["ingress"]
    # Traefik is a host process on the real node: its connections come from the bridge address.
    assert {"ipBlock": {"cidr": f"{nc.GATEWAY}/32"}} in allowed["from"]
    production = rendered(home=helm_home, values_file="values-production.yaml")
    [allowed] = _by_kind(production, "NetworkPolicy")["storeplane-api"]["spec"]["ingress"]
    assert not [peer for peer in allowed["from"] if "ipBlock" in peer]


@pytest.mark.parametrize(
    ("sets", "expected"),
    [
        ((), "database.existingSecret must name a Secret holding DATABASE_URL"),
        (("database.existingSecret=db", "api.replicas=0"), "/api/replicas"),
        (("database.existingSecret=db", "api.ingress.host=Not_A_Host"), "/api/ingress/host"),
        (("database.existingSecret=db", "reconciler.concurrency=0"), "/reconciler/concurrency"),
        (("database.existingSecret=db", "image.pullPolicy=Sometimes"), "/image/pullPolicy"),
        (("database.existingSecret=db", "api.replicass=3"), "replicass"),
        (("database.existingSecret=db", "api.preStopSleepSeconds=-1"), "/api/preStopSleepSeconds"),
        (("database.existingSecret=db", "api.preStopSleepSeconds=20"),
         "api.terminationGracePeriodSeconds must exceed api.preStopSleepSeconds plus the 30 s"),
        (("database.existingSecret=db", "api.terminationGracePeriodSeconds=0"),
         "/api/terminationGracePeriodSeconds"),
        (("database.existingSecret=db", "networkPolicy.apiIngressFromCIDRs[0]=10.0.0.1"),
         "/networkPolicy/apiIngressFromCIDRs/0"),
    ],
)
def test_bad_values_are_refused_naming_what_to_fix(
    sets: tuple[str, ...], expected: str, helm_home: Path
) -> None:
    result = template(home=helm_home, sets=sets)
    assert result.returncode != 0
    assert expected in result.output, result.output


# Kinds whose plural is not the lower-case kind plus "s".
_PLURALS = {"Ingress": "ingresses", "NetworkPolicy": "networkpolicies"}


def _resource(doc: dict[str, Any]) -> tuple[str, str]:
    group = doc["apiVersion"].rpartition("/")[0]
    return group, _PLURALS.get(doc["kind"], doc["kind"].lower() + "s")


@pytest.mark.parametrize(("engine", "sets"), [
    ("woocommerce", ()), ("medusa", ("seed.enabled=true",)),
])
def test_the_store_role_lets_the_reconciler_install_everything_a_store_chart_renders(
    engine: str, sets: tuple[str, ...], helm_home: Path,
) -> None:
    """With the platform's least privilege, `helm install` of a store chart may create each kind
    it renders (the Medusa seed's ServiceAccount, Role and RoleBinding included)."""
    store_docs = manifests(store_template(Rendering(engine, "values-local.yaml", sets=sets), home=helm_home))
    platform = rendered(home=helm_home, values_file="values-production.yaml")
    roles = _by_kind(platform, "ClusterRole")
    granted = {  # the store role inside the namespace, and the reconciler's own (RoleBindings)
        (group, resource) for name in ("storeplane-store", "storeplane-reconciler")
        for rule in roles[name]["rules"] if "create" in rule["verbs"]
        for group in rule["apiGroups"] for resource in rule["resources"]
    }
    needed = {_resource(doc) for doc in store_docs}
    assert needed - granted == set(), f"the store role cannot create {sorted(needed - granted)}"
