"""Parse SendGrid Event Webhook payloads (JSON arrays or NDJSON) into Arrow batches."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow as pa

from ingestion.common import ColumnBatches, LandingFile, Reject, is_future
from ingestion.email.settings import BATCH_ROWS, EVENT_SCHEMA, EVENT_TYPES

RESOURCE = "events"


def _items(path: LandingFile, rejects: list[Reject]) -> Iterator[tuple[int, Any, bytes | None]]:
    """(position, event, raw) for every event in a webhook file.

    A whole-file parse is tried first. A file cut off mid-write is then read line by
    line: webhook batches put one event per line, so every complete event is kept.
    """
    data = path.read_bytes()
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError:
        parsed = None
    if isinstance(parsed, list):
        for position, event in enumerate(parsed, start=1):
            yield position, event, None
        return
    if isinstance(parsed, dict):
        yield 1, parsed, None
        return
    for line_number, raw in enumerate(data.splitlines(), start=1):
        text = raw.strip().rstrip(b",")
        if text in (b"", b"[", b"]"):
            continue
        text = text.removeprefix(b"[").removesuffix(b"]")
        try:
            yield line_number, orjson.loads(text), raw
        except orjson.JSONDecodeError as error:
            rejects.append(
                Reject(RESOURCE, path.name, line_number, f"malformed JSON: {error}", raw)
            )


def _check(event: Any) -> str | None:
    if not isinstance(event, dict):
        return "not a JSON object"
    if not event.get("sg_event_id"):
        return "missing sg_event_id"
    if not event.get("email"):
        return "missing email"
    if event.get("event") not in EVENT_TYPES:
        return f"unknown event type: {event.get('event')!r}"
    return None


def _categories(value: Any) -> str | None:
    if value is None or value == []:
        return None
    values = value if isinstance(value, list) else [value]
    return orjson.dumps([str(v) for v in values]).decode()


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def parse_file(path: LandingFile, rejects: list[Reject]) -> Iterator[pa.Table]:
    batches = ColumnBatches(EVENT_SCHEMA, BATCH_ROWS)
    for position, event, raw in _items(path, rejects):
        reason = _check(event)
        moment = None
        if reason is None:
            seconds = event.get("timestamp")
            if not isinstance(seconds, int | float) or isinstance(seconds, bool):
                reason = f"invalid timestamp: {seconds!r}"
            else:
                moment = datetime.fromtimestamp(seconds, UTC)
                if is_future(moment):
                    reason = f"timestamp in the future: {moment.isoformat()}"
        if reason is not None:
            payload = raw if raw is not None else orjson.dumps(event)
            rejects.append(Reject(RESOURCE, path.name, position, reason, payload))
            continue
        machine_open = event.get("sg_machine_open")
        values = {
            "sg_event_id": str(event["sg_event_id"]),
            "sg_message_id": event.get("sg_message_id"),
            "smtp_id": event.get("smtp-id"),
            "event": event["event"],
            "email": str(event["email"]),
            "timestamp": moment,
            "categories": _categories(event.get("category")),
            "url": event.get("url"),
            "reason": event.get("reason"),
            "status": event.get("status"),
            "bounce_type": event.get("type"),
            "asm_group_id": _int(event.get("asm_group_id")),
            "is_machine_open": machine_open if isinstance(machine_open, bool) else None,
            "useragent": event.get("useragent"),
            "source_file": path.name,
            "source_line": position,
        }
        for name, value in values.items():
            batches.columns[name].append(value)
        yield from batches.row_done()
    yield from batches.rest()
