"""``storeplane cluster build|up|down|status|env``: the local Kubernetes control plane.

Fed by the main CLI (``storeplane/cli/__init__.py`` calls ``register``) and the user's flags;
feeds ``storeplane.localcluster`` (build, runtime) and prints what a shell needs
to use the cluster (``eval "$(storeplane cluster env)"``).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time

from storeplane.localcluster import build, runtime


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``cluster`` command and its sub-commands to the main parser."""
    parser = subparsers.add_parser("cluster", help="a local Kubernetes control plane (kwok nodes)")
    commands = parser.add_subparsers(dest="cluster_command", required=True)

    build_parser = commands.add_parser("build", help="compile the pinned binaries (cached)")
    build_parser.set_defaults(handler=_build)

    up_parser = commands.add_parser("up", help="start the cluster (builds first if needed)")
    _add_name(up_parser)
    up_parser.add_argument("--nodes", type=int, default=runtime.DEFAULT_NODES, help="fake nodes to run")
    up_parser.set_defaults(handler=_up)

    for name, handler, text in (
        ("down", _down, "stop the cluster and delete its state"),
        ("status", _status, "show whether the cluster answers and how many nodes are Ready"),
        ("env", _env, "print shell exports for KUBECONFIG and PATH (kubectl, helm)"),
    ):
        sub = commands.add_parser(name, help=text)
        _add_name(sub)
        sub.set_defaults(handler=handler)


def _add_name(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", default=runtime.DEFAULT_NAME, help="cluster name (default: %(default)s)")


def _existing(name: str) -> runtime.Cluster:
    """A cluster handle that never triggers a build (status, env and down must stay quick)."""
    return runtime.cluster(name, bin_dir=build.built_bin_dir())


def _build(args: argparse.Namespace) -> int:
    try:
        print(build.ensure_built())
    except build.BuildError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


def _up(args: argparse.Namespace) -> int:
    started = time.monotonic()
    try:
        target = runtime.up(runtime.cluster(args.name), nodes=args.nodes)
    except (build.BuildError, runtime.ClusterError) as error:
        print(error, file=sys.stderr)
        return 1
    elapsed = time.monotonic() - started
    print(f"cluster {target.name} up in {elapsed:.1f}s; kubeconfig {target.kubeconfig}")
    return 0


def _down(args: argparse.Namespace) -> int:
    try:
        runtime.down(_existing(args.name))
    except (build.BuildError, runtime.ClusterError) as error:
        print(error, file=sys.stderr)
        return 1
    print(f"cluster {args.name} down")
    return 0


def _status(args: argparse.Namespace) -> int:
    current = runtime.status(_existing(args.name))
    state = "running" if current.api_ready else ("stopped" if current.exists else "absent")
    print(f"cluster {current.name}: {state}; ready nodes {current.ready_nodes}")
    print(f"kubeconfig {current.kubeconfig}")
    return 0 if current.api_ready else 3


def _env(args: argparse.Namespace) -> int:
    target = _existing(args.name)
    if not target.bin_dir.exists():
        print("binaries not built yet: run `storeplane cluster build`", file=sys.stderr)
    print(f"export KUBECONFIG={shlex.quote(str(target.kubeconfig))}")
    print(f'export PATH={shlex.quote(str(target.bin_dir))}:"$PATH"')
    return 0
