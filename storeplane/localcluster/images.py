"""Stand-in container images built from Debian packages, cached by recipe, imported locally.

Fed by the recipes below and the hooks in ``deploy/local-cluster/images/``; builds each
rootfs with ``mmdebstrap`` (Debian's archive is the only source), wraps it as an OCI
archive (``ocilayout.py``) in ``<cache>/images/<key>.oci.tar`` and feeds ``node.py``,
which imports them into the node's containerd (``ctr -n k8s.io images import``), and
the ``storeplane cluster images`` command, which lists and rebuilds them.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from storeplane.localcluster import ocilayout, paths

HOOKS_DIR = Path(__file__).resolve().parents[2] / "deploy" / "local-cluster" / "images"
MIRROR = "http://deb.debian.org/debian"
RECIPE_REVISION = 1
SOURCE_DATE_EPOCH = "1700000000"

DROPPED = frozenset({"etc/resolv.conf", "etc/hostname", "etc/apt"})
DROPPED_DIRS = ("etc/apt/", "var/lib/apt/", "var/cache/apt/")

Progress = Callable[[str], None]


class ImageError(RuntimeError):
    """An image could not be built or imported; the message carries the tool's output."""


@dataclass(frozen=True)
class ImageRecipe:
    """One stand-in image: Debian packages, a hook, and the upstream contract it imitates."""

    name: str
    suite: str
    variant: str
    packages: tuple[str, ...]
    hook: str
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    imitates: str
    env: tuple[str, ...] = ()
    user: str = ""
    workdir: str = "/"
    ports: tuple[str, ...] = ()
    hook_kind: str = "extract"  # mmdebstrap hook: "extract" (no dpkg run) or "customize"
    files: tuple[str, ...] = ()  # more files of HOOKS_DIR the hook installs (entrypoints)


