"""Parse Segment-spec JSON lines into Arrow batches, rejecting what cannot be used."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from ingestion.common import ColumnBatches, LandingFile, Reject, is_future
from ingestion.web_analytics.settings import BATCH_ROWS, EVENT_SCHEMA, EVENT_TYPES

RESOURCE = "events"


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        # Parquet writers store UTC instants, sometimes without the zone.
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _json_text(value: Any) -> str | None:
    if not value:
        return None
    return orjson.dumps(value).decode()


def _check(event: Any) -> str | None:
    """Why an event cannot be loaded, or None when it can."""
    if not isinstance(event, dict):
        return "not a JSON object"
    if not event.get("messageId"):
        return "missing messageId"
    kind = event.get("type")
    if kind not in EVENT_TYPES:
        return f"unknown event type: {kind!r}"
    if kind == "track" and not event.get("event"):
        return "track call without event name"
    if not event.get("anonymousId") and not event.get("userId"):
        return "neither anonymousId nor userId"
    return None


def _records(path: LandingFile, rejects: list[Reject]) -> Iterator[tuple[int, Any, bytes | None]]:
    """(position, event, raw line) from JSON lines (optionally .gz) or a Parquet file
    whose columns are the Segment fields (nested as structs)."""
    if path.suffix == ".parquet":
        with path.open("rb") as handle:
            position = 0
            for batch in pq.ParquetFile(handle).iter_batches(batch_size=BATCH_ROWS):
                for row in batch.to_pylist():
                    position += 1
                    yield position, row, None
        return
    with path.open("rb") as handle:
        for line_number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                yield line_number, orjson.loads(raw), raw
            except orjson.JSONDecodeError as error:
                rejects.append(
                    Reject(RESOURCE, path.name, line_number, f"malformed JSON: {error}", raw)
                )


def parse_file(path: LandingFile, rejects: list[Reject]) -> Iterator[pa.Table]:
    """Stream one file: Arrow tables of good events; bad records appended to ``rejects``."""
    batches = ColumnBatches(EVENT_SCHEMA, BATCH_ROWS)
    append = {name: values.append for name, values in batches.columns.items()}
    for line_number, event, raw in _records(path, rejects):
        reason = _check(event)
        timestamp = _timestamp(event.get("timestamp")) if reason is None else None
        if reason is None and timestamp is None:
            reason = f"invalid timestamp: {event.get('timestamp')!r}"
        if reason is None and timestamp is not None and is_future(timestamp):
            reason = f"timestamp in the future: {event.get('timestamp')}"
        if reason is not None:
            rejects.append(Reject(RESOURCE, path.name, line_number, reason, raw))
            continue
        context = event.get("context") or {}
        page = context.get("page") or {}
        if event["type"] == "page" and not page:
            page = event.get("properties") or {}
        campaign = context.get("campaign") or {}
        append["message_id"](event["messageId"])
        append["type"](event["type"])
        append["event"](_text(event.get("event")))
        append["name"](_text(event.get("name")))
        append["anonymous_id"](_text(event.get("anonymousId")))
        append["user_id"](_text(event.get("userId")))
        append["group_id"](_text(event.get("groupId")))
        append["previous_id"](_text(event.get("previousId")))
        append["timestamp"](timestamp)
        append["sent_at"](_timestamp(event.get("sentAt")))
        append["received_at"](_timestamp(event.get("receivedAt")))
        append["page_path"](_text(page.get("path")))
        append["page_url"](_text(page.get("url")))
        append["page_title"](_text(page.get("title")))
        append["page_referrer"](_text(page.get("referrer")) or None)
        append["campaign_name"](_text(campaign.get("name")))
        append["campaign_source"](_text(campaign.get("source")))
        append["campaign_medium"](_text(campaign.get("medium")))
        append["properties"](_json_text(event.get("properties")))
        append["traits"](_json_text(event.get("traits") or context.get("traits")))
        consent = context.get("consent") or {}
        append["consent_preferences"](
            _json_text(consent.get("categoryPreferences") if isinstance(consent, dict) else None)
        )
        append["source_file"](path.name)
        yield from batches.row_done()
    yield from batches.rest()
