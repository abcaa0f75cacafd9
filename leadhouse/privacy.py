"""Where personal data may live: a check that fails when it appears anywhere else.

A dbt model may hold direct identifiers (e-mail addresses, names, phone numbers) only when
its config says ``meta: {holds_personal_data: true}``. The check reads the dbt manifest
for that list and the warehouse itself for the truth: every column of every other model
is checked by name and every text value by content, so a leak through a free-text column
(an evidence string carrying an address) is found too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from leadhouse.config import connect

MODEL_SCHEMAS = ("staging", "intermediate", "marts", "bi")
DIRECT_IDENTIFIER_COLUMNS = frozenset(
    {"email", "traits_email", "first_name", "last_name", "full_name", "phone", "mobilephone"}
)
EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
_EMAIL = re.compile(EMAIL_PATTERN)


@dataclass(frozen=True)
class Leak:
    relation: str
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.relation}.{self.column}: {self.reason}"


def personal_data_models(manifest_path: Path) -> tuple[set[str], dict[str, set[str]]]:
    """(models allowed to hold personal data, {model: columns tagged contains_pii})."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    allowed: set[str] = set()
    tagged: dict[str, set[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model":
            continue
        name = node.get("alias") or node["name"]
        key = f"{node['schema']}.{name}"
        if (node["config"].get("meta") or {}).get("holds_personal_data"):
            allowed.add(key)
        tagged[key] = {
            column
            for column, spec in node["columns"].items()
            if (spec.get("meta") or {}).get("contains_pii")
        }
    return allowed, tagged


def find_leaks(database: Path, manifest_path: Path) -> list[Leak]:
    """Personal data in models not allowed to hold it, and untagged identifier columns."""
    allowed, tagged = personal_data_models(manifest_path)
    leaks: list[Leak] = []
    with connect(database, read_only=True) as con:
        columns = con.execute(
            f"""
            select table_schema || '.' || table_name, column_name, data_type
            from information_schema.columns
            where table_schema in ({", ".join("?" for _ in MODEL_SCHEMAS)})
            order by 1, ordinal_position
            """,
            list(MODEL_SCHEMAS),
        ).fetchall()
        text_columns: dict[str, list[str]] = {}
        for relation, column, data_type in columns:
            identifier = column.lower() in DIRECT_IDENTIFIER_COLUMNS
            if relation in allowed:
                # Marts document every column: an identifier there must carry the tag that
                # keeps it out of the bi schema.
                if (
                    identifier
                    and relation.startswith("marts.")
                    and column not in tagged.get(relation, set())
                ):
                    leaks.append(Leak(relation, column, "not tagged contains_pii"))
                continue
            if identifier:
                leaks.append(Leak(relation, column, "direct identifier column"))
            if data_type.upper().startswith("VARCHAR"):
                text_columns.setdefault(relation, []).append(column)
        for relation, names in text_columns.items():
            leaks.extend(_addresses_in(con, relation, names))
    return leaks


def _addresses_in(con: duckdb.DuckDBPyConnection, relation: str, columns: list[str]) -> list[Leak]:
    """Text columns of one relation holding e-mail addresses. One scan counts the values
    with an ``@`` in each column (cheap); only columns that have any are matched against
    the address pattern, and only on those values."""
    ats = ", ".join(f"""count(*) filter (where contains("{column}", '@'))""" for column in columns)
    with_at = con.execute(f"select {ats} from {relation}").fetchone() or ()
    leaks = []
    for column, count in zip(columns, with_at, strict=True):
        if not count:
            continue
        found = con.execute(
            f"select count(*) from {relation} where contains(\"{column}\", '@') "
            f'and regexp_matches("{column}", ?)',
            [EMAIL_PATTERN],
        ).fetchone()
        if found and found[0]:
            leaks.append(Leak(relation, column, f"{found[0]} values hold e-mail addresses"))
    return leaks


def contains_email(text: str) -> bool:
    return bool(_EMAIL.search(text))
