"""CRM JSON lines turned into tables by DuckDB (ingestion/crm/sql.py) give the tables, the
rejects and the suppression counts of the Python way (ingestion/crm/tables.py), and take
the records they should: each test checks how many records the SQL way took, so a test
that passes because everything fell back to Python fails instead."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest

from ingestion.common import (
    Reject,
    checked_objects,
    json_lines,
    landing_files,
    line_chunks,
    parse_json_objects,
)
from ingestion.crm.helpers import requires, strip_bodies
from ingestion.crm.settings import OBJECTS
from ingestion.crm.sql import SqlObjectTables, merge_shapes
from ingestion.crm.tables import ObjectTables
from ingestion.suppression import Suppression, identifier_hash


class Way:
    """One way's output for a file: tables per page or chunk, rejects, records taken by SQL."""

    def __init__(self) -> None:
        self.parts: list[dict[str, pa.Table]] = []
        self.rejects: list[Reject] = []
        self.taken = 0


def _python_way(path: Any, resource: str, suppression: Suppression | None) -> Way:
    key = OBJECTS.get(resource, "id")
    builder = ObjectTables(resource, text_columns=(key,))
    way = Way()
    parse = parse_json_objects(resource, requires(key), clean=strip_bodies, numbered=True)
    for page in parse(path, way.rejects):
        if suppression is not None:
            page = suppression.records(resource, page)
        tables, bad = builder.build(page, path.name)
        way.rejects.extend(bad)
        way.parts.append(tables)
    return way


def _sql_way(
    path: Any, resource: str, suppression: Suppression | None, chunk_bytes: int = 1 << 20
) -> Way:
    key = OBJECTS.get(resource, "id")
    builder = ObjectTables(resource, text_columns=(key,))
    sql = SqlObjectTables(builder, key, suppression)
    way = Way()
    try:
        for lines in line_chunks(path, chunk_bytes=chunk_bytes):
            taken, rest = sql.chunk(lines)
            if resource in taken:
                way.taken += taken[resource].num_rows
            way.parts.append(taken)
            found = json_lines(rest, resource, path.name, way.rejects)
            records: Any = list(
                checked_objects(
                    found, resource, path.name, requires(key), strip_bodies, way.rejects
                )
            )
            if suppression is not None:
                records = suppression.records(resource, records)
            tables, bad = builder.build(records, path.name)
            way.rejects.extend(bad)
            way.parts.append(tables)
    finally:
        sql.close()
    return way


def _canonical(way: Way, root: str) -> tuple[list[str], dict[tuple[str, str], set[str]]]:
    """Root records, each with its nested rows below it, without row keys (random per run)
    or empty values; and the Arrow type of every column that holds a value."""
    rows: dict[str, list[dict[str, Any]]] = {}
    types: dict[tuple[str, str], set[str]] = {}
    row_keys: list[str] = []
    for tables in way.parts:
        for name, table in tables.items():
            for column in table.schema:
                # A column without a value is left out: DuckDB sees a chunk's keys, the
                # Python way a page's records, so a key that is null (or only in rejected
                # records) can give an empty column in one way and none in the other.
                if table[column.name].null_count < table.num_rows:
                    types.setdefault((name, column.name), set()).add(str(column.type))
            rows.setdefault(name, []).extend(table.to_pylist())
            if name == root:
                row_keys.extend(table.column("_dlt_id").to_pylist())
    assert len(row_keys) == len(set(row_keys)), "row keys must be unique within a run"
    children: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for name, table_rows in rows.items():
        if name != root:
            for row in table_rows:
                children.setdefault(row["_dlt_parent_id"], []).append((name, row))

    def canon(row: dict[str, Any]) -> dict[str, Any]:
        out = {
            k: v.isoformat() if hasattr(v, "isoformat") else v
            for k, v in row.items()
            if v is not None and not k.startswith("_dlt_")
        }
        out["_index"] = row.get("_dlt_list_idx")
        out["_nested"] = sorted(
            name + json.dumps(canon(child), sort_keys=True)
            for name, child in children.get(row["_dlt_id"], [])
        )
        return out

    return sorted(json.dumps(canon(r), sort_keys=True) for r in rows.get(root, [])), types


