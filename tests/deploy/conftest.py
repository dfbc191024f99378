"""The chart tests' helm home, shared with tests/charts (helm built by the local-cluster build)."""

from tests.charts.conftest import helm_home

__all__ = ["helm_home"]
