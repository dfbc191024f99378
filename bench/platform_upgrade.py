"""Errors a burst of createStore calls sees while ``helm upgrade`` rolls the platform (issue 16).

Starts its own cluster (``bench-upgrade``: control plane, kwok nodes, the real node and its
Traefik), names the storeplane image also ``0.1.0-next`` in the node's containerd (the same build
retagged), then per variant and round: ``helm install`` of ``deploy/helm/storeplane`` with
``values-local.yaml`` in a fresh namespace, a burst through the ingress (``tests/node/
upgrade_burst.py``: 6 tenants, one create every ``--pause`` s each, retried with its idempotency
key until acknowledged) during ``helm upgrade --set image.tag=<the other tag> --wait``, then
uninstall and delete the namespace and the burst's stores' namespaces. Variants: ``without``
(``api.preStopSleepSeconds=0``, grace 31 s: the chart as it was before the drain) and ``with``
(the chart's defaults). Beside the creates, a probe of cheap GraphQL POSTs (``Probe``, ~40/s)
counts what a denser client would have seen. Prints one JSON line per round. Needs root.

    .venv/bin/python -m bench.platform_upgrade [--rounds 2] [--per-tenant 8] [--pause 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field

from reconciler.cluster import manifests
from storeplane.localcluster import appimages, node, runtime, stack
from tests.fixtures.kube import KubeCluster
from tests.node import platform_api
from tests.node.kube import Kubectl, eventually
from tests.node.upgrade_burst import Burst

NAME = "bench-upgrade"
RELEASE = "sp-bench"
TAGS = ("0.1.0", "0.1.0-next")
VARIANTS = {
    "without": ("--set", "api.preStopSleepSeconds=0", "--set", "api.terminationGracePeriodSeconds=31"),
    "with": (),
}


def _helm(cluster: KubeCluster, *args: str) -> str:
    command = [str(cluster.bin_dir / "helm"), *args]
    result = subprocess.run(
        command, env=cluster.env(), capture_output=True, text=True, check=False, timeout=900
    )
    if result.returncode != 0:
        raise RuntimeError(f"helm {' '.join(args)}: {result.stdout}{result.stderr}")
    return result.stdout


@dataclass
class Probe:
    """Cheap GraphQL POSTs (``{ __typename }``) through Traefik from a few threads while the
    upgrade runs: many more requests than the creates, so a short window in which the ingress
    still routes to a closing pod shows up even when no create happened to fall into it."""

    token: str
    threads: int = 4
    pause: float = 0.1
    sent: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                status, _body = platform_api.post(self.token, "{ __typename }", {}, timeout=10)
                kind = "" if status == 200 else f"HTTP {status}"
            except OSError as error:
                kind = f"connection: {type(error).__name__}"
            with self._lock:
                self.sent += 1
                if kind:
                    self.errors[kind] = self.errors.get(kind, 0) + 1
            time.sleep(self.pause)

    def start(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._loop) for _ in range(self.threads)]
        for thread in threads:
            thread.start()
        return threads


def _round(cluster: KubeCluster, variant: str, args: argparse.Namespace) -> dict[str, object]:
    namespace = f"bench-{uuid.uuid4().hex[:8]}"
    admin = Kubectl(cluster, "default")
    admin.run("create", "namespace", namespace)
    scoped = Kubectl(cluster, namespace)
    chart = str(platform_api.CHART)
    common = [RELEASE, chart, "-n", namespace, "-f", f"{chart}/values-local.yaml", *VARIANTS[variant],
              "--wait", "--timeout", "600s"]
    burst = Burst(token="", tenants=tuple(f"b{variant}{i}" for i in range(6)),
                  per_tenant=args.per_tenant, pause=args.pause)
    try:
        _helm(cluster, "install", *common, "--set", f"image.tag={TAGS[0]}")
        eventually(lambda: platform_api.get("/")[0] == 200, what="the dashboard through Traefik")
        burst.token = scoped.run("exec", f"deploy/{RELEASE}-storeplane-api", "--", "storeplane", "tokens",
                                 "create", "--tenant", "admin", "--admin").strip()
        sender = threading.Thread(target=burst.run)
        sender.start()
        eventually(lambda: burst.acknowledged(), what="the first acknowledged create")
        probe = Probe(burst.token)
        probing = probe.start()
        started = time.monotonic()
        try:
            _helm(cluster, "upgrade", *common, "--set", f"image.tag={TAGS[1]}")
        finally:
            probe.stop.set()
        upgrade_s = time.monotonic() - started
        for thread in [sender, *probing]:
            thread.join()
        during = sum(started <= c.started <= started + upgrade_s for c in burst.creates)
        return {"variant": variant, "upgrade_s": round(upgrade_s, 1), "creates_during_upgrade": during,
                **burst.summary(), "probe_requests": probe.sent, "probe_errors": probe.errors}
    finally:
        _helm(cluster, "uninstall", RELEASE, "-n", namespace, "--ignore-not-found", "--wait")
        # The stores the round made (the uninstall leaves them, by design) go too: the next round
        # starts on an equally loaded cluster.
        stores = admin.run("get", "namespaces", "-l", f"{manifests.MANAGED_BY_LABEL}={manifests.MANAGED_BY}",
                           "-o", "jsonpath={.items[*].metadata.name}", check=False).split()
        admin.run("delete", "namespace", namespace, *stores, "--wait=false", check=False)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--per-tenant", type=int, default=8)
    parser.add_argument("--pause", type=float, default=3.0)
    args = parser.parse_args()
    target = runtime.cluster(NAME)
    stack.up(target, real_node=True)
    try:
        image = appimages.STOREPLANE.name
        node.tag_image(target, image, f"{image.rpartition(':')[0]}:{TAGS[1]}")
        cluster = KubeCluster(name=target.name, kubeconfig=target.kubeconfig, bin_dir=target.bin_dir)
        print(f"load before: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
        for number in range(args.rounds):
            for variant in VARIANTS:
                print(json.dumps({"round": number + 1, **_round(cluster, variant, args)}), flush=True)
        print(f"load after: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    finally:
        stack.down(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
