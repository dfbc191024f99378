"""The owner gets in: `revealStoreCredentials` and the store's links, on the real API, PostgreSQL and
the test session's kube-apiserver (the Secret is a real Secret, read through kubernetes-asyncio).

Given a READY store whose namespace holds the `store-credentials` Secret the reconciler writes,
when its tenant (or an admin) reveals its credentials, then the answer holds the Secret's values and
one `CredentialsRevealed` names who asked, in the store's history, without any value; when another
tenant asks, or the store is not READY, or its Secret is gone, then the answer is an error and
nothing is recorded.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import pytest_asyncio

from domain.actors import RECONCILER, Stamp, tenant_actor
from domain.service import StoreService
from domain.store import Store
from graphql_api.tokens import TokenStore
from reconciler.cluster.credentials import KubeCredentialsSource
from reconciler.cluster.kube import KubeAccess
from tests.api.client import Api, error_codes
from tests.api.conftest import TEST_CONFIG, Running, serving
from tests.api.documents import STORE_FIELDS
from tests.fixtures.kube import KubeCluster

pytestmark = pytest.mark.cluster
asynchronous = pytest.mark.asyncio(loop_scope="session")
REPO = Path(__file__).resolve().parents[2]

REVEAL = """
mutation Reveal($id: ID!) {
  revealStoreCredentials(id: $id) { adminUrl adminUsername adminPassword publishableKey correlationId }
}"""
LINKS = f"""
query Links($id: ID!) {{
  store(id: $id) {{ {STORE_FIELDS} adminUrl storefrontUrl events {{ type actor correlationId data }} }}
}}"""


def _secret_values(engine: str) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:10]
    values = {
        "admin-username": f"admin-{suffix}", "admin-password": f"pw-{suffix}-{uuid.uuid4().hex}",
        "admin-email": f"owner-{suffix}@example.test", "database-password": f"db-{uuid.uuid4().hex}",
    }
    return values | ({"publishable-key": f"pk_{uuid.uuid4().hex}"} if engine == "medusa" else {})


class Cluster:
    def __init__(self, cluster: KubeCluster) -> None:
        self.cluster = cluster

    def kubectl(self, *args: str) -> str:
        done = subprocess.run(
            [str(self.cluster.bin_dir / "kubectl"), *args], env=self.cluster.env(), capture_output=True,
            text=True, timeout=60, check=False,
        )
        assert done.returncode == 0, f"kubectl {' '.join(args)}: {done.stderr}"
        return done.stdout

    def store_secret(self, namespace: str, values: dict[str, str]) -> None:
        """The namespace and Secret the reconciler would have made for the store."""
        self.kubectl("create", "namespace", namespace)
        literals = [f"--from-literal={key}={value}" for key, value in values.items()]
        self.kubectl("create", "secret", "generic", "store-credentials", "-n", namespace, *literals)


@pytest.fixture(scope="module")
def cluster(kube_cluster: KubeCluster) -> Cluster:
    return Cluster(kube_cluster)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def revealing(
    database_url: str, service: StoreService, kube_cluster: KubeCluster
) -> AsyncIterator[Running]:
    """The API with the cluster access a platform gives it: here, the session cluster's kubeconfig."""
    source = KubeCredentialsSource(KubeAccess(kube_cluster.kubeconfig))
    async with serving(database_url, service, TEST_CONFIG, credentials=source) as running:
        yield running


def _ready_store(service: StoreService, tenant: str, engine: str) -> Store:
    name = f"shop-{uuid.uuid4().hex[:6]}"
    store = service.create_store(
        tenant=tenant, name=name, engine=engine, plan="small", idempotency_key=None,
        stamp=Stamp(tenant_actor(tenant, "t0"), f"create-{name}"),
    )
    system = Stamp(RECONCILER, f"create-{name}")
    service.change(store.id, lambda s: s.start_provisioning(stamp=system))
    url = f"http://{name}.{tenant}.stores.test/"
    return service.change(
        store.id, lambda s: s.record_ready(url=url, check="GET / answered 200", stamp=system)
    )


def _stored_states(database_url: str, store: Store) -> list[bytes]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT state FROM public.storeplane_events WHERE originator_id = %s "
            "ORDER BY originator_version", (store.id,),
        ).fetchall()
    return [bytes(row[0]) for row in rows]


