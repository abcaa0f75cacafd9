"""Right to erasure: after `leadhouse erase` no table or file of the warehouse holds any
trace of the people erased, also after the next load of source data that still has them."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from expectations.checkpoint import run_checks
from ingestion.pipeline import load_sources
from leadhouse.build import build
from leadhouse.cli import app
from leadhouse.config import DEFINITIONS_DIR, Warehouse
from leadhouse.runner import publish, published_database
from tests.conftest import AS_OF, Built, query


def _victims(data: Path) -> list[dict[str, str]]:
    """Three people whose name pair nobody else has (names are not unique in general)."""
    with (data / "_truth" / "people.csv").open(encoding="utf-8") as handle:
        people = list(csv.DictReader(handle))
    names: dict[str, tuple[str, str]] = {}
    for line in (data / "crm" / "contacts.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        props = record.get("properties") or {}
        names[record["id"]] = (props.get("firstname"), props.get("lastname"))
    pairs = [names.get(p["contact_id"]) for p in people]
    people = [p for p, pair in zip(people, pairs, strict=True) if pairs.count(pair) == 1]
    merged = next(p for p in people if p["merged_contact_ids"] and p["consent"] == "granted")
    devices = next(p for p in people if p["anonymous_ids"].count(";") >= 1 and p is not merged)
    customer = next(p for p in people if p["deal_outcome"] == "won" and p not in (merged, devices))
    return [merged, devices, customer]


def _traces(victims: list[dict[str, str]], database: Path) -> dict[str, set[str]]:
    """What must vanish: addresses and the web visitor ids the warehouse linked to them,
    anywhere in text; contact ids as values; first + last name pairs. (A device the person
    never identified on is not known to be theirs: nothing links it to them.)"""
    ids = {v["contact_id"] for v in victims}
    ids |= {m for v in victims for m in v["merged_contact_ids"].split(";") if m}
    emails = {v["email"].lower() for v in victims}
    with duckdb.connect(str(database), read_only=True) as con:
        names = {
            f"{first}|{last}"
            for first, last in con.execute(
                "select properties__firstname, properties__lastname from raw_crm.contacts "
                "where id in (select unnest(?::varchar[]))",
                [sorted(ids)],
            ).fetchall()
        }
        visitors = {
            v
            for (v,) in con.execute(
                "select identifier from intermediate.int_identity_links "
                "where identifier_type = 'segment_anonymous_id' and person_id in ("
                "select person_id from intermediate.int_identity_links "
                "where identifier in (select unnest(?::varchar[])))",
                [sorted(emails)],
            ).fetchall()
        }
    assert visitors, "the victims were seen on the web"
    return {"text": emails | visitors, "ids": ids, "names": names}


def _found_in_tables(database: Path, traces: dict[str, set[str]]) -> list[str]:
    found = []
    with duckdb.connect(str(database), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR'"
        ).fetchall()
        by_table: dict[str, list[str]] = {}
        for schema, table, column in columns:
            by_table.setdefault(f'"{schema}"."{table}"', []).append(column)
        for relation, names in by_table.items():
            for column in names:
                hits = con.execute(
                    f"select count(*) from {relation} where exists (select 1 from "
                    f"(select unnest(?::varchar[]) as needle) as n "
                    f'where contains(lower("{column}"), n.needle)) '
                    f'or "{column}" in (select unnest(?::varchar[]))',
                    [sorted(traces["text"]), sorted(traces["ids"])],
                ).fetchone()
                if hits and hits[0]:
                    found.append(f"{relation}.{column}: {hits[0]}")
            pairs = [
                (a, b)
                for a, b in (
                    ("properties__firstname", "properties__lastname"),
                    ("first_name", "last_name"),
                )
                if a in names and b in names
            ]
            for first, last in pairs:
                hits = con.execute(
                    f'select count(*) from {relation} where "{first}" || \'|\' || "{last}" '
                    f"in (select unnest(?::varchar[]))",
                    [sorted(traces["names"])],
                ).fetchone()
                if hits and hits[0]:
                    found.append(f"{relation}.{first}+{last}: {hits[0]}")
    return found


def _found_in_files(root: Path, traces: dict[str, set[str]]) -> list[str]:
    needles = [t.encode() for t in traces["text"]] + [f'"{i}"'.encode() for i in traces["ids"]]
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.name.endswith((".duckdb", ".wal")):
            content = path.read_bytes().lower()
            found += [f"{path}: {n.decode()}" for n in needles if n.lower() in content]
    return found


def _replay(data: Path, later: Path, traces: dict[str, set[str]]) -> int:
    """New landing files holding the erased people's original records (as a re-export
    would), next to an unrelated new contact that must load."""
    written = 0
    for folder in ("crm", "web_analytics", "email"):
        (later / folder).mkdir(parents=True, exist_ok=True)
        for path in sorted((data / folder).iterdir()):
            lines = [
                line
                for line in path.read_text(encoding="utf-8").splitlines()
                if any(t in line.lower() for t in traces["text"])
                or any(f'"id": "{i}"' in line for i in traces["ids"])
            ]
            lines = [line.rstrip(",") for line in lines if line.startswith("{")]
            if not lines:
                continue
            if path.suffix == ".json":  # SendGrid batches are JSON arrays
                content = "[\n" + ",\n".join(lines) + "\n]\n"
            else:
                content = "\n".join(lines) + "\n"
            replay = later / folder / f"{path.stem}-replay{path.suffix}"
            replay.write_text(content, encoding="utf-8")
            written += len(lines)
    newcomer = {
        "id": "7777777",
        "properties": {
            "email": "new.person@example.org",
            "firstname": "Nowa",
            "lastname": "Osoba",
            "createdate": "2026-10-01T10:00:00Z",
            "lastmodifieddate": "2026-10-01T10:00:00Z",
        },
        "createdAt": "2026-10-01T10:00:00Z",
        "updatedAt": "2026-10-01T10:00:00Z",
        "archived": False,
    }
    with (later / "crm" / "contacts-replay.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(newcomer) + "\n")
    return written


@pytest.fixture(scope="module")
def erased(built: Built, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Erase three people from a copy of the session's built warehouse."""
    root = tmp_path_factory.mktemp("erasure")
    data = built.data
    warehouse = Warehouse(root / "warehouse")
    shutil.copytree(built.warehouse.root, warehouse.root)
    publish(warehouse, "before-erasure")  # BI's copy must be cleaned too
    victims = _victims(data)
    traces = _traces(victims, warehouse.database)
    people_before = query(warehouse.database, "select count(*) from marts.dim_person")[0][0]
    requests = root / "requests.csv"
    requests.write_text(
        "email,ticket\n"
        + "".join(f"{v['email'].upper()},GDPR-{n}\n" for n, v in enumerate(victims[1:])),
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app,
        [
            "erase",
            "--email",
            f" {victims[0]['email']} ",
            "--file",
            str(requests),
            "--warehouse",
            str(warehouse.root),
            "--requested-by",
            "dpo@example.org",
        ],
    )
    assert result.exit_code == 0, result.output
    return {
        "data": data,
        "warehouse": warehouse,
        "traces": traces,
        "victims": victims,
        "people_before": people_before,
        "output": result.output,
        "root": root,
    }


