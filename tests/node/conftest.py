"""Fixtures for the real-node checks: a fresh namespace and kubectl bound to it.

Fed by ``real_node`` (tests/fixtures/kube.py), which fails every test here when the
node is not running; feeds each test a ``Kubectl`` for a namespace deleted afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.fixtures.kube import KubeCluster
from tests.node.kube import Kubectl, eventually


@pytest.fixture
def kubectl(real_node: KubeCluster) -> Iterator[Kubectl]:
    name = f"n-{uuid.uuid4().hex[:10]}"
    admin = Kubectl(real_node, "default")
    admin.run("create", "namespace", name)
    scoped = Kubectl(real_node, name)
    eventually(lambda: "default" in scoped.run("get", "serviceaccounts", check=False), what="ServiceAccount")
    yield scoped
    admin.run("delete", "namespace", name, "--wait=false", check=False)
