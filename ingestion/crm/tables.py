"""HubSpot objects as Arrow tables, in the layout dlt's own normalizer would give them.

dlt unnests Python dicts itself, but at about 30 k rows a second on these machines: at
100 k contacts that was most of a CRM load. Here a page of objects is walked once in
Python and handed to dlt as Arrow tables, which dlt loads without normalizing:

- nested objects become ``<parent>__<child>`` columns (``properties__email``);
- lists become nested tables ``<table>__<path>`` (``contacts__associations__companies__
  results``) linked by ``_dlt_parent_id`` → ``_dlt_id``, with ``_dlt_list_idx`` and
  ``_dlt_root_id``; lists of scalars keep the scalar in ``value``;
- names follow dlt's naming convention (``createdAt`` → ``created_at``).

The root table merges on its key; every version of a record gets a new ``_dlt_id``. The
nested tables are appended, and after each load the rows whose root row is gone (the
previous version of a changed record) are deleted (``common.drop_orphans``). That is
the end state dlt's nested merge gives (an association removed in HubSpot disappears
from the warehouse) without a staging copy of the nested tables. dlt's extract cannot
take Arrow items for tables it knows as nested, so they are declared as tables of their
own.

Types do not depend on luck. HubSpot sends every property as a string, so every
``properties__*`` column is text; ``createdAt``/``updatedAt``/``archivedAt`` and a
status ``timestamp`` are UTC timestamps, and a record whose timestamp cannot be read is
quarantined with the reason; other scalars keep their JSON type (mixed types in one
column are stored as text).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import dlt
import orjson
import pyarrow as pa
from dlt.common.normalizers.naming.snake_case import NamingConvention

from ingestion.common import Reject

_NAMING = NamingConvention()
SEPARATOR = "__"
PROPERTIES_PREFIX = "properties" + SEPARATOR
# Leaf names (after naming) read as instants, wherever they sit outside `properties`.
TIMESTAMP_FIELDS = frozenset({"created_at", "updated_at", "archived_at", "timestamp"})

ROW_KEY = "_dlt_id"
PARENT_KEY = "_dlt_parent_id"
ROOT_KEY = "_dlt_root_id"
LIST_INDEX = "_dlt_list_idx"

ROOT_KEY_HINTS: dict[str, Any] = {
    ROW_KEY: {"data_type": "text", "nullable": False, "row_key": True, "unique": True},
}
NESTED_KEY_HINTS: dict[str, Any] = {
    ROOT_KEY: {"data_type": "text", "nullable": False},
    PARENT_KEY: {"data_type": "text", "nullable": False},
    LIST_INDEX: {"data_type": "bigint", "nullable": False},
    ROW_KEY: {"data_type": "text", "nullable": False, "unique": True},
}
_KEY_TYPES = {ROW_KEY: pa.string(), PARENT_KEY: pa.string(), ROOT_KEY: pa.string()}
TIMESTAMP = pa.timestamp("us", tz="UTC")
_REQUIRED = frozenset({ROW_KEY, PARENT_KEY, ROOT_KEY, LIST_INDEX})


class BadRecord(ValueError):
    """A record that cannot become rows; its message is the quarantine reason."""


def normalize_name(name: str) -> str:
    return _NAMING.normalize_identifier(name)


def parse_instant(value: object, field: str) -> datetime | None:
    """An ISO 8601 instant (``Z`` or an offset; a naive time is taken as UTC)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise BadRecord(f"invalid timestamp in {field}: {value!r}")