PAUSE = ImageRecipe(
    name="storeplane.local/pause:catatonit",
    suite="bookworm",
    variant="extract",
    packages=("catatonit",),
    hook="pause-clean.sh",
    entrypoint=("/usr/bin/catatonit", "-P"),
    cmd=(),
    imitates="registry.k8s.io/pause: holds the pod's namespaces and reaps zombies",
)
BASE = ImageRecipe(
    name="storeplane.local/busybox:stable",
    suite="bookworm",
    variant="extract",
    packages=("busybox-static",),
    hook="busybox-links.sh",
    entrypoint=(),
    cmd=("/bin/sh",),
    imitates="docker.io/library/busybox: sh, httpd, wget, nslookup and the other applets",
    ports=("80/tcp",),
)
REDIS = ImageRecipe(
    name="docker.io/library/redis:7.4.6",
    suite="trixie",
    variant="essential",
    packages=("redis-server", "redis-tools"),
    hook="redis-setup.sh",
    hook_kind="customize",
    files=("redis-entrypoint.sh",),
    entrypoint=("/usr/local/bin/docker-entrypoint.sh",),
    cmd=("redis-server",),
    workdir="/data",
    ports=("6379/tcp",),
    imitates="docker.io/library/redis (medusa chart): entrypoint, uid/gid 999, /data, port 6379",
)
POSTGRES = ImageRecipe(
    name="docker.io/library/postgres:17.6",
    suite="trixie",
    variant="essential",
    packages=("postgresql-17",),
    hook="postgres-setup.sh",
    hook_kind="customize",
    files=("postgres-entrypoint.sh",),
    entrypoint=("/usr/local/bin/docker-entrypoint.sh",),
    cmd=("postgres",),
    env=(
        "PATH=/usr/lib/postgresql/17/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "PGDATA=/var/lib/postgresql/data",
    ),
    ports=("5432/tcp",),
    imitates="docker.io/library/postgres (medusa chart): POSTGRES_* env, PGDATA, uid 999, port 5432",
)
MARIADB = ImageRecipe(
    name="docker.io/library/mariadb:11.4.8",
    suite="trixie",
    variant="essential",
    packages=("mariadb-server", "mariadb-client"),
    hook="mariadb-setup.sh",
    hook_kind="customize",
    files=("mariadb-entrypoint.sh", "mariadb-healthcheck.sh"),
    entrypoint=("/usr/local/bin/docker-entrypoint.sh",),
    cmd=("mariadbd",),
    ports=("3306/tcp",),
    imitates="docker.io/library/mariadb (woocommerce chart): MARIADB_* env, healthcheck.sh, uid 999, 3306",
)
WORDPRESS = ImageRecipe(
    name="docker.io/library/wordpress:6.8.3-php8.3-apache",
    suite="trixie",
    variant="essential",
    # Debian's wordpress package only recommends its default theme; without one the home page is empty.
    packages=(
        "wordpress", "wordpress-theme-twentytwentyfive", "apache2", "libapache2-mod-php", "php-mysql", "mawk",
    ),
    hook="wordpress-setup.sh",
    hook_kind="customize",
    files=("wordpress-entrypoint.sh", "wordpress-apache2-foreground.sh", "wordpress-config-docker.php"),
    entrypoint=("/usr/local/bin/docker-entrypoint.sh",),
    cmd=("apache2-foreground",),
    workdir="/var/www/html",
    ports=("80/tcp",),
    imitates="docker.io/library/wordpress (woocommerce chart): WordPress copied into /var/www/html on "
    "first start, wp-config.php from WORDPRESS_DB_* / WORDPRESS_TABLE_PREFIX / WORDPRESS_CONFIG_EXTRA, "
    "Apache as www-data (uid 33) on port 80. Differs: Debian trixie's WordPress and PHP (8.4, not 8.3)",
)
NODE = ImageRecipe(
    name="docker.io/library/node:20-trixie-slim",
    suite="trixie",
    variant="essential",
    # npm and ca-certificates: the Medusa Dockerfile runs `npm ci` against the npm registry.
    packages=("nodejs", "npm", "ca-certificates"),
    hook="node-setup.sh",
    hook_kind="customize",
    files=("node-entrypoint.sh",),
    entrypoint=("/usr/local/bin/docker-entrypoint.sh",),
    cmd=("node",),
    imitates="docker.io/library/node (base of storeplane/medusa): node user uid/gid 1000, entrypoint",
)
PYTHON = ImageRecipe(
    name="docker.io/library/python:3.13-slim-trixie",
    suite="trixie",
    variant="essential",
    # python3-venv: ensurepip and the pip wheel it installs (the hook says why not python3-pip);
    # ca-certificates: the storeplane Dockerfile runs `pip wheel` against PyPI; passwd: its
    # `groupadd`/`useradd` (upstream's slim image has both); python-is-python3: `python`.
    packages=("python3", "python3-venv", "python-is-python3", "ca-certificates", "passwd"),
    hook="python-setup.sh",
    hook_kind="customize",
    entrypoint=(),
    cmd=("python3",),
    env=("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"),
    imitates="docker.io/library/python:3.13-slim-trixie (base of storeplane): python3, pip installing "
    "into /usr/local, groupadd/useradd, LANG=C.UTF-8, root. Differs: Debian trixie's CPython 3.13 in "
    "/usr/bin (upstream builds its own into /usr/local/bin), pip from Debian's pip wheel, no "
    "PYTHON_VERSION/GPG_KEY env",
)
RECIPES: tuple[ImageRecipe, ...] = (PAUSE, BASE, REDIS, POSTGRES, MARIADB, WORDPRESS, NODE, PYTHON)


def recipe_key(recipe: ImageRecipe) -> str:
    """Hash of the recipe, its hook script and this builder's revision."""
    material = {
        "revision": RECIPE_REVISION,
        "recipe": asdict(recipe),
        "hook": (HOOKS_DIR / recipe.hook).read_text(),
        "files": {name: (HOOKS_DIR / name).read_text() for name in recipe.files},
        "mirror": MIRROR,
    }
    digest = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:16]
    slug = recipe.name.rsplit("/", 1)[-1].replace(":", "-")
    return f"{slug}-{digest}"


def images_dir(cache: Path | None = None) -> Path:
    return (cache or paths.cache_dir()) / "images"


def archive_path(recipe: ImageRecipe, cache: Path | None = None) -> Path:
    return images_dir(cache) / f"{recipe_key(recipe)}.oci.tar"


