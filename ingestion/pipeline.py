"""Run the four Leadhouse sources into one DuckDB file, one raw dataset per system."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
from dlt.common.schema.utils import get_columns_names_with_prop
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from ingestion import company_registry, crm, email, web_analytics
from ingestion.common import (
    QUARANTINE_TABLE,
    SCHEMA_CONTRACT,
    LoadCounters,
    ResourceCounts,
    drop_duplicates,
    drop_orphans,
    join_location,
    landing_exists,
)
from ingestion.company_registry.whitelist import WhitelistReport, vat_whitelist
from ingestion.crm.sightings import record_all_sightings
from ingestion.suppression import Suppression, apply_to_source
from leadhouse.config import connect, duckdb_settings
from leadhouse.runner import hold_point

# Arrow items skip dlt's normalizer, which is where _dlt_load_id is normally added; lineage
# from every raw row back to its load needs it.
dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
# Loaded packages are not kept on disk, and merge staging tables are emptied after each
# load: raw data lives only in the warehouse, where erasure can reach it.
dlt.config["load.delete_completed_jobs"] = True
dlt.config["load.truncate_staging_dataset"] = True
# Load files live only until their load (above), so they are written without compression:
# compressing and decompressing them cost about 0.5 s for 2 M web events.
dlt.config["data_writer.compression"] = "none"
# The same for the intermediate JSON-lines files of items that reach dlt as dicts
# (quarantine rows, KRS officers, records that do not fit a declared Arrow layout):
# gzip was a tenth of the company registry's ingest.
dlt.config["data_writer.disable_compression"] = True

# DuckDB settings of the event sources' load connections: an insert that need not keep
# the file's row order is parallel without reordering (2 M web events: 3.5 s instead of
# 4.7 s). Which copy of a duplicated event stays is decided from the rows' source file and
# line instead of their order in the table (common.drop_duplicates).
LOAD_SETTINGS: dict[str, Any] = {"preserve_insertion_order": False}


# Python's cyclic garbage collector runs after every 700 new container objects by
# default; parsing JSON records makes millions of dicts and lists, few of them in cycles,
# and the collections cost about 2.3 s of a 16 s CRM load at M. A load collects after
# every 50,000 instead (the two older generations keep their defaults).
INGEST_GC_THRESHOLD = 50_000


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Raise the youngest generation's threshold to ``INGEST_GC_THRESHOLD`` for a load,
    and put the previous thresholds back afterwards."""
    previous = gc.get_threshold()
    gc.set_threshold(max(INGEST_GC_THRESHOLD, previous[0]), *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)


@dataclass(frozen=True)
class SourceSpec:
    system: str
    dataset: str
    folder: str
    factory: Callable[..., Any]
    # The source removes erased people from its records itself (it takes `suppression`):
    # the CRM does, before unnesting objects into tables.
    suppresses_records: bool = False
    # Nested tables are appended and pruned of rows whose root is gone after each load
    # (crm.tables, common.drop_orphans): the CRM's objects.
    prunes_nested: bool = False
    # Loads may insert rows in any order (LOAD_SETTINGS): the event sources, whose tables
    # are appended and then deduplicated by their rows' own file and line
    # (common.drop_duplicates). Merged tables keep dlt's default.
    loads_unordered: bool = False
    # A step run on the dataset after each load, in the load's connection: the CRM keeps
    # when it first saw each record and each subscription status without a time
    # (crm.sightings).
    after_load: Callable[[Callable[[str], Any], str], Any] | None = None


SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec(
        "crm",
        "raw_crm",
        "crm",
        crm.hubspot_files,
        suppresses_records=True,
        prunes_nested=True,
        after_load=record_all_sightings,
    ),
    SourceSpec(
        "web_analytics",
        "raw_web_analytics",
        "web_analytics",
        web_analytics.segment_files,
        loads_unordered=True,
    ),
    SourceSpec("email", "raw_email", "email", email.sendgrid_files, loads_unordered=True),
    SourceSpec(
        "company_registry",
        "raw_company_registry",
        "company_registry",
        company_registry.registry_files,
    ),
)


