"""Start, inspect and stop a local cluster: real control plane, kwok-simulated nodes.

Fed by the bin dir from ``build.ensure_built()`` and the stages from ``stages.py``;
feeds the ``storeplane cluster`` CLI and the pytest fixture with a ``Cluster`` whose
kubeconfig points at a running kube-apiserver. kwokctl's binary runtime supervises
etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok as local
processes; their state and logs live in ``<cache>/clusters/<name>``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from storeplane.localcluster import build, paths, stages, versions

DEFAULT_NAME = "storeplane"
DEFAULT_NODES = 3
READY_TIMEOUT_SECONDS = 90
KUBECONFIG_NAME = "kubeconfig.yaml"  # written by kwokctl into the cluster dir
INPUT_CONFIG_NAME = "storeplane-kwokctl.yaml"
SERVICE_CLUSTER_IP_RANGE = "10.96.0.0/16"
LOG_TAIL_LINES = 12
FAKE_NODE_SELECTOR = "kwok.x-k8s.io/node=fake"  # set on every node `kwokctl scale node` creates


class ClusterError(RuntimeError):
    """The cluster could not be started or reached; the message carries the log tails."""


@dataclass(frozen=True)
class Cluster:
    """A named local cluster and the tools that talk to it."""

    name: str
    cache: Path
    bin_dir: Path

    @property
    def state_dir(self) -> Path:
        return paths.clusters_dir(self.cache) / self.name

    @property
    def kubeconfig(self) -> Path:
        return self.state_dir / KUBECONFIG_NAME

    def tool_env(self) -> dict[str, str]:
        """Environment for kwokctl, kubectl and helm: our binaries first on PATH."""
        env = dict(os.environ)
        env["PATH"] = f"{self.bin_dir}{os.pathsep}{env.get('PATH', '')}"
        env["KWOK_WORKDIR"] = str(self.cache)  # kwokctl keeps clusters in <cache>/clusters
        env["KUBECONFIG"] = str(self.kubeconfig)
        return env


@dataclass(frozen=True)
class ClusterStatus:
    name: str
    exists: bool
    api_ready: bool
    ready_nodes: int
    kubeconfig: Path


def cluster(name: str = DEFAULT_NAME, *, cache: Path | None = None, bin_dir: Path | None = None) -> Cluster:
    """Describe a cluster; builds the binaries when ``bin_dir`` is not given."""
    cache = cache or paths.cache_dir()
    return Cluster(name=name, cache=cache, bin_dir=bin_dir or build.ensure_built(cache))


def _run(
    target: Cluster,
    args: Sequence[str],
    *,
    step: str,
    stdin: str | None = None,
    timeout: float = 180,
) -> str:
    try:
        result = subprocess.run(
            list(args),
            env=target.tool_env(),
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as error:
        raise ClusterError(f"{step} timed out after {timeout:.0f}s\n{log_tail(target)}") from error
    if result.returncode != 0:
        output = "\n".join((result.stdout + result.stderr).splitlines()[-LOG_TAIL_LINES:])
        raise ClusterError(f"{step} failed (exit {result.returncode}):\n{output}\n{log_tail(target)}")
    return result.stdout


def kwokctl_configuration(bin_dir: Path, pki_dir: Path) -> dict[str, object]:
    """kwokctl options: our binaries, secure port with authz and admission (quota, limits).

    kwok manages only its own fake nodes (annotation ``kwok.x-k8s.io/node=fake``, which
    ``kwokctl scale node`` sets), so a real kubelet's node is left alone; the apiserver
    reaches a kubelet at its InternalIP with the admin client certificate (logs, exec).
    """
    return {
        "apiVersion": "config.kwok.x-k8s.io/v1alpha1",
        "kind": "KwokctlConfiguration",
        "options": {
            "runtime": "binary",
            "bindAddress": "127.0.0.1",  # components listen on loopback only
            "kubeVersion": versions.KUBERNETES_VERSION,
            "securePort": True,
            "kubeAuthorization": True,
            "kubeAdmission": True,
            "quietPull": True,
            "etcdBinary": str(bin_dir / "etcd"),
            "kubeApiserverBinary": str(bin_dir / "kube-apiserver"),
            "kubeControllerManagerBinary": str(bin_dir / "kube-controller-manager"),
            "kubeSchedulerBinary": str(bin_dir / "kube-scheduler"),
            "kwokControllerBinary": str(bin_dir / "kwok"),
            "kubectlBinary": str(bin_dir / "kubectl"),
        },
        "componentsPatches": [
            # Hosts without a default route cannot pick an address to advertise.
            {
                "name": "kube-apiserver",
                "extraArgs": [
                    {"key": "advertise-address", "value": "127.0.0.1"},
                    # Endpoints may not hold a loopback address; nothing in-cluster dials
                    # the apiserver through the kubernetes Service anyway.
                    {"key": "endpoint-reconciler-type", "value": "none"},
                    # The default /24 holds ~250 Services: ~125 WooCommerce stores. A /16 holds
                    # what a local run can create.
                    {"key": "service-cluster-ip-range", "value": SERVICE_CLUSTER_IP_RANGE},
                    {"key": "kubelet-preferred-address-types", "value": "InternalIP"},
                    {"key": "kubelet-client-certificate", "value": str(pki_dir / "admin.crt")},
                    {"key": "kubelet-client-key", "value": str(pki_dir / "admin.key")},
                ],
            },
            # One instance of each: with leader election, an apiserver slow for 10 s on a busy
            # machine made both lose their lease and exit, and nothing scheduled a pod again.
            {"name": "kube-controller-manager", "extraArgs": [{"key": "leader-elect", "value": "false"}]},
            {"name": "kube-scheduler", "extraArgs": [{"key": "leader-elect", "value": "false"}]},
            {
                "name": "kwok-controller",
                "extraArgs": [
                    {"key": "manage-all-nodes", "value": "false"},
                    {"key": "manage-nodes-with-annotation-selector", "value": FAKE_NODE_SELECTOR},
                ],
            },
        ],
    }


def _kwok_manifests(target: Cluster) -> tuple[list[str], str]:
    """kwok's stage documents and its StorageClass manifest, for the pinned kwok."""
    try:
        source = stages.kwok_source_dir(build.go_environment(target.cache))
        return stages.stage_documents(source), stages.storage_class_manifest(source)
    except stages.StagesError as error:
        raise ClusterError(str(error)) from error