async def _token(tokens: TokenStore, tenant: str) -> tuple[str, str]:
    token_id, token = await tokens.create(tenant=tenant)
    return token_id, token


@asynchronous
async def test_the_owner_gets_the_secrets_values_and_the_reveal_is_recorded_without_them(
    revealing: Running, service: StoreService, cluster: Cluster, database_url: str, tenant: str,
) -> None:
    api, tokens = revealing.api, revealing.services.tokens
    token_id, token = await _token(tokens, tenant)
    store = _ready_store(service, tenant, "woocommerce")
    values = _secret_values("woocommerce")
    cluster.store_secret(store.namespace, values)

    answer = (await api.data(REVEAL, {"id": str(store.id)}, token))["revealStoreCredentials"]

    assert answer["adminUrl"] == f"{store.url}wp-admin/"
    assert answer["adminUsername"] == values["admin-username"]
    assert answer["adminPassword"] == values["admin-password"]
    assert answer["publishableKey"] is None
    last = list(service.history(store.id))[-1]
    assert isinstance(last, Store.CredentialsRevealed)
    assert (last.actor, last.correlation_id) == (tenant_actor(tenant, token_id), answer["correlationId"])
    after = service.get_store(store.id)
    assert (after.status.value, after.status_reason, after.version) == ("ready", "", store.version + 1)
    stored = b"".join(_stored_states(database_url, store))
    for value in values.values():
        assert value.encode() not in stored, "a credential reached the event store"


@asynchronous
async def test_a_medusa_owner_gets_the_admin_email_and_the_publishable_key(
    revealing: Running, service: StoreService, cluster: Cluster, tenant: str,
) -> None:
    _, token = await _token(revealing.services.tokens, tenant)
    store = _ready_store(service, tenant, "medusa")
    values = _secret_values("medusa")
    cluster.store_secret(store.namespace, values)
    answer = (await revealing.api.data(REVEAL, {"id": str(store.id)}, token))["revealStoreCredentials"]
    assert answer["adminUrl"] == f"{store.url}app/"
    assert answer["adminUsername"] == values["admin-email"]
    assert answer["adminPassword"] == values["admin-password"]
    assert answer["publishableKey"] == values["publishable-key"]


@asynchronous
async def test_another_tenant_gets_not_found_and_nothing_is_recorded(
    revealing: Running, service: StoreService, cluster: Cluster, tenant: str,
) -> None:
    _, intruder = await _token(revealing.services.tokens, f"{tenant}-b")
    store = _ready_store(service, tenant, "woocommerce")
    cluster.store_secret(store.namespace, _secret_values("woocommerce"))
    for target in (str(store.id), str(uuid.uuid4())):
        body = await revealing.api.post(REVEAL, {"id": target}, intruder)
        assert error_codes(body) == ["NOT_FOUND"], body
        assert body["errors"][0]["message"] == f"store {target} does not exist"
        assert body["data"] is None
    assert service.get_store(store.id).version == store.version


@asynchronous
async def test_an_admin_may_reveal_any_tenants_store(
    revealing: Running, service: StoreService, cluster: Cluster, tenant: str,
) -> None:
    admin_id, admin = await revealing.services.tokens.create(tenant="admin", admin=True)
    store = _ready_store(service, tenant, "woocommerce")
    values = _secret_values("woocommerce")
    cluster.store_secret(store.namespace, values)
    answer = (await revealing.api.data(REVEAL, {"id": str(store.id)}, admin))["revealStoreCredentials"]
    assert answer["adminPassword"] == values["admin-password"]
    assert list(service.history(store.id))[-1].actor == f"admin:{admin_id}"


@asynchronous
async def test_a_store_that_is_not_ready_is_refused_and_nothing_is_recorded(
    revealing: Running, service: StoreService, tenant: str,
) -> None:
    _, token = await _token(revealing.services.tokens, tenant)
    store = service.create_store(
        tenant=tenant, name="early", engine="woocommerce", plan="small", idempotency_key=None,
        stamp=Stamp(tenant_actor(tenant, "t0"), "create-early"),
    )
    body = await revealing.api.post(REVEAL, {"id": str(store.id)}, token)
    assert error_codes(body) == ["CONFLICT"], body
    assert "once the store is READY" in body["errors"][0]["message"]
    assert service.get_store(store.id).version == 1


