"""Settings for the SendGrid Event Webhook source."""

from __future__ import annotations

import pyarrow as pa

SOURCE_NAME = "email"
DATASET_NAME = "raw_email"
FILE_PATTERNS = ("*.json", "*.jsonl", "*.ndjson", "*.json.gz", "*.jsonl.gz")
BATCH_ROWS = 50_000
EVENT_TYPES = frozenset(
    {
        "processed",
        "dropped",
        "delivered",
        "deferred",
        "bounce",
        "blocked",
        "open",
        "click",
        "spamreport",
        "unsubscribe",
        "group_unsubscribe",
        "group_resubscribe",
    }
)

# Only delivery metadata is kept: SendGrid never sends bodies, and custom unique_args,
# which senders sometimes fill with personal data, are deliberately not loaded.
EVENT_SCHEMA = pa.schema(
    [
        pa.field("sg_event_id", pa.string(), nullable=False),
        ("sg_message_id", pa.string()),
        ("smtp_id", pa.string()),
        ("event", pa.string()),
        ("email", pa.string()),
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("categories", pa.string()),
        ("url", pa.string()),
        ("reason", pa.string()),
        ("status", pa.string()),
        ("bounce_type", pa.string()),
        ("asm_group_id", pa.int64()),
        ("is_machine_open", pa.bool_()),
        ("useragent", pa.string()),
        ("source_file", pa.string()),
        # The event's line in its file (NDJSON), or its place in the file's JSON array.
        ("source_line", pa.int64()),
    ]
)
