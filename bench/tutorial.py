"""The comparison pipeline, written the way dlt's and dbt's getting-started guides do it.

- dlt resources yield one Python dict per record, loaded with the DuckDB destination's
  default file format (insert-values). Every run reads every file again; the events are
  merged on their ids (``primary_key``, as the guides show for deduplication), because
  the dbt tests, like Leadhouse, require one row per event. The benchmark runs it into
  an empty warehouse each time: a full reload.
- dbt builds every model as a table from scratch (``dbt build --full-refresh``).

To run the same dbt project on the same rows, the event resources reuse Leadhouse's
parsers (validation and field mapping, which since issue 3 run in DuckDB) and then hand
dlt one dict per event; a guide's `json.loads` loop would be slower, so this favours the
tutorial pipeline. The CRM is read the guides' way, one ``json.loads`` per line and one
dict per object, merged on its key; dlt unnests properties and associations. The registry
source, which yields dicts, is Leadhouse's own without the Parquet path. What differs is
exactly what the guides leave out: Arrow/Parquet, incremental loading and incremental
models.

``python -m bench.tutorial DATA_DIR WAREHOUSE_DIR AS_OF``
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dlt

from ingestion import company_registry
from ingestion.common import LandingFile, Reject, landing_files
from ingestion.crm import helpers as crm_helpers
from ingestion.crm import settings as crm_settings
from ingestion.email import helpers as email_helpers
from ingestion.email import settings as email_settings
from ingestion.web_analytics import helpers as web_helpers
from ingestion.web_analytics import settings as web_settings
from leadhouse.build import definition_in_seeds, run_dbt
from leadhouse.config import DEFINITIONS_DIR, Warehouse
from leadhouse.definition import load_definitions

Parse = Callable[[LandingFile, list[Reject]], Iterator[Any]]


def event_rows(folder: Path, patterns: tuple[str, ...], parse: Parse) -> Iterator[dict[str, Any]]:
    for path in landing_files(folder, patterns):
        for table in parse(path, []):
            yield from table.to_pylist()


def crm_objects(folder: Path, name: str) -> Iterator[dict[str, Any]]:
    for path in sorted(folder.glob(f"{name}*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    continue  # the guides skip what does not parse


def crm_resources(folder: Path) -> list[Any]:
    # The declared columns are the ones dbt's staging reads even when no record has them.
    return [
        dlt.resource(
            crm_objects(folder, name),
            name=name,
            write_disposition="merge",
            primary_key=key,
            columns=crm_helpers.column_hints(crm_settings.PROPERTIES.get(name, ())),
        )
        for name, key in crm_settings.OBJECTS.items()
    ]


def pipeline(warehouse: Warehouse, system: str, dataset: str) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name=f"tutorial_{system}",
        destination=dlt.destinations.duckdb(str(warehouse.database)),
        dataset_name=dataset,
        pipelines_dir=str(warehouse.root / "tutorial_pipelines"),
    )


def ingest(data: Path, warehouse: Warehouse) -> None:
    for system, dataset, patterns, parse, key in (
        (
            "web_analytics",
            "raw_web_analytics",
            web_settings.FILE_PATTERNS,
            web_helpers.parse_file,
            "message_id",
        ),
        (
            "email",
            "raw_email",
            email_settings.FILE_PATTERNS,
            email_helpers.parse_file,
            "sg_event_id",
        ),
    ):
        rows = dlt.resource(
            event_rows(data / system, patterns, parse),
            name="events",
            write_disposition="merge",
            primary_key=key,
        )
        pipeline(warehouse, system, dataset).run(rows)
    pipeline(warehouse, "crm", "raw_crm").run(crm_resources(data / "crm"))
    pipeline(warehouse, "company_registry", "raw_company_registry").run(
        company_registry.registry_files(data / "company_registry")
    )


def main(data: Path, root: Path, as_of: str) -> dict[str, str]:
    warehouse = Warehouse(root.resolve())
    warehouse.ensure()
    ingest(data, warehouse)
    with definition_in_seeds(load_definitions(DEFINITIONS_DIR)):
        run_dbt(warehouse, ["build", "--full-refresh", "--exclude", "test_type:unit"], as_of, True)
    return {"warehouse": str(warehouse.database)}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])))
