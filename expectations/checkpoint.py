"""Run the expectation suites against a warehouse file as one GX checkpoint.

Uses a GX file context rooted beside the warehouse (``<warehouse>/gx``), because its
configuration holds the warehouse's path: suites and the checkpoint are (re)defined from
code on every run, and results go to Data Docs HTML under ``gx/uncommitted/data_docs``,
the auditor's record.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import great_expectations as gx
from great_expectations.data_context.types.base import ProgressBarsConfig

from expectations import duckdb_support
from expectations.suites import SUITES, build_suite

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
    return f"{config.type}({column})" if column else str(config.type)


def run_checks(database: Path, project_root: Path) -> CheckOutcome:
    duckdb_support.install()
    context = gx.get_context(mode="file", project_root_dir=str(project_root))
    # Scheduled runs write logs, not terminals: no per-metric progress bars.
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.variables.save()
    datasource = context.data_sources.add_or_update_sql(
        name=DATASOURCE, connection_string=f"duckdb:///{database.resolve()}"
    )
    definitions = []
    for spec in SUITES:
        asset_name = f"{spec.schema}.{spec.table}"
        # Assets are rebuilt from code each run, so a changed suite spec takes effect.
        with contextlib.suppress(LookupError):
            datasource.delete_asset(asset_name)
        asset = datasource.add_table_asset(
            name=asset_name, table_name=spec.table, schema_name=spec.schema
        )
        batch = asset.add_batch_definition_whole_table("whole_table")
        suite = context.suites.add_or_update(build_suite(spec))
        definitions.append(
            context.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=spec.name, data=batch, suite=suite)
            )
        )
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name="leadhouse_gate",
            validation_definitions=definitions,
            actions=[gx.checkpoint.UpdateDataDocsAction(name="update_data_docs")],
        )
    )
    try:
        result = checkpoint.run()
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
