"""One real node beside the kwok nodes: containerd, CoreDNS, kubelet, kube-proxy, Traefik.

Fed by a running ``runtime.Cluster`` (kubeconfig, CA), the node binaries
(``nodebuild``), the images (``images``) and the configs (``nodeconfig``); feeds the
cluster with node ``real-node`` (tainted, so only tolerating pods land there) and the
host with processes, a bridge, iptables chains and cgroups that ``down`` removes again.
``why_not`` says plainly when this machine cannot run it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from storeplane.localcluster import (
    apibridge,
    appimages,
    cgroups,
    hostnet,
    images,
    netguard,
    nodebuild,
    nodeprocs,
    runtime,
    sysctls,
)
from storeplane.localcluster import nodeconfig as nc

OWNER_FILE = Path("/run/storeplane-real-node.owner")
CLAIM_LOCK = Path("/run/storeplane-real-node.lock")
CLAIM_TIMEOUT = 900.0  # another session's node start: images may be built first
RUN_CONTAINERD = Path("/run/containerd")
# kwok's volume stage provisions hostPath PVs here; the real kubelet mounts them for real.
KWOK_VOLUMES = Path("/tmp/kwok-local-path-provisioner")  # noqa: S108 (kwok's fixed path)
REQUIRED_TOOLS = (
    "containerd", "containerd-shim-runc-v2", "runc", "ctr", "iptables", "ip", "mmdebstrap", "socat",
    "buildah",
)
CNI_PLUGINS = ("bridge", "host-local", "loopback")
DAEMONS = ("kube-proxy", "kubelet", "coredns", "volumes", "apiserver-bridge", "traefik", "containerd")
READY_TIMEOUT = 120.0

Progress = Callable[[str], None]


class NodeError(RuntimeError):
    """The real node did not start or stop cleanly; the message says what to fix."""


def _quiet(_message: str) -> None:
    return None


def node_dir(target: runtime.Cluster) -> Path:
    return target.state_dir / "node"


def owner() -> Path | None:
    """State dir of the cluster whose real node runs on this machine, if any.

    A node whose daemons all died (a reboot, a killed session) does not count.
    """
    if not OWNER_FILE.exists():
        return None
    state = Path(OWNER_FILE.read_text().strip())
    pids = state / "node" / "pids"
    alive = any(nodeprocs.pid_of(name, pids) is not None for name in DAEMONS)
    return state if (state / "node" / "state.json").exists() and alive else None


def wait_for_machine(target: runtime.Cluster, timeout: float, progress: Progress = _quiet) -> None:
    """Wait (up to ``timeout``) while another cluster's real node holds this machine."""
    deadline = time.monotonic() + timeout
    while (other := owner()) is not None and other != target.state_dir and time.monotonic() < deadline:
        progress(f"waiting for the real node of {other.name} to stop (one per machine)")
        time.sleep(5)


def why_not(target: runtime.Cluster) -> str | None:
    """Why this machine cannot run the real node (None: it can)."""
    if os.geteuid() != 0:
        return "not root: the kubelet and containerd need root"
    if not any(h.name == "memory" for h in cgroups.hierarchies()):
        return "no cgroup v1 memory hierarchy mounted at /sys/fs/cgroup/memory"
    missing = [t for t in REQUIRED_TOOLS if shutil.which(t, path="/usr/sbin:/usr/bin:/sbin:/bin") is None]
    missing += [f"/usr/lib/cni/{p}" for p in CNI_PLUGINS if not Path("/usr/lib/cni", p).exists()]
    if missing:
        return f"missing {', '.join(missing)}: run deploy/local-cluster/ensure-node-packages.sh"
    if not Path("/proc/sys/net/bridge/bridge-nf-call-iptables").exists():
        return "kernel without br_netfilter (no /proc/sys/net/bridge): Service traffic between pods needs it"
    other = owner()
    if other is not None and other != target.state_dir:
        return f"another cluster's real node runs on this machine ({other}); one per machine (iptables)"
    return None


def _layout(target: runtime.Cluster) -> nc.NodeLayout:
    root = node_dir(target)
    state_file = root / "state.json"
    saved = json.loads(state_file.read_text()) if state_file.exists() else {}
    return nc.NodeLayout(
        root=root,
        cgroup_root=saved.get("cgroup_root") or cgroups.node_root(target.name),
        kubeconfig=target.kubeconfig,
        ca_file=target.state_dir / "pki" / "ca.crt",
    )


def _record_state(layout: nc.NodeLayout) -> None:
    state_file = layout.path("state.json")
    if state_file.exists():
        return
    layout.root.mkdir(parents=True, exist_ok=True)
    state = {
        "cgroup_root": layout.cgroup_root,
        "netns_before": sorted(hostnet.netns_names()),
        "netns_dir_existed": hostnet.NETNS_DIR.exists(),
        "run_containerd_existed": RUN_CONTAINERD.exists(),
        "volumes_dir_existed": KWOK_VOLUMES.exists(),
        "volumes_before": sorted(p.name for p in KWOK_VOLUMES.glob("*")),
    }
    state_file.write_text(json.dumps(state, indent=2) + "\n")


