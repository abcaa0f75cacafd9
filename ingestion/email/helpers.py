"""Parse SendGrid Event Webhook payloads (JSON arrays or NDJSON) into Arrow batches."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pyarrow as pa

from ingestion.common import (
    ColumnBatches,
    LandingFile,
    Reject,
    future_cutoff,
    not_utf8,
    type_problem,
    without_bom,
)
from ingestion.email.settings import BATCH_ROWS, EVENT_SCHEMA, EVENT_TYPES

RESOURCE = "events"


def _items(
    path: LandingFile, rejects: list[Reject], faults: list[Exception]
) -> Iterator[tuple[int, Any, bytes | None]]:
    """(position, event, raw) for every event in a webhook file.

    A whole-file parse is tried first. A file cut off mid-write is then read line by
    line: webhook batches put one event per line, so every complete event is kept. So is
    a ``.gz`` cut off mid-write: the events decompressed before the fault; the fault goes
    to ``faults``.
    """
    data, fault = path.read_bytes_until_fault()
    if fault is not None:
        faults.append(fault)
    data = without_bom(data)
    try:
        parsed = orjson.loads(data) if fault is None else None
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
            reason = not_utf8(raw) or f"malformed JSON: {error}"
            rejects.append(Reject(RESOURCE, path.name, line_number, reason, raw))


# Webhook fields stored as text. Another JSON type is quarantined rather than stored as
# its Python form ("['a@b.pl']"); in a column that is not the key or the address, it
# stopped the whole e-mail load.
TEXT_FIELDS = (
    "sg_event_id",
    "email",
    "sg_message_id",
    "smtp-id",
    "url",
    "reason",
    "status",
    "type",
    "useragent",
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
    for field in TEXT_FIELDS:
        problem = type_problem(field, event.get(field), "text")
        if problem:
            return problem
    category = event.get("category")
    if category is not None and not (
        isinstance(category, str)
        or (isinstance(category, list) and all(isinstance(c, str) for c in category))
    ):
        return f"wrong type: category must be text or a list of texts, got {category!r}"
    group = event.get("asm_group_id")
    if group is not None and _int(group) is None:
        return f"wrong type: asm_group_id must be an integer, got {group!r}"
    return type_problem("sg_machine_open", event.get("sg_machine_open"), "bool")


def _categories(value: Any) -> str | None:
    if value is None or value == []:
        return None
    values = value if isinstance(value, list) else [value]
    return orjson.dumps([str(v) for v in values]).decode()


def _int(value: Any) -> int | None:
    """An integer, or a text of ASCII digits, within 64 bits; None for anything else."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if -(2**63) <= value < 2**63 else None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# Whole seconds that datetime can hold (years 1 to 9999).
_FIRST_SECOND = int((datetime(1, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds())
_LAST_SECOND = int((datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC) - _EPOCH).total_seconds())


def _micros(seconds: Any) -> int | None:
    """A webhook ``timestamp`` (Unix seconds) as microseconds since the epoch, or None
    when it is not a number of seconds a datetime can hold. Whole seconds, which SendGrid
    sends, are exact integer arithmetic; fractions are rounded as ``datetime`` does."""
    if type(seconds) is int:
        return seconds * 1_000_000 if _FIRST_SECOND <= seconds <= _LAST_SECOND else None
    if type(seconds) is not float:
        return None
    try:
        return (datetime.fromtimestamp(seconds, UTC) - _EPOCH) // _MICROSECOND
    except (OverflowError, ValueError, OSError):
        return None


def parse_file(path: LandingFile, rejects: list[Reject]) -> Iterator[pa.Table]:
    """Arrow tables of a file's good events; bad ones go to ``rejects``. A file that cannot
    be read to its end raises its fault after the events read before it."""
    faults: list[Exception] = []
    batches = ColumnBatches(EVENT_SCHEMA, BATCH_ROWS)
    columns = batches.columns
    name = path.name
    # One cutoff per file, in the microseconds the timestamp column holds.
    cutoff = (future_cutoff() - _EPOCH) // _MICROSECOND
    for position, event, raw in _items(path, rejects, faults):
        reason = _check(event)
        micros = None
        if reason is None:
            seconds = event.get("timestamp")
            micros = _micros(seconds)
            if micros is None:
                reason = f"invalid timestamp: {seconds!r}"
            elif micros > cutoff:
                moment = _EPOCH + micros * _MICROSECOND
                reason = f"timestamp in the future: {moment.isoformat()}"
        if reason is not None:
            payload = raw if raw is not None else orjson.dumps(event)
            rejects.append(Reject(RESOURCE, name, position, reason, payload))
            continue
        machine_open = event.get("sg_machine_open")
        get = event.get
        columns["sg_event_id"].append(str(event["sg_event_id"]))
        columns["sg_message_id"].append(get("sg_message_id"))
        columns["smtp_id"].append(get("smtp-id"))
        columns["event"].append(event["event"])
        columns["email"].append(str(event["email"]))
        columns["timestamp"].append(micros)
        columns["categories"].append(_categories(get("category")))
        columns["url"].append(get("url"))
        columns["reason"].append(get("reason"))
        columns["status"].append(get("status"))
        columns["bounce_type"].append(get("type"))
        columns["asm_group_id"].append(_int(get("asm_group_id")))
        columns["is_machine_open"].append(machine_open if isinstance(machine_open, bool) else None)
        columns["useragent"].append(get("useragent"))
        columns["source_file"].append(name)
        columns["source_line"].append(position)
        yield from batches.row_done()
    yield from batches.rest()
    if faults:
        raise faults[0]
