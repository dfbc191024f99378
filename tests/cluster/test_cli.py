"""`storeplane cluster` sub-commands, run against the session's cluster.

Given the parser built by ``register``, when ``status`` and ``env`` run for the running
cluster, then status exits 0 and env prints the exports a shell needs.
"""

from __future__ import annotations

import argparse

import pytest

from storeplane.cli.cluster import register
from tests.fixtures.kube import KubeCluster

pytestmark = pytest.mark.cluster


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="storeplane")
    register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(list(argv))


def test_every_sub_command_has_a_handler() -> None:
    for command in ("build", "up", "down", "status", "env", "images"):
        args = _parse("cluster", command)
        assert callable(args.handler), command


def test_status_of_running_cluster_exits_zero(
    kube_cluster: KubeCluster, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _parse("cluster", "status", "--name", kube_cluster.name)

    assert args.handler(args) == 0
    out = capsys.readouterr().out
    # 3 kwok nodes, plus the real node where this machine runs it.
    expected = 3 if kube_cluster.real_node_error else 4
    assert f"running; ready nodes {expected}" in out
    assert out.count("\tkwok\tReady") == 3


def test_env_exports_kubeconfig_and_tool_path(
    kube_cluster: KubeCluster, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _parse("cluster", "env", "--name", kube_cluster.name)

    assert args.handler(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"export KUBECONFIG={kube_cluster.kubeconfig}",
        f'export PATH={kube_cluster.bin_dir}:"$PATH"',
    ]


def test_status_of_absent_cluster_is_non_zero(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parse("cluster", "status", "--name", "never-created")

    assert args.handler(args) == 3
    assert "absent" in capsys.readouterr().out
