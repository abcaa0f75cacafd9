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
