"""GX 1.x on DuckDB: the shim is needed, and with it metrics are computed in SQL."""

from __future__ import annotations

from pathlib import Path

import duckdb
import great_expectations as gx
import pytest

from expectations import duckdb_support


def _validate(database: Path) -> list[bool]:
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_sql(name="w", connection_string=f"duckdb:///{database}")
    asset = source.add_table_asset(name="people", table_name="people", schema_name="marts")
    batch = asset.add_batch_definition_whole_table("all")
    suite = context.suites.add(gx.ExpectationSuite(name="s"))
    suite.add_expectation(gx.expectations.ExpectColumnValuesToBeUnique(column="id"))
    suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column="id"))
    suite.add_expectation(gx.expectations.ExpectTableRowCountToBeBetween(min_value=1000))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name="v", data=batch, suite=suite)
    )
    try:
        result = definition.run()
    finally:
        source.get_execution_engine().close()
        source.get_engine().dispose()
    return [r.success for r in result.results]


@pytest.fixture()
def database(tmp_path: Path) -> Path:
    path = tmp_path / "t.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.people as select range as id from range(5000)")
    return path


def test_gx_fails_on_duckdb_without_the_shim(database: Path) -> None:
    duckdb_support.uninstall()
    try:
        assert _validate(database) == [False, False, False]
    finally:
        duckdb_support.install()


def test_gx_works_on_duckdb_with_the_shim(database: Path) -> None:
    duckdb_support.install()
    assert _validate(database) == [True, True, True]
