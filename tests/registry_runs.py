"""Loading the company registry source into a scratch warehouse, for the registry tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingestion.common import LoadCounters
from ingestion.pipeline import run_source, spec_of
from tests.conftest import query


def run_registry(source: Any, warehouse: Path, counters: LoadCounters | None = None) -> Any:
    """Load ``source`` into ``warehouse``/w.duckdb, as the pipeline loads the registry."""
    counters = counters or LoadCounters("company_registry")
    return run_source(
        spec_of("company_registry"), source, counters, warehouse / "w.duckdb", warehouse / "p"
    )


def query_registry(warehouse: Path, sql: str) -> list[tuple]:
    return query(warehouse / "w.duckdb", sql)
