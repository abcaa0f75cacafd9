"""Where Leadhouse keeps things. Everything a run writes lives under one warehouse folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DEFINITIONS_DIR = REPO_ROOT / "models"
DEFAULT_DEFINITION = DEFINITIONS_DIR / "default.yml"
LEAD_DEFINITION_SEEDS = DBT_PROJECT_DIR / "seeds" / "lead_definition"


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
