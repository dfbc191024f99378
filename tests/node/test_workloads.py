"""Workloads that really run on the real node: HTTP through a Service, DNS, volumes,
probes, memory limits, quotas, logs and exec.

Fed by the session cluster's real node (``kubectl`` fixture, tests/node/conftest.py);
feeds nothing. Every pod tolerates the node's taint and uses a local stand-in image.
"""

from __future__ import annotations

import json
import subprocess
import urllib.request
from typing import Any

import pytest

from storeplane.localcluster import nodeconfig as nc
from tests.node.kube import Kubectl, eventually, on_real_node, pod

pytestmark = [pytest.mark.cluster, pytest.mark.node]

HTTPD = {
    "name": "web",
    "command": ["httpd", "-f", "-p", "8080", "-h", "/www"],
    "ports": [{"containerPort": 8080}],
}


def _deployment(name: str) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": on_real_node(
                    {
                        "containers": [
                            {
                                **HTTPD,
                                "readinessProbe": {
                                    "httpGet": {"path": "/", "port": 8080},
                                    "periodSeconds": 1,
                                },
                            }
                        ]
                    }
                ),
            },
        },
    }


def _service(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]},
    }


def _get(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 (cluster addresses only)
            return str(response.read().decode())
    except OSError:
        return ""


def test_deployment_answers_through_its_service_from_host_and_by_dns_from_a_pod(kubectl: Kubectl) -> None:
    kubectl.apply(_deployment("web"), _service("web"))
    kubectl.wait("deployment/web", "condition=Available")
    cluster_ip = kubectl.json("service", "web")["spec"]["clusterIP"]

    body = eventually(lambda: _get(f"http://{cluster_ip}/"), what=f"GET http://{cluster_ip}/ from the host")
    assert "storeplane stand-in base" in body

    name = f"web.{kubectl.namespace}.svc.{nc.CLUSTER_DOMAIN}"
    kubectl.apply(
        pod(
            "client",
            {
                "restartPolicy": "Never",
                "containers": [
                    {
                        "name": "c",
                        "command": ["sh", "-c", f"wget -qO- http://{name}/ || wget -qO- http://web/"],
                    }
                ],
            },
        )
    )
    kubectl.wait("pod/client", "jsonpath={.status.phase}=Succeeded")
    assert "storeplane stand-in base" in kubectl.run("logs", "client")


def test_a_job_writes_a_volume_that_a_later_pod_reads(kubectl: Kubectl) -> None:
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Mi"}}},
    }
    volume = {"volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]}
    mount = {"volumeMounts": [{"name": "data", "mountPath": "/data"}]}
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "writer"},
        "spec": {
            "backoffLimit": 0,
            "template": {
                "spec": on_real_node(
                    {
                        "restartPolicy": "Never",
                        **volume,
                        "containers": [
                            {"name": "w", "command": ["sh", "-c", "echo written-by-job > /data/f"], **mount}
                        ],
                    }
                )
            },
        },
    }
    kubectl.apply(claim, job)
    kubectl.wait("job/writer", "condition=Complete")
    kubectl.apply(
        pod(
            "reader",
            {
                "restartPolicy": "Never",
                **volume,
                "containers": [{"name": "r", "command": ["cat", "/data/f"], **mount}],
            },
        )
    )
    kubectl.wait("pod/reader", "jsonpath={.status.phase}=Succeeded")
    assert kubectl.run("logs", "reader").strip() == "written-by-job"


def test_a_failing_liveness_probe_restarts_the_container(kubectl: Kubectl) -> None:
    probe = {"exec": {"command": ["cat", "/alive"]}, "periodSeconds": 1, "failureThreshold": 1}
    container = {"name": "c", "command": ["sh", "-c", "touch /alive; sleep 3; rm /alive; sleep 600"]}
    kubectl.apply(pod("probed", {"containers": [{**container, "livenessProbe": probe}]}))

    def restarts() -> int:
        statuses = kubectl.json("pod", "probed").get("status", {}).get("containerStatuses", [])
        return int(statuses[0]["restartCount"]) if statuses else 0

    eventually(restarts, what="a restart after the liveness probe failed", timeout=120)
    assert "Liveness probe failed" in kubectl.run(
        "get", "events", "--field-selector=involvedObject.name=probed"
    )


def test_a_container_over_its_memory_limit_is_oom_killed(kubectl: Kubectl) -> None:
    hog = {
        "name": "hog",
        # Doubles a shell variable until it holds far more than the 32Mi limit.
        "command": ["sh", "-c", "x=a; while true; do x=$x$x; done"],
        "resources": {"limits": {"memory": "32Mi", "cpu": "500m"}},
    }
    kubectl.apply(pod("hog", {"restartPolicy": "Never", "containers": [hog]}))

    def terminated() -> dict[str, Any]:
        statuses = kubectl.json("pod", "hog").get("status", {}).get("containerStatuses", [])
        state: dict[str, Any] = statuses[0].get("state", {}).get("terminated", {}) if statuses else {}
        return state

    state = eventually(terminated, what="the memory hog to terminate", timeout=120)
    assert state["reason"] == "OOMKilled", state
    assert state["exitCode"] == 137


def test_a_quota_limited_namespace_refuses_an_over_quota_pod(kubectl: Kubectl) -> None:
    quota = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "small"},
        "spec": {"hard": {"limits.memory": "64Mi", "pods": "2"}},
    }
    kubectl.apply(quota)
    eventually(
        lambda: kubectl.json("resourcequota", "small").get("status", {}).get("hard"), what="quota status"
    )
    fits = {
        "name": "c",
        "command": ["sleep", "600"],
        "resources": {"limits": {"memory": "32Mi", "cpu": "100m"}},
    }
    kubectl.apply(pod("fits", {"containers": [fits]}))
    kubectl.wait("pod/fits", "condition=Ready")

    big = {**fits, "resources": {"limits": {"memory": "128Mi", "cpu": "100m"}}}
    manifest = json.dumps(pod("too-big", {"containers": [big]}))
    result = kubectl.run("apply", "-f", "-", stdin=manifest, check=False)
    assert "exceeded quota" in result, result


def test_logs_and_exec_reach_the_container(kubectl: Kubectl) -> None:
    kubectl.apply(
        pod(
            "talker",
            {"containers": [{"name": "c", "command": ["sh", "-c", "echo hello-from-pod; sleep 600"]}]},
        )
    )
    kubectl.wait("pod/talker", "condition=Ready")

    assert "hello-from-pod" in eventually(lambda: kubectl.run("logs", "talker", check=False), what="logs")
    out = kubectl.run("exec", "talker", "--", "sh", "-c", "echo $((6*7)) && cat /etc/resolv.conf")
    assert out.startswith("42")
    assert f"nameserver {nc.GATEWAY}" in out
    assert (
        "exec-ok"
        in subprocess.run(
            [
                str(kubectl.cluster.bin_dir / "kubectl"),
                "-n",
                kubectl.namespace,
                "exec",
                "-i",
                "talker",
                "--",
                "cat",
            ],
            env=kubectl.cluster.env(),
            input="exec-ok",
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    )
