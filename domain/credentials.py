"""The owner's way into a store: its links (storefront, admin) and the credentials of its admin user.

Fed by a store's engine and URL (the read model, the aggregate) and, for a reveal, by the values of
the store's credentials Secret, read by an adapter outside the domain; feeds the API's `Store`
fields, the `revealStoreCredentials` answer and the CLI. Pure: no I/O.

Why the username differs by engine: WordPress signs in with a user name (`admin-username`), while
Medusa's admin signs in with an email (`POST /auth/user/emailpass`, `admin-email`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from domain.catalog import Engine
from domain.errors import CredentialsMissing

# Where each engine's admin lives under the store's URL (which always ends in "/").
ADMIN_PATHS = {Engine.WOOCOMMERCE: "wp-admin/", Engine.MEDUSA: "app/"}
# The Secret key holding what the admin signs in with, by engine (see the module docstring).
USERNAME_KEYS = {Engine.WOOCOMMERCE: "admin-username", Engine.MEDUSA: "admin-email"}
PASSWORD_KEY = "admin-password"  # noqa: S105 (a Secret key's name)
# Written by Medusa's seed Job when it has created the store's publishable API key.
PUBLISHABLE_KEY = "publishable-key"


@dataclass(frozen=True)
class StoreLinks:
    storefront_url: str
    admin_url: str


def links_for(engine: str, url: str | None) -> StoreLinks | None:
    """The store's storefront and admin URLs; None while it has no URL (not READY, or deleted)."""
    if not url:
        return None
    base = url if url.endswith("/") else f"{url}/"
    return StoreLinks(storefront_url=base, admin_url=base + ADMIN_PATHS[Engine(engine)])


@dataclass(frozen=True)
class StoreCredentials:
    """What the owner signs in with. Never recorded: an event of a reveal names only who asked."""

    admin_url: str
    admin_username: str
    admin_password: str
    publishable_key: str | None

    def __repr__(self) -> str:
        # A log line or a traceback that prints this value must not print the password.
        return f"StoreCredentials(admin_url={self.admin_url!r}, admin_username={self.admin_username!r}, …)"


def credentials_from_secret(
    store_id: object, engine: str, url: str | None, secret: Mapping[str, str]
) -> StoreCredentials:
    """The credentials in a store's Secret (its values already decoded); `CredentialsMissing` when
    a key the engine needs is absent or empty."""
    kind = Engine(engine)
    links = links_for(engine, url)
    username = secret.get(USERNAME_KEYS[kind], "")
    password = secret.get(PASSWORD_KEY, "")
    lacking = [key for key, value in ((USERNAME_KEYS[kind], username), (PASSWORD_KEY, password)) if not value]
    if links is None or lacking:
        missing = ", ".join(lacking) if lacking else "the store's URL"
        raise CredentialsMissing(store_id, missing)
    publishable = (secret.get(PUBLISHABLE_KEY) or None) if kind is Engine.MEDUSA else None
    return StoreCredentials(
        admin_url=links.admin_url, admin_username=username, admin_password=password,
        publishable_key=publishable,
    )
