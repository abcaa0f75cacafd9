"""The HubSpot API source against a local fake server: paging, retries, incremental
loads, archived records, consent statuses, and no token in errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ingestion.crm.settings import API_OBJECTS
from ingestion.pipeline import load_hubspot_api
from tests.conftest import query
from tests.fake_hubspot import TOKEN, FakeHubSpot


def _objects(dataset: Path, name: str) -> list[dict[str, Any]]:
    rows = []
    for line in (dataset / "crm" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # the export's injected dirt; an API never sends it
    return rows


@pytest.fixture()
def server(dataset: Path):
    objects = {name: _objects(dataset, name) for name in API_OBJECTS}
    for contact in objects["contacts"]:
        contact["updatedAt"] = "2026-10-01T00:00:00.000Z"
    objects["companies"][0]["archived"] = True
    for email in objects["emails"]:
        # A server that sends bodies although nobody asked for them.
        email["properties"]["hs_email_text"] = "Dear Anna, our price for you is ..."
    preferences = {p["recipient"]: p for p in _objects(dataset, "communication_preferences")}
    with FakeHubSpot(
        objects, _objects(dataset, "owners"), preferences, _objects(dataset, "pipelines")
    ) as fake:
        yield fake


def _load(server: FakeHubSpot, warehouse: Path, token: str = TOKEN):
    return load_hubspot_api(
        warehouse / "w.duckdb",
        warehouse / "p",
        access_token=token,
        base_url=server.url,
        request_backoff_factor=0.01,
        request_max_retry_delay=0.1,
    )


def _query(warehouse: Path, sql: str) -> list[tuple]:
    return query(warehouse / "w.duckdb", sql)


def test_paging_retries_incremental_and_archived(server: FakeHubSpot, tmp_path: Path) -> None:
    contacts = server.objects["contacts"]
    assert len(contacts) > 250, "needs several pages"
    server.faults[("/crm/v3/objects/contacts", "100")] = 429
    server.faults[("/crm/v3/objects/deals", "")] = 500

    first = _load(server, tmp_path)
    assert server.statuses[429] == 1 and server.statuses[500] == 1, "faults were served"
    assert first.tables["contacts"] == len(contacts)
    assert _query(tmp_path, "select count(*) from raw_crm.contacts") == [(len(contacts),)]
    deals = len(server.objects["deals"])
    assert _query(tmp_path, "select count(*) from raw_crm.deals") == [(deals,)]
    assert _query(tmp_path, "select count(*) from raw_crm.companies where archived") == [(1,)]
    assert _query(tmp_path, "select count(*) from raw_crm.pipelines__stages") == [(7,)]
    assert _query(tmp_path, "select count(*) from raw_crm.emails")[0][0] > 0
    email_columns = {
        name
        for (name,) in _query(
            tmp_path,
            "select column_name from duckdb_columns() where table_name = 'emails'",
        )
    }
    assert "properties__hs_email_subject" in email_columns
    assert not {c for c in email_columns if "email_text" in c or "body" in c}
    associations = _query(
        tmp_path, "select count(*) from raw_crm.deals__associations__contacts__results"
    )[0][0]
    assert associations >= deals
    with_email = sum(1 for c in contacts if c["properties"]["email"])
    assert _query(tmp_path, "select count(*) from raw_crm.communication_preferences") == [
        (with_email,)
    ]

    # Nothing changed: every page is listed again, but the updatedAt cursor lets nothing
    # through (archived records are re-read on purpose: deletions carry no cursor).
    second = _load(server, tmp_path)
    assert second.resources["contacts"].rows == len(contacts)
    assert second.tables.get("contacts", 0) == 0
    assert second.tables.get("communication_preferences", 0) == 0

    # One contact changes, one deal is archived: exactly those records move.
    changed = contacts[5]
    changed["updatedAt"] = "2026-10-02T00:00:00.000Z"
    changed["properties"]["jobtitle"] = "Head of Logistics"
    server.objects["deals"][0]["archived"] = True
    third = _load(server, tmp_path)
    assert third.tables["contacts"] == 1 and third.tables["communication_preferences"] == 1
    assert _query(tmp_path, "select count(*) from raw_crm.contacts") == [(len(contacts),)]
    assert _query(
        tmp_path,
        f"select properties__jobtitle from raw_crm.contacts where id = '{changed['id']}'",
    ) == [("Head of Logistics",)]
    assert _query(tmp_path, "select count(distinct _dlt_load_id) from raw_crm.contacts")[0][0] == 2
    assert _query(tmp_path, "select count(*) from raw_crm.deals where archived") == [(1,)]


def test_bad_api_records_are_quarantined_and_the_rest_loads(
    server: FakeHubSpot, tmp_path: Path
) -> None:
    calls = server.objects["calls"]
    good_calls = len(calls)
    # A record without its id, and one with an unreadable timestamp, among good ones.
    calls.insert(3, {"properties": {"hs_timestamp": "x"}, "updatedAt": "2026-10-01T00:00:00Z"})
    calls.insert(7, {**calls[8], "id": "77777", "createdAt": "yesterday"})
    # A contact without updatedAt is not held back by the cursor.
    no_cursor = {k: v for k, v in server.objects["contacts"][0].items() if k != "updatedAt"}
    server.objects["contacts"][0] = no_cursor

    summary = _load(server, tmp_path)
    assert summary.resources["calls"].quarantined == 2
    assert _query(tmp_path, "select count(*) from raw_crm.calls") == [(good_calls,)]
    rejected = _query(
        tmp_path, "select resource, reason, file_name from raw_crm.quarantine order by reason"
    )
    assert [(resource, reason) for resource, reason, _ in rejected] == [
        ("calls", "invalid timestamp in created_at: 'yesterday'"),
        ("calls", "missing id"),
    ]
    assert all(origin.startswith("api page ") for _, _, origin in rejected)
    assert _query(
        tmp_path, f"select count(*) from raw_crm.contacts where id = '{no_cursor['id']}'"
    ) == [(1,)]


def test_a_wrong_token_fails_without_revealing_it(server: FakeHubSpot, tmp_path: Path) -> None:
    secret = "pat-na1-THIS-MUST-NOT-LEAK"
    with pytest.raises(Exception) as error:
        _load(server, tmp_path, token=secret)
    assert "401" in str(error.value)
    assert secret not in str(error.value)
    assert server.statuses[401] >= 1


def test_cli_reads_the_crm_from_the_api(
    server: FakeHubSpot, dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from leadhouse.cli import EXIT_BAD_INPUT, app

    runner = CliRunner()
    args = [
        "ingest",
        "--data",
        str(dataset),
        "--warehouse",
        str(tmp_path / "wh"),
        "--crm-source",
        "api",
    ]
    monkeypatch.delenv("SOURCES__CRM__ACCESS_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no .dlt/secrets.toml here
    missing = runner.invoke(app, args)
    assert missing.exit_code == EXIT_BAD_INPUT
    assert "access_token" in missing.output and "SOURCES__CRM__ACCESS_TOKEN" in missing.output

    monkeypatch.setenv("SOURCES__CRM__ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("SOURCES__CRM__BASE_URL", server.url)
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert TOKEN not in result.output
    contacts = len(server.objects["contacts"])
    line = next(x for x in result.output.splitlines() if x.strip().startswith("contacts "))
    assert f"{contacts} loaded" in " ".join(line.split())
