"""Validation of HubSpot CRM v3 objects."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ingestion.common import Check, LandingFile, Parser, Reject, batched, csv_records
from ingestion.crm.tables import BadRecord, parse_instant


def requires(key: str) -> Check:
    def check(item: dict[str, Any]) -> str | None:
        value = item.get(key)
        if value is None or value == "":
            return f"missing {key}"
        # HubSpot ids are text of digits; a number is taken as text. Anything else (an
        # object, a list, true) has no text form to merge on: it stopped the whole load.
        if isinstance(value, bool) or not isinstance(value, str | int):
            return f"wrong type: {key} must be text, got {value!r}"
        return None

    return check


# Message bodies of logged e-mails: never stored, whatever a server or an export contains.
BODY_PROPERTIES = frozenset(
    {"hs_email_text", "hs_email_html", "hs_body_preview", "hs_body_preview_html"}
)


def strip_bodies(item: dict[str, Any]) -> dict[str, Any]:
    properties = item.get("properties")
    # isdisjoint looks up the four names; `BODY_PROPERTIES & keys` built a set of every
    # property of every record (2 s of a 100 k-contact load).
    if isinstance(properties, dict) and not properties.keys().isdisjoint(BODY_PROPERTIES):
        item = item | {
            "properties": {k: v for k, v in properties.items() if k not in BODY_PROPERTIES}
        }
    return item


# A subscription status's time that is no instant is kept as sent in this key (loaded as
# `timestamp_as_sent`) and the status loads without a time.
TIME_AS_SENT = "timestampAsSent"


def keep_statuses_without_their_time(item: dict[str, Any]) -> dict[str, Any]:
    """A recipient's subscription statuses with any time that is no instant ('soon') loaded
    without it, the text kept beside: before, one such time quarantined the whole record,
    and with it the recipient's other statuses, withdrawals too. Without a time a status
    proves no consent, while a withdrawal still counts (dbt: int_consent_events)."""
    statuses = item.get("subscriptionStatuses")
    if not isinstance(statuses, list):
        return item
    kept = []
    changed = False
    for status in statuses:
        if isinstance(status, dict) and status.get("timestamp") is not None:
            try:
                parse_instant(status["timestamp"], "timestamp")
            except BadRecord:
                sent = status["timestamp"]
                status = status | {
                    "timestamp": None,
                    TIME_AS_SENT: sent if isinstance(sent, str) else json.dumps(sent),
                }
                changed = True
        kept.append(status)
    return item | {"subscriptionStatuses": kept} if changed else item


def cleaner(table: str) -> Any:
    """What a record of ``table`` goes through before anything else sees it."""
    if table == "communication_preferences":
        return lambda item: keep_statuses_without_their_time(strip_bodies(item))
    return strip_bodies


def column_hints(properties: tuple[str, ...]) -> dict[str, Any]:
    return {f"properties__{name}": {"data_type": "text", "nullable": True} for name in properties}


def parse_csv_objects(resource: str, check: Check) -> Parser:
    """HubSpot CSV exports with internal property names as headers, turned into the API's
    object shape (``id`` + ``properties``) so both paths land in the same columns. Yields
    ``(line number, object)`` pairs."""

    def parse(path: LandingFile, rejects: list[Reject]) -> Iterator[list[tuple[int, Any]]]:
        yield from batched(_rows(path, rejects))

    def _rows(path: LandingFile, rejects: list[Reject]) -> Iterator[tuple[int, dict[str, Any]]]:
        for line_number, row in csv_records(path, resource, rejects):
            for body in BODY_PROPERTIES:
                row.pop(body, None)
            record_id = row.pop("hs_object_id", None) or row.pop("Record ID", None)
            item: dict[str, Any] = {
                "id": record_id,
                "properties": {k: (v if v != "" else None) for k, v in row.items()},
                "archived": False,
            }
            reason = check(item)
            if reason is not None:
                rejects.append(Reject(resource, path.name, line_number, reason, json.dumps(row)))
                continue
            yield line_number, item

    return parse