def _remember_cgroups(layout: nc.NodeLayout, created: list[str]) -> None:
    """Add the cgroup dirs this start created (parents too) to the node's state."""
    state_file = layout.path("state.json")
    state = json.loads(state_file.read_text())
    state["cgroups_created"] = sorted({*state.get("cgroups_created", []), *created})
    state_file.write_text(json.dumps(state, indent=2) + "\n")


def _write_configs(layout: nc.NodeLayout) -> None:
    files = {
        ("containerd", "config.toml"): nc.containerd_toml(layout),
        ("cni", "net.d", "10-storeplane.conflist"): nc.cni_conflist(layout),
        ("kubelet.json",): nc.kubelet_config(layout),
        ("kube-proxy.json",): nc.kube_proxy_config(layout),
        ("Corefile",): nc.corefile(layout),
        ("resolv.conf",): "",
    }
    for registry in nc.BLOCKED_REGISTRIES:
        files[("containerd", "certs.d", registry, "hosts.toml")] = nc.registry_hosts_toml()
    for parts, text in files.items():
        path = layout.path(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback only)
        return bool(response.status == 200)


def _node_ready(target: runtime.Cluster) -> bool:
    try:
        out = runtime.kubectl(target, "get", "node", nc.NODE_NAME, "-o", "json", timeout=10)
    except runtime.ClusterError:
        return False
    conditions = json.loads(out).get("status", {}).get("conditions", [])
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def up(target: runtime.Cluster, progress: Progress = _quiet, *, claim_timeout: float = CLAIM_TIMEOUT) -> None:
    """Start the real node on a running cluster; idempotent. Raises NodeError."""
    _refuse_unless_possible(target)  # first without the claim: without root, /run is not ours
    with _claim(claim_timeout):
        _refuse_unless_possible(target)  # again: a node started while we waited holds the machine now
        try:
            _up(target, progress)
        except (
            nodeprocs.NodeProcessError,
            images.ImageError,
            cgroups.CgroupError,
            hostnet.HostNetError,
            netguard.NetGuardError,
            apibridge.ApiBridgeError,
            runtime.ClusterError,
            OSError,
        ) as error:
            raise NodeError(f"real node did not start: {error}") from error


def _refuse_unless_possible(target: runtime.Cluster) -> None:
    reason = why_not(target)
    if reason:
        raise NodeError(f"real node cannot run here: {reason}")


@contextlib.contextmanager
def _claim(timeout: float) -> Iterator[None]:
    """The machine's claim on its one real node, held while a node starts.

    `owner()` counts a node only once its daemons run, so two sessions starting at once both found
    the machine free, and the first to stop removed the other's iptables chains with its own. The
    lock file stays, as iptables' xtables.lock does: unlinking a lock file someone may be waiting
    on would let two sessions hold it at once.
    """
    with CLAIM_LOCK.open("a") as lock:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise NodeError(
                        "another session is starting a real node on this machine (one per machine)"
                    ) from None
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _up(target: runtime.Cluster, progress: Progress) -> None:
    bins = nodebuild.ensure_node_built(target.cache, progress)
    archives = [*images.ensure_all(target.cache, progress), *appimages.ensure_all(target.cache, progress)]
    layout = _layout(target)
    _record_state(layout)
    OWNER_FILE.write_text(f"{target.state_dir}\n")
    sysctls.record(layout.path("sysctls.json"))
    system = f"{layout.cgroup_root}/system"
    _remember_cgroups(layout, cgroups.create(system))
    procs = cgroups.procs_files(system)
    _write_configs(layout)
    hostnet.create_bridge(nc.BRIDGE, f"{nc.GATEWAY}/24")
    netguard.install(nc.POD_SUBNET)
    logs, pids = target.state_dir / "logs", layout.path("pids")

    def wait(check: Callable[[], bool], what: str, *watch: str) -> None:
        nodeprocs.wait_until(check, what=what, timeout=READY_TIMEOUT, watch=watch, pids=pids, logs=logs)

    def ensure(name: str, args: list[str]) -> None:
        if nodeprocs.pid_of(name, pids) is None:
            nodeprocs.start(name, args, procs=procs, logs=logs, pids=pids)

    progress("real node: containerd")
    ensure("containerd", ["containerd", "--config", str(layout.path("containerd", "config.toml"))])
    ctr = ["ctr", "--address", str(layout.containerd_socket)]

    def containerd_answers() -> bool:
        return subprocess.run([*ctr, "version"], capture_output=True, check=False).returncode == 0

    wait(containerd_answers, "containerd", "containerd")
    images.import_all(layout.containerd_socket, archives)
    progress("real node: CoreDNS, kubelet")
    ensure("coredns", [str(bins / "coredns"), "-conf", str(layout.path("Corefile"))])
    ensure("kubelet", nc.kubelet_args(layout, bins / "kubelet"))
    ensure("kube-proxy", [str(bins / "kube-proxy"), f"--config={layout.path('kube-proxy.json')}"])
    ensure("volumes", nc.volume_dirs_args(target.bin_dir / "kubectl", target.kubeconfig))
    ensure("apiserver-bridge", apibridge.socat_args(target.kubeconfig, nc.GATEWAY))
    runtime.kubectl(target, "apply", "-f", "-", stdin=apibridge.endpoint_slice(nc.GATEWAY))
    wait(lambda: _http_ok(f"http://{nc.DNS_READY}/ready"), "CoreDNS ready", "coredns")
    wait(lambda: _node_ready(target), f"node {nc.NODE_NAME} Ready", "kubelet", "containerd")
    wait(lambda: _http_ok(f"http://{nc.PROXY_HEALTHZ}/healthz"), "kube-proxy healthz", "kube-proxy")
    wait(netguard.kube_jumps_present, "kube-proxy's and kubelet's iptables jumps", "kube-proxy", "kubelet")
    netguard.ensure_first()  # they prepend theirs once, at start-up: ours go back in front
    progress("real node: Traefik (ingress)")
    runtime.kubectl(target, "apply", "-f", "-", stdin=nc.ingress_class())
    ensure("traefik", nc.traefik_args(layout, bins / "traefik"))
    wait(lambda: _http_ok(f"http://{nc.TRAEFIK_PING}/ping"), "Traefik ping", "traefik")
    progress(f"real node {nc.NODE_NAME} Ready; ingress at {nc.ingress_url()}")


