"""The store charts' own database manifests run on the stand-in images: the medusa chart's
PostgreSQL and Redis, the woocommerce chart's MariaDB.

Fed by ``helm template`` of ``charts/medusa`` (its local values plus the real node's
toleration and selector) and the session cluster's real node; checks that the stand-ins
honour what the charts rely on: uid 999 with a read-only root filesystem, POSTGRES_*,
PGDATA, MARIADB_* on real PVCs, the args, ports and the probes' tools (pg_isready,
redis-cli, healthcheck.sh, mariadb-admin).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from storeplane.localcluster import nodeconfig as nc
from tests.node.kube import Kubectl

pytestmark = [pytest.mark.cluster, pytest.mark.node]

CHARTS = Path(__file__).resolve().parents[2] / "charts"
PASSWORD = "stand-in-secret"


def _render(kubectl: Kubectl, tmp_path: Path, engine: str) -> list[dict[str, Any]]:
    chart = CHARTS / engine
    real_node = {
        "tolerations": [{"key": nc.TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"}],
        "nodeSelector": {nc.NODE_LABEL: "real"},
    }
    values = tmp_path / "real-node.yaml"
    values.write_text(json.dumps(real_node))
    args = [
        str(kubectl.cluster.bin_dir / "helm"),
        "template",
        "shop1",
        str(chart),
        "--namespace",
        kubectl.namespace,
        "-f",
        str(chart / "values-local.yaml"),
        "-f",
        str(values),
        "--set-string",
        "store.name=shop1,store.tenant=acme,store.host=shop1.acme.local",
        "--set",
        "store.credentialsSecret=shop1-credentials",
    ]
    env = {**kubectl.cluster.env(), "HELM_CACHE_HOME": str(tmp_path / "helm")}
    out = subprocess.run(args, env=env, capture_output=True, text=True, check=True, timeout=60).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def _component(docs: list[dict[str, Any]], component: str) -> list[dict[str, Any]]:
    wanted = []
    for doc in docs:
        labels = doc.get("metadata", {}).get("labels", {})
        if labels.get("app.kubernetes.io/component") == component and doc["kind"] != "Ingress":
            wanted.append(doc)
    return wanted


def test_the_charts_postgresql_and_redis_run_on_the_stand_ins(kubectl: Kubectl, tmp_path: Path) -> None:
    docs = _render(kubectl, tmp_path, "medusa")
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "shop1-credentials"},
        "stringData": {"database-password": PASSWORD},
    }
    kubectl.apply(secret, *_component(docs, "database"), *_component(docs, "redis"))

    kubectl.wait("pod/postgresql-0", "condition=Ready", timeout=240)
    kubectl.wait("deployment/redis", "condition=Available", timeout=120)

    query = f"PGPASSWORD={PASSWORD} psql -h 127.0.0.1 -U medusa -d medusa -tAc 'select current_user, 40 + 2'"
    out = kubectl.run("exec", "postgresql-0", "--", "sh", "-c", query)
    assert out.strip() == "medusa|42", out
    whoami = kubectl.run("exec", "postgresql-0", "--", "id", "-u")
    assert whoami.strip() == "999"
    settings = kubectl.run(
        "exec",
        "postgresql-0",
        "--",
        "sh",
        "-c",
        f"PGPASSWORD={PASSWORD} psql -h 127.0.0.1 -U medusa -d medusa -tAc 'show max_connections'",
    )
    assert settings.strip() == "50"  # the chart's args reached postgres

    redis = kubectl.run("exec", "deploy/redis", "--", "sh", "-c", "redis-cli set k v && redis-cli get k")
    assert redis.split() == ["OK", "v"]
    assert (
        kubectl.run("exec", "deploy/redis", "--", "redis-cli", "config", "get", "maxmemory-policy").split()[
            -1
        ]
        == "noeviction"
    )


def test_the_woocommerce_charts_mariadb_runs_on_the_stand_in(kubectl: Kubectl, tmp_path: Path) -> None:
    docs = _render(kubectl, tmp_path, "woocommerce")
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "shop1-credentials"},
        "stringData": {"database-password": PASSWORD, "database-root-password": PASSWORD + "-root"},
    }
    kubectl.apply(secret, *_component(docs, "database"))
    kubectl.wait("pod/mariadb-0", "condition=Ready", timeout=240)  # healthcheck.sh probes

    login = f"mariadb -h 127.0.0.1 -u wordpress -p{PASSWORD} wordpress -N -e 'select current_user(), 40 + 2'"
    out = kubectl.run("exec", "mariadb-0", "--", "sh", "-c", login)
    assert out.split() == ["wordpress@%", "42"], out
    # What the chart's wait-for-database init container runs, through the Service by DNS name.
    ping = "mariadb-admin ping --protocol=tcp --host=mariadb --user=wordpress --silent"
    kubectl.run("exec", "mariadb-0", "--", "sh", "-c", ping)  # exit 0, or kubectl.run fails
    settings = "select @@max_connections, @@performance_schema"
    root = f"mariadb -h 127.0.0.1 -u root -p{PASSWORD}-root -N -e '{settings}'"
    assert kubectl.run("exec", "mariadb-0", "--", "sh", "-c", root).split() == ["50", "0"]
