"""Shared fixtures: one generated data set and one fully built warehouse per test session."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from leadhouse.config import DEFINITIONS_DIR, Warehouse
from leadhouse.generate.synthetic import generate

END_DATE = date(2026, 11, 1)
# Scoring as of the data's last day keeps decay, and so every assertion, independent of
# the day the tests run.
AS_OF = "2026-11-01T00:00:00"


# The test files that take longest (about 400 s and 200 s on 2 cores) run first: `make
# test` runs two files at a time, and one of these begun last would leave the other
# process idle at the end. pytest-xdist keeps this order only with
# `--no-loadscope-reorder` (the Makefile passes it); by default it hands out the files
# with the most tests first, which started test_incremental.py's one test last.
LONGEST_FIRST = ("test_scheduled_runs.py", "test_incremental.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start with the longest files; a file's tests stay together and in their order."""

    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)


def query(database: Path, sql: str) -> list[tuple]:
    """Rows of ``sql`` against a warehouse file, opened read-only."""
    import duckdb

    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


@dataclass(frozen=True)
class Built:
    data: Path
    warehouse: Warehouse
    truth: dict[str, dict[str, str]]  # contact_id -> ground-truth row


# The installed command, as a scheduler runs it.
LEADHOUSE = str(Path(sys.executable).with_name("leadhouse"))


def leadhouse_run(data: Path, warehouse: Path) -> subprocess.CompletedProcess[str]:
    """``leadhouse run`` of a landing into a warehouse as of ``AS_OF``, its output kept."""
    return subprocess.run(
        [LEADHOUSE, "run", "--data", str(data), "--warehouse", str(warehouse), "--as-of", AS_OF],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def definitions_with_pricing_points(folder: Path, points: int) -> Path:
    """A copy of the shipped definitions in ``folder`` whose pricing-page rule gives
    ``points`` instead of 10."""
    shutil.copytree(DEFINITIONS_DIR, folder)
    default = folder / "default.yml"
    rule = "- {signal: page_view_pricing, points: 10,"
    text = default.read_text(encoding="utf-8")
    assert rule in text
    default.write_text(text.replace(rule, rule.replace("10", str(points))), encoding="utf-8")
    return folder


def read_truth(data: Path) -> dict[str, dict[str, str]]:
    with (data / "_truth" / "people.csv").open(encoding="utf-8") as handle:
        return {row["contact_id"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="session")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("data")
    generate(out, people=1500, seed=7, end=END_DATE)
    return out


@pytest.fixture(scope="session")
def built(dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Ingest, build and check the session data set exactly as `leadhouse run` does."""
    from expectations.checkpoint import run_checks
    from ingestion.pipeline import load_sources
    from leadhouse.build import build

    warehouse = Warehouse(tmp_path_factory.mktemp("warehouse"))
    warehouse.ensure()
    load_sources(dataset, warehouse.database, warehouse.pipelines_dir)
    build(warehouse, DEFINITIONS_DIR, as_of=AS_OF, quiet=True, unit_tests=True)
    outcome = run_checks(
        warehouse.database, warehouse.gx_dir, manifest=warehouse.dbt_target_dir / "manifest.json"
    )
    assert outcome.success, outcome
    return Built(data=dataset, warehouse=warehouse, truth=read_truth(dataset))
