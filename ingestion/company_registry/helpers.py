"""Validation of registry records: Polish tax identifiers must carry valid check digits."""

from __future__ import annotations

from typing import Any

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
    return None
