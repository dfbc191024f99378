"""Tokens that end and secrets that stay out of sight: expiry (listed and enforced), refusals
remembered so a bad token costs no query twice, the first admin token kept out of logs, `/readyz`
without raw database errors, `/metrics` behind a token when asked.

Each is an attack on the server as it was: tokens lived forever, every bad token was a query,
the first token was printed into whatever captured the output, `/readyz` told anyone the
database's error text and `/metrics` was open."""

from __future__ import annotations

import dataclasses
import io
import os
import stat
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from graphql_api.tokens import TokenStore, deliver_first_token, parse_duration
from storeplane.database import open_service
from tests.api.client import Api, error_codes
from tests.api.conftest import TEST_CONFIG, Running, serving
from tests.api.documents import ME

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_an_expired_token_is_refused_and_listed_with_its_expiry(
    api: Api, tokens: TokenStore, tenant: str
) -> None:
    token_id, token = await tokens.create(tenant=tenant, expires_in=timedelta(days=30))
    assert "errors" not in await api.post(ME, token=token)
    listed = {t.token_id: t for t in await tokens.tokens(tenant)}
    expires_at = listed[token_id].expires_at
    assert expires_at is not None
    assert listed[token_id].created_at + timedelta(days=29) < expires_at
    # Thirty days later (as another process would see it: no cache).
    await tokens.pool.execute(
        "UPDATE storeplane_api_tokens SET expires_at = now() - interval '1 second' WHERE token_id = $1",
        token_id,
    )
    assert await TokenStore(tokens.pool).verify(token) is None
    tokens.forget(token_id)
    assert error_codes(await api.post(ME, token=token)) == ["UNAUTHENTICATED"]


async def test_a_refused_token_is_remembered_so_it_costs_no_second_query(
    tokens: TokenStore, tenant: str
) -> None:
    store = TokenStore(tokens.pool, cache_seconds=60)
    token_id, token = await store.create(tenant=tenant)
    await tokens.pool.execute(
        "UPDATE storeplane_api_tokens SET revoked_at = now() WHERE token_id = $1", token_id
    )
    assert await store.verify(token) is None
    # Were it looked up again it would be found live; the remembered refusal answers instead.
    await tokens.pool.execute(
        "UPDATE storeplane_api_tokens SET revoked_at = NULL WHERE token_id = $1", token_id
    )
    assert await store.verify(token) is None
    assert await TokenStore(tokens.pool).verify(token) is not None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("15m", 900), ("12h", 43_200), ("30d", 2_592_000), ("2w", 1_209_600),
     ("1d12h", 129_600)],
)
async def test_expiry_durations_are_read(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "30", "d", "-5m", "0s", "5 parsecs", "1.5h"])
async def test_bad_expiry_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|positive"):
        parse_duration(text)


async def test_the_first_admin_token_goes_to_a_private_file_when_output_is_not_a_terminal(
    tmp_path: Path,
) -> None:
    captured = io.StringIO()  # a service manager's log, a CI log: not a terminal
    line = deliver_first_token("sp_abcd1234_secret", tmp_path, out=captured)
    assert "sp_abcd1234_secret" not in line
    written = tmp_path / "secrets" / "first-admin-token"
    assert str(written) in line
    assert written.read_text() == "sp_abcd1234_secret\n"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert stat.S_IMODE(written.parent.stat().st_mode) == 0o700


async def test_the_first_admin_token_is_shown_on_a_terminal(tmp_path: Path) -> None:
    leader, follower = os.openpty()
    with os.fdopen(follower, "w") as terminal:
        line = deliver_first_token("sp_abcd1234_secret", tmp_path, out=terminal)
    os.close(leader)
    assert "sp_abcd1234_secret" in line
    assert not (tmp_path / "secrets" / "first-admin-token").exists()


async def test_metrics_can_require_an_admin_token(
    make_database: Callable[[], str], tenant: str
) -> None:
    database = make_database()
    app = open_service(database)
    config = dataclasses.replace(TEST_CONFIG, metrics_require_token=True)
    try:
        async with serving(database, app, config, runner=False) as running:
            await _check_metrics(running, tenant)
    finally:
        app.close()


async def _check_metrics(running: Running, tenant: str) -> None:
    http = running.api.http
    assert (await http.get("/metrics")).status_code == 401
    _, tenant_token = await running.services.tokens.create(tenant=tenant)
    refused = await http.get("/metrics", headers={"Authorization": f"Bearer {tenant_token}"})
    assert refused.status_code == 401
    _, admin = await running.services.tokens.create(tenant="admin", admin=True)
    allowed = await http.get("/metrics", headers={"Authorization": f"Bearer {admin}"})
    assert allowed.status_code == 200
    assert "storeplane" in allowed.text or "# HELP" in allowed.text