def _compare(
    path: Any, resource: str, suppression: Suppression | None = None, chunk_bytes: int = 1 << 20
) -> Way:
    """Both ways on one file: same records, nested rows, column types and rejects (and
    suppression counts); the SQL way's output for further checks."""
    python_suppression = _copy(suppression)
    python = _python_way(path, resource, python_suppression)
    sql = _sql_way(path, resource, suppression, chunk_bytes)
    python_rows, python_types = _canonical(python, resource)
    sql_rows, sql_types = _canonical(sql, resource)
    assert sql_rows == python_rows
    assert sql_types == python_types
    assert sorted((r.line_number, r.reason) for r in sql.rejects) == sorted(
        (r.line_number, r.reason) for r in python.rejects
    )
    if suppression is not None and python_suppression is not None:
        assert suppression.dropped == python_suppression.dropped
    return sql


def _copy(suppression: Suppression | None) -> Suppression | None:
    if suppression is None:
        return None
    return Suppression(suppression.salt, suppression.hashes)


def _file(tmp_path: Path, name: str, lines: list[Any]) -> Any:
    text = b"".join(
        (line if isinstance(line, bytes) else orjson.dumps(line)) + b"\n" for line in lines
    )
    (tmp_path / name).write_bytes(text)
    (found,) = landing_files(tmp_path, (name,))
    return found


def _contact(number: int, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": str(number),
        "properties": {
            "email": f"p{number}@example.pl",
            "firstname": "Zoë",
            "hs_merged_object_ids": None,
            "interest_level": "3",
        },
        "createdAt": "2026-05-09T00:56:06.000Z",
        "updatedAt": "2026-05-10T10:00:00+02:00",
        "archived": False,
        "associations": {"companies": {"results": [{"id": "5001", "type": "c2c"}]}},
    }
    record.update(extra)
    return record


def test_generated_crm_files_give_the_same_tables_and_rejects_both_ways(dataset: Path) -> None:
    """The synthetic CRM export (with its dirt: truncated lines, records without a key,
    merged contacts, e-mail bodies) in small chunks, file by file."""
    files = landing_files(dataset / "crm", ("*.jsonl",))
    assert len(files) >= 8
    for path in files:
        resource = path.name.split(".")[0].split("-")[0]
        way = _compare(path, resource, chunk_bytes=256 * 1024)
        records = sum(1 for line in path.read_bytes().splitlines() if line.strip())
        # Nearly every record is taken by DuckDB; the few left are the dirt.
        assert way.taken >= 0.98 * records, (path.name, way.taken, records)


def test_edge_records_take_the_way_that_reads_them_exactly(tmp_path: Path) -> None:
    lines: list[Any] = [
        _contact(1),
        _contact(2, associations={}),  # an empty object adds nothing
        _contact(3, associations=None),
        b"",
        b"   ",
        b'{"id": "4", "properties": {',  # truncated
        b"[1, 2]",  # not an object
        b'"text"',
        {"properties": {"email": "nokey@example.pl"}},  # no key
        {"id": "", "properties": {}},  # empty key
        _contact(5, updatedAt="2026-05-10T10:00:00.5-03:30"),
        _contact(6, updatedAt="2026-05-10T10:00:00"),  # naive: the Python way, as UTC
        _contact(7, updatedAt="2026-05-10"),  # a date: the Python way, midnight UTC
        _contact(8, updatedAt="2026-02-30T00:00:00Z"),  # no such day: rejected
        _contact(9, updatedAt="2026-05-10T24:00:00Z"),  # hour 24: rejected
        _contact(10, updatedAt="yesterday"),
        _contact(11, createdAt=None, archivedAt="2026-05-11T00:00:00.123456Z"),
        _contact(12, properties={"email": "b@example.pl", "hs_email_text": "secret body"}),
        _contact(13, tags=["a", None, "c"], empty=[], nothing=[None]),
        _contact(14, properties={"email": 'quote" and \\ back\u00e9', "firstname": "\u2603"}),
        _contact(15, extra={"nested": {"deeper": "x"}, "count": 3, "flag": True}),
        _contact(16, items=[{"name": "a", "when": {"createdAt": "2026-01-01T00:00:00Z"}}]),
        _contact(17, items=[{"name": "b", "timestamp": "bad"}]),  # a nested bad instant
        _contact(18, items=[None, {"name": "c", "sub": [{"v": "1"}, {"v": "2"}]}]),
    ]
    way = _compare(_file(tmp_path, "contacts.jsonl", lines), "contacts")
    # Taken by DuckDB: 1, 2, 3, 5, 11, 12, 13, 14, 15, 16, 18.
    assert way.taken == 11
    root = pa.concat_tables(
        [p["contacts"] for p in way.parts if "contacts" in p], promote_options="default"
    )
    assert "properties__hs_email_text" not in root.column_names


