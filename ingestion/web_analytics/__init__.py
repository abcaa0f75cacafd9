"""Segment-spec web analytics events (also what RudderStack and Jitsu write).

Reads JSON-lines files from a landing folder, several files at a time, yields Arrow
tables (dlt's fast path) and appends them; the pipeline then keeps the first loaded copy
of each ``message_id``, so replays and re-delivered files add nothing.
"""

from __future__ import annotations

from pathlib import Path

import dlt

from ingestion.common import LoadCounters, landing_resource
from ingestion.web_analytics.helpers import RESOURCE, parse_file
from ingestion.web_analytics.settings import FILE_PATTERNS, PARSE_WORKERS, SOURCE_NAME


@dlt.source(name=SOURCE_NAME)
def segment_files(folder: str | Path, counters: LoadCounters | None = None) -> object:
    return landing_resource(
        source=SOURCE_NAME,
        table=RESOURCE,
        folder=folder,
        patterns=FILE_PATTERNS,
        parse=parse_file,
        primary_key="message_id",
        counters=counters or LoadCounters(SOURCE_NAME),
        arrow=True,
        append_only=True,
        parse_workers=PARSE_WORKERS,
    )