def _write_input_config(target: Cluster, stage_documents: list[str]) -> Path:
    configuration = kwokctl_configuration(target.bin_dir, target.state_dir / "pki")
    documents = [json.dumps(configuration, indent=2), *stage_documents]
    target.state_dir.mkdir(parents=True, exist_ok=True)
    config = target.state_dir / INPUT_CONFIG_NAME
    config.write_text("\n---\n".join(documents) + "\n")
    return config


def _kwokctl(target: Cluster, *args: str, step: str, timeout: float = 180) -> str:
    return _run(
        target,
        [str(target.bin_dir / "kwokctl"), "--name", target.name, *args],
        step=step,
        timeout=timeout,
    )


def kubectl(target: Cluster, *args: str, stdin: str | None = None, timeout: float = 60) -> str:
    command = [str(target.bin_dir / "kubectl"), "--kubeconfig", str(target.kubeconfig), *args]
    return _run(target, command, step=f"kubectl {' '.join(args)}", stdin=stdin, timeout=timeout)


def up(target: Cluster, *, nodes: int = DEFAULT_NODES) -> Cluster:
    """Create (or restart) the cluster, add fake nodes and the default StorageClass."""
    stage_documents, storage_class = _kwok_manifests(target)
    # --kubeconfig= : never touch ~/.kube/config. --timeout bounds kwokctl's own wait for
    # the apiserver (2 min, after which it only warns); wait_ready below does the rest.
    create = ["create", "cluster", "--kubeconfig=", "--timeout=60s"]
    if not _exists(target):
        create.append(f"--config={_write_input_config(target, stage_documents)}")
    elif not status(target).api_ready:
        # Left half-running (a reboot, a killed process): stop what remains so that
        # create starts every component afresh on the existing state.
        _kwokctl(target, "stop", "cluster", step=f"kwokctl stop cluster {target.name}")
        refuse_taken_ports(target)
    _kwokctl(target, *create, step=f"kwokctl create cluster {target.name}")
    wait_ready(target, nodes=0)
    _kwokctl(target, "scale", "node", f"--replicas={nodes}", step="kwokctl scale node")
    kubectl(target, "apply", "-f", "-", stdin=storage_class)
    wait_ready(target, nodes=nodes)
    return target


def saved_ports(target: Cluster) -> dict[str, int]:
    """The loopback ports kwokctl saved for a cluster's components when it created it (its
    `kwok.yaml`), by option name (`kubeApiserverPort`, `etcdPort`, ...)."""
    for document in yaml.safe_load_all((target.state_dir / "kwok.yaml").read_text()):
        if isinstance(document, dict) and document.get("kind") == "KwokctlConfiguration":
            options = document.get("options") or {}
            return {name: value for name, value in options.items()
                    if name.endswith("Port") and isinstance(value, int) and value > 0}
    return {}


