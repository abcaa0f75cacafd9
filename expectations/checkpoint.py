"""Run the expectation suites against a warehouse file as one GX checkpoint.

Uses a GX file context rooted beside the warehouse (``<warehouse>/gx``), because its
configuration holds the warehouse's path: suites and the checkpoint are (re)defined from
code on every run, and results go to Data Docs HTML under ``gx/uncommitted/data_docs``,
the auditor's record.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import great_expectations as gx
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

from expectations import duckdb_support
from expectations.suites import SUITES, build_suite, load_thresholds
from leadhouse.config import connect, sqlalchemy_url
from leadhouse.runner import hold_point

DATASOURCE = "leadhouse_warehouse"


@dataclass
class SuiteOutcome:
    suite: str
    table: str
    blocking: bool
    success: bool
    evaluated: int
    failed: list[str] = field(default_factory=list)


@dataclass
class CheckOutcome:
    success: bool
    suites: list[SuiteOutcome]
    data_docs: Path | None

    @property
    def blocking_failures(self) -> list[SuiteOutcome]:
        return [s for s in self.suites if s.blocking and not s.success]


def _describe(config: Any) -> str:
    if config is None:
        return "unknown expectation"
    column = config.kwargs.get("column")
    if column:
        return f"{config.type}({column})"
    description = getattr(config, "description", None) or config.kwargs.get("description")
    return f"{config.type}: {description}" if description else str(config.type)


def run_checks(
    database: Path,
    project_root: Path,
    manifest: Path | None = None,
    run_id: str | None = None,
) -> CheckOutcome:
    """Run every suite as one checkpoint (Data Docs updated), then, with a dbt manifest,
    the personal-data placement check; record every result in ``audit.check_results``."""
    outcome = _run_suites(database, project_root)
    hold_point("check")
    if manifest is not None and manifest.exists():
        from leadhouse.privacy import find_leaks

        leaks = find_leaks(database, manifest)
        outcome.suites.append(
            SuiteOutcome(
                suite="personal_data_placement",
                table="staging, intermediate, marts, bi",
                blocking=True,
                success=not leaks,
                evaluated=1,
                failed=[str(leak) for leak in leaks],
            )
        )
        outcome.success = outcome.success and not leaks
    record_results(database, outcome, run_id or uuid.uuid4().hex)
    return outcome


def record_results(database: Path, outcome: CheckOutcome, run_id: str) -> None:
    """Keep the gate's verdicts in the warehouse, where an auditor can query them."""
    checked_at = datetime.now(UTC).replace(tzinfo=None)
    rows: list[tuple[object, ...]] = []
    for suite in outcome.suites:
        failures: list[str | None] = [*suite.failed] if suite.failed else [None]
        for failure in failures:
            rows.append(
                (
                    run_id,
                    checked_at,
                    suite.suite,
                    suite.table,
                    suite.blocking,
                    suite.success,
                    suite.evaluated,
                    failure,
                )
            )
    with connect(database) as con:
        con.execute("create schema if not exists audit")
        con.execute(
            """
            create table if not exists audit.check_results (
                run_id varchar, checked_at timestamp, suite varchar, table_name varchar,
                blocking boolean, success boolean, expectations integer, failed varchar
            )
            """
        )
        con.executemany("insert into audit.check_results values (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _run_suites(database: Path, project_root: Path) -> CheckOutcome:
    duckdb_support.install()
    context = gx.get_context(mode="file", project_root_dir=str(project_root))
    # Scheduled runs write logs, not terminals: no per-metric progress bars.
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.variables.save()
    datasource = context.data_sources.add_or_update_sql(
        name=DATASOURCE, connection_string=sqlalchemy_url(database)
    )
    definitions = []
    limits = load_thresholds()
    for spec in SUITES:
        asset_name = f"{spec.schema}.{spec.table}"
        # Assets are rebuilt from code each run, so a changed suite spec takes effect.
        with contextlib.suppress(LookupError):
            datasource.delete_asset(asset_name)
        asset = datasource.add_table_asset(
            name=asset_name, table_name=spec.table, schema_name=spec.schema
        )
        batch = asset.add_batch_definition_whole_table("whole_table")
        suite = context.suites.add_or_update(build_suite(spec, limits))
        definitions.append(
            context.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=spec.name, data=batch, suite=suite)
            )
        )
    # Data Docs are built once per run, below, not by GX's UpdateDataDocsAction: that
    # action rebuilds the site index once per validation, and each index build reads every
    # stored result, so the check step would grow with runs times suites.
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(name="leadhouse_gate", validation_definitions=definitions, actions=[])
    )
    try:
        result = checkpoint.run()
        # Result pages and suite pages in one build, as GX's own action passes them (its
        # annotation allows a list of one kind only).
        pages: list[Any] = [
            *result.run_results,
            *(ExpectationSuiteIdentifier(name=spec.name) for spec in SUITES),
        ]
        context.build_data_docs(resource_identifiers=pages)
    finally:
        # DuckDB allows one read-write handle per file and process: release GX's pooled
        # connections so the rest of the run (and BI readers) can open the file.
        for definition in definitions:
            definition.data.data_asset.datasource.get_execution_engine().close()
            definition.data.data_asset.datasource.get_engine().dispose()
    outcomes = []
    by_name = {spec.name: spec for spec in SUITES}
    for validation in result.run_results.values():
        spec = by_name[validation.suite_name]
        failed = [_describe(r.expectation_config) for r in validation.results if not r.success]
        outcomes.append(
            SuiteOutcome(
                suite=spec.name,
                table=f"{spec.schema}.{spec.table}",
                blocking=spec.blocking,
                success=validation.success,
                evaluated=len(validation.results),
                failed=failed,
            )
        )
    docs = project_root / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    success = all(o.success for o in outcomes if o.blocking)
    return CheckOutcome(success=success, suites=outcomes, data_docs=docs if docs.exists() else None)