@dataclass
class SourceSummary:
    """What one run of a source did. ``tables`` counts rows dlt actually loaded per table
    (after incremental cursors and including child tables); ``resources`` holds the
    source's own counters (rows read, files read or skipped)."""

    system: str
    dataset: str
    seconds: float
    tables: dict[str, int] = field(default_factory=dict)
    resources: dict[str, ResourceCounts] = field(default_factory=dict)
    suppressed: dict[str, int] = field(default_factory=dict)  # records of erased people

    @property
    def rows(self) -> int:
        return sum(n for t, n in self.tables.items() if t != QUARANTINE_TABLE and "__" not in t)

    @property
    def quarantined(self) -> int:
        return self.tables.get(QUARANTINE_TABLE, 0)


# Columns that order the copies of an event within one load, where a table has them.
WITHIN_LOAD_ORDER = ("source_file", "source_line")


def appended_with_key(schema: Any) -> list[tuple[str, str, tuple[str, ...]]]:
    """Tables that sources append (events, ``landing_resource(append_only=True)``) although
    they have a primary key: they keep one row per key by ``drop_duplicates`` after each
    load, which costs far less than dlt's merge (a staging copy, then a deduplicating
    insert). Read from the dlt schema, so the key is declared once, on the resource; each
    with the columns of ``WITHIN_LOAD_ORDER`` it has."""
    found = []
    for name, table in schema.tables.items():
        keys = get_columns_names_with_prop(table, "primary_key")
        if table.get("write_disposition") == "append" and len(keys) == 1:
            order = tuple(c for c in WITHIN_LOAD_ORDER if c in table.get("columns", {}))
            found.append((name, keys[0], order))
    return found


def make_pipeline(spec: SourceSpec, database: Path, pipelines_dir: Path) -> dlt.Pipeline:
    # The warehouse's memory limit holds for the loads too (leadhouse.config).
    credentials = DuckDbCredentials(
        str(database),
        global_config=duckdb_settings(),
        local_config=dict(LOAD_SETTINGS) if spec.loads_unordered else None,
    )
    return dlt.pipeline(
        pipeline_name=f"leadhouse_{spec.system}",
        destination=dlt.destinations.duckdb(credentials),
        dataset_name=spec.dataset,
        pipelines_dir=str(pipelines_dir),
    )


def load_sources(
    data_dir: str | Path,
    database: Path,
    pipelines_dir: Path,
    systems: tuple[str, ...] | None = None,
    source_options: dict[str, dict[str, Any]] | None = None,
) -> list[SourceSummary]:
    """Load every source whose landing folder exists under ``data_dir`` (a local folder
    or an fsspec URL such as ``s3://bucket/landing``)."""
    summaries = []
    for spec in SOURCES:
        if systems is not None and spec.system not in systems:
            continue
        folder = join_location(data_dir, spec.folder)
        if not landing_exists(folder):
            continue
        counters = LoadCounters(spec.system)
        options = dict((source_options or {}).get(spec.system, {}))
        suppression = Suppression.load(database)
        if spec.suppresses_records:
            options["suppression"] = suppression
        source = spec.factory(folder, counters, **options)
        summaries.append(run_source(spec, source, counters, database, pipelines_dir, suppression))
        hold_point("ingest")  # a scheduler may kill a run here; tests do
    return summaries


def spec_of(system: str) -> SourceSpec:
    return next(spec for spec in SOURCES if spec.system == system)


def run_source(
    spec: SourceSpec,
    source: Any,
    counters: LoadCounters,
    database: Path,
    pipelines_dir: Path,
    suppression: Suppression | None = None,
) -> SourceSummary:
    """Run one dlt source into its raw dataset and say what it loaded. ``suppression``
    is the one the source was given, if it filters its own records."""
    with fewer_collections():
        return _run_source(spec, source, counters, database, pipelines_dir, suppression)


