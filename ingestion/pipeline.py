"""Run the four Leadhouse sources into one DuckDB file, one raw dataset per system."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt

from ingestion import company_registry, crm, email, web_analytics
from ingestion.common import LoadCounters, ResourceCounts

# Arrow items skip dlt's normalizer, which is where _dlt_load_id is normally added; lineage
# from every raw row back to its load needs it.
dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True


@dataclass(frozen=True)
class SourceSpec:
    system: str
    dataset: str
    folder: str
    factory: Callable[..., Any]


SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec("crm", "raw_crm", "crm", crm.hubspot_files),
    SourceSpec("web_analytics", "raw_web_analytics", "web_analytics", web_analytics.segment_files),
    SourceSpec("email", "raw_email", "email", email.sendgrid_files),
    SourceSpec(
        "company_registry",
        "raw_company_registry",
        "company_registry",
        company_registry.registry_files,
    ),
)


@dataclass
class SourceSummary:
    system: str
    dataset: str
    seconds: float
    resources: dict[str, ResourceCounts] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(r.rows for r in self.resources.values())

    @property
    def quarantined(self) -> int:
        return sum(r.quarantined for r in self.resources.values())


def make_pipeline(spec: SourceSpec, database: Path, pipelines_dir: Path) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name=f"leadhouse_{spec.system}",
        destination=dlt.destinations.duckdb(str(database)),
        dataset_name=spec.dataset,
        pipelines_dir=str(pipelines_dir),
    )


def load_sources(
    data_dir: Path, database: Path, pipelines_dir: Path, systems: tuple[str, ...] | None = None
) -> list[SourceSummary]:
    """Load every source whose landing folder exists under ``data_dir``."""
    summaries = []
    for spec in SOURCES:
        if systems is not None and spec.system not in systems:
            continue
        folder = data_dir / spec.folder
        if not folder.is_dir():
            continue
        counters = LoadCounters(spec.system)
        pipeline = make_pipeline(spec, database, pipelines_dir)
        started = time.perf_counter()
        if pipeline.has_pending_data:
            # A previous run died after extracting: finish its packages first, because
            # run() with pending packages completes them and extracts nothing new.
            pipeline.run()
        pipeline.run(spec.factory(folder, counters), loader_file_format="parquet")
        summaries.append(
            SourceSummary(
                system=spec.system,
                dataset=spec.dataset,
                seconds=time.perf_counter() - started,
                resources=counters.resources,
            )
        )
    return summaries
