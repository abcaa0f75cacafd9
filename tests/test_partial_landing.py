"""A landing location with only part of the sources (the README: "any you lack may be
missing"): a team starting with a CRM export alone, before web analytics, e-mail or the
company registry are connected. Until 6 December `dbt build` stopped with 15 errors on
such a landing: every staging model read its raw table and columns as if all four
sources, every CRM object type and every optional field had been loaded at least once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leadhouse.config import Warehouse
from leadhouse.runner import published_database
from tests.conftest import leadhouse_run, query

# Two contacts and nothing else: no companies, deals, activities, owners, pipelines or
# subscription statuses, so no association tables either. Neither record says whether it
# is archived, and only one carries `createdAt`, so dlt creates no `archived` column.
CONTACTS = [
    {
        "id": "101",
        "properties": {
            "email": "anna.nowak@firma.pl",
            "jobtitle": "Logistics Manager",
            "createdate": "2026-10-01T10:00:00Z",
        },
        "createdAt": "2026-10-01T10:00:00Z",
        "updatedAt": "2026-10-02T10:00:00Z",
    },
    {
        "id": "102",
        "properties": {"email": "jan.kowalski@firma.pl"},
        "updatedAt": "2026-10-03T10:00:00Z",
    },
]


@pytest.fixture(scope="module")
def contacts_only(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    landing = tmp_path_factory.mktemp("contacts-only")
    (landing / "crm").mkdir()
    (landing / "crm" / "contacts.jsonl").write_text(
        "\n".join(json.dumps(contact) for contact in CONTACTS) + "\n", encoding="utf-8"
    )
    warehouse = tmp_path_factory.mktemp("contacts-only-warehouse")
    result = leadhouse_run(landing, warehouse)
    return warehouse, result.stdout + result.stderr + f"\nexit {result.returncode}"


def test_a_crm_export_alone_builds_checks_and_publishes(contacts_only: tuple[Path, str]) -> None:
    warehouse, output = contacts_only
    assert output.endswith("exit 0"), output[-4000:]
    assert "dbt build passed" in output
    assert published_database(Warehouse(warehouse)).exists()
    database = warehouse / "leadhouse.duckdb"
    # What was never loaded is absent from raw, not invented there.
    raw = {
        (schema, table)
        for schema, table in query(
            database,
            "select table_schema, table_name from information_schema.tables "
            "where table_schema like 'raw_%'",
        )
    }
    assert ("raw_crm", "contacts") in raw
    assert ("raw_crm", "deals") not in raw and not any(s == "raw_web_analytics" for s, _ in raw)
    # Contact 102 has no time of its own, so it is dated by its first load (today), after
    # the run's as-of moment: not a person yet on that day.
    assert query(database, "select crm_contact_id from marts.dim_person") == [("101",)]


def test_missing_tables_stage_as_empty_and_missing_columns_as_null(
    contacts_only: tuple[Path, str],
) -> None:
    warehouse, output = contacts_only
    assert output.endswith("exit 0"), output[-4000:]
    database = warehouse / "leadhouse.duckdb"
    for model in (
        "stg_crm__deals",
        "stg_crm__meetings",
        "stg_crm__contact_companies",
        "stg_crm__subscription_statuses",
        "stg_web_analytics__events",
        "stg_email__events",
        "stg_company_registry__firmographics",
    ):
        assert query(database, f"select count(*) from staging.{model}") == [(0,)], model
    contacts = query(
        database,
        "select contact_id, job_title, is_archived, created_at is not null "
        "from staging.stg_crm__contacts order by contact_id",
    )
    # No `archived` column: not archived. No `createdAt`: dated by the first load.
    assert contacts == [("101", "Logistics Manager", False, True), ("102", None, False, True)]
