"""Validation of HubSpot CRM v3 objects."""

from __future__ import annotations

from typing import Any

from ingestion.common import Check


def requires(key: str) -> Check:
    def check(item: dict[str, Any]) -> str | None:
        value = item.get(key)
        if value is None or value == "":
            return f"missing {key}"
        return None

    return check


def column_hints(properties: tuple[str, ...]) -> dict[str, Any]:
    return {f"properties__{name}": {"data_type": "text", "nullable": True} for name in properties}
