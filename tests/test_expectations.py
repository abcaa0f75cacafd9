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


def test_metrics_stay_in_duckdb_at_tens_of_millions_of_rows(tmp_path: Path) -> None:
    """The scale the gate must handle (L: 20 M web events): GX reads back aggregates only,
    never the table, so memory does not grow with rows."""
    path = tmp_path / "large.duckdb"
    rows = 20_000_000
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            f"create table marts.events as select range as id, range % 1000 as score, "
            f"'visitor-' || (range % 97) as visitor from range({rows})"
        )
    duckdb_support.install()
    duckdb_support.BufferStats.reset()
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_sql(name="w", connection_string=f"duckdb:///{path}")
    asset = source.add_table_asset(name="events", table_name="events", schema_name="marts")
    suite = context.suites.add(gx.ExpectationSuite(name="large"))
    for expectation in (
        gx.expectations.ExpectTableRowCountToEqual(value=rows),
        gx.expectations.ExpectColumnValuesToBeUnique(column="id"),
        gx.expectations.ExpectColumnValuesToNotBeNull(column="visitor"),
        gx.expectations.ExpectColumnValuesToBeBetween(column="score", min_value=0, max_value=998),
        gx.expectations.UnexpectedRowsExpectation(
            unexpected_rows_query="select id from {batch} where score < 0"
        ),
    ):
        suite.add_expectation(expectation)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(
            name="v", data=asset.add_batch_definition_whole_table("all"), suite=suite
        )
    )
    try:
        result = definition.run()
    finally:
        source.get_execution_engine().close()
        source.get_engine().dispose()
    outcomes = {r.expectation_config.type: r for r in result.results}
    # score 999 exists: the between check must fail, the others pass; all computed in SQL.
    between = outcomes.pop("expect_column_values_to_be_between")
    assert not between.success
    assert between.result["unexpected_count"] == rows // 1000
    assert len(outcomes) == 4 and all(r.success for r in outcomes.values())
    assert duckdb_support.BufferStats.queries > 0
    assert duckdb_support.BufferStats.max_rows <= 200  # partial unexpected lists at most
