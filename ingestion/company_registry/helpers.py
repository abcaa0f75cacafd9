"""Validation of firmographic records: identifiers with valid check digits, and values of
the declared types (a wrong type is quarantined rather than loaded as a variant)."""

from __future__ import annotations

from typing import Any

from ingestion.common import type_problem
from ingestion.company_registry.settings import COLUMNS
from leadhouse import taxids


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
        value = record.get(name)
        if value is None or (data_type == "text" and type(value) is str):
            continue  # the common cases, without a call per column
        problem = type_problem(name, value, data_type)
        if problem:
            return problem
    return None
