"""kubectl helpers for the real-node checks: manifests for pods that land on the real node.

Fed by ``real_node`` (tests/fixtures/kube.py); feeds the tests in ``tests/node`` with
``Kubectl`` (run, apply, wait, JSON) and ``on_real_node``, which adds the toleration,
node selector and local image that put a pod on the real node.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from storeplane.localcluster import images
from storeplane.localcluster import nodeconfig as nc
from tests.fixtures.kube import KubeCluster

BASE_IMAGE = images.BASE.name


@dataclass(frozen=True)
class Kubectl:
    cluster: KubeCluster
    namespace: str

    def run(self, *args: str, stdin: str | None = None, check: bool = True, timeout: float = 120) -> str:
        command = [str(self.cluster.bin_dir / "kubectl"), "-n", self.namespace, *args]
        result = subprocess.run(
            command,
            env=self.cluster.env(),
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout + (result.stderr if not check else "")

    def apply(self, *manifests: dict[str, Any]) -> None:
        self.run(
            "apply", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": manifests})
        )

    def json(self, *args: str) -> Any:
        return json.loads(self.run("get", *args, "-o", "json"))

    def wait(self, what: str, condition: str, timeout: int = 120) -> None:
        """Waits for `what` to exist, then for `condition`; on failure the message shows the
        namespace's pods, their events and their containers' last logs, so a failure says what
        to fix. (A condition alone fails at once on an object not made yet: a StatefulSet's pod
        seconds after the apply, on a busy machine.)"""
        deadline = time.monotonic() + timeout
        try:
            self.run("wait", "--for=create", what, f"--timeout={timeout}s", timeout=timeout + 10)
            left = max(1, round(deadline - time.monotonic()))
            self.run("wait", f"--for={condition}", what, f"--timeout={left}s", timeout=left + 10)
        except AssertionError as failure:
            raise AssertionError(f"{failure}\n{self.diagnosis()}") from None

    def diagnosis(self) -> str:
        pods = self.run("get", "pods", "-o", "wide", check=False)
        described = self.run("describe", "pods", check=False)[-6000:]
        names = self.run("get", "pods", "-o", "name", check=False).split()
        logs = "".join(
            self.run("logs", name, "--all-containers", "--prefix", "--tail=40", check=False) for name in names
        )[-6000:]
        return f"pods:\n{pods}\ndescribed:\n{described}\nlogs:\n{logs}"

    def describe(self, what: str) -> str:
        return self.run("describe", what, check=False)


@contextlib.contextmanager
def port_forward(kubectl: Kubectl, target: str, port: int = 80) -> Iterator[str]:
    """``kubectl port-forward <target> :<port>`` on a free local port: its base URL, stopped afterwards.

    For callers that send an Authorization header, which the API server's service proxy drops.
    """
    kubectl_binary = str(kubectl.cluster.bin_dir / "kubectl")
    command = [kubectl_binary, "-n", kubectl.namespace, "port-forward", target, f":{port}"]
    process = subprocess.Popen(command, env=kubectl.cluster.env(), stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"127\.0\.0\.1:(\d+)", line)
        assert match, f"kubectl port-forward {target} said {line!r}"
        yield f"http://127.0.0.1:{match.group(1)}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def eventually(check: Callable[[], Any], *, what: str, timeout: float = 90, every: float = 0.5) -> Any:
    """Poll ``check`` until it returns something truthy; fail with ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"{what}: not after {timeout:.0f}s (last: {last!r})")


def on_real_node(spec: dict[str, Any]) -> dict[str, Any]:
    """A pod spec with the real node's toleration and selector; images never pulled."""
    spec = dict(spec)
    spec["tolerations"] = [{"key": nc.TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"}]
    spec["nodeSelector"] = {nc.NODE_LABEL: "real"}
    spec.setdefault("terminationGracePeriodSeconds", 1)
    spec["containers"] = [
        {"image": BASE_IMAGE, "imagePullPolicy": "Never", **container} for container in spec["containers"]
    ]
    return spec


def pod(name: str, spec: dict[str, Any], labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels or {}},
        "spec": on_real_node(spec),
    }
