"""How a helm child is run: its output and exit status come back, and a child whose caller is
cancelled or whose time is up is killed, not left acting on its own.

The `helm` here is a shell script that records its pid and arguments: these tests are about the
child process, not about Kubernetes (the reconciler's cluster tests run the real helm)."""

from __future__ import annotations

import asyncio
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from reconciler.cluster.helm import Helm, HelmError

pytestmark = pytest.mark.asyncio(loop_scope="session")

FAKE_HELM = """#!/bin/sh
echo $$ > "{pid_file}"
echo "$@" > "{args_file}"
case "$1" in
  status) echo '{{"info": {{"status": "deployed"}}}}' ;;
  fail) echo "Error: release: not found" >&2; exit 1 ;;
  hang) exec sleep 3600 ;;
esac
"""


@pytest.fixture
def helm(tmp_path: Path) -> Helm:
    script = tmp_path / "helm"
    script.write_text(FAKE_HELM.format(pid_file=tmp_path / "pid", args_file=tmp_path / "args"))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return Helm(binary=str(script), kubeconfig=tmp_path / "kubeconfig")


def _child(tmp_path: Path) -> int:
    return int((tmp_path / "pid").read_text())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def _started(tmp_path: Path) -> int:
    for _ in range(100):
        if (tmp_path / "pid").exists() and (tmp_path / "pid").read_text().strip():
            return _child(tmp_path)
        await asyncio.sleep(0.05)
    raise AssertionError("the child never started")


async def test_output_and_arguments_come_back(helm: Helm, tmp_path: Path) -> None:
    status = await helm.status("shop", "store-ns")
    assert status == {"info": {"status": "deployed"}}
    assert (tmp_path / "args").read_text().split() == [
        "status", "shop", "-n", "store-ns", "-o", "json", "--kubeconfig", str(tmp_path / "kubeconfig")]
    assert not _alive(_child(tmp_path))  # reaped, not a zombie


async def test_a_failure_carries_helms_message(helm: Helm) -> None:
    with pytest.raises(HelmError) as raised:
        await helm.run(["fail"], limit=timedelta(seconds=10))
    assert raised.value.returncode == 1
    assert raised.value.not_found


async def test_a_cancelled_caller_kills_its_child(helm: Helm, tmp_path: Path) -> None:
    call = asyncio.create_task(helm.run(["hang"], limit=timedelta(seconds=600)))
    pid = await _started(tmp_path)
    await asyncio.sleep(0.1)  # the sleep has replaced the shell
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(call, timeout=10)  # an hour's sleep unless it was killed
    assert not _alive(pid)


async def test_a_child_out_of_time_is_killed(helm: Helm, tmp_path: Path) -> None:
    with pytest.raises(TimeoutError, match="helm hang took longer"):
        await asyncio.wait_for(helm.run(["hang"], limit=timedelta(seconds=0.5)), timeout=10)
    assert not _alive(_child(tmp_path))