def _run_source(
    spec: SourceSpec,
    source: Any,
    counters: LoadCounters,
    database: Path,
    pipelines_dir: Path,
    suppression: Suppression | None,
) -> SourceSummary:
    pipeline = make_pipeline(spec, database, pipelines_dir)
    started = time.perf_counter()
    # Erased people stay erased: their records are dropped before anything is written
    # (items the source yields are filtered here too: quarantined lines, for one).
    if suppression is None:
        suppression = Suppression.load(database)
    apply_to_source(source, suppression)
    # One connection to the warehouse is held for the whole run. dlt opens one per load
    # job and closes it after; when the last one closes, DuckDB checkpoints the file (dlt
    # turns on checkpoint_on_shutdown) and the next job opens it again. Held open, the
    # jobs share one open database and the file is checkpointed once, at the end: at M
    # the CRM's load took 1.7 s instead of 3.6 s, the registry's 0.5 s instead of 1.2 s.
    with pipeline.sql_client():
        if pipeline.has_pending_data:
            # A previous run died after extracting: finish its packages first, because
            # run() with pending packages completes them and extracts nothing new.
            pipeline.run()
        # The contract holds for every table of the source (see common.SCHEMA_CONTRACT). Set
        # on the source's schema, not through run(schema_contract=…), which also copies it
        # into every resource's hints and so into the validation of every item.
        source.schema_contract = SCHEMA_CONTRACT
        pipeline.run(source, loader_file_format="parquet")
        if spec.prunes_nested:
            with pipeline.sql_client() as client:
                drop_orphans(client.execute_sql, spec.dataset)
        if spec.after_load is not None:
            with pipeline.sql_client() as client:
                spec.after_load(client.execute_sql, spec.dataset)
        trace = pipeline.last_trace
        normalized = trace.last_normalize_info if trace else None
        row_counts = dict(normalized.row_counts) if normalized else {}
        keyed_appends = appended_with_key(pipeline.default_schema)
        if keyed_appends:
            with pipeline.sql_client() as client:
                for table, key, order in keyed_appends:
                    dropped = drop_duplicates(client.execute_sql, spec.dataset, table, key, order)
                    # Rows loaded are rows kept: a re-delivered event is not loaded again.
                    if table in row_counts:
                        row_counts[table] = max(row_counts[table] - dropped, 0)
    return SourceSummary(
        system=spec.system,
        dataset=spec.dataset,
        seconds=time.perf_counter() - started,
        tables={t: n for t, n in row_counts.items() if not t.startswith("_dlt")},
        resources=counters.resources,
        suppressed=dict(suppression.dropped),
    )


def load_hubspot_api(database: Path, pipelines_dir: Path, **source_args: Any) -> SourceSummary:
    """Load the CRM from the HubSpot API instead of export files (same tables)."""
    counters = LoadCounters("crm")
    suppression = Suppression.load(database)
    source = crm.hubspot_api(counters=counters, suppression=suppression, **source_args)
    return run_source(spec_of("crm"), source, counters, database, pipelines_dir, suppression)


def nips_in_warehouse(database: Path) -> list[str]:
    """NIPs the warehouse knows (CRM companies and firmographics), for White List checks."""
    queries = {
        ("raw_crm", "companies"): "select properties__nip from raw_crm.companies",
        (
            "raw_company_registry",
            "firmographics",
        ): "select nip from raw_company_registry.firmographics",
    }
    nips: set[str] = set()
    with connect(database, read_only=True) as con:
        present = set(con.execute("select schema_name, table_name from duckdb_tables()").fetchall())
        for table, sql in queries.items():
            if table in present:
                nips.update(
                    str(n).replace("-", "").replace(" ", "")
                    for (n,) in con.execute(sql).fetchall()
                    if n
                )
    return sorted(nips)


def enrich_vat_whitelist(
    database: Path, pipelines_dir: Path, **whitelist_args: Any
) -> tuple[SourceSummary, WhitelistReport]:
    """Check the warehouse's NIPs against the VAT White List, within the daily budget."""
    report = WhitelistReport()
    source = vat_whitelist(nips_in_warehouse(database), report=report, **whitelist_args)
    summary = run_source(
        spec_of("company_registry"),
        source,
        LoadCounters("company_registry"),
        database,
        pipelines_dir,
    )
    return summary, report