def _mmdebstrap(recipe: ImageRecipe, rootfs_tar: Path) -> None:
    args = [
        "mmdebstrap",
        f"--variant={recipe.variant}",
        f"--include={','.join(recipe.packages)}",
        "--skip=output/dev",
        f'--{recipe.hook_kind}-hook={HOOKS_DIR / recipe.hook} "$1"',
        "--format=tar",
        recipe.suite,
        str(rootfs_tar),
        MIRROR,
    ]
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
    try:
        result = subprocess.run(args, capture_output=True, text=True, env=env, check=False, timeout=900)
    except FileNotFoundError as error:
        raise ImageError("mmdebstrap not found: run deploy/local-cluster/ensure-node-packages.sh") from error
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
        raise ImageError(f"mmdebstrap for {recipe.name} failed (exit {result.returncode}):\n{tail}")


def _without_host_files(source: Path, target: Path) -> None:
    """Copy the rootfs tar minus what mmdebstrap copied from this host (resolv.conf, apt)."""
    with tarfile.open(source) as src, tarfile.open(target, "w") as dst:
        for member in src:
            name = member.name.removeprefix("./")
            if name in DROPPED or name.startswith(DROPPED_DIRS):
                continue
            dst.addfile(member, src.extractfile(member) if member.isfile() else None)


def build(recipe: ImageRecipe, cache: Path | None = None, *, force: bool = False) -> Path:
    """The cached OCI archive of ``recipe``, built first if missing (or ``force``)."""
    target = archive_path(recipe, cache)
    target.parent.mkdir(parents=True, exist_ok=True)
    with (target.parent / f".{target.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists() and not force:
            return target
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build-") as scratch:
            raw = Path(scratch) / "mmdebstrap.tar"
            _mmdebstrap(recipe, raw)
            rootfs = Path(scratch) / "rootfs.tar"
            _without_host_files(raw, rootfs)

            def config_for(layer: str) -> dict[str, object]:
                return ocilayout.image_config(
                    layer,
                    entrypoint=recipe.entrypoint,
                    cmd=recipe.cmd,
                    env=recipe.env,
                    user=recipe.user,
                    workdir=recipe.workdir,
                    ports=recipe.ports,
                )

            staged = Path(scratch) / "image.oci.tar"
            ocilayout.write_archive(rootfs, staged, name=recipe.name, config_for=config_for)
            staged.rename(target)
    return target


def ensure_all(
    cache: Path | None = None, progress: Progress | None = None, *, force: bool = False
) -> list[Path]:
    """Build every recipe that is not cached yet; report each step."""
    built = []
    for recipe in RECIPES:
        cached = archive_path(recipe, cache).exists()
        started = time.monotonic()
        if progress and (force or not cached):
            progress(f"image {recipe.name}: building ({', '.join(recipe.packages)})")
        built.append(build(recipe, cache, force=force))
        if progress and (force or not cached):
            progress(f"image {recipe.name}: built in {time.monotonic() - started:.0f}s")
    return built


def prune(cache: Path | None = None, *, keep: frozenset[str] = frozenset()) -> list[Path]:
    """Delete archives (and their locks) of recipes that changed; return what went.

    ``keep``: further archive names to leave alone (``appimages``' current ones).
    """
    current = {archive_path(r, cache).name for r in RECIPES} | keep
    gone = []
    for path in images_dir(cache).glob("*.oci.tar"):
        if path.name not in current:
            path.unlink(missing_ok=True)
            (path.parent / f".{path.name}.lock").unlink(missing_ok=True)
            gone.append(path)
    for lock in images_dir(cache).glob(".*.oci.tar.lock"):
        if lock.name.removeprefix(".").removesuffix(".lock") not in current:
            lock.unlink(missing_ok=True)
    return gone


def listing(cache: Path | None = None) -> list[tuple[ImageRecipe, Path, bool]]:
    """Every recipe with its archive path and whether it is built."""
    return [(r, archive_path(r, cache), archive_path(r, cache).exists()) for r in RECIPES]


def import_all(ctr_address: Path, archives: list[Path]) -> None:
    """Import the archives into containerd's ``k8s.io`` namespace (the CRI's)."""
    for archive in archives:
        result = subprocess.run(
            ["ctr", "--address", str(ctr_address), "-n", "k8s.io", "images", "import", str(archive)],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if result.returncode != 0:
            raise ImageError(f"ctr images import {archive} failed: {result.stdout}{result.stderr}")