def test_no_trace_of_erased_people_in_any_table_or_file(erased: dict) -> None:
    warehouse: Warehouse = erased["warehouse"]
    traces = erased["traces"]
    assert traces["text"] and traces["ids"] and traces["names"]
    assert _found_in_tables(warehouse.database, traces) == []
    assert _found_in_tables(published_database(warehouse), traces) == []
    assert _found_in_files(warehouse.root, traces) == []
    # Everyone else is still there, and the gate still passes.
    people = query(warehouse.database, "select count(*) from marts.dim_person")[0][0]
    assert people == erased["people_before"] - len(erased["victims"])
    outcome = run_checks(
        warehouse.database, warehouse.gx_dir, manifest=warehouse.dbt_target_dir / "manifest.json"
    )
    assert outcome.success, [s.failed for s in outcome.suites if not s.success]


def test_erasure_is_logged_and_suppressed_by_hash_only(erased: dict) -> None:
    warehouse: Warehouse = erased["warehouse"]
    log = query(
        warehouse.database,
        "select requested_by, people, identifiers, rows_removed, tables_touched "
        "from audit.erasure_log",
    )
    assert len(log) == 1
    requested_by, people, identifiers, rows_removed, tables = log[0]
    assert requested_by == "dpo@example.org" and people == 3
    assert identifiers >= 3 + sum(len(v["anonymous_ids"].split(";")) for v in erased["victims"])
    assert rows_removed > 0 and "raw_crm.contacts" in tables and "marts.dim_person" in tables
    hashes = query(warehouse.database, "select identifier_hash from audit.suppressed_identifiers")
    assert len(hashes) == identifiers
    assert all(len(h) == 64 for (h,) in hashes)
    # Auditors read the log in the published file too; the hashes serve the loads alone.
    published = published_database(warehouse)
    assert query(published, "select request_id, rows_removed from audit.erasure_log") == query(
        warehouse.database, "select request_id, rows_removed from audit.erasure_log"
    )
    tables = "select schema_name || '.' || table_name from duckdb_tables()"
    assert "audit.suppressed_identifiers" in {t for (t,) in query(warehouse.database, tables)}
    assert "audit.suppressed_identifiers" not in {t for (t,) in query(published, tables)}
    assert (warehouse.root / "suppression.salt").stat().st_mode & 0o077 == 0


def test_a_later_load_of_the_same_people_brings_nobody_back(erased: dict) -> None:
    warehouse: Warehouse = erased["warehouse"]
    later = erased["root"] / "later"
    replayed = _replay(erased["data"], later, erased["traces"])
    assert replayed > 0
    summaries = load_sources(later, warehouse.database, warehouse.pipelines_dir)
    dropped = {(s.system, resource) for s in summaries for resource in s.suppressed}
    # Their contact, subscription, web and e-mail records were all dropped at the door.
    assert {
        ("crm", "contacts"),
        ("crm", "communication_preferences"),
        ("web_analytics", "events"),
        ("email", "events"),
    } <= dropped
    build(warehouse, DEFINITIONS_DIR, as_of=AS_OF, quiet=True)
    assert _found_in_tables(warehouse.database, erased["traces"]) == []
    assert _found_in_files(warehouse.root, erased["traces"]) == []
    newcomer = query(
        warehouse.database, "select count(*) from raw_crm.contacts where id = '7777777'"
    )
    assert newcomer == [(1,)]  # good rows still load
