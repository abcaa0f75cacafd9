"""The suppression list: identifiers of erased people, which no later load may bring back.

Erasure (``leadhouse erase``) stores salted SHA-256 hashes of every identifier of an erased
person (e-mail addresses, CRM contact ids, web visitor ids) in
``audit.suppressed_identifiers``; never the identifiers themselves. Every load reads the
hashes and drops, before anything is written, each record that carries one: CRM contacts
and their subscription statuses, web events, e-mail events, and quarantined lines that
mention one. CRM activities and deals lose their association with the person; an activity
left with nobody is dropped.

The salt is ``$LEADHOUSE_SUPPRESSION_SALT`` or, if unset, a random value kept in
``<warehouse>/suppression.salt`` (created on first use, readable by the owner only).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from leadhouse.config import connect

SALT_ENV = "LEADHOUSE_SUPPRESSION_SALT"
SALT_FILE = "suppression.salt"
TABLE = "audit.suppressed_identifiers"
# Tokens in free text (quarantined lines) that may be identifiers: e-mail addresses, web
# visitor ids (hex, uuid) and quoted numbers (CRM ids in JSON).
_TOKENS = re.compile(
    rb'[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|[0-9a-fA-F-]{16,}|"([0-9]{3,})"'
)


def salt_for(warehouse_root: Path) -> bytes:
    value = os.environ.get(SALT_ENV)
    if value:
        return value.encode()
    path = warehouse_root / SALT_FILE
    if not path.exists():
        warehouse_root.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip().encode()


def normalise(identifier: str) -> str:
    """E-mail addresses compare case- and space-insensitively; ids as they are."""
    text = identifier.strip()
    return text.lower() if "@" in text else text


def identifier_hash(salt: bytes, identifier: str) -> str:
    return hashlib.sha256(salt + b"|" + normalise(identifier).encode()).hexdigest()


@dataclass
class Suppression:
    salt: bytes
    hashes: frozenset[str] = frozenset()
    dropped: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, database: Path) -> Suppression:
        salt = salt_for(database.parent)
        if not database.exists():
            return cls(salt)
        with connect(database, read_only=True) as con:
            present = con.execute(
                "select 1 from duckdb_tables() "
                "where schema_name = 'audit' and table_name = 'suppressed_identifiers'"
            ).fetchone()
            if not present:
                return cls(salt)
            rows = con.execute(f"select identifier_hash from {TABLE}").fetchall()
        return cls(salt, frozenset(h for (h,) in rows))

    def __bool__(self) -> bool:
        return bool(self.hashes)

    def is_suppressed(self, identifier: object) -> bool:
        if not isinstance(identifier, str | int) or identifier == "":
            return False
        return identifier_hash(self.salt, str(identifier)) in self.hashes

    def any_suppressed(self, identifiers: Iterable[object]) -> bool:
        return any(self.is_suppressed(i) for i in identifiers)

    def text_mentions(self, text: str | bytes | None) -> bool:
        if not text:
            return False
        raw = text.encode() if isinstance(text, str) else text
        for match in _TOKENS.finditer(raw):
            token = (match.group(1) or match.group(0)).decode(errors="ignore")
            if self.is_suppressed(token):
                return True
        return False

    def _count(self, resource: str, n: int) -> None:
        if n:
            self.dropped[resource] = self.dropped.get(resource, 0) + n

    def records(
        self, resource: str, records: Sequence[tuple[Any, dict[str, Any]]]
    ) -> Sequence[Any]:
        """A page of ``(position, object)`` records without erased people, for sources
        that turn objects into tables themselves (the CRM): filtered whole, before the
        objects are unnested, so associations to erased contacts go too."""
        if not self:
            return records
        kept = []
        for position, record in records:
            row = self._filter_row(resource, record)
            if row is not None:
                kept.append((position, row))
        self._count(resource, len(records) - len(kept))
        return kept

    # -- filters for dlt resources ---------------------------------------------------------
    def filter_for(self, resource: str) -> Any:
        """A dlt yield-map that removes suppressed people from the resource's items."""

        def apply(item: Any) -> Iterator[Any]:
            if isinstance(item, pa.Table):
                kept = self._filter_table(item)
                self._count(resource, item.num_rows - kept.num_rows)
                if kept.num_rows:
                    yield kept
                return
            rows = item if isinstance(item, list) else [item]
            kept_rows = [r for r in (self._filter_row(resource, row) for row in rows) if r]
            self._count(resource, len(rows) - len(kept_rows))
            if kept_rows:
                yield kept_rows if isinstance(item, list) else kept_rows[0]

        return apply

    def _filter_table(self, table: pa.Table) -> pa.Table:
        names = set(table.column_names)
        if "raw_payload" in names:  # quarantine rows
            payloads = table.column("raw_payload").to_pylist()
            keep = pa.array([not self.text_mentions(p) for p in payloads])
            return table.filter(keep)
        mask = None
        for column in ("anonymous_id", "user_id", "email", "recipient"):
            if column in names:
                hit = self._column_hits(table.column(column))
                mask = hit if mask is None else pc.or_(mask, hit)
        if "traits" in names:
            traits = table.column("traits").to_pylist()
            emails = [_json_email(t) for t in traits]
            hit = pa.array([e is not None and self.is_suppressed(e) for e in emails])
            mask = hit if mask is None else pc.or_(mask, hit)
        if mask is None:
            return table
        hits = pc.fill_null(mask, False)
        if not pc.any(hits).as_py():  # the usual case: nobody erased in this batch
            return table
        return table.filter(pc.invert(hits))

    def _column_hits(self, column: pa.ChunkedArray) -> pa.ChunkedArray:
        distinct = [v for v in pc.unique(column).to_pylist() if v is not None]
        hits = [v for v in distinct if self.is_suppressed(v)]
        return pc.is_in(column, value_set=pa.array(hits, type=column.type))

    def _filter_row(self, resource: str, row: dict[str, Any]) -> dict[str, Any] | None:
        if "raw_payload" in row:
            return None if self.text_mentions(row.get("raw_payload")) else row
        found = row.get("properties")
        properties: dict[str, Any] = found if isinstance(found, dict) else {}
        merged = str(properties.get("hs_merged_object_ids") or "").split(";")
        direct = [
            row.get("email"),
            row.get("recipient"),
            properties.get("email"),
            row.get("id") if resource == "contacts" else None,
            *(merged if resource == "contacts" else []),
        ]
        if self.any_suppressed(direct):
            return None
        associations = row.get("associations")
        if isinstance(associations, dict):
            contacts = associations.get("contacts")
            if isinstance(contacts, dict) and isinstance(contacts.get("results"), list):
                results = contacts["results"]
                remaining = [
                    r
                    for r in results
                    if not (isinstance(r, dict) and self.is_suppressed(r.get("id")))
                ]
                if len(remaining) != len(results):
                    if not remaining and resource in ENGAGEMENTS:
                        return None  # an activity with nobody left is about the erased person
                    row = {
                        **row,
                        "associations": {
                            **associations,
                            "contacts": {**contacts, "results": remaining},
                        },
                    }
        return row


ENGAGEMENTS = frozenset({"meetings", "calls", "notes", "emails"})


def _json_email(traits: str | None) -> str | None:
    if not traits:
        return None
    try:
        value = orjson.loads(traits)
    except orjson.JSONDecodeError:
        return None
    email = value.get("email") if isinstance(value, dict) else None
    return email if isinstance(email, str) else None


def apply_to_source(source: Any, suppression: Suppression) -> Any:
    """Add the suppression filter to every resource of a dlt source (no-op when empty)."""
    if suppression:
        for name, resource in source.resources.items():
            resource.add_yield_map(suppression.filter_for(name))
    return source
