"""The whole local cluster: control plane with kwok nodes, plus the real node where it can run.

Fed by the CLI (``storeplane cluster up|down|status``) and the pytest fixture; feeds
``runtime`` (control plane, kwok nodes) and ``node`` (the real node). ``up`` starts the
real node by default when ``node.why_not`` finds nothing missing, and reports plainly
why it runs kwok-only otherwise; ``down`` removes the real node's traces first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from storeplane.localcluster import node, runtime


@dataclass(frozen=True)
class Outcome:
    """What ``up`` started: always the control plane; the real node or why not."""

    cluster: runtime.Cluster
    real_node: bool
    reason: str


def up(
    target: runtime.Cluster,
    *,
    nodes: int = runtime.DEFAULT_NODES,
    real_node: bool | None = None,
    progress: node.Progress = node._quiet,
) -> Outcome:
    """Start the cluster; ``real_node`` None: where the machine can, True: or fail, False: never.

    Raises ``runtime.ClusterError`` or ``node.NodeError``.
    """
    runtime.up(target, nodes=nodes)
    if real_node is False:
        return Outcome(target, False, "real node not requested")
    reason = node.why_not(target)
    if reason and real_node is None:
        return Outcome(target, False, reason)
    node.up(target, progress)
    return Outcome(target, True, "")


def down(target: runtime.Cluster) -> list[str]:
    """Remove the real node (processes, network, cgroups, sysctls), then the control plane."""
    cleaned = node.down(target)
    runtime.down(target)
    return cleaned


def node_lines(target: runtime.Cluster) -> list[str]:
    """One line per node: name, kind (kwok or real), Ready, taints."""
    try:
        listed = json.loads(runtime.kubectl(target, "get", "nodes", "-o", "json", timeout=10))
    except runtime.ClusterError:
        return []
    lines = []
    for item in listed.get("items", []):
        meta, spec = item.get("metadata", {}), item.get("spec", {})
        kind = "kwok" if meta.get("annotations", {}).get("kwok.x-k8s.io/node") == "fake" else "real"
        conditions = item.get("status", {}).get("conditions", [])
        ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
        taints = ",".join(f"{t['key']}:{t['effect']}" for t in spec.get("taints", []))
        lines.append(f"{meta.get('name')}\t{kind}\t{'Ready' if ready else 'NotReady'}\t{taints or '-'}")
    return lines
