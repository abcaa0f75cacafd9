"""HubSpot CRM v3 objects from export files: one table per object type in ``raw_crm``.

Objects keep HubSpot's shape; dlt unnests ``properties`` into ``properties__<name>``
columns and ``associations`` into child tables. Each object merges on its id, so a
re-exported file updates records instead of duplicating them.
"""

from __future__ import annotations

from pathlib import Path

import dlt

from ingestion.common import LoadCounters, landing_resource, parse_json_objects
from ingestion.crm.helpers import column_hints, requires
from ingestion.crm.settings import OBJECTS, PROPERTIES, SOURCE_NAME


@dlt.source(name=SOURCE_NAME)
def hubspot_files(folder: str | Path, counters: LoadCounters | None = None) -> object:
    counters = counters or LoadCounters(SOURCE_NAME)
    return [
        landing_resource(
            source=SOURCE_NAME,
            table=name,
            folder=Path(folder),
            patterns=(f"{name}.json", f"{name}.jsonl", f"{name}-*.json", f"{name}-*.jsonl"),
            parse=parse_json_objects(name, requires(key)),
            primary_key=key,
            counters=counters,
            arrow=False,
            extra_columns=column_hints(PROPERTIES.get(name, ())),
        )
        for name, key in OBJECTS.items()
    ]
