"""Personal data stays in the models allowed to hold it; BI sees pseudonymous marts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from leadhouse.config import Warehouse
from leadhouse.privacy import find_leaks, personal_data_models
from tests.conftest import Built, query


def _manifest(warehouse: Warehouse) -> Path:
    return warehouse.dbt_target_dir / "manifest.json"


def test_no_personal_data_outside_the_models_allowed_to_hold_it(built: Built) -> None:
    allowed, tagged = personal_data_models(_manifest(built.warehouse))
    assert {"marts.dim_person", "marts.rpt_sales_handover", "marts.rpt_email_audience"} <= allowed
    assert "marts.fct_lead_score_contribution" not in allowed
    assert {"email", "first_name", "last_name"} <= tagged["marts.dim_person"]
    assert find_leaks(built.warehouse.database, _manifest(built.warehouse)) == []


def test_the_check_finds_a_leak_by_column_name_and_by_content(built: Built, tmp_path: Path) -> None:
    copy = Warehouse(tmp_path / "warehouse")
    shutil.copytree(built.warehouse.root, copy.root)
    with duckdb.connect(str(copy.database)) as con:
        con.execute(
            "create table marts.leaky as "
            "select person_id, 'call ' || email || ' today' as note, first_name "
            "from marts.dim_person where email is not null"
        )
    leaks = {(leak.relation, leak.column) for leak in find_leaks(copy.database, _manifest(copy))}
    assert ("marts.leaky", "note") in leaks  # found by content
    assert ("marts.leaky", "first_name") in leaks  # found by name


def test_bi_schema_has_every_mart_without_direct_identifiers(built: Built) -> None:
    marts = {t for (t,) in query(built.warehouse.database, _tables("marts"))}
    bi = {t for (t,) in query(built.warehouse.database, _tables("bi"))}
    assert marts <= bi
    columns = query(
        built.warehouse.database,
        "select column_name from information_schema.columns "
        "where table_schema = 'bi' and table_name = 'dim_person'",
    )
    names = {c for (c,) in columns}
    assert "person_id" in names and "total_score" in names
    assert not names & {"email", "first_name", "last_name"}


def _tables(schema: str) -> str:
    return (
        "select table_name from information_schema.tables "
        f"where table_schema = '{schema}' and table_name not like 'bi_%'"
    )


def test_consent_report_for_auditors(built: Built, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from leadhouse.cli import app

    result = CliRunner().invoke(
        app,
        ["report", "consent", "--warehouse", str(built.warehouse.root), "--out", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    page = next(tmp_path.glob("consent-coverage-*.html")).read_text(encoding="utf-8")
    rows = next(tmp_path.glob("consent-coverage-*.csv")).read_text(encoding="utf-8")
    assert "Nobody was processed for a purpose without a valid basis" in page
    for purpose in ("email_marketing", "sales_contact", "profiling"):
        assert purpose in page and purpose in rows
    assert "<script" not in page and "http" not in page  # self-contained
    header = rows.splitlines()[0].split(",")
    assert "people_processed_without_basis" in header
    emails = query(built.warehouse.database, "select email from marts.dim_person limit 50")
    assert not any(e in page or e in rows for (e,) in emails if e)


def test_ingestion_sends_no_usage_reports_to_dlt(tmp_path: Path) -> None:
    """dlt reports anonymous usage to its makers unless told not to; a warehouse of
    personal data must not phone home. Run from a folder without the project's
    .dlt/config.toml, so that the setting in code is what is tested."""
    script = """
import sys
from pathlib import Path
import dlt
from dlt.common.runtime import anon_tracker
from ingestion.common import LoadCounters
from ingestion.pipeline import run_source, spec_of

@dlt.source(name="email")
def probe():
    return dlt.resource([{"id": 1}], name="probe")

folder = Path(sys.argv[1])
summary = run_source(
    spec_of("email"), probe(), LoadCounters("email"), folder / "w.duckdb", folder / "p"
)
assert summary.tables == {"probe": 1}, summary.tables
print("endpoint:", anon_tracker._ANON_TRACKER_ENDPOINT)
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNTIME__")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    completed = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().splitlines()[-1] == "endpoint: None"
