"""Values staging cannot type become null there, and are reported, not only lost."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb

from expectations.suites import EMAIL_REGEX
from leadhouse.build import run_dbt
from leadhouse.config import REPO_ROOT, Warehouse
from tests.conftest import AS_OF, Built, query

VIEW = "staging.stg_values_not_typed"
# try_cast(<value> as <type>) in compiled SQL; the value may be a table-qualified column.
TRY_CAST = re.compile(r"try_cast\((.+?) as ([a-z]+(?:\(\d+, \d+\))?)\)", re.DOTALL)


def _typed_columns(sql: str) -> set[tuple[str, str]]:
    """(value without its table alias, type) of every try_cast in ``sql``."""
    return {
        (re.sub(r"^\w+\.", "", " ".join(value.split())), kind)
        for value, kind in TRY_CAST.findall(sql)
    }


def test_every_value_staging_types_leniently_is_reported(built: Built) -> None:
    """The view lists one check per lenient_cast of source text in staging: a new one in a
    staging model without its entry in the view would null values unseen."""
    compiled = built.warehouse.dbt_target_dir / "compiled" / "leadhouse" / "models" / "staging"
    in_staging: set[tuple[str, str]] = set()
    for path in compiled.rglob("stg_*__*.sql"):
        in_staging |= _typed_columns(path.read_text(encoding="utf-8"))
    reported = _typed_columns((compiled / "stg_values_not_typed.sql").read_text(encoding="utf-8"))
    assert len(in_staging) >= 9  # the regex finds them (the same column may recur)
    assert in_staging == reported


def test_the_generated_date_typed_by_hand_is_reported_and_its_contact_kept(built: Built) -> None:
    lines = (built.data / "crm" / "contacts.jsonl").read_text(encoding="utf-8").splitlines()
    by_hand = [
        record
        for record in (json.loads(line) for line in lines if line.endswith("}"))
        if record["properties"].get("lastmodifieddate") == "yesterday"
    ]
    assert len(by_hand) == 1
    contact_id = by_hand[0]["id"]
    assert query(
        built.warehouse.database,
        f"select source_table, record_id, column_name, raw_value, expected_type, reason, "
        f"dlt_load_id is not null from {VIEW}",
    ) == [
        (
            "raw_crm.contacts",
            contact_id,
            "properties__lastmodifieddate",
            "yesterday",
            "timestamp",
            "properties__lastmodifieddate is not of type timestamp",
            True,
        )
    ]
    # The contact itself is loaded, its good values typed; only the bad one is null.
    assert query(
        built.warehouse.database,
        "select email is not null, created_at is not null, updated_at is null "
        f"from staging.stg_crm__contacts where contact_id = '{contact_id}'",
    ) == [(True, True, True)]


def _insert_like(con: duckdb.DuckDBPyConnection, table: str, values: dict[str, str]) -> None:
    """One more row in ``table``: a copy of one of its rows with ``values`` in place."""
    replaced = ", ".join(f"? as {column}" for column in values)
    con.execute(
        f"insert into {table} by name select * replace ({replaced}) from {table} limit 1",
        list(values.values()),
    )


def test_values_of_another_type_in_every_typed_column_are_reported_with_a_warning(
    built: Built, tmp_path: Path
) -> None:
    copy = Warehouse(tmp_path / "warehouse")
    shutil.copytree(built.warehouse.root, copy.root)
    with duckdb.connect(str(copy.database)) as con:
        _insert_like(
            con,
            "raw_crm.contacts",
            {
                "id": "990001",
                "_dlt_id": "typing-1",
                "properties__interest_level": "high",
                "properties__createdate": "  ",  # blank: no value, nothing lost
                "properties__lastmodifieddate": "2026-10-01T10:00:00Z",
                "properties__email": "jan kowalski@firma.pl",
            },
        )
        _insert_like(
            con,
            "raw_crm.communication_preferences",
            {"_dlt_id": "typing-8", "recipient": "jan kowalski@firma.pl"},
        )
        _insert_like(
            con,
            "raw_email.events",
            {"sg_event_id": "typing-mail", "email": "jan@firma"},
        )
        _insert_like(
            con,
            "raw_web_analytics.events",
            {"message_id": "typing-identify", "traits": '{"email": "mailto:jan@firma.pl"}'},
        )
        _insert_like(
            con,
            "raw_crm.companies",
            {"id": "990002", "_dlt_id": "typing-2", "properties__createdate": "last spring"},
        )
        # A NIP with a typo in its check digit, and one written the EU VAT way (valid).
        nip = con.execute(
            "select properties__nip from raw_crm.companies where properties__nip is not null "
            "order by id limit 1"
        ).fetchone()[0]
        typo = nip[:9] + str((int(nip[9]) + 1) % 10)
        _insert_like(
            con,
            "raw_crm.companies",
            {"id": "990004", "_dlt_id": "typing-6", "properties__nip": typo},
        )
        _insert_like(
            con,
            "raw_crm.companies",
            {"id": "990005", "_dlt_id": "typing-7", "properties__nip": f"pl {nip[:3]}-{nip[3:]}"},
        )
        _insert_like(
            con,
            "raw_crm.deals",
            {
                "id": "990003",
                "_dlt_id": "typing-3",
                "properties__amount": "about 100k",
                "properties__createdate": "2026-09-01",
                "properties__closedate": "Q3",
            },
        )
        _insert_like(
            con,
            "raw_crm.meetings",
            {"id": "990006", "_dlt_id": "typing-9", "properties__hs_timestamp": "last week"},
        )
        _insert_like(  # the meeting's contact
            con,
            "raw_crm.meetings__associations__contacts__results",
            {"_dlt_parent_id": "typing-9", "_dlt_id": "typing-10"},
        )
        _insert_like(
            con,
            "raw_crm.pipelines__stages",
            {"id": "typing-stage", "_dlt_id": "typing-4", "metadata__probability": "high"},
        )
        _insert_like(
            con,
            "raw_web_analytics.events",
            {"message_id": "typing-event", "properties": '{"interest_level": "very"}'},
        )
        _insert_like(
            con,
            "raw_company_registry.vat_whitelist_subjects",
            {"proof_id": "typing-proof", "_dlt_id": "typing-5", "requested_at": "wczoraj"},
        )
        _insert_like(
            con,
            "raw_company_registry.firmographics",
            {"nip": "9990000001", "pkd_main": "6201Z"},  # the dots left out
        )
    # The view and its warning, as `dbt build` runs them: a warning, not a failure.
    run_dbt(copy, ["build", "--select", "stg_values_not_typed"], as_of=AS_OF, quiet=True)
    results = json.loads((copy.dbt_target_dir / "run_results.json").read_text(encoding="utf-8"))
    (warning,) = [r for r in results["results"] if r["unique_id"].startswith("test.")]
    assert "is_empty_stg_values_not_typed" in warning["unique_id"]
    assert (warning["status"], warning["failures"]) == ("warn", 15)

    reported = set(
        query(copy.database, f"select source_table, record_id, column_name, raw_value from {VIEW}")
    )
    contact = next(row for row in reported if row[3] == "yesterday")
    assert reported - {contact} == {
        ("raw_crm.contacts", "990001", "properties__interest_level", "high"),
        ("raw_crm.companies", "990002", "properties__createdate", "last spring"),
        ("raw_crm.deals", "990003", "properties__amount", "about 100k"),
        ("raw_crm.deals", "990003", "properties__closedate", "Q3"),
        ("raw_crm.pipelines__stages", "typing-stage", "metadata__probability", "high"),
        ("raw_web_analytics.events", "typing-event", "properties.interest_level", "very"),
        ("raw_company_registry.vat_whitelist_subjects", "typing-proof", "requested_at", "wczoraj"),
        ("raw_company_registry.firmographics", "9990000001", "pkd_main", "6201Z"),
        ("raw_crm.companies", "990004", "properties__nip", typo),
        ("raw_crm.contacts", "990001", "properties__email", "jan kowalski@firma.pl"),
        ("raw_crm.communication_preferences", "typing-8", "recipient", "jan kowalski@firma.pl"),
        ("raw_email.events", "typing-mail", "email", "jan@firma"),
        ("raw_web_analytics.events", "typing-identify", "traits.email", "mailto:jan@firma.pl"),
        ("raw_crm.meetings", "990006", "properties__hs_timestamp", "last week"),
    }
    # A record's time falls back to when the CRM created the record (a blank createdate
    # too, which is no value and not reported).
    assert query(
        copy.database,
        "select c.created_at = cast(r.created_at as timestamp) from staging.stg_crm__contacts c "
        "join raw_crm.contacts r on r.id = c.contact_id where c.contact_id = '990001'",
    ) == [(True,)]
    assert query(
        copy.database,
        "select distinct m.occurred_at = cast(r.created_at as timestamp) "
        "from staging.stg_crm__meetings m join raw_crm.meetings r on r.id = m.engagement_id "
        "where m.engagement_id = '990006'",
    ) == [(True,)]
    # Text that is no address reaches nobody and identifies nobody: staging carries it as
    # null (the quality gate would otherwise stop publishing over one typo).
    assert query(
        copy.database,
        "select email from staging.stg_crm__contacts where contact_id = '990001'",
    ) == [(None,)]
    # Staging carries the typo on as no NIP (so it is neither matched nor published) and
    # reads the EU VAT form as the NIP it is.
    run_dbt(copy, ["build", "--select", "stg_crm__companies"], as_of=AS_OF, quiet=True)
    assert query(
        copy.database,
        "select company_id, nip from staging.stg_crm__companies "
        "where company_id in ('990004', '990005') order by company_id",
    ) == [("990004", None), ("990005", nip)]


def test_staging_and_the_quality_gate_agree_on_well_formed_addresses() -> None:
    """Staging publishes only addresses the gate accepts: one pattern, written twice (dbt
    cannot import Python), kept identical here."""
    macros = (REPO_ROOT / "dbt_project" / "macros" / "portable.sql").read_text(encoding="utf-8")
    pattern = re.search(r"macro email_pattern\(\) -%}\s*(\S+)\s*{%- endmacro", macros)
    assert pattern and pattern.group(1) == EMAIL_REGEX
    assert re.match(EMAIL_REGEX, "anna.nowak+wms@firma-1.com.pl")
    for text in ("jan kowalski@firma.pl", "jan@@firma.pl", "jan@firma", "mailto:jan@firma.pl"):
        assert not re.match(EMAIL_REGEX, text), text
