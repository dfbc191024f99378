"""storeplane's own image runs on the real node as the platform chart runs it.

Fed by the image ``appimages.STOREPLANE`` builds from deploy/images/storeplane/Dockerfile (the
real node imports it with the others) and the session's real node. Given a pod with the chart's
container security context (read-only root filesystem, no capabilities, no privilege escalation)
but no user of its own, when it runs the image's commands, then the kubelet accepts the image's
user as non-root and each command answers: the CLI, the bundled helm at the pinned version, and
the dashboard and store charts where the chart's arguments expect them.
"""

from __future__ import annotations

import pytest

from storeplane.localcluster import appimages, versions
from tests.node.kube import Kubectl, pod

pytestmark = [pytest.mark.cluster, pytest.mark.node]

RESTRICTED = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
}
# Exec form only: nothing here needs a shell, as nothing in the chart does.
COMMANDS = {
    "cli": ["storeplane", "--help"],
    "helm": ["helm", "version", "--short"],
    "files": [
        "python3", "-c",
        "import os; print(os.getuid(), sorted(os.listdir('/opt/storeplane/charts')),"
        " os.path.exists('/opt/storeplane/web/index.html'))",
    ],
}


def test_the_image_runs_its_commands_as_a_non_root_user_on_a_read_only_root(kubectl: Kubectl) -> None:
    containers = [
        {"name": name, "image": appimages.STOREPLANE.name, "command": command, "securityContext": RESTRICTED}
        for name, command in COMMANDS.items()
    ]
    spec = {
        "restartPolicy": "Never",
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": containers,
    }
    kubectl.apply(pod("image", spec))

    kubectl.wait("pod/image", "jsonpath={.status.phase}=Succeeded", timeout=180)

    logs = {name: kubectl.run("logs", "image", "-c", name) for name in COMMANDS}
    assert "usage: storeplane" in logs["cli"]
    assert logs["helm"].startswith(versions.HELM_VERSION), logs["helm"]
    assert logs["files"].strip() == "10001 ['medusa', 'woocommerce'] True", logs["files"]
