"""The operator CLI as a script would use it: JSON out, one-line reasons and non-zero exits on error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def storeplane(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storeplane.cli", *args],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "DATABASE_URL": database_url},
        cwd=Path(__file__).resolve().parents[2], check=False,
    )


def test_create_list_show_delete_retry_round_trip(database_url: str, tenant: str) -> None:
    created = storeplane(database_url, "stores", "create", "cli-shop", "--engine", "medusa",
                         "--plan", "medium", "--tenant", tenant, "--json")
    assert created.returncode == 0, created.stderr
    store = json.loads(created.stdout)
    assert (store["name"], store["engine"], store["plan"], store["status"]) == (
        "cli-shop", "medusa", "medium", "requested")

    listed = storeplane(database_url, "stores", "list", "--tenant", tenant, "--json")
    assert [s["id"] for s in json.loads(listed.stdout)] == [store["id"]]

    shown = storeplane(database_url, "stores", "show", store["id"], "--json")
    assert json.loads(shown.stdout)["version"] == 1

    deleted = storeplane(database_url, "stores", "delete", store["id"], "--json")
    assert json.loads(deleted.stdout)["status"] == "deleting"

    retried = storeplane(database_url, "stores", "retry", store["id"])
    assert retried.returncode == 1
    assert retried.stderr.strip() == (
        "storeplane: conflict: cannot retry a store that is deleting: only a failed store can be retried"
    )


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["create", "Bad_Name", "--engine", "medusa"], "validation_failed: name 'Bad_Name'"),
        (["create", "ok", "--engine", "magento"], "validation_failed: unknown engine 'magento'"),
        (["create", "ok", "--engine", "medusa", "--plan", "xl"], "validation_failed: unknown plan"),
        (["show", "00000000-0000-0000-0000-000000000001"], "not_found: store"),
    ],
)
def test_errors_are_one_line_with_a_non_zero_exit(
    database_url: str, tenant: str, args: list[str], reason: str
) -> None:
    extra = ["--tenant", tenant] if args[0] == "create" else []
    result = storeplane(database_url, "stores", *args, *extra)
    assert result.returncode == 1
    assert reason in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""