@pytest.mark.parametrize(
    "odd",
    [
        {"properties": {"email": "a@example.pl", "interest_level": 3}},  # a number as property
        {"score": 1.5},  # a fraction
        {"score": "high"},  # another record has a number there: mixed types
        {"matrix": [[1, 2], [3]]},  # lists in lists
        {"created_at": "2026-05-09T00:56:06Z"},  # two keys, one dlt name
        {"archivedAt": 17},  # an instant that is a number
        {"big": 18446744073709551615},  # beyond a 64-bit integer
        {"_dlt_id": "mine"},  # a key that is a row-key column
    ],
)
def test_a_chunk_of_a_shape_sql_does_not_reproduce_takes_the_python_way(
    tmp_path: Path, odd: dict[str, Any]
) -> None:
    lines = [_contact(1, score=2), _contact(2, **odd), _contact(3)]
    way = _compare(_file(tmp_path, "contacts.jsonl", lines), "contacts")
    assert way.taken == 0


def test_a_line_that_is_not_utf8_is_rejected_as_in_the_python_way(tmp_path: Path) -> None:
    lines: list[Any] = [_contact(1), b'{"id": "2", "properties": {"email": "\xff@x.pl"}}']
    way = _compare(_file(tmp_path, "contacts.jsonl", lines), "contacts")
    assert way.taken == 0  # the chunk is not text: every line the Python way
    position = lines[1].index(b"\xff") + 1
    assert [(r.line_number, r.reason) for r in way.rejects] == [
        (2, f"not UTF-8 text: byte 0xff at position {position}")
    ]


def test_erased_people_are_dropped_or_cut_as_in_the_python_way(tmp_path: Path) -> None:
    salt = b"test-salt"
    erased = ["1001", "erased@example.pl", "1500"]
    suppression = Suppression(salt, frozenset(identifier_hash(salt, i) for i in erased))
    contacts = [
        _contact(1001),  # erased by id
        _contact(1002, properties={"email": "  ERASED@Example.pl "}),  # by e-mail, normalised
        _contact(1003, properties={"email": "x@example.pl", "hs_merged_object_ids": "1400;1500"}),
        _contact(1004, properties={"email": "zoë@example.pl"}),  # not ASCII: Python decides
        _contact(1005),
        _contact(1006),
    ]
    way = _compare(_file(tmp_path, "contacts.jsonl", contacts), "contacts", _copy(suppression))
    assert way.taken == 2  # 1005 and 1006
    deals = [
        {
            "id": str(9000 + n),
            "properties": {"dealname": f"deal {n}"},
            "updatedAt": "2026-05-10T10:00:00Z",
            "associations": {
                "contacts": {"results": [{"id": c, "type": "d2c"} for c in ids]},
                "companies": {"results": [{"id": "5001", "type": "d2c"}]},
            },
        }
        for n, ids in enumerate([["1001", "1005"], ["1005"], ["1006"], []])
    ]
    way = _compare(_file(tmp_path, "deals.jsonl", deals), "deals", _copy(suppression))
    assert way.taken == 3  # the deal with an erased contact keeps its other contact
    calls = [
        {
            "id": str(300 + n),
            "properties": {"hs_timestamp": "2026-08-06T16:11:47.000Z"},
            "associations": {"contacts": {"results": [{"id": c} for c in ids]}},
        }
        for n, ids in enumerate([["1001"], ["1005"]])
    ]
    way = _compare(_file(tmp_path, "calls.jsonl", calls), "calls", _copy(suppression))
    assert way.taken == 1  # the call with only the erased contact is dropped by Python


def test_row_keys_stay_unique_across_both_ways_and_chunks(tmp_path: Path) -> None:
    lines: list[Any] = []
    for n in range(3000):
        lines.append(_contact(n + 1, updatedAt="bad") if n % 97 == 0 else _contact(n + 1))
    way = _compare(_file(tmp_path, "contacts.jsonl", lines), "contacts", chunk_bytes=64 * 1024)
    assert 0 < way.taken < 3000  # _canonical asserts the keys are unique


def test_shapes_merge_like_json_group_structure() -> None:
    assert merge_shapes({"a": "NULL"}, {"a": "VARCHAR", "b": ["UBIGINT"]}) == {
        "a": "VARCHAR",
        "b": ["UBIGINT"],
    }
    assert merge_shapes(["UBIGINT"], ["BIGINT"]) == ["BIGINT"]
    assert merge_shapes({"a": {"b": "VARCHAR"}}, {"a": {}}) == {"a": {"b": "VARCHAR"}}
    assert merge_shapes("VARCHAR", "BOOLEAN") == "JSON"
    assert merge_shapes({"a": "VARCHAR"}, "VARCHAR") == "JSON"
