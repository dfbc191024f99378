"""The kwok stages that stand in for kubelets and a volume provisioner.

Fed by the pinned kwok module's own stage manifests (read from the Go module cache
that ``build.py`` filled), so they always match the kwok binary; feeds ``runtime.py``,
which hands them to kwokctl in the cluster's config file. Giving kwokctl any stage
replaces its compiled-in defaults, so the defaults are listed here too.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from pathlib import Path

from storeplane.localcluster import versions

# Paths inside sigs.k8s.io/kwok@<version>/kustomize/stage.
NODE_STAGES = (
    "node/fast/node-initialize.yaml",  # nodes become Ready
    "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",  # and stay Ready
)
POD_STAGES = (
    "pod/fast/pod-ready.yaml",  # scheduled pods become Running and Ready
    "pod/fast/pod-complete.yaml",  # pods owned by a Job become Succeeded
    "pod/fast/pod-delete.yaml",  # deleted pods go away without a kubelet
)
# kwok acts as the provisioner of StorageClass "kwok-volume": a PV per claim, bound.
VOLUME_STAGES = (
    "volume/fast/pvc-provision.yaml",
    "volume/fast/pv-bind.yaml",
    "volume/fast/pvc-delete.yaml",
    "volume/fast/pv-delete.yaml",
)
STORAGE_CLASS = "volume/fast/storage-class.yaml"


class StagesError(RuntimeError):
    """The kwok module source could not be found or read."""


def kwok_source_dir(go_env: Mapping[str, str]) -> Path:
    """The unpacked kwok module; instant when build.py has already downloaded it."""
    try:
        result = subprocess.run(
            ["go", "mod", "download", "-json", f"{versions.KWOK_MODULE}@{versions.KWOK_VERSION}"],
            env=go_env,
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError as error:
        raise StagesError("go not found on PATH: needed to locate the kwok stage manifests") from error
    if result.returncode != 0:
        raise StagesError(f"cannot locate kwok {versions.KWOK_VERSION} source: {result.stderr.strip()}")
    return Path(json.loads(result.stdout)["Dir"])


def _read(source: Path, relative: str) -> str:
    path = source / "kustomize" / "stage" / relative
    try:
        return path.read_text().strip()
    except OSError as error:
        raise StagesError(f"kwok stage manifest missing: {path}") from error


def stage_documents(source: Path) -> list[str]:
    """Every stage the cluster runs, as YAML documents for kwokctl's --config."""
    return [_read(source, relative) for relative in (*NODE_STAGES, *POD_STAGES, *VOLUME_STAGES)]


def storage_class_manifest(source: Path) -> str:
    """The default StorageClass (Immediate binding) that the volume stages serve."""
    return _read(source, STORAGE_CLASS)