@asynchronous
async def test_a_ready_store_whose_secret_is_gone_is_refused_and_nothing_is_recorded(
    revealing: Running, service: StoreService, cluster: Cluster, tenant: str,
) -> None:
    _, token = await _token(revealing.services.tokens, tenant)
    store = _ready_store(service, tenant, "woocommerce")
    cluster.kubectl("create", "namespace", store.namespace)  # the namespace, but no Secret
    body = await revealing.api.post(REVEAL, {"id": str(store.id)}, token)
    assert error_codes(body) == ["CONFLICT"], body
    assert "store-credentials missing" in body["errors"][0]["message"]
    assert service.get_store(store.id).version == store.version


@asynchronous
async def test_the_links_and_the_timeline_of_a_revealed_store(
    revealing: Running, service: StoreService, cluster: Cluster, tenant: str,
) -> None:
    api = revealing.api
    token_id, token = await _token(revealing.services.tokens, tenant)
    store = _ready_store(service, tenant, "medusa")
    cluster.store_secret(store.namespace, _secret_values("medusa"))
    revealed = (await api.data(REVEAL, {"id": str(store.id)}, token))["revealStoreCredentials"]
    node = await _projected(api, token, str(store.id), store.version + 1)
    assert (node["storefrontUrl"], node["adminUrl"]) == (store.url, f"{store.url}app/")
    assert node["status"] == "READY"
    reveal = node["events"][-1]
    assert (reveal["type"], reveal["actor"], reveal["correlationId"]) == (
        "CredentialsRevealed", tenant_actor(tenant, token_id), revealed["correlationId"])
    assert revealed["adminPassword"] not in json.dumps(node)
    unready = service.create_store(
        tenant=tenant, name="later", engine="woocommerce", plan="small", idempotency_key=None,
        stamp=Stamp(tenant_actor(tenant, "t0"), "create-later"),
    )
    pending = await _projected(api, token, str(unready.id), 1)
    assert (pending["storefrontUrl"], pending["adminUrl"]) == (None, None)


async def _projected(api: Api, token: str, store_id: str, version: int) -> dict[str, Any]:
    """The store as the read model has it once the projection reached `version`."""
    for _ in range(200):
        node: dict[str, Any] = (await api.data(LINKS, {"id": store_id}, token))["store"]
        if node["version"] >= version:
            return node
        await asyncio.sleep(0.05)
    raise AssertionError(f"store {store_id} never reached version {version} in the read model")


def test_the_operator_cli_prints_the_four_values_and_is_recorded_as_the_operator(
    service: StoreService, cluster: Cluster, database_url: str, tenant: str,
) -> None:
    store = _ready_store(service, tenant, "medusa")
    values = _secret_values("medusa")
    cluster.store_secret(store.namespace, values)
    env = {**cluster.cluster.env(), "DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-m", "storeplane.cli", "stores", "credentials", str(store.id), "--json"],
        capture_output=True, text=True, timeout=120, env=env, cwd=REPO, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "admin_url": f"{store.url}app/", "admin_username": values["admin-email"],
        "admin_password": values["admin-password"], "publishable_key": values["publishable-key"],
    }
    last = list(service.history(store.id))[-1]
    assert isinstance(last, Store.CredentialsRevealed)
    assert last.actor.startswith("operator:")
    assert last.correlation_id.startswith("cli-")
    stored = b"".join(_stored_states(database_url, store))
    assert values["admin-password"].encode() not in stored


def test_the_operator_cli_refuses_a_store_that_is_not_ready_and_records_nothing(
    service: StoreService, cluster: Cluster, database_url: str, tenant: str,
) -> None:
    store = service.create_store(
        tenant=tenant, name="cli-early", engine="woocommerce", plan="small", idempotency_key=None,
        stamp=Stamp(tenant_actor(tenant, "t0"), "create-cli-early"),
    )
    env = {**cluster.cluster.env(), "DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-m", "storeplane.cli", "stores", "credentials", str(store.id)],
        capture_output=True, text=True, timeout=120, env=env, cwd=REPO, check=False,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "storeplane: conflict: cannot reveal the credentials of a store that is requested: "
        "they can be revealed once the store is READY"
    )
    assert service.get_store(store.id).version == 1
