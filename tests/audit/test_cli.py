"""`storeplane audit …` as an operator or a cron job runs it: outputs agree, a clean history exits 0,
a tampered one exits 3 naming the first broken event, bad input is one line and exit 1 or 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg

from domain.service import StoreService
from tests.audit import tampering
from tests.audit.history import make_history

REPO = Path(__file__).resolve().parents[2]


def storeplane(url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storeplane.cli", "--data-dir", str(data_dir), *args],
        capture_output=True, text=True, timeout=300, env={**os.environ, "DATABASE_URL": url},
        cwd=REPO, check=False,
    )


def test_history_formats_state_and_export_agree(
    audited_url: str, service: StoreService, tenant: str, tmp_path: Path
) -> None:
    store = make_history(service, tenant, 1)[0]
    as_json = json.loads(storeplane(audited_url, tmp_path, "audit", "history", str(store.id),
                                    "--format", "json").stdout)
    as_ndjson = [json.loads(line) for line in storeplane(
        audited_url, tmp_path, "audit", "history", str(store.id), "--format", "ndjson").stdout.splitlines()]
    table = storeplane(audited_url, tmp_path, "audit", "history", str(store.id)).stdout.splitlines()
    assert as_json == as_ndjson
    assert [r["version"] for r in as_json] == list(range(1, len(list(service.history(store.id))) + 1))
    assert table[0].split()[:4] == ["SEQUENCE", "VERSION", "OCCURRED_AT", "TYPE"]
    assert [line.split()[3] for line in table[1:]] == [r["type"] for r in as_json]
    assert all(r["global_hash"] for r in as_json), "the CLI chains new events before printing"

    exported = storeplane(audited_url, tmp_path, "audit", "export", "--tenant", tenant)
    assert exported.returncode == 0, exported.stderr
    lines = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [line for line in lines if line["aggregate_id"] == str(store.id)] == as_json

    for record in as_json:
        for how in (["--version", str(record["version"])], ["--at", record["occurred_at"]]):
            shown = storeplane(audited_url, tmp_path, "audit", "state", str(store.id), *how, "--json")
            state = json.loads(shown.stdout)
            assert (state["version"], state["last_correlation_id"], state["updated_at"]) == (
                record["version"], record["correlation_id"], record["occurred_at"])


def test_verify_exits_zero_on_a_clean_history_and_three_naming_the_break(
    scratch_url: str, scratch_service: StoreService, tmp_path: Path
) -> None:
    make_history(scratch_service, "acme", 3)
    clean = storeplane(scratch_url, tmp_path, "audit", "verify")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "intact" in clean.stdout
    assert any(p.name.endswith(".checkpoint.json") for p in (tmp_path / "audit").iterdir())

    changed_at = tampering.change_actor(scratch_url)
    broken = storeplane(scratch_url, tmp_path, "audit", "verify", "--json")
    assert broken.returncode == 3
    verdict = json.loads(broken.stdout)
    assert (verdict["intact"], verdict["break"]["kind"], verdict["break"]["notification_id"]) == (
        False, "changed", changed_at)


def test_truncating_the_newest_event_is_reported_by_the_cli(
    scratch_url: str, scratch_service: StoreService, tmp_path: Path
) -> None:
    make_history(scratch_service, "acme", 2)
    assert storeplane(scratch_url, tmp_path, "audit", "verify").returncode == 0
    newest = tampering.remove_newest_everywhere(scratch_url)
    assert newest is None
    result = storeplane(scratch_url, tmp_path, "audit", "verify")
    assert result.returncode == 3
    assert "BROKEN: truncated:" in result.stdout
    assert "signed checkpoint file" in result.stdout


def test_bad_input_is_one_line_and_changes_nothing(
    audited_url: str, tenant: str, tmp_path: Path
) -> None:
    def count() -> int:
        with psycopg.connect(audited_url) as conn:
            row = conn.execute("SELECT count(*) FROM storeplane_events").fetchone()
        assert row is not None
        return int(row[0])

    before = count()
    unknown = storeplane(audited_url, tmp_path, "audit", "state",
                         "00000000-0000-0000-0000-000000000001", "--version", "1")
    assert (unknown.returncode, unknown.stderr.strip()) == (
        1, "storeplane: not_found: store 00000000-0000-0000-0000-000000000001 does not exist")
    no_history = storeplane(audited_url, tmp_path, "audit", "history", "not-a-uuid")
    assert no_history.returncode == 2
    assert "is not a store id" in no_history.stderr
    bad_time = storeplane(audited_url, tmp_path, "audit", "export", "--since", "yesterday")
    assert bad_time.returncode == 2
    assert "not an ISO 8601 timestamp" in bad_time.stderr
    assert count() == before
