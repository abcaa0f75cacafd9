"""Settings for the company registry source (firmographic records keyed by NIP)."""

from __future__ import annotations

SOURCE_NAME = "company_registry"
DATASET_NAME = "raw_company_registry"
RESOURCE = "firmographics"
FILE_PATTERNS = ("firmographics*.jsonl", "firmographics*.json")

COLUMNS = {
    "nip": "text",
    "regon": "text",
    "krs": "text",
    "name": "text",
    "legal_form": "text",
    "pkd_main": "text",
    "registration_date": "date",
    "share_capital_pln": "bigint",
    "headcount_band": "text",
    "revenue_band_pln": "text",
    "branches": "bigint",
    "vat_status": "text",
    "in_liquidation": "bool",
    "www": "text",
    "as_of": "date",
}
