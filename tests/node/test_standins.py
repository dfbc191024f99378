"""The store charts' own manifests run on the stand-in images: the medusa chart's PostgreSQL and
Redis, the woocommerce chart's MariaDB and WordPress.

Fed by ``helm template`` of ``charts/medusa`` (its local values plus the real node's
toleration and selector) and the session cluster's real node; checks that the stand-ins
honour what the charts rely on: uid 999 with a read-only root filesystem, POSTGRES_*,
PGDATA, MARIADB_* on real PVCs, the args, ports and the probes' tools (pg_isready,
redis-cli, healthcheck.sh, mariadb-admin).
"""

from __future__ import annotations

import http.client
import json
import subprocess
import urllib.parse
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


def _http(address: str, path: str, *, host: str, form: dict[str, str] | None = None) -> tuple[int, str]:
    """One request to `address` as `host` (WordPress answers its own host name), redirects not
    followed; (0, reason) when nothing answered."""
    connection = http.client.HTTPConnection(address, 80, timeout=30)
    try:
        body = urllib.parse.urlencode(form) if form is not None else None
        headers = {"Host": host}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request("POST" if body is not None else "GET", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    except OSError as error:
        return 0, str(error)
    finally:
        connection.close()


def test_the_woocommerce_charts_wordpress_serves_from_the_stand_in(kubectl: Kubectl, tmp_path: Path) -> None:
    """The chart's WordPress Deployment (read-only root, uid 33, probes on /wp-login.php) on the
    stand-in, against the chart's MariaDB: the installer renders (the database connection works),
    installing through it succeeds, and then the home page answers with the store's title."""
    docs = _render(kubectl, tmp_path, "woocommerce")
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "shop1-credentials"},
        "stringData": {"database-password": PASSWORD, "database-root-password": PASSWORD + "-root"},
    }
    kubectl.apply(secret, *_component(docs, "database"), *_component(docs, "wordpress"))
    kubectl.wait("pod/mariadb-0", "condition=Ready", timeout=240)
    kubectl.wait("deployment/wordpress", "condition=Available", timeout=300)
    assert kubectl.run("exec", "deploy/wordpress", "--", "id", "-u").strip() == "33"

    address = kubectl.json("service", "wordpress")["spec"]["clusterIP"]
    host = "shop1.acme.local"
    status, page = _http(address, "/wp-admin/install.php", host=host)
    assert status == 200, (status, page[-2000:])
    assert "Error establishing a database connection" not in page
    assert 'name="weblog_title"' in page, page[-2000:]
    status, page = _http(address, "/wp-admin/install.php?step=2", host=host, form={
        "weblog_title": "Stand-in Shop", "user_name": "owner", "admin_password": "Own3r-pass-words",
        "admin_password2": "Own3r-pass-words", "pw_weak": "on", "admin_email": "owner@shop1.acme.local",
        "blog_public": "0", "language": "",
    })
    assert status == 200, (status, page[-2000:])
    assert "Success!" in page, page[-2000:]
    status, page = _http(address, "/", host=host)
    assert status == 200, (status, page[-2000:])
    assert "Stand-in Shop" in page
