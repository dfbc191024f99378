"""The owner's way in, without I/O: a store's links by engine, its credentials from its Secret's
values, and a reveal recorded as an event that names who asked and nothing of what was shown."""

from __future__ import annotations

import dataclasses

import pytest

from domain.actors import Stamp
from domain.credentials import credentials_from_secret, links_for
from domain.errors import CredentialsMissing, CredentialsNotReady
from domain.store import Store, StoreStatus
from tests.unit.test_store_lifecycle import SYSTEM, provisioned, replayed, requested

OWNER = Stamp("tenant:acme/token:t1", "c-reveal")
WOO_SECRET = {
    "admin-username": "admin", "admin-password": "pw-woo-123", "admin-email": "admin@shop.acme.example",
    "database-password": "db", "publishable-key": "pk_should_not_show",
}
MEDUSA_SECRET = {"admin-username": "admin", "admin-password": "pw-med-456", "admin-email": "admin@m.example"}


@pytest.mark.parametrize(
    ("engine", "url", "storefront", "admin"),
    [
        ("woocommerce", "http://shop.acme.example/", "http://shop.acme.example/",
         "http://shop.acme.example/wp-admin/"),
        ("medusa", "http://m.acme.example/", "http://m.acme.example/", "http://m.acme.example/app/"),
        ("medusa", "http://m.acme.example:8080", "http://m.acme.example:8080/",
         "http://m.acme.example:8080/app/"),
    ],
    ids=["woocommerce", "medusa", "url-without-trailing-slash"],
)
def test_a_store_with_a_url_links_to_its_storefront_and_its_engines_admin(
    engine: str, url: str, storefront: str, admin: str
) -> None:
    links = links_for(engine, url)
    assert links is not None
    assert (links.storefront_url, links.admin_url) == (storefront, admin)


def test_a_store_without_a_url_has_no_links() -> None:
    assert links_for("woocommerce", None) is None
    assert links_for("medusa", "") is None


def test_woocommerce_signs_in_with_the_user_name_and_has_no_publishable_key() -> None:
    credentials = credentials_from_secret("s1", "woocommerce", "http://shop.acme.example/", WOO_SECRET)
    assert dataclasses.astuple(credentials) == (
        "http://shop.acme.example/wp-admin/", "admin", "pw-woo-123", None,
    )


def test_medusa_signs_in_with_the_email_and_has_the_key_once_the_seed_wrote_it() -> None:
    url = "http://m.acme.example/"
    before_seed = credentials_from_secret("s1", "medusa", url, MEDUSA_SECRET)
    assert dataclasses.astuple(before_seed) == (
        "http://m.acme.example/app/", "admin@m.example", "pw-med-456", None,
    )
    seeded = credentials_from_secret("s1", "medusa", url, {**MEDUSA_SECRET, "publishable-key": "pk_01"})
    assert seeded.publishable_key == "pk_01"


@pytest.mark.parametrize("lacking", ["admin-password", "admin-email"])
def test_a_secret_without_what_the_engine_signs_in_with_is_reported_missing(lacking: str) -> None:
    secret = {k: v for k, v in MEDUSA_SECRET.items() if k != lacking}
    with pytest.raises(CredentialsMissing, match=lacking):
        credentials_from_secret("s1", "medusa", "http://m.acme.example/", secret)


def test_the_password_stays_out_of_the_values_printed_form() -> None:
    credentials = credentials_from_secret("s1", "woocommerce", "http://shop.acme.example/", WOO_SECRET)
    assert "pw-woo-123" not in repr(credentials)
    assert "pw-woo-123" not in str(credentials)


def test_a_reveal_of_a_ready_store_is_recorded_with_who_asked_and_changes_nothing_else() -> None:
    store = provisioned()
    store.collect_events()
    before = (store.status, store.status_reason, store.url, list(store.completed_steps))
    store.reveal_credentials(stamp=OWNER)
    [event] = store.collect_events()
    assert isinstance(event, Store.CredentialsRevealed)
    assert (event.actor, event.correlation_id) == (OWNER.actor, OWNER.correlation_id)
    assert (store.status, store.status_reason, store.url, list(store.completed_steps)) == before
    assert store.status is StoreStatus.READY


def test_the_revealed_event_has_no_field_beyond_its_envelope() -> None:
    # Nothing a caller passes to a reveal can end up in the event: it has no field to hold it.
    envelope = {"originator_id", "originator_version", "timestamp", "actor", "correlation_id"}
    assert set(Store.CredentialsRevealed.__annotations__) <= envelope
    store = provisioned()
    store.collect_events()
    store.reveal_credentials(stamp=OWNER)
    [event] = store.collect_events()
    assert set(vars(event)) == envelope


def test_replaying_a_store_with_reveals_gives_the_same_store() -> None:
    store = provisioned()
    store.reveal_credentials(stamp=OWNER)
    store.reveal_credentials(stamp=Stamp("admin:a1", "c-admin"))
    assert vars(replayed(store)) == vars(store)


@pytest.mark.parametrize("status", ["requested", "provisioning", "deleting", "deleted"])
def test_a_store_that_is_not_ready_refuses_a_reveal_and_records_nothing(status: str) -> None:
    store = requested() if status == "requested" else provisioned()
    if status == "provisioning":
        store = requested()
        store.start_provisioning(stamp=Stamp(SYSTEM, "c-1"))
    if status in ("deleting", "deleted"):
        store.request_deletion(stamp=OWNER)
    if status == "deleted":
        store.record_deleted(stamp=Stamp(SYSTEM, "c-1"))
    store.collect_events()
    with pytest.raises(CredentialsNotReady, match=f"store that is {status}"):
        store.reveal_credentials(stamp=OWNER)
    assert store.collect_events() == []
