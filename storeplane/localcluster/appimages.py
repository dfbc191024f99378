"""Images the project defines itself, built from their own Dockerfile with buildah.

Fed by a Dockerfile and its build context in the project (``deploy/images/<name>/``, or the
repository root for storeplane's own image) and the stand-in base images it names in ``FROM``
(``images.py``); feeds ``node.py`` and ``storeplane cluster images`` with an OCI archive in
``<cache>/images/``, keyed by a hash of the context's files and the bases' recipes, so an
unchanged context is never rebuilt. The same Dockerfile builds with any engine against a
registry; here no registry exists, so buildah (``--isolation chroot``, storage driver ``vfs``,
state under ``<cache>/buildah``) loads the bases from their archives, builds with
``--pull=never`` and writes the result as an archive.

storeplane's Dockerfile compiles helm in a stage on the Go image, which has no stand-in: Debian
trixie's Go (1.24) is older than the one the project pins, and compiling helm inside every build
would cost minutes each time a Python file changes. The local cluster has compiled the same
pinned helm already (``build.py``), so that binary is the build context named ``helm``, which
replaces the Dockerfile's stage of that name (buildah and BuildKit both let a named context
stand for a stage); its build key is part of the image key.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from storeplane.localcluster import build as binaries
from storeplane.localcluster import images, paths

CONTEXTS_DIR = Path(__file__).resolve().parents[2] / "deploy" / "images"
REVISION = 1
IGNORED = frozenset({"node_modules", ".medusa"})  # as in each context's .dockerignore
# This machine reaches the npm registry through a TLS-inspecting proxy whose CA is in the
# host's bundle: the build's RUN steps get it mounted read-only, the image never contains it.
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
BUILD_CA_PATH = "/run/storeplane-build-ca.crt"
BUILD_TIMEOUT = 1800
ENSURE_PACKAGES = "deploy/local-cluster/ensure-node-packages.sh"


@dataclass(frozen=True)
class AppImage:
    """One project image: its name (the chart's), build context and stand-in base."""

    name: str
    context: str  # a directory of CONTEXTS_DIR holding the Dockerfile
    base: images.ImageRecipe
    imitates: str
    # Empty: the build context is the Dockerfile's directory. Otherwise it is the repository
    # root, and these are the paths the Dockerfile copies from it (its .dockerignore admits
    # exactly these), which is all the key hashes of the root.
    repo_inputs: tuple[str, ...] = ()
    ignored: frozenset[str] = IGNORED
    more_bases: tuple[images.ImageRecipe, ...] = ()  # other stages' FROM images
    helm_context: bool = False  # the local cluster's helm as the build context "helm"


MEDUSA = AppImage(
    name="docker.io/storeplane/medusa:2.10.3",
    context="medusa",
    base=images.NODE,
    imitates="storeplane/medusa (medusa chart): Medusa 2.10.3 server, admin disabled, storeplane seed",
)
STOREPLANE = AppImage(
    # The platform chart's image (values.yaml: storeplane/storeplane, tag = appVersion).
    name="docker.io/storeplane/storeplane:0.1.0",
    context="storeplane",
    base=images.PYTHON,
    more_bases=(images.NODE,),
    helm_context=True,
    repo_inputs=(
        "pyproject.toml", "README.md", "domain", "audit", "postgres", "projections", "reconciler",
        "graphql_api", "storeplane", "charts", "web",
    ),
    ignored=frozenset({"node_modules", "dist", "__pycache__"}),
    imitates="storeplane/storeplane (platform chart): API, reconciler, followers and schema Job; "
    "the dashboard, the store charts and the pinned helm; uid 10001, read-only root",
)
APP_IMAGES: tuple[AppImage, ...] = (MEDUSA, STOREPLANE)


def _files_under(root: Path, top: Path, ignored: frozenset[str]) -> list[Path]:
    candidates = [top] if top.is_file() else top.rglob("*")
    return sorted(
        path
        for path in candidates
        if path.is_file() and not ignored.intersection(path.relative_to(root).parts)
    )


def _context_files(context: Path) -> list[Path]:
    return _files_under(context, context, IGNORED)


def repo_dir() -> Path:
    return CONTEXTS_DIR.parent.parent


def context_dir(image: AppImage) -> Path:
    return repo_dir() if image.repo_inputs else CONTEXTS_DIR / image.context


def _helm_dir(cache: Path | None) -> Path:
    """The local cluster's bin directory, whose helm the ``helm`` build context offers."""
    try:
        return binaries.built_bin_dir(cache)
    except binaries.BuildError as error:
        raise images.ImageError(f"the local cluster's helm is needed for the build: {error}") from error


def image_key(image: AppImage, cache: Path | None = None) -> str:
    """Hash of the build context's files, the bases' recipes and this builder's revision."""
    material: dict[str, object] = {"revision": REVISION, "base": images.recipe_key(image.base)}
    if image.more_bases:
        material["more_bases"] = [images.recipe_key(base) for base in image.more_bases]
    if image.helm_context:
        material["helm"] = _helm_dir(cache).parent.name  # the key of every pin and flag
    digest = hashlib.sha256()
    digest.update(json.dumps(material).encode())
    dockerfile_dir = CONTEXTS_DIR / image.context
    for path in _context_files(dockerfile_dir):
        digest.update(str(path.relative_to(dockerfile_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    root = repo_dir()
    for top in image.repo_inputs:
        for path in _files_under(root, root / top, image.ignored):
            digest.update(b"repo:" + str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    slug = image.name.rsplit("/", 1)[-1].replace(":", "-")
    return f"{slug}-{digest.hexdigest()[:16]}"


def archive_path(image: AppImage, cache: Path | None = None) -> Path:
    return images.images_dir(cache) / f"{image_key(image, cache)}.oci.tar"


def _buildah(storage: Path, *args: str, timeout: float = 600) -> str:
    command = [
        "buildah",
        "--root", str(storage / "root"),
        "--runroot", str(storage / "run"),
        "--storage-driver", "vfs",
        *args,
    ]
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(storage), "BUILDAH_ISOLATION": "chroot"}
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, env=env, check=False, timeout=timeout
        )
    except FileNotFoundError as error:
        raise images.ImageError(f"buildah not found: run {ENSURE_PACKAGES}") from error
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
        raise images.ImageError(f"buildah {args[0]} failed (exit {result.returncode}):\n{tail}")
    return result.stdout


def _bud_args(image: AppImage, cache: Path | None) -> list[str]:
    args = ["bud", "--isolation", "chroot", "--pull=never", "--layers=false", "-t", image.name]
    if HOST_CA_BUNDLE.exists():
        args += ["--volume", f"{HOST_CA_BUNDLE}:{BUILD_CA_PATH}:ro"]
        args += ["--build-arg", f"NODE_EXTRA_CA_CERTS={BUILD_CA_PATH}"]
        if image.repo_inputs:  # storeplane's wheel stage: pip
            args += ["--build-arg", f"PIP_CERT={BUILD_CA_PATH}"]
    if image.repo_inputs:
        dockerfile = CONTEXTS_DIR / image.context / "Dockerfile"
        args += ["-f", str(dockerfile), "--ignorefile", f"{dockerfile}.dockerignore"]
    if image.helm_context:
        args += ["--build-context", f"helm={binaries.ensure_built(cache)}"]
    return [*args, str(context_dir(image))]


def _archive_layout(layout: Path, output: Path, name: str) -> None:
    """Tar buildah's OCI layout, naming the image for ``ctr images import``."""
    index_file = layout / "index.json"
    index = json.loads(index_file.read_text())
    for entry in index["manifests"]:
        entry.setdefault("annotations", {})["io.containerd.image.name"] = name
    index_file.write_text(json.dumps(index, sort_keys=True))
    partial = output.with_suffix(".partial")
    with tarfile.open(partial, "w") as archive:
        for path in sorted(layout.rglob("*")):
            archive.add(str(path), arcname=str(path.relative_to(layout)), recursive=False)
    partial.rename(output)


def build(image: AppImage, cache: Path | None = None, *, force: bool = False) -> Path:
    """The cached OCI archive of ``image``, built from its Dockerfile first if missing."""
    target = archive_path(image, cache)
    target.parent.mkdir(parents=True, exist_ok=True)
    with (target.parent / f".{target.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists() and not force:
            return target
        bases = [images.build(recipe, cache) for recipe in (image.base, *image.more_bases)]
        # Its own state per build: two images building at once must not clean each other's.
        storage = (cache or paths.cache_dir()) / "buildah" / target.name.removesuffix(".oci.tar")
        storage.mkdir(parents=True, exist_ok=True)
        try:
            for base in bases:
                _buildah(storage, "pull", f"oci-archive:{base}")
            _buildah(storage, *_bud_args(image, cache), timeout=BUILD_TIMEOUT)
            with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build-") as scratch:
                layout = Path(scratch) / "layout"
                _buildah(storage, "push", image.name, f"oci:{layout}:{image.name}")
                _archive_layout(layout, target, image.name)
        finally:
            _clean(storage)
    return target


def _clean(storage: Path) -> None:
    """Drop buildah's state: the archive is the cache, and vfs keeps a full copy per layer."""
    shutil.rmtree(storage, ignore_errors=True)


def ensure_all(
    cache: Path | None = None, progress: images.Progress | None = None, *, force: bool = False
) -> list[Path]:
    """Build every project image that is not cached yet; report each step."""
    built = []
    for image in APP_IMAGES:
        fresh = force or not archive_path(image, cache).exists()
        started = time.monotonic()
        if progress and fresh:
            progress(f"image {image.name}: building from deploy/images/{image.context}/Dockerfile (buildah)")
        built.append(build(image, cache, force=force))
        if progress and fresh:
            progress(f"image {image.name}: built in {time.monotonic() - started:.0f}s")
    return built


def listing(cache: Path | None = None) -> list[tuple[AppImage, Path, bool]]:
    """Every project image with its archive path and whether it is built."""
    return [(i, archive_path(i, cache), archive_path(i, cache).exists()) for i in APP_IMAGES]