def refuse_taken_ports(target: Cluster) -> None:
    """Raises `ClusterError` when a stopped cluster's saved ports are in use by something else.

    kwokctl chooses free ports when it creates a cluster and keeps them across stops, while a
    cluster created meanwhile may be given the same ones. Restarted on a taken API port, the
    cluster's clients talked to the other cluster's API server and failed on its certificate
    ("signed by unknown authority"), a message that named neither port nor cause."""
    taken = {name: port for name, port in saved_ports(target).items() if _listening(port)}
    if taken:
        listed = ", ".join(f"{port} ({name.removesuffix('Port')})" for name, port in sorted(taken.items()))
        raise ClusterError(
            f"cluster {target.name} is stopped, and ports it was created with are now in use by "
            f"another process (another local cluster?): {listed}. Stop that one first, or "
            f"recreate this one on free ports with `storeplane cluster down --name {target.name}`."
        )


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_ready(target: Cluster, *, nodes: int, timeout: float = READY_TIMEOUT_SECONDS) -> None:
    """Block until the API is ready and ``nodes`` nodes report Ready."""
    deadline = time.monotonic() + timeout
    while True:
        current = status(target)
        if current.api_ready and current.ready_nodes >= nodes:
            return
        dead = dead_components(target)
        if dead:
            raise ClusterError(f"cluster {target.name}: {', '.join(dead)} exited\n{log_tail(target)}")
        if time.monotonic() > deadline:
            raise ClusterError(
                f"cluster {target.name} not ready after {timeout:.0f}s "
                f"(api_ready={current.api_ready}, ready_nodes={current.ready_nodes}/{nodes})\n"
                f"{log_tail(target)}"
            )
        time.sleep(0.5)


def dead_components(target: Cluster) -> list[str]:
    """Components whose process (per kwokctl's pid files) is no longer running."""
    dead = []
    for pid_file in sorted((target.state_dir / "pids").glob("*.pid")):
        pid = pid_file.read_text().strip()
        if not pid.isdigit() or not Path(f"/proc/{pid}").exists():
            dead.append(pid_file.stem)
    return dead


def _exists(target: Cluster) -> bool:
    return (target.state_dir / "kwok.yaml").exists()  # kwokctl's saved configuration


def status(target: Cluster) -> ClusterStatus:
    exists = _exists(target)
    api_ready = False
    ready_nodes = 0
    if exists and target.kubeconfig.exists():
        env = target.tool_env()
        base = [
            str(target.bin_dir / "kubectl"),
            "--kubeconfig",
            str(target.kubeconfig),
            "--request-timeout=5s",
        ]
        readyz = subprocess.run([*base, "get", "--raw", "/readyz"], env=env, capture_output=True, text=True)
        api_ready = readyz.returncode == 0 and readyz.stdout.strip() == "ok"
        if api_ready:
            listed = subprocess.run(
                [*base, "get", "nodes", "-o", "json"], env=env, capture_output=True, text=True
            )
            if listed.returncode == 0:
                ready_nodes = _count_ready_nodes(json.loads(listed.stdout))
    return ClusterStatus(target.name, exists, api_ready, ready_nodes, target.kubeconfig)


def _count_ready_nodes(node_list: Mapping[str, object]) -> int:
    items = node_list.get("items")
    if not isinstance(items, list):
        return 0
    ready = 0
    for node in items:
        conditions = node.get("status", {}).get("conditions", [])
        if any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
            ready += 1
    return ready


def down(target: Cluster) -> None:
    """Stop every process of the cluster and delete its state."""
    if _exists(target):
        _kwokctl(
            target,
            "delete",
            "cluster",
            # Its own kubeconfig, deleted with it: kwokctl must not edit ~/.kube/config.
            f"--kubeconfig={target.kubeconfig}",
            step=f"kwokctl delete cluster {target.name}",
        )
    shutil.rmtree(target.state_dir, ignore_errors=True)


def log_tail(target: Cluster, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of every component log, for error messages."""
    logs = sorted((target.state_dir / "logs").glob("*.log"))
    if not logs:
        return f"(no component logs in {target.state_dir / 'logs'})"
    parts = []
    for log in logs:
        tail = log.read_text(errors="replace").splitlines()[-lines:]
        parts.append(f"--- {log} (last {len(tail)} lines) ---\n" + "\n".join(tail))
    return "\n".join(parts)
