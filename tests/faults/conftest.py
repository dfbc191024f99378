"""The fault suite reuses the reconciler tests' fixtures: the projection running in the
background, a read model, cluster tools and a helm home of the session's own."""

from __future__ import annotations

from tests.reconciler.conftest import helm_home, projection, read_model, tools

__all__ = ["helm_home", "projection", "read_model", "tools"]
