"""Company registry data: purchased firmographics, KRS extracts, GUS REGON reports,
VAT White List answers and UK Companies House profiles, each into its own table of
``raw_company_registry`` (see ``formats.py``), plus the White List client
(``whitelist.py``). Records with invalid NIP/REGON/KRS check digits are quarantined.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt

from ingestion.common import (
    FlatTables,
    LoadCounters,
    Reject,
    ResourceCounts,
    landing_files,
    landing_resource,
    new_files,
    parse_json_objects,
    quarantine_item,
    quarantine_rows,
    table_hints,
    timed,
)
from ingestion.company_registry import formats
from ingestion.company_registry.helpers import check_record
from ingestion.company_registry.settings import (
    BIR_PATTERNS,
    COLUMNS,
    COMPANIES_HOUSE_PATTERNS,
    CSV_PATTERNS,
    FILE_PATTERNS,
    KRS_PATTERNS,
    RESOURCE,
    SOURCE_NAME,
    TABLE_COLUMNS,
    WHITELIST_PATTERNS,
    column_hints,
)


@dlt.source(name=SOURCE_NAME)
def registry_files(
    folder: str | Path, counters: LoadCounters | None = None, load_officers: bool = False
) -> Any:
    """All registry files in a landing folder. ``load_officers``: also load KRS board
    members (personal data; off by default)."""
    counters = counters or LoadCounters(SOURCE_NAME)
    landing = str(folder)
    columns: dict[str, Any] = {
        name: {"data_type": data_type, "nullable": True} for name, data_type in COLUMNS.items()
    }
    columns["as_of"]["dedup_sort"] = "desc"
    del columns["nip"]

    def file_table(
        table: str,
        patterns: tuple[str, ...],
        parse: Any,
        key: str,
        hints: dict[str, Any] | None = None,
    ) -> Any:
        return landing_resource(
            source=SOURCE_NAME,
            table=table,
            folder=landing,
            patterns=patterns,
            parse=parse,
            primary_key=key,
            counters=counters,
            arrow=False,
            extra_columns=hints if hints is not None else column_hints(table, without=key),
            flat=True,
        )

    # Each vendor feed keeps its own table: merging a partial record from one vendor over
    # a fuller one from another would lose fields. Precedence is the warehouse's job.
    firmographics = file_table(
        RESOURCE, FILE_PATTERNS, parse_json_objects(RESOURCE, check_record), "nip", columns
    )
    purchased = file_table(
        "purchased_firmographics",
        CSV_PATTERNS,
        formats.parse_firmographics_csv(check_record),
        "nip",
        columns,
    )

    return [
        firmographics,
        purchased,
        _krs_resource(landing, counters, load_officers),
        file_table("regon_reports", BIR_PATTERNS, formats.parse_bir, "regon"),
        file_table(
            "vat_whitelist_subjects", WHITELIST_PATTERNS, formats.parse_whitelist, "proof_id"
        ),
        file_table(
            "companies_house_profiles",
            COMPANIES_HOUSE_PATTERNS,
            formats.parse_companies_house,
            "company_number",
        ),
    ]


def _krs_resource(landing: str, counters: LoadCounters, load_officers: bool) -> Any:
    extract_hints = table_hints("krs_extracts", "krs", column_hints("krs_extracts", without="krs"))
    # Officers are replaced per extract: the newest extract says who is on the board.
    officer_hints = dlt.mark.make_hints(
        table_name="krs_officers",
        write_disposition="merge",
        merge_key="krs",
        columns={"krs": {"data_type": "text", "nullable": False}},
    )

    def krs_extracts() -> Iterator[Any]:
        counts = counters.of("krs_extracts")
        yield from timed(counts, _extracts(counts))

    def _extracts(counts: ResourceCounts) -> Iterator[Any]:
        tables = FlatTables(TABLE_COLUMNS["krs_extracts"], "krs")
        for path in new_files(landing_files(landing, KRS_PATTERNS), counts):
            rejects: list[Reject] = []
            officers: list[dict[str, Any]] = []
            for batch in formats.parse_krs(load_officers, officers)(path, rejects):
                counts.rows += len(batch)
                converted = tables.table(batch)
                yield dlt.mark.with_hints(
                    batch if converted is None else converted,
                    extract_hints,
                    create_table_variant=True,
                )
            if officers:
                yield dlt.mark.with_hints(officers, officer_hints, create_table_variant=True)
            if rejects:
                counts.quarantined += len(rejects)
                yield quarantine_item(quarantine_rows(SOURCE_NAME, rejects))

    return dlt.resource(krs_extracts, name="krs_extracts")