class ObjectTables:
    """Turns pages of one object type into Arrow tables for dlt: the root table and every
    nested table the page holds. One instance per resource and run; row keys are unique
    within the run (a random prefix and a counter) and across runs."""

    def __init__(self, table: str, text_columns: tuple[str, ...] = ()) -> None:
        self.table = table
        self.text_columns = frozenset(text_columns)
        self._prefix = secrets.token_hex(6)
        self._counter = 0
        # (prefix, key) -> (column name, is an instant): names are normalized once a run.
        self._paths: dict[tuple[str, str], tuple[str, bool]] = {}

    def reserve(self, count: int) -> tuple[str, int]:
        """Row keys for ``count`` root rows built elsewhere (``sql.SqlObjectTables``): the
        prefix and the first counter value; the rows take the next ``count`` values."""
        first = self._counter
        self._counter += count
        return self._prefix, first

    def _path(self, prefix: str, key: str) -> tuple[str, bool]:
        path = self._paths.get((prefix, key))
        if path is None:
            name = prefix + normalize_name(key)
            path = self._paths[(prefix, key)] = (name, is_instant(name))
        return path

    def build(
        self, records: Sequence[tuple[int | None, dict[str, Any]]], origin: str
    ) -> tuple[dict[str, pa.Table], list[Reject]]:
        """Arrow tables by table name (root first) from ``(line or position, object)``
        pairs, and the records that could not be turned into rows."""
        rows: dict[str, list[dict[str, Any]]] = {self.table: []}
        rejects: list[Reject] = []
        for position, record in records:
            record_rows: dict[str, list[dict[str, Any]]] = {}
            root: dict[str, Any] = {ROW_KEY: f"{self._prefix}{self._counter:x}"}
            try:
                self._walk(record, self.table, "", root, root[ROW_KEY], record_rows)
            except BadRecord as error:
                rejects.append(
                    Reject(self.table, origin, position, str(error), orjson.dumps(record))
                )
                continue
            self._counter += 1
            rows[self.table].append(root)
            for table, table_rows in record_rows.items():
                rows.setdefault(table, []).extend(table_rows)
        return {t: self._arrow(t, r) for t, r in rows.items() if r}, rejects

    def _walk(
        self,
        obj: dict[str, Any],
        table: str,
        prefix: str,
        row: dict[str, Any],
        root_id: str,
        out: dict[str, list[dict[str, Any]]],
    ) -> None:
        for key, value in obj.items():
            name, instant = self._path(prefix, key)
            if (value is None or type(value) is str) and not instant:
                row[name] = value  # by far the most common case: a property
            elif isinstance(value, dict):
                self._walk(value, table, name + SEPARATOR, row, root_id, out)
            elif isinstance(value, list):
                self._nested(value, table + SEPARATOR + name, row[ROW_KEY], root_id, out)
            elif instant:
                row[name] = parse_instant(value, name)
            else:
                row[name] = value

    def _nested(
        self,
        items: list[Any],
        table: str,
        parent_id: str,
        root_id: str,
        out: dict[str, list[dict[str, Any]]],
    ) -> None:
        rows = out.setdefault(table, [])
        for index, item in enumerate(items):
            row: dict[str, Any] = {
                ROOT_KEY: root_id,
                PARENT_KEY: parent_id,
                LIST_INDEX: index,
                ROW_KEY: f"{parent_id}.{index}",
            }
            if isinstance(item, dict):
                self._walk(item, table, "", row, root_id, out)
            elif isinstance(item, list):
                row["value"] = orjson.dumps(item).decode()
            else:
                row["value"] = item
            rows.append(row)

    def _arrow(self, table: str, rows: list[dict[str, Any]]) -> pa.Table:
        names: dict[str, None] = {}
        for row in rows:
            names.update(dict.fromkeys(row))
        fields, arrays = [], []
        for name in names:
            values = [row.get(name) for row in rows]
            array = self._column(table, name, values)
            if array is not None:
                # Keys are never empty: say so, as the dlt hints do.
                required = name in _REQUIRED or (table == self.table and name in self.text_columns)
                fields.append(pa.field(name, array.type, nullable=not required))
                arrays.append(array)
        return pa.Table.from_arrays(arrays, schema=pa.schema(fields))

    def _column(self, table: str, name: str, values: list[Any]) -> pa.Array | None:
        if name in _KEY_TYPES:
            return pa.array(values, type=_KEY_TYPES[name])
        if name == LIST_INDEX:
            return pa.array(values, type=pa.int64())
        is_text = (table == self.table and name in self.text_columns) or name.startswith(
            PROPERTIES_PREFIX
        )
        if is_text or name == "id":
            return pa.array([_text(v) for v in values], type=pa.string())
        if is_instant(name):
            return pa.array(values, type=TIMESTAMP)
        if all(v is None for v in values):
            return None  # as dlt: no column from values that are all empty
        try:
            return pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):  # Overflow: beyond int64
            return pa.array([_text(v) for v in values], type=pa.string())

    def items(self, tables: dict[str, pa.Table], root_hints: Any) -> Iterator[Any]:
        """The tables of ``build`` with their dlt hints: the root with ``root_hints``
        (merge key, write disposition) and its row key, nested tables appended."""
        for name, table in tables.items():
            if name == self.table:
                yield dlt.mark.with_hints(table, root_hints, create_table_variant=True)
            else:
                yield dlt.mark.with_hints(
                    table, self._nested_hints(name), create_table_variant=True
                )

    def _nested_hints(self, name: str) -> Any:
        return dlt.mark.make_hints(
            table_name=name,
            write_disposition="append",
            columns=NESTED_KEY_HINTS,
        )


def is_instant(name: str) -> bool:
    return not name.startswith(PROPERTIES_PREFIX) and name.rpartition(SEPARATOR)[2] in (
        TIMESTAMP_FIELDS
    )


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)
