"""Right to erasure: remove people from every table of the warehouse and keep them out.

``erase`` finds every identifier of each person (all their e-mail addresses, CRM contact
ids including merged-away ones, web visitor ids) through the identity graph and the raw
data, then in one go:

1. adds salted hashes of those identifiers to ``audit.suppressed_identifiers``, so no
   later load brings the person back (see ``ingestion/suppression.py``);
2. deletes their rows from every raw table (and dlt's merge staging copies), including
   nested child tables and quarantined lines that mention them; CRM deals and activities
   lose the association, activities about nobody else go;
3. deletes their rows from every derived table (intermediate, marts) by person id;
4. writes an audit row: a hash of the request, when, which tables, how many rows.

The caller rebuilds the models (``leadhouse erase`` runs ``dbt build``) and compacts the
database file so deleted rows do not linger in free blocks.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingestion.common import drop_orphans
from ingestion.crm.sightings import RECORD_SIGHTINGS_TABLE, SIGHTINGS_TABLE, record_sightings
from ingestion.suppression import TABLE as SUPPRESSION_TABLE
from ingestion.suppression import identifier_hash, normalise, salt_for
from leadhouse.config import connect

DERIVED_SCHEMAS = ("intermediate", "marts")
ACTIVITIES = ("meetings", "calls", "notes", "emails")


@dataclass
class Identifiers:
    emails: set[str] = field(default_factory=set)
    contact_ids: set[str] = field(default_factory=set)
    visitor_ids: set[str] = field(default_factory=set)
    person_ids: set[str] = field(default_factory=set)

    def all(self) -> set[str]:
        return self.emails | self.contact_ids | self.visitor_ids


@dataclass
class ErasureReport:
    request_id: str
    people: int
    identifiers: int
    rows_removed: dict[str, int]

    @property
    def total_rows(self) -> int:
        return sum(self.rows_removed.values())


def _tables(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    return {
        (s, t)
        for s, t in con.execute(
            "select schema_name, table_name from duckdb_tables() where not temporary"
        ).fetchall()
    }


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> set[str]:
    return {
        c
        for (c,) in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()
    }


def _values(con: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> set[str]:
    return {str(v) for (v,) in con.execute(sql, params).fetchall() if v is not None}


def resolve(con: duckdb.DuckDBPyConnection, emails: Iterable[str]) -> Identifiers:
    """Every identifier of the people these addresses belong to."""
    found = Identifiers(emails={normalise(e) for e in emails if e.strip()})
    tables = _tables(con)
    requested = sorted(found.emails)
    if ("intermediate", "int_identity_links") in tables:
        found.person_ids = _values(
            con,
            "select distinct person_id from intermediate.int_identity_links "
            "where identifier_type = 'email' and lower(identifier) in "
            "(select unnest(?::varchar[]))",
            [requested],
        )
        for kind, identifier in con.execute(
            "select identifier_type, identifier from intermediate.int_identity_links "
            "where person_id in (select unnest(?::varchar[]))",
            [sorted(found.person_ids)],
        ).fetchall():
            {
                "email": found.emails,
                "crm_contact_id": found.contact_ids,
                "segment_anonymous_id": found.visitor_ids,
            }.get(kind, set()).add(normalise(identifier) if kind == "email" else identifier)
    if ("raw_crm", "contacts") in tables:
        # Also without a build: contacts by address, with the ids merged into them.
        for contact_id, merged, email in con.execute(
            "select id, properties__hs_merged_object_ids, properties__email from raw_crm.contacts "
            "where lower(trim(properties__email)) in (select unnest(?::varchar[])) "
            "or id in (select unnest(?::varchar[]))",
            [sorted(found.emails), sorted(found.contact_ids)],
        ).fetchall():
            found.contact_ids.add(str(contact_id))
            found.contact_ids.update(i for i in str(merged or "").split(";") if i)
            if email:
                found.emails.add(normalise(email))
    if ("raw_web_analytics", "events") in tables:
        found.visitor_ids |= _values(
            con,
            "select distinct anonymous_id from raw_web_analytics.events "
            "where user_id in (select unnest(?::varchar[])) "
            "or lower(trim(json_extract_string(traits, '$.email'))) "
            "in (select unnest(?::varchar[]))",
            [sorted(found.contact_ids), sorted(found.emails)],
        )
    return found


def _delete(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    where: str,
    params: list[object],
    removed: dict[str, int],
) -> None:
    before = con.execute(f"select count(*) from {relation}").fetchone()
    con.execute(f"delete from {relation} where {where}", params)
    after = con.execute(f"select count(*) from {relation}").fetchone()
    n = (before[0] if before else 0) - (after[0] if after else 0)
    if n:
        removed[relation] = removed.get(relation, 0) + n


def _raw_datasets(tables: set[tuple[str, str]]) -> list[str]:
    return sorted({s for s, _ in tables if s.startswith("raw_")})


def _erase_raw(con: duckdb.DuckDBPyConnection, ids: Identifiers, removed: dict[str, int]) -> None:
    tables = _tables(con)
    emails, contacts, visitors = (
        sorted(ids.emails),
        sorted(ids.contact_ids),
        sorted(ids.visitor_ids),
    )
    in_list = "in (select unnest(?::varchar[]))"
    for schema in _raw_datasets(tables):
        names = {t for s, t in tables if s == schema}
        if "contacts" in names:
            _delete(
                con,
                f"{schema}.contacts",
                f"id {in_list} or lower(trim(properties__email)) {in_list}",
                [contacts, emails],
                removed,
            )
        if "communication_preferences" in names:
            _delete(
                con,
                f"{schema}.communication_preferences",
                f"lower(trim(recipient)) {in_list}",
                [emails],
                removed,
            )
        if SIGHTINGS_TABLE in names:
            _delete(
                con,
                f"{schema}.{SIGHTINGS_TABLE}",
                f"lower(trim(recipient)) {in_list}",
                [emails],
                removed,
            )
        # Activities that involved the erased contacts, before their associations go.
        touched: dict[str, set[str]] = {}
        for activity in ACTIVITIES:
            child = f"{activity}__associations__contacts__results"
            if activity in names and child in names:
                touched[activity] = _values(
                    con,
                    f"select distinct _dlt_root_id from {schema}.{child} where id {in_list}",
                    [contacts],
                )
        # Associations of deals, companies and activities to the erased contacts.
        for table in sorted(t for t in names if t.endswith("__associations__contacts__results")):
            _delete(con, f"{schema}.{table}", f"id {in_list}", [contacts], removed)
        # An activity whose only people were erased is about them: it goes too.
        for activity, roots in touched.items():
            child = f"{activity}__associations__contacts__results"
            _delete(
                con,
                f"{schema}.{activity}",
                f"_dlt_id {in_list} and _dlt_id not in (select _dlt_root_id from {schema}.{child})",
                [sorted(roots)],
                removed,
            )
        if "events" in names:
            columns = _columns(con, schema, "events")
            conditions: list[str] = []
            params: list[object] = []
            if "anonymous_id" in columns:
                conditions += [f"anonymous_id {in_list}", f"user_id {in_list}"]
                params += [visitors, contacts]
            if "traits" in columns:
                conditions.append(f"lower(trim(json_extract_string(traits, '$.email'))) {in_list}")
                params.append(emails)
            if "email" in columns:
                conditions.append(f"lower(trim(email)) {in_list}")
                params.append(emails)
            if conditions:
                _delete(con, f"{schema}.events", " or ".join(conditions), params, removed)
        if RECORD_SIGHTINGS_TABLE in names:
            # The first loads of the contacts and activities deleted above.
            forgotten = record_sightings(lambda sql: con.execute(sql).fetchall(), schema, add=False)
            if forgotten["removed"]:
                relation = f"{schema}.{RECORD_SIGHTINGS_TABLE}"
                removed[relation] = removed.get(relation, 0) + forgotten["removed"]
        if "quarantine" in names:
            needles = [*emails, *visitors, *(f'"{c}"' for c in contacts)]
            if needles:
                _delete(
                    con,
                    f"{schema}.quarantine",
                    "exists (select 1 from (select unnest(?::varchar[]) as needle) as n "
                    "where contains(lower(raw_payload), lower(n.needle)))",
                    [needles],
                    removed,
                )
    _drop_orphans(con, removed)


def _drop_orphans(con: duckdb.DuckDBPyConnection, removed: dict[str, int]) -> None:
    """Nested rows whose root row is gone, in every raw dataset."""
    for schema in sorted({schema for schema, _ in _tables(con) if schema.startswith("raw_")}):
        for relation, n in drop_orphans(lambda sql: con.execute(sql).fetchall(), schema).items():
            removed[relation] = removed.get(relation, 0) + n


def _erase_derived(
    con: duckdb.DuckDBPyConnection, ids: Identifiers, removed: dict[str, int]
) -> None:
    people = sorted(ids.person_ids)
    if not people:
        return
    for schema, table in sorted(_tables(con)):
        if schema in DERIVED_SCHEMAS and "person_id" in _columns(con, schema, table):
            _delete(
                con,
                f"{schema}.{table}",
                "person_id in (select unnest(?::varchar[]))",
                [people],
                removed,
            )


def erase(database: Path, emails: Iterable[str], requested_by: str = "") -> ErasureReport:
    """Erase the people behind ``emails`` from the warehouse and suppress them for good."""
    salt = salt_for(database.parent)
    request_id = uuid.uuid4().hex
    requested_at = datetime.now(UTC).replace(tzinfo=None)
    removed: dict[str, int] = {}
    requested = [normalise(e) for e in emails if e.strip()]
    with connect(database) as con:
        ids = resolve(con, requested)
        con.execute("begin transaction")
        con.execute("create schema if not exists audit")
        con.execute(
            f"create table if not exists {SUPPRESSION_TABLE} ("
            "identifier_hash varchar primary key, request_id varchar, suppressed_at timestamp)"
        )
        con.execute(
            "create table if not exists audit.erasure_log (request_id varchar, "
            "request_hash varchar, requested_by varchar, requested_at timestamp, "
            "completed_at timestamp, people integer, identifiers integer, "
            "tables_touched varchar, rows_removed bigint)"
        )
        con.executemany(
            f"insert into {SUPPRESSION_TABLE} values (?, ?, ?) on conflict do nothing",
            [(identifier_hash(salt, i), request_id, requested_at) for i in sorted(ids.all())],
        )
        _erase_raw(con, ids, removed)
        _erase_derived(con, ids, removed)
        con.execute(
            "insert into audit.erasure_log values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                request_id,
                identifier_hash(salt, "|".join(sorted(requested))),
                requested_by,
                requested_at,
                datetime.now(UTC).replace(tzinfo=None),
                len(ids.person_ids) or len(requested),
                len(ids.all()),
                ", ".join(sorted(removed)),
                sum(removed.values()),
            ],
        )
        con.execute("commit")
    return ErasureReport(request_id, len(ids.person_ids), len(ids.all()), removed)


def compact(database: Path) -> None:
    """Rewrite the database file so deleted rows do not survive in free blocks."""
    fresh = database.with_suffix(".compacting.duckdb")
    fresh.unlink(missing_ok=True)
    with connect(database) as con:
        name = con.execute("select current_database()").fetchone()
        con.execute(f"attach '{fresh}' as fresh")
        con.execute(f"copy from database {name[0] if name else 'main'} to fresh")
        con.execute("detach fresh")
    shutil.move(str(fresh), str(database))
    database.with_suffix(".duckdb.wal").unlink(missing_ok=True)