def running(target: runtime.Cluster) -> dict[str, bool]:
    """Which of the node's daemons are alive."""
    pids = node_dir(target) / "pids"
    return {name: nodeprocs.pid_of(name, pids) is not None for name in DAEMONS}


def ingress_line(target: runtime.Cluster) -> str | None:
    """``ingress  traefik  <url>  class <name>`` while the node's Traefik runs, else None."""
    if not running(target).get("traefik"):
        return None
    return f"ingress\ttraefik\t{nc.ingress_url()}\tclass {nc.INGRESS_CLASS}"


def tag_image(target: runtime.Cluster, source: str, tag: str) -> None:
    """Name an imported image also ``tag`` in the node's containerd (the CRI's namespace): a
    release can then move to a new image tag without a registry, e.g. a rolling ``helm upgrade``."""
    address = str(_layout(target).containerd_socket)
    command = ["ctr", "--address", address, "-n", "k8s.io", "images", "tag", "--force", source, tag]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    if result.returncode != 0:
        raise NodeError(f"ctr images tag {source} {tag} failed: {result.stdout}{result.stderr}")


def down(target: runtime.Cluster) -> list[str]:
    """Stop the node and remove everything it created; return what was restored."""
    layout = _layout(target)
    state_file = layout.path("state.json")
    if not state_file.exists():
        return []
    state = json.loads(state_file.read_text())
    pids = layout.path("pids")
    for name in ("traefik", "kube-proxy", "kubelet", "coredns", "volumes", "apiserver-bridge"):
        nodeprocs.stop(name, pids)
    cgroups.kill_all(layout.cgroup_root)  # containerd, shims and every container
    nodeprocs.stop("containerd", pids)
    bins = nodebuild.node_bin_dir(target.cache)
    if (bins / "kube-proxy").exists():
        subprocess.run([str(bins / "kube-proxy"), "--cleanup"], capture_output=True, check=False, timeout=60)
    created = hostnet.netns_names() - set(state["netns_before"])
    hostnet.delete_netns({name for name in created if name.startswith("cni-")})
    hostnet.unmount_below(layout.root, RUN_CONTAINERD)
    hostnet.delete_bridge(nc.BRIDGE)
    removed = netguard.cleanup()
    cgroups.remove(layout.cgroup_root)
    busy = cgroups.remove_created(state.get("cgroups_created", []))
    restored = sysctls.restore(layout.path("sysctls.json"))
    if not state["run_containerd_existed"]:
        shutil.rmtree(RUN_CONTAINERD, ignore_errors=True)
    if not state["netns_dir_existed"] and hostnet.NETNS_DIR.exists() and not any(hostnet.NETNS_DIR.iterdir()):
        hostnet.NETNS_DIR.rmdir()
    for volume in KWOK_VOLUMES.glob("*"):
        if volume.name not in state["volumes_before"]:
            shutil.rmtree(volume, ignore_errors=True)
    if not state["volumes_dir_existed"] and KWOK_VOLUMES.exists() and not any(KWOK_VOLUMES.iterdir()):
        KWOK_VOLUMES.rmdir()
    shutil.rmtree(layout.root)
    if owner() is None or owner() == target.state_dir:
        OWNER_FILE.unlink(missing_ok=True)
    return [*(f"sysctl {name}" for name in restored), *removed, *(f"cgroup {d} busy, kept" for d in busy)]
