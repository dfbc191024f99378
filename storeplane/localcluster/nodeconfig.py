"""Configuration files of the real node's daemons, rendered from one ``NodeLayout``.

Fed by ``node.py`` (paths under the cluster's state dir, the cgroup root, the cluster's
kubeconfig and CA); feeds containerd (TOML), the CNI bridge (conflist), the kubelet and
kube-proxy (JSON, which their YAML loaders read), CoreDNS (Corefile) and Traefik (its
command line, and the IngressClass it serves). Nothing is
written outside the state dir; every address is the pod bridge's or loopback.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

NODE_NAME = "real-node"
BRIDGE = "spnode0"
POD_SUBNET = "10.244.0.0/24"
GATEWAY = "10.244.0.1"
CLUSTER_DOMAIN = "cluster.local"
TAINT_KEY = "storeplane.dev/real-node"
NODE_LABEL = "storeplane.dev/node"
KUBELET_PORT = 10350
KUBELET_HEALTHZ_PORT = 10348
PROXY_HEALTHZ = "127.0.0.1:10356"
PROXY_METRICS = "127.0.0.1:10349"
DNS_HEALTH = "127.0.0.1:18180"
DNS_READY = "127.0.0.1:18181"
# Traefik, the node's ingress controller: the store URLs' port on loopback only (no traffic
# from elsewhere reaches it), and its ping beside the other daemons' health ports.
INGRESS_ADDRESS = "127.0.0.1"
INGRESS_PORT = 80
TRAEFIK_PING = "127.0.0.1:18182"
# The class the real-node chart values name (charts/*/values-real-node.yaml); the controller
# string is the one Traefik's kubernetesIngress provider claims IngressClasses by.
INGRESS_CLASS = "traefik"
INGRESS_CONTROLLER = "traefik.io/ingress-controller"
PAUSE_IMAGE = "storeplane.local/pause:catatonit"
# Registries a pod might name: every one is pointed at a closed loopback port, so a
# missing image fails fast instead of reaching the network.
BLOCKED_REGISTRIES = ("_default", "docker.io", "registry.k8s.io", "quay.io", "ghcr.io", "gcr.io")


@dataclass(frozen=True)
class NodeLayout:
    """Every path and setting of one real node."""

    root: Path  # <cluster state dir>/node
    cgroup_root: str
    kubeconfig: Path
    ca_file: Path

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    @property
    def containerd_socket(self) -> Path:
        return self.path("containerd", "containerd.sock")


def containerd_toml(layout: NodeLayout) -> str:
    blocked = layout.path("containerd", "certs.d")
    return f"""version = 2
root = "{layout.path("containerd", "root")}"
state = "{layout.path("containerd", "state")}"
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "{layout.containerd_socket}"
[ttrpc]
  address = "{layout.containerd_socket}.ttrpc"
[debug]
  address = "{layout.path("containerd", "debug.sock")}"
[metrics]
  address = ""

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{PAUSE_IMAGE}"
  # This sandbox refuses oom_score_adj < 0; without this runc fails every sandbox
  # ("can't get final child's PID from pipe: EOF").
  restrict_oom_score_adj = true
  disable_apparmor = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "{layout.path("containerd", "runc")}"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "{layout.path("cni", "net.d")}"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "{blocked}"
