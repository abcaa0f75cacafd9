"""Firmographic master data keyed by NIP, merged so the newest ``as_of`` record wins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt

from ingestion.common import LoadCounters, landing_resource, parse_json_objects
from ingestion.company_registry.helpers import check_record
from ingestion.company_registry.settings import COLUMNS, FILE_PATTERNS, RESOURCE, SOURCE_NAME


@dlt.source(name=SOURCE_NAME)
def registry_files(folder: str | Path, counters: LoadCounters | None = None) -> object:
    columns: dict[str, Any] = {
        name: {"data_type": data_type, "nullable": True} for name, data_type in COLUMNS.items()
    }
    columns["as_of"]["dedup_sort"] = "desc"
    del columns["nip"]
    return landing_resource(
        source=SOURCE_NAME,
        table=RESOURCE,
        folder=Path(folder),
        patterns=FILE_PATTERNS,
        parse=parse_json_objects(RESOURCE, check_record),
        primary_key="nip",
        counters=counters or LoadCounters(SOURCE_NAME),
        arrow=False,
        extra_columns=columns,
    )
