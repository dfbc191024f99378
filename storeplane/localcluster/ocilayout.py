"""Write an OCI image archive (a tarred OCI layout) from a root filesystem tarball.

Fed by ``images.py`` with mmdebstrap's rootfs tar and the image's config (entrypoint,
env, user); feeds ``ctr -n k8s.io images import`` with one file holding ``oci-layout``,
``index.json`` (named with ``io.containerd.image.name``) and the blobs. The layer is the
uncompressed rootfs tar, so its digest is also its diff id.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar"
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def _descriptor(media_type: str, digest: str, size: int) -> dict[str, object]:
    return {"mediaType": media_type, "digest": digest, "size": size}


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    archive.addfile(info, io.BytesIO(data))


def image_config(
    layer_digest: str,
    *,
    entrypoint: Sequence[str],
    cmd: Sequence[str],
    env: Sequence[str],
    user: str,
    workdir: str,
    ports: Sequence[str],
) -> dict[str, object]:
    config: dict[str, object] = {
        "Entrypoint": list(entrypoint),
        "Cmd": list(cmd),
        "Env": [*([] if any(e.startswith("PATH=") for e in env) else [DEFAULT_PATH]), *env],
        "WorkingDir": workdir,
        "ExposedPorts": {port: {} for port in ports},
    }
    if user:
        config["User"] = user
    return {
        "architecture": "amd64",
        "os": "linux",
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
    }


def write_archive(
    rootfs_tar: Path,
    output: Path,
    *,
    name: str,
    config_for: Callable[[str], Mapping[str, object]],
) -> str:
    """Write the OCI archive for ``rootfs_tar`` as image ``name``; return the manifest digest.

    ``config_for`` gets the layer digest and returns the image config (see ``image_config``).
    """
    layer_digest = _sha256_file(rootfs_tar)
    config_bytes = json.dumps(config_for(layer_digest), sort_keys=True).encode()
    config_digest = "sha256:" + hashlib.sha256(config_bytes).hexdigest()
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": _descriptor(CONFIG_TYPE, config_digest, len(config_bytes)),
        "layers": [_descriptor(LAYER_TYPE, layer_digest, rootfs_tar.stat().st_size)],
    }
    manifest_bytes = json.dumps(manifest, sort_keys=True).encode()
    manifest_digest = "sha256:" + hashlib.sha256(manifest_bytes).hexdigest()
    tag = name.rsplit(":", 1)[1] if ":" in name.rsplit("/", 1)[-1] else "latest"
    entry = _descriptor(MANIFEST_TYPE, manifest_digest, len(manifest_bytes))
    entry["platform"] = {"architecture": "amd64", "os": "linux"}
    entry["annotations"] = {"io.containerd.image.name": name, "org.opencontainers.image.ref.name": tag}
    index = {"schemaVersion": 2, "manifests": [entry]}
    partial = output.with_suffix(".partial")
    with tarfile.open(partial, "w") as archive:
        _add_bytes(archive, "oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
        _add_bytes(archive, "index.json", json.dumps(index, sort_keys=True).encode())
        for digest, data in ((config_digest, config_bytes), (manifest_digest, manifest_bytes)):
            _add_bytes(archive, f"blobs/sha256/{digest.removeprefix('sha256:')}", data)
        archive.add(str(rootfs_tar), arcname=f"blobs/sha256/{layer_digest.removeprefix('sha256:')}")
    partial.rename(output)
    return manifest_digest
