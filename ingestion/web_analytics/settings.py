"""Settings for the Segment-spec web analytics source."""

from __future__ import annotations

import os

import pyarrow as pa

SOURCE_NAME = "web_analytics"
DATASET_NAME = "raw_web_analytics"
FILE_PATTERNS = ("*.jsonl", "*.ndjson", "*.json", "*.jsonl.gz", "*.json.gz", "*.parquet")
# Files parsed side by side, each by a DuckDB connection with an equal share of the cores.
# One parse uses two cores poorly (a chunk is a few record batches, its output is converted
# to Arrow on one thread); two files side by side keep both busy. Capped: each worker holds
# a few chunks in memory.
_CORES = os.cpu_count() or 1
PARSE_WORKERS = min(4, _CORES)
DUCKDB_THREADS = max(1, _CORES // PARSE_WORKERS)
# Rows per Arrow batch: large enough for columnar speed, small enough to keep memory flat.
BATCH_ROWS = 50_000
# The Segment spec's call types. `screen` comes from mobile libraries; `alias` is tolerated.
EVENT_TYPES = frozenset({"page", "track", "identify", "group", "alias", "screen"})

EVENT_SCHEMA = pa.schema(
    [
        pa.field("message_id", pa.string(), nullable=False),
        ("type", pa.string()),
        ("event", pa.string()),
        ("name", pa.string()),
        ("anonymous_id", pa.string()),
        ("user_id", pa.string()),
        ("group_id", pa.string()),
        ("previous_id", pa.string()),
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("sent_at", pa.timestamp("us", tz="UTC")),
        ("received_at", pa.timestamp("us", tz="UTC")),
        ("page_path", pa.string()),
        ("page_url", pa.string()),
        ("page_title", pa.string()),
        ("page_referrer", pa.string()),
        ("campaign_name", pa.string()),
        ("campaign_source", pa.string()),
        ("campaign_medium", pa.string()),
        ("properties", pa.string()),
        ("traits", pa.string()),
        # Segment Consent Management: context.consent.categoryPreferences, as JSON text.
        ("consent_preferences", pa.string()),
        ("source_file", pa.string()),
        # The event's line in its file (its row, in a Parquet file): with source_file,
        # where it came from, and which copy of a re-delivered event is the first.
        ("source_line", pa.int64()),
    ]
)
