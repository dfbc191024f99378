"""Provisioning times, step by step, from a store's events alone (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.timings import provisioning_times

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_each_step_takes_the_time_since_the_one_before_and_they_add_up_to_ready() -> None:
    events = [("Requested", at(0)), ("ProvisioningStarted", at(0.5)), ("NamespaceReady", at(1)),
              ("GuardrailsApplied", at(1.25)), ("CredentialsIssued", at(1.5)),
              ("ReleaseInstalled", at(40)), ("BecameReady", at(42))]
    steps = provisioning_times(events)
    assert [s.step for s in steps] == [kind for kind, _ in events[1:]]
    assert [s.took.total_seconds() for s in steps] == [0.5, 0.5, 0.25, 0.25, 38.5, 2]
    assert steps[-1].since_start == timedelta(seconds=42)
    assert sum((s.took for s in steps), timedelta()) == steps[-1].since_start


def test_the_clock_starts_again_at_a_retry_and_a_failed_attempt_before_it_is_left_out() -> None:
    events = [("Requested", at(0)), ("ProvisioningStarted", at(1)),
              ("ProvisioningFailed", at(5)), ("RetryRequested", at(100)),
              ("ProvisioningStarted", at(101)), ("BecameReady", at(130))]
    steps = provisioning_times(events)
    assert [(s.step, s.since_start.total_seconds()) for s in steps] == [
        ("ProvisioningStarted", 1), ("BecameReady", 30)]


def test_an_automatic_retry_within_the_attempt_counts_toward_the_wait() -> None:
    events = [("Requested", at(0)), ("ProvisioningStarted", at(1)), ("AttemptFailed", at(3)),
              ("ProgressNoted", at(4)), ("ReleaseInstalled", at(20)), ("BecameReady", at(21))]
    steps = provisioning_times(events)
    assert [s.step for s in steps] == ["ProvisioningStarted", "AttemptFailed", "ReleaseInstalled",
                                       "BecameReady"]
    assert steps[2].took == timedelta(seconds=17)  # from the failure, not from the progress note


def test_what_happens_after_ready_belongs_to_no_attempt() -> None:
    events = [("Requested", at(0)), ("BecameReady", at(9)), ("DriftDetected", at(60)),
              ("NamespaceReady", at(61)), ("CredentialsRevealed", at(70))]
    assert [s.step for s in provisioning_times(events)] == ["BecameReady"]


def test_a_store_still_provisioning_shows_its_steps_so_far_and_nothing_before_a_request() -> None:
    assert [s.step for s in provisioning_times([("Requested", at(0)), ("NamespaceReady", at(2))])] == [
        "NamespaceReady"]
    assert provisioning_times([("Requested", at(0))]) == []
    assert provisioning_times([]) == []
