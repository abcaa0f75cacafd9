"""Where Leadhouse keeps things. Everything a run writes lives under one warehouse folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DEFINITIONS_DIR = REPO_ROOT / "models"
DEFAULT_DEFINITION = DEFINITIONS_DIR / "default.yml"
LEAD_DEFINITION_SEEDS = DBT_PROJECT_DIR / "seeds" / "lead_definition"

# DuckDB's memory limit for every connection Leadhouse opens: on the warehouse dbt's
# (profiles.yml reads the same variable, with the same default), the ingest's (dlt's
# loads, the suppression list), the checks', the publish step's; and the ingest's
# in-memory parsers (CRM objects and web events). DuckDB keeps blocks it has read cached
# up to its limit, and its own default is 80 % of the machine's memory, so a step
# scanning the warehouse grows to whatever the limit lets it. The limit covers DuckDB's
# buffers, not everything the process holds: dbt's Python and DuckDB's untracked
# allocations come on top (about 0.8 GB at the L benchmark), so 3 GB keeps a step under
# the 4 GB goal.
MEMORY_LIMIT_ENV = "LEADHOUSE_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "3GB"


def duckdb_settings() -> dict[str, str]:
    """Settings of every warehouse connection (one set, so connections that meet in a
    process agree: DuckDB refuses a second one to the same file with other settings)."""
    return {"memory_limit": os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT}


def connect(
    database: Path | None, read_only: bool = False, **settings: str | int
) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse file with Leadhouse's DuckDB settings, or, with no
    file, an in-memory database with them (the ingest's parsers); ``settings`` adds
    others (``threads``)."""
    config: dict[str, str | bool | int | float | list[str]] = {**duckdb_settings(), **settings}
    return duckdb.connect(
        ":memory:" if database is None else str(database), read_only=read_only, config=config
    )


def sqlalchemy_url(database: Path) -> str:
    """The same for SQLAlchemy (Great Expectations): duckdb_engine takes settings from
    the URL's query string."""
    query = "&".join(f"{key}={quote(value)}" for key, value in duckdb_settings().items())
    return f"duckdb:///{database.resolve()}?{query}"


@dataclass(frozen=True)
class Warehouse:
    root: Path

    @classmethod
    def from_env(cls, root: Path | None = None) -> Warehouse:
        chosen = root or Path(os.environ.get("LEADHOUSE_WAREHOUSE", "warehouse"))
        return cls(chosen.resolve())

    @property
    def database(self) -> Path:
        return self.root / "leadhouse.duckdb"

    @property
    def pipelines_dir(self) -> Path:
        return self.root / "dlt_pipelines"

    @property
    def dbt_target_dir(self) -> Path:
        return self.root / "dbt_target"

    @property
    def gx_dir(self) -> Path:
        """Project root of the GX file context; GX keeps its files in ``<root>/gx``."""
        return self.root

    def ensure(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