"""


def registry_hosts_toml() -> str:
    """hosts.toml for every blocked registry: its only server is a closed loopback port."""
    closed = "http://127.0.0.1:9"
    return f'server = "{closed}"\n\n[host."{closed}"]\n  capabilities = ["pull", "resolve"]\n'


def cni_conflist(layout: NodeLayout) -> str:
    ipam = {
        "type": "host-local",
        "ranges": [[{"subnet": POD_SUBNET, "rangeStart": "10.244.0.10", "gateway": GATEWAY}]],
        "routes": [{"dst": "0.0.0.0/0", "gw": GATEWAY}],
        "dataDir": str(layout.path("cni", "ipam")),
    }
    bridge = {
        "type": "bridge",
        "bridge": BRIDGE,
        # The harness owns the bridge address; isGateway/ipMasq would set ip_forward
        # globally and add NAT towards the outside.
        "isGateway": False,
        "ipMasq": False,
        "hairpinMode": True,
        "ipam": ipam,
    }
    return json.dumps({"cniVersion": "1.0.0", "name": "storeplane", "plugins": [bridge]}, indent=2)


def kubelet_config(layout: NodeLayout) -> str:
    config = {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "address": GATEWAY,
        "port": KUBELET_PORT,
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": KUBELET_HEALTHZ_PORT,
        "cgroupDriver": "cgroupfs",
        "cgroupRoot": layout.cgroup_root,
        "cgroupsPerQOS": True,
        "failCgroupV1": False,
        "failSwapOn": False,
        "containerRuntimeEndpoint": f"unix://{layout.containerd_socket}",
        "clusterDomain": CLUSTER_DOMAIN,
        "clusterDNS": [GATEWAY],
        "resolvConf": str(layout.path("resolv.conf")),
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": True},
            "x509": {"clientCAFile": str(layout.ca_file)},
        },
        "authorization": {"mode": "Webhook"},
        "registerWithTaints": [{"key": TAINT_KEY, "value": "true", "effect": "NoSchedule"}],
        "makeIPTablesUtilChains": False,
        "protectKernelDefaults": False,
        "podLogsDir": str(layout.path("pod-logs")),
        "volumePluginDir": str(layout.path("volume-plugins")),
        "evictionHard": {
            "memory.available": "100Mi",
            "nodefs.available": "1%",
            "imagefs.available": "1%",
            "nodefs.inodesFree": "1%",
        },
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "serializeImagePulls": False,
        "maxPods": 40,
        "rotateCertificates": False,
        "enforceNodeAllocatable": ["pods"],
        "shutdownGracePeriod": "0s",
        "syncFrequency": "10s",
        "fileCheckFrequency": "10s",
    }
    return json.dumps(config, indent=2)


def kubelet_args(layout: NodeLayout, kubelet: Path) -> list[str]:
    return [
        str(kubelet),
        f"--config={layout.path('kubelet.json')}",
        f"--kubeconfig={layout.kubeconfig}",
        f"--root-dir={layout.path('kubelet')}",
        f"--cert-dir={layout.path('kubelet-pki')}",
        f"--hostname-override={NODE_NAME}",
        f"--node-ip={GATEWAY}",
        f"--node-labels={NODE_LABEL}=real",
        "--v=2",
    ]


def kube_proxy_config(layout: NodeLayout) -> str:
    config = {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "clientConnection": {"kubeconfig": str(layout.kubeconfig)},
        "hostnameOverride": NODE_NAME,
        "bindAddress": GATEWAY,
        "healthzBindAddress": PROXY_HEALTHZ,
        "metricsBindAddress": PROXY_METRICS,
        "mode": "iptables",
        "clusterCIDR": POD_SUBNET,
        "nodePortAddresses": [f"{GATEWAY}/32"],
        "iptables": {"localhostNodePorts": False, "syncPeriod": "10s", "minSyncPeriod": "0s"},
        # Zeros: leave the host's conntrack sysctls alone.
        "conntrack": {
            "maxPerCore": 0,
            "min": 0,
            "tcpEstablishedTimeout": "0s",
            "tcpCloseWaitTimeout": "0s",
        },
    }
    return json.dumps(config, indent=2)


def corefile(layout: NodeLayout) -> str:
    """The cluster domain from the API, NXDOMAIN for every other name: no upstream."""
    return f"""{CLUSTER_DOMAIN}:53 in-addr.arpa:53 {{
    bind {GATEWAY}
    errors
    health {DNS_HEALTH}
    ready {DNS_READY}
    kubernetes {CLUSTER_DOMAIN} in-addr.arpa {{
        kubeconfig {layout.kubeconfig}
        pods insecure
        ttl 5
    }}
}}
.:53 {{
    bind {GATEWAY}
    errors
    template ANY ANY {{
        rcode NXDOMAIN
    }}
}}
"""


def volume_dirs_args(kubectl: Path, kubeconfig: Path) -> list[str]:
    """A shell loop that creates each kwok hostPath PV's directory world-writable as soon
    as the PV appears (at claim time, before any pod mounts it), and deletes it with the PV:
    the kubelet would create it 0755 root, and hostPath volumes get no fsGroup, so non-root
    images (uid 999) could not write; kwok deletes a released PV but not its data, so a
    deleted store would leave its database on the host. local-path-provisioner does both
    (0777, and a helper pod that removes the directory)."""
    template = '{.type} {.object.spec.hostPath.path}{"\\n"}'
    script = (
        "while :; do "
        f"'{kubectl}' --kubeconfig '{kubeconfig}' get pv --watch --output-watch-events "
        f"-o jsonpath='{template}' "
        '| while read -r event dir; do case "$dir" in /tmp/kwok-local-path-provisioner/pvc-*) '
        'if [ "$event" = DELETED ]; then rm -rf "$dir"; else mkdir -p "$dir" && chmod 0777 "$dir"; fi;; '
        "esac; done; sleep 1; done"
    )
    return ["/bin/sh", "-c", script]


def traefik_args(layout: NodeLayout, traefik: Path) -> list[str]:
    """Traefik watching Ingresses of class ``INGRESS_CLASS`` through the cluster's kubeconfig
    (its provider reads ``KUBECONFIG``) and routing to their pods' addresses, which the host
    reaches over the pod bridge. No version check, no usage reports: nothing leaves the
    machine. No dashboard or API either (the module carries no web UI)."""
    return [
        "/usr/bin/env",
        f"KUBECONFIG={layout.kubeconfig}",
        str(traefik),
        "--global.checkNewVersion=false",
        "--global.sendAnonymousUsage=false",
        f"--entryPoints.web.address={INGRESS_ADDRESS}:{INGRESS_PORT}",
        f"--entryPoints.traefik.address={TRAEFIK_PING}",
        "--ping=true",
        "--ping.entryPoint=traefik",
        "--providers.kubernetesIngress=true",
        f"--providers.kubernetesIngress.ingressClass={INGRESS_CLASS}",
        # Written into each Ingress's status, so `kubectl get ingress` shows where it answers.
        f"--providers.kubernetesIngress.ingressEndpoint.ip={INGRESS_ADDRESS}",
        "--log.level=INFO",
    ]


def ingress_class() -> str:
    """The IngressClass Traefik serves (JSON, which kubectl apply reads)."""
    manifest = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": INGRESS_CLASS, "labels": {"app.kubernetes.io/managed-by": "storeplane"}},
        "spec": {"controller": INGRESS_CONTROLLER},
    }
    return json.dumps(manifest, indent=2)


def ingress_url(host: str = "") -> str:
    """Where the ingress answers from the host: ``http://<host>/`` (port 80 needs no suffix)."""
    port = "" if INGRESS_PORT == 80 else f":{INGRESS_PORT}"
    return f"http://{host or INGRESS_ADDRESS}{port}/"
