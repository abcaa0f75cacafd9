"""Validation of firmographic records: identifiers with valid check digits, and values of
the declared types (a wrong type is quarantined rather than loaded as a variant)."""

from __future__ import annotations

from datetime import date
from typing import Any

from ingestion.company_registry.settings import COLUMNS
from leadhouse import taxids


def _type_problem(name: str, value: Any, data_type: str) -> str | None:
    if value is None:
        return None
    if data_type == "bigint" and (
        isinstance(value, bool) or not isinstance(value, int) or not -(2**63) <= value < 2**63
    ):
        # Beyond 64 bits it has no column type: it stopped the whole registry load.
        return f"wrong type: {name} must be an integer, got {value!r}"
    if data_type == "bool" and not isinstance(value, bool):
        return f"wrong type: {name} must be true or false, got {value!r}"
    if data_type == "date":
        try:
            date.fromisoformat(str(value))
        except ValueError:
            return f"wrong type: {name} must be a date (YYYY-MM-DD), got {value!r}"
    if data_type == "text" and not isinstance(value, str):
        return f"wrong type: {name} must be text, got {value!r}"
    return None


def check_record(record: dict[str, Any]) -> str | None:
    nip = record.get("nip")
    if not nip:
        return "missing nip"
    if not taxids.is_valid_nip(str(nip)):
        return f"invalid NIP check digit: {nip}"
    regon = record.get("regon")
    if regon and not taxids.is_valid_regon(str(regon)):
        return f"invalid REGON check digit: {regon}"
    krs = record.get("krs")
    if krs and not taxids.is_valid_krs(str(krs)):
        return f"invalid KRS number: {krs}"
    if not record.get("name"):
        return "missing name"
    for name, data_type in COLUMNS.items():
        problem = _type_problem(name, record.get(name), data_type)
        if problem:
            return problem
    return None
