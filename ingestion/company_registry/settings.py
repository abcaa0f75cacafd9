"""Settings for the company registry source."""

from __future__ import annotations

SOURCE_NAME = "company_registry"
DATASET_NAME = "raw_company_registry"
RESOURCE = "firmographics"
FILE_PATTERNS = ("firmographics*.jsonl", "firmographics*.json")
CSV_PATTERNS = ("firmographics*.csv",)
KRS_PATTERNS = ("krs*.json", "krs*.jsonl")
BIR_PATTERNS = ("bir*.xml",)
WHITELIST_PATTERNS = ("whitelist*.json", "whitelist*.jsonl")
COMPANIES_HOUSE_PATTERNS = ("companies_house*.json", "companies_house*.jsonl")

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

# Ministry of Finance VAT White List ("Wykaz podatników VAT").
WHITELIST_BASE_URL = "https://wl-api.mf.gov.pl"
WHITELIST_MAX_NIPS_PER_REQUEST = 30  # the API's own limit for /api/search/nips
WHITELIST_DAILY_REQUEST_BUDGET = 10

# Declared types per table: registry columns are often empty in a whole file, and dlt
# creates no column for values it never saw.
TABLE_COLUMNS: dict[str, dict[str, str]] = {
    "krs_extracts": {
        "krs": "text",
        "nip": "text",
        "regon": "text",
        "name": "text",
        "legal_form": "text",
        "registration_date": "date",
        "share_capital_pln": "double",
        "share_capital_currency": "text",
        "pkd_main": "text",
        "city": "text",
        "is_in_liquidation": "bool",
        "is_in_bankruptcy": "bool",
        "extract_as_of": "date",
    },
    "regon_reports": {
        "regon": "text",
        "nip": "text",
        "name": "text",
        "activity_started_on": "date",
        "activity_ended_on": "date",
        "basic_legal_form": "text",
        "specific_legal_form": "text",
        "city": "text",
        "register_number": "text",
    },
    "vat_whitelist_subjects": {
        "proof_id": "text",
        "request_id": "text",
        "requested_at": "text",
        "nip": "text",
        "regon": "text",
        "krs": "text",
        "name": "text",
        "vat_status": "text",
        "registration_legal_date": "date",
        "removal_date": "date",
        "working_address": "text",
        "bank_account_count": "bigint",
    },
    "companies_house_profiles": {
        "company_number": "text",
        "company_name": "text",
        "company_status": "text",
        "company_type": "text",
        "date_of_creation": "date",
        "date_of_cessation": "date",
        "sic_codes": "text",
        "has_insolvency_history": "bool",
        "jurisdiction": "text",
        "locality": "text",
        "postal_code": "text",
    },
}


def column_hints(table: str, without: str | None = None) -> dict[str, dict[str, object]]:
    """dlt column hints for a registry table; ``without`` leaves out the key column, whose
    hint the merge helpers set themselves."""
    return {
        name: {"data_type": data_type, "nullable": True}
        for name, data_type in TABLE_COLUMNS[table].items()
        if name != without
    }
