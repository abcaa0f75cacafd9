"""One DuckDB memory limit for every warehouse connection: Leadhouse's own, dbt's (through
its profile) and Great Expectations' (through SQLAlchemy). DuckDB's own default is 80 % of
the machine's memory, and a step that scans the warehouse caches what it reads up to the
limit (the check step reached 6.2 GB at the L benchmark without one)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
import sqlalchemy

from ingestion import pipeline as ingest_pipeline
from ingestion import suppression as suppression_module
from ingestion.common import Reject, landing_files
from ingestion.crm import sql as crm_sql
from ingestion.crm.tables import ObjectTables
from ingestion.suppression import Suppression
from ingestion.web_analytics import helpers as web_helpers
from leadhouse.build import dbt_env
from leadhouse.config import (
    DBT_PROJECT_DIR,
    DEFAULT_MEMORY_LIMIT,
    MEMORY_LIMIT_ENV,
    Warehouse,
    connect,
    sqlalchemy_url,
)


def _as_duckdb_shows(limit: str) -> str:
    """The limit as DuckDB reports it (it prints bytes in its own units)."""
    with duckdb.connect(config={"memory_limit": limit}) as con:
        row = con.execute("select current_setting('memory_limit')").fetchone()
    assert row
    return str(row[0])


def test_default_memory_limit_is_the_profiles_default(monkeypatch: pytest.MonkeyPatch) -> None:
    profile = (DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8")
    defaults = re.findall(rf"env_var\('{MEMORY_LIMIT_ENV}', '([^']+)'\)", profile)
    assert defaults == [DEFAULT_MEMORY_LIMIT]
    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    env = dbt_env(Warehouse(Path("/tmp/unused")))
    assert env[MEMORY_LIMIT_ENV] == DEFAULT_MEMORY_LIMIT


@pytest.mark.parametrize("limit", ["1GB", "750MB"])
def test_every_connection_takes_the_configured_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: str
) -> None:
    monkeypatch.setenv(MEMORY_LIMIT_ENV, limit)
    database = tmp_path / "warehouse.duckdb"
    expected = _as_duckdb_shows(limit)
    assert expected != _as_duckdb_shows(DEFAULT_MEMORY_LIMIT)

    with connect(database) as con:
        con.execute("create table t as select 1 as x")
        assert con.execute("select current_setting('memory_limit')").fetchone() == (expected,)
    with connect(database, read_only=True) as con:
        assert con.execute("select current_setting('memory_limit')").fetchone() == (expected,)

    engine = sqlalchemy.create_engine(sqlalchemy_url(database))
    try:
        with engine.connect() as con:
            shown = con.execute(sqlalchemy.text("select current_setting('memory_limit')"))
            assert shown.scalar() == expected
    finally:
        engine.dispose()

    assert dbt_env(Warehouse(tmp_path))[MEMORY_LIMIT_ENV] == limit


def _connections_opened_by(
    module: object, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[object, ...]]:
    """Wrap the ``connect`` a module calls: each connection it opens reports its memory
    limit and thread count as it was opened."""
    seen: list[tuple[object, ...]] = []

    def spying(*args: object, **kwargs: object) -> duckdb.DuckDBPyConnection:
        con = connect(*args, **kwargs)  # type: ignore[arg-type]
        row = con.execute(
            "select current_setting('memory_limit'), current_setting('threads')"
        ).fetchone()
        seen.append(tuple(row or ()))
        return con

    monkeypatch.setattr(module, "connect", spying)
    return seen


def test_the_ingest_loads_and_parses_under_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dlt's connection to the warehouse, the suppression list's, and the in-memory DuckDBs
    that parse CRM objects and web events all take the one limit; the web parser keeps
    its own thread count."""
    limit = "750MB"
    monkeypatch.setenv(MEMORY_LIMIT_ENV, limit)
    expected = _as_duckdb_shows(limit)
    database = tmp_path / "warehouse.duckdb"

    spec = ingest_pipeline.spec_of("web_analytics")
    pipeline = ingest_pipeline.make_pipeline(spec, database, tmp_path / "pipelines")
    with pipeline.sql_client() as client:
        rows = client.execute_sql("select current_setting('memory_limit')")
    assert rows == [(expected,)]

    with connect(database) as con:
        con.execute("create schema audit")
        con.execute("create table audit.suppressed_identifiers (identifier_hash varchar)")
        con.execute("insert into audit.suppressed_identifiers values ('h')")
    suppression_list = _connections_opened_by(suppression_module, monkeypatch)
    assert Suppression.load(database).hashes == frozenset({"h"})
    assert [shown for shown, _ in suppression_list] == [expected]

    web = _connections_opened_by(web_helpers, monkeypatch)
    (tmp_path / "events.jsonl").write_text(
        '{"type": "track", "event": "Pricing Viewed", "messageId": "m-1", '
        '"anonymousId": "a-1", "timestamp": "2026-10-21T07:23:26Z"}\n',
        encoding="utf-8",
    )
    (events,) = landing_files(tmp_path, ("events.jsonl",))
    rejects: list[Reject] = []
    (table,) = list(web_helpers.parse_file(events, rejects))
    assert table.num_rows == 1 and rejects == []
    assert web == [(expected, web_helpers.DUCKDB_THREADS)]

    crm = _connections_opened_by(crm_sql, monkeypatch)
    crm_sql.SqlObjectTables(ObjectTables("contacts", text_columns=("id",)), "id").close()
    assert [shown for shown, _ in crm] == [expected]
