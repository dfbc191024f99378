"""Settings that must agree with each other."""

from __future__ import annotations

from datetime import timedelta

from reconciler.settings import HELM_EXIT_MARGIN, ReconcilerSettings
from tests.reconciler.harness import mini_charts


def test_a_pending_release_is_never_recovered_while_a_helm_could_still_run_it() -> None:
    settings = ReconcilerSettings(
        charts=mini_charts(), helm_timeout=timedelta(minutes=5), stuck_release_grace=timedelta(seconds=30)
    )
    assert settings.release_grace == timedelta(minutes=5) + HELM_EXIT_MARGIN


def test_a_longer_grace_than_helm_needs_is_kept() -> None:
    settings = ReconcilerSettings(
        charts=mini_charts(), helm_timeout=timedelta(seconds=10), stuck_release_grace=timedelta(minutes=9)
    )
    assert settings.release_grace == timedelta(minutes=9)
