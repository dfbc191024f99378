"""Pod start latency on the local cluster's real node, beside a kwok node (issue 14).

Starts its own cluster (``bench-node``, control plane + 3 kwok nodes + the real node), then
creates pods one at a time and times ``kubectl create`` until ``kubectl wait`` sees the pod
Ready: ``--pods`` on the real node (busybox stand-in image, already imported) and as many on
kwok nodes (the simulated baseline, same API path). Also times the warm ``up``. Needs root.

    .venv/bin/python -m bench.node_pod_start [--pods 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import time

from storeplane.localcluster import runtime, stack
from tests.node.kube import on_real_node

NAME = "bench-node"


def _pod(name: str, *, real: bool) -> dict[str, object]:
    sleeper = {"containers": [{"name": "c", "command": ["sleep", "3600"]}]}
    fake = {"containers": [{"name": "c", "image": "example.invalid/none:1"}]}
    spec = on_real_node(sleeper) if real else fake
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def _time_pod(target: runtime.Cluster, name: str, *, real: bool) -> float:
    started = time.monotonic()
    runtime.kubectl(target, "create", "-f", "-", stdin=json.dumps(_pod(name, real=real)))
    runtime.kubectl(target, "wait", "--for=condition=Ready", f"pod/{name}", "--timeout=120s", timeout=130)
    return time.monotonic() - started


def _summary(label: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p90 = ordered[max(0, int(len(ordered) * 0.9) - 1)]
    p50 = statistics.median(seconds)
    return f"{label}: n={len(seconds)} p50={p50:.2f}s p90={p90:.2f}s max={ordered[-1]:.2f}s"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=20)
    args = parser.parse_args()
    target = runtime.cluster(NAME)
    started = time.monotonic()
    outcome = stack.up(target, real_node=True)
    up_seconds = time.monotonic() - started
    try:
        real = [_time_pod(target, f"real-{i}", real=True) for i in range(args.pods)]
        kwok = [_time_pod(target, f"kwok-{i}", real=False) for i in range(args.pods)]
        print(f"cluster up (control plane + real node {outcome.real_node}): {up_seconds:.1f}s")
        print(_summary("pod create -> Ready, real node", real))
        print(_summary("pod create -> Ready, kwok node (baseline)", kwok))
    finally:
        stack.down(target)
        pattern = "kubelet|containerd|kube-proxy|coredns"
        leftover = subprocess.run(["pgrep", "-f", pattern], capture_output=True, check=False)
        if leftover.returncode == 0:
            print("warning: node processes still running:", leftover.stdout.decode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
