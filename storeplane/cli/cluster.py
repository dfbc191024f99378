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

from storeplane.localcluster import appimages, build, images, node, runtime, stack


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``cluster`` command and its sub-commands to the main parser."""
    parser = subparsers.add_parser("cluster", help="a local Kubernetes control plane (kwok nodes)")
    commands = parser.add_subparsers(dest="cluster_command", required=True)

    build_parser = commands.add_parser("build", help="compile the pinned binaries (cached)")
    build_parser.set_defaults(handler=_build)

    up_parser = commands.add_parser("up", help="start the cluster (builds first if needed)")
    _add_name(up_parser)
    up_parser.add_argument("--nodes", type=int, default=runtime.DEFAULT_NODES, help="fake nodes to run")
    up_parser.add_argument(
        "--real-node",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="one real node (kubelet, containerd); default: where this machine can run it",
    )
    up_parser.set_defaults(handler=_up)

    images_parser = commands.add_parser("images", help="list the local stand-in images; --rebuild them")
    images_parser.add_argument("--rebuild", action="store_true", help="build every image again")
    images_parser.set_defaults(handler=_images)

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
        outcome = stack.up(
            runtime.cluster(args.name), nodes=args.nodes, real_node=args.real_node, progress=_progress
        )
    except (build.BuildError, runtime.ClusterError, node.NodeError) as error:
        print(error, file=sys.stderr)
        return 1
    elapsed = time.monotonic() - started
    target = outcome.cluster
    real = "with real node" if outcome.real_node else f"kwok nodes only ({outcome.reason})"
    print(f"cluster {target.name} up in {elapsed:.1f}s, {real}; kubeconfig {target.kubeconfig}")
    return 0


def _progress(message: str) -> None:
    print(f"[storeplane cluster] {message}", file=sys.stderr, flush=True)


def _images(args: argparse.Namespace) -> int:
    try:
        images.ensure_all(progress=_progress, force=args.rebuild)
        appimages.ensure_all(progress=_progress, force=args.rebuild)
        keep = frozenset(path.name for _, path, _ in appimages.listing())
        for stale in images.prune(keep=keep):
            _progress(f"removed stale image archive {stale}")
    except images.ImageError as error:
        print(error, file=sys.stderr)
        return 1
    for recipe, path, built in images.listing():
        print(f"{recipe.name}\t{'built' if built else 'missing'}\t{path}\t{recipe.imitates}")
    for image, path, built in appimages.listing():
        print(f"{image.name}\t{'built' if built else 'missing'}\t{path}\t{image.imitates}")
    return 0


def _down(args: argparse.Namespace) -> int:
    try:
        stack.down(_existing(args.name))
    except (build.BuildError, runtime.ClusterError, node.NodeError) as error:
        print(error, file=sys.stderr)
        return 1
    print(f"cluster {args.name} down")
    return 0


def _status(args: argparse.Namespace) -> int:
    current = runtime.status(_existing(args.name))
    state = "running" if current.api_ready else ("stopped" if current.exists else "absent")
    print(f"cluster {current.name}: {state}; ready nodes {current.ready_nodes}")
    print(f"kubeconfig {current.kubeconfig}")
    if current.api_ready:
        print("\n".join(stack.node_lines(_existing(args.name))))
        if (ingress := node.ingress_line(_existing(args.name))) is not None:
            print(ingress)
    return 0 if current.api_ready else 3


def _env(args: argparse.Namespace) -> int:
    target = _existing(args.name)
    if not target.bin_dir.exists():
        print("binaries not built yet: run `storeplane cluster build`", file=sys.stderr)
    print(f"export KUBECONFIG={shlex.quote(str(target.kubeconfig))}")
    print(f'export PATH={shlex.quote(str(target.bin_dir))}:"$PATH"')
    return 0
