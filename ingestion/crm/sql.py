"""HubSpot JSON lines turned into tables by DuckDB: the tables ``tables.ObjectTables``
builds in Python, without walking each object in the interpreter.

A chunk of lines (``common.line_chunks``) goes through an in-process DuckDB:

1. ``json_group_structure`` gives the shape of every object line of the chunk: which
   keys, nested objects and lists occur, and each leaf's JSON type.
2. From that shape a plan is made (``Plan``): the columns, in dlt's names, of the root
   table and of each nested table, each leaf's type by the same rules as the Python way
   (properties, ``id`` and the key are text; ``createdAt``-like leaves are instants; other
   scalars keep their JSON type), and one ``json_transform`` structure that reads exactly
   those leaves (bodies of logged e-mails are not read at all).
3. Lines whose record the plan reproduces exactly become rows: an object with a
   non-empty key whose every instant is a plain ISO 8601 time with a zone (the form
   HubSpot writes). Root rows get their ``_dlt_id`` from the ``ObjectTables`` counter,
   lists are unnested level by level with ``_dlt_parent_id``, ``_dlt_list_idx`` and
   ``_dlt_root_id``.

Everything else takes the Python way, line by line, with its exact messages: blank and
malformed lines, anything but an object, a record without its key or with any other
instant, and, when people have been erased, records that carry a suppressed identifier
(or an identifier whose normalisation the SQL does not repeat exactly: not plain ASCII).
A whole chunk takes the Python way when its shape is one the plan does not reproduce:
mixed JSON types in one leaf, a number or boolean where text is expected, lists of
lists, fractions, two keys with one dlt name, or any DuckDB error.

Two differences remain: an object that repeats a key keeps the first value here and the
last in the Python way (JSON leaves repeated keys undefined; HubSpot does not send them);
and a key that is present but empty in every record of a chunk can give an empty column
here where the Python way, which sees a page of records, gives none (or the reverse).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from ingestion.crm.helpers import BODY_PROPERTIES
from ingestion.crm.tables import (
    LIST_INDEX,
    PARENT_KEY,
    PROPERTIES_PREFIX,
    ROOT_KEY,
    ROW_KEY,
    SEPARATOR,
    TIMESTAMP,
    ObjectTables,
    is_instant,
    normalize_name,
)
from ingestion.suppression import Suppression
from leadhouse.config import connect

# Instants the SQL way takes: ISO 8601 with date, time to the second, up to six decimals
# and a zone, in ranges where DuckDB and Python's datetime.fromisoformat agree. Anything
# else (a naive time, a date alone, a year before 1000) goes the Python way.
ISO_INSTANT = (
    r"[1-9]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
    r"T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)"
)
# An identifier whose normalisation (strip, lower case for e-mail addresses) DuckDB
# repeats exactly: printable ASCII without spaces.
_PLAIN_IDENTIFIER = "[!-~]*"
# json_group_structure's leaf types, as the column types the Python way gives them.
_SCALARS = {"VARCHAR": "text", "BOOLEAN": "bool", "UBIGINT": "bigint", "BIGINT": "bigint"}
_ARROW = {"text": pa.string(), "bool": pa.bool_(), "bigint": pa.int64(), "instant": TIMESTAMP}
_INTEGERS = {"UBIGINT", "BIGINT"}
_KEY_FIELDS = {
    ROOT_KEY: pa.field(ROOT_KEY, pa.string(), nullable=False),
    PARENT_KEY: pa.field(PARENT_KEY, pa.string(), nullable=False),
    LIST_INDEX: pa.field(LIST_INDEX, pa.int64(), nullable=False),
    ROW_KEY: pa.field(ROW_KEY, pa.string(), nullable=False),
}


class Unsupported(Exception):
    """A chunk shape the SQL way does not reproduce exactly: the chunk goes the Python way."""


@dataclass
class Leaf:
    name: str  # the column, in dlt's names
    keys: tuple[str, ...]  # the JSON keys from the level's object to the value
    kind: str  # text, instant, bool or bigint
    forced_text: bool  # text whatever the JSON type (properties, ids, the key)


@dataclass
class Level:
    """One table of the plan: its leaves and the lists below it, each a nested table."""

    table: str
    leaves: list[Leaf] = field(default_factory=list)
    lists: list[tuple[tuple[str, ...], Level]] = field(default_factory=list)
    scalar: Leaf | None = None  # a list of scalars: its one column, ``value``
    # Names taken: a key that becomes a row-key column would overwrite it in Python.
    names: set[str] = field(default_factory=lambda: set(_KEY_FIELDS))

    def claim(self, name: str) -> None:
        if name in self.names:
            raise Unsupported(f"two keys become {name!r} in {self.table}")
        self.names.add(name)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _access(base: str, keys: tuple[str, ...]) -> str:
    for key in keys:
        base = f"struct_extract({base}, {_literal(key)})"
    return base


class Plan:
    """Tables, columns and the ``json_transform`` structure for one chunk's shape."""

    def __init__(self, structure: Any, table: str, key: str, text_columns: frozenset[str]):
        if not isinstance(structure, dict):
            raise Unsupported("not objects")
        self.key = key
        self.text_columns = text_columns
        self.root = Level(table)
        self.structure = self._object(structure, self.root, (), "", root=True)
        key_type = structure.get(key)
        if key_type != "VARCHAR":
            raise Unsupported(f"key {key!r} is {key_type!r}, not text")
        self.raw = structure

    def _object(
        self,
        structure: dict[str, Any],
        level: Level,
        keys: tuple[str, ...],
        prefix: str,
        root: bool,
    ) -> dict[str, Any]:
        transform: dict[str, Any] = {}
        for key, shape in structure.items():
            if root and keys == ("properties",) and key in BODY_PROPERTIES:
                continue  # never stored: not even read
            name = prefix + normalize_name(key)
            path = (*keys, key)
            if isinstance(shape, dict):
                if shape:  # an empty object adds nothing, as in the Python way
                    transform[key] = self._object(shape, level, path, name + SEPARATOR, root)
            elif isinstance(shape, list):
                level.claim(name)
                nested = Level(level.table + SEPARATOR + name)
                transform[key] = [self._item(shape[0], nested)]
                level.lists.append((path, nested))
            else:
                leaf = self._leaf(name, path, shape, root)
                if leaf is not None:
                    level.claim(name)
                    level.leaves.append(leaf)
                    transform[key] = "VARCHAR" if leaf.kind != "bool" else "BOOLEAN"
        return transform

    def _item(self, shape: Any, level: Level) -> Any:
        if isinstance(shape, dict):
            if not shape:
                raise Unsupported(f"empty object shape in {level.table}")
            return self._object(shape, level, (), "", root=False)
        if isinstance(shape, list):
            raise Unsupported(f"a list of lists in {level.table}")
        level.scalar = self._leaf("value", (), shape, root=False)
        if level.scalar is None:
            return "VARCHAR"
        return "VARCHAR" if level.scalar.kind != "bool" else "BOOLEAN"

    def _leaf(self, name: str, keys: tuple[str, ...], shape: str, root: bool) -> Leaf | None:
        forced_text = (
            name.startswith(PROPERTIES_PREFIX)
            or name == "id"
            or (root and name in self.text_columns)
        )
        if forced_text or is_instant(name):
            if shape not in ("VARCHAR", "NULL"):
                raise Unsupported(f"{name} is {shape}")
            return Leaf(name, keys, "text" if forced_text else "instant", forced_text)
        if shape == "NULL":
            return None  # as the Python way: no column from values that are all empty
        if shape not in _SCALARS:
            raise Unsupported(f"{name} is {shape}")
        return Leaf(name, keys, _SCALARS[shape], False)

    # -- SQL ---------------------------------------------------------------------------------
    def transform(self) -> str:
        return orjson.dumps(self.structure).decode()

    def instants_ok(self, level: Level, base: str, depth: int = 0) -> str:
        """True when every instant of the object at ``base`` and below is one the SQL way
        reads as the Python way does."""
        checks = []
        for leaf in level.leaves:
            if leaf.kind == "instant":
                value = _access(base, leaf.keys)
                checks.append(
                    f"({value} is null or (regexp_full_match({value}, '{ISO_INSTANT}') "
                    f"and try_cast({value} as timestamptz) is not null))"
                )
        for keys, nested in level.lists:
            if _has_instants(nested):
                item = f"x{depth}"
                inner = self.instants_ok(nested, item, depth + 1)
                checks.append(
                    f"coalesce(list_bool_and(list_transform({_access(base, keys)}, "
                    f"lambda {item}: {inner})), true)"
                )
        return " and ".join(checks) or "true"

    def identifiers(self, resource: str) -> str | None:
        """A list of the record's identifiers that the suppression filter reads
        (``Suppression._filter_row``), or None when there are none in this shape."""
        parts = []
        for key in ("email", "recipient"):
            shape = self.raw.get(key)
            if shape == "VARCHAR":
                parts.append(f"[{_access('r', (key,))}]")
            elif shape not in (None, "NULL"):
                raise Unsupported(f"{key} is {shape}")
        properties = self.raw.get("properties")
        if isinstance(properties, dict):
            if properties.get("email") == "VARCHAR":
                parts.append(f"[{_access('r', ('properties', 'email'))}]")
            merged = properties.get("hs_merged_object_ids")
            if resource == "contacts" and merged == "VARCHAR":
                ids = _access("r", ("properties", "hs_merged_object_ids"))
                parts.append(f"string_split(coalesce({ids}, ''), ';')")
        if resource == "contacts":
            parts.append(f"[{_access('r', (self.key,))}]")
        associations = self.raw.get("associations")
        contacts = associations.get("contacts") if isinstance(associations, dict) else None
        results = contacts.get("results") if isinstance(contacts, dict) else None
        item = results[0] if isinstance(results, list) else None
        if isinstance(item, dict) and item.get("id") == "VARCHAR":
            listed = _access("r", ("associations", "contacts", "results"))
            parts.append(f"coalesce(list_transform({listed}, lambda a: a.id), [])")
        if not parts:
            return None
        return "list_concat(" + ", ".join(parts) + ")" if len(parts) > 1 else parts[0]


def merge_shapes(first: Any, second: Any) -> Any:
    """One shape for values of two shapes (``json_structure``'s notation): objects take
    the keys of both, lists the merged shape of their items, an empty value the other's
    shape; two integer types are an integer; anything else is ``JSON``, which no plan
    takes."""
    if first == "NULL" or first == second:
        return second
    if second == "NULL":
        return first
    if isinstance(first, dict) and isinstance(second, dict):
        merged = dict(first)
        for key, shape in second.items():
            merged[key] = merge_shapes(merged[key], shape) if key in merged else shape
        return merged
    if isinstance(first, list) and isinstance(second, list):
        return [merge_shapes(first[0], second[0])]
    if isinstance(first, str) and isinstance(second, str) and {first, second} == _INTEGERS:
        return "BIGINT"
    return "JSON"


def _empty_object_paths(shape: Any, path: str = "$") -> list[str]:
    """JSON paths of the ``JSON`` leaves of an object's shape outside lists (empty objects,
    or a key repeated with values of two types); none when a key cannot be written in a
    path."""
    if not isinstance(shape, dict):
        return []
    paths: list[str] = []
    for key, value in shape.items():
        if '"' in key or "\\" in key:
            return []
        inner = f'{path}."{key}"'
        if value == "JSON":
            paths.append(inner)
        elif isinstance(value, dict):
            found = _empty_object_paths(value, inner)
            paths.extend(found)
    return paths


def _emptied(shape: Any) -> Any:
    """``shape`` with its ``JSON`` leaves outside lists as empty objects."""
    if not isinstance(shape, dict):
        return shape
    return {
        key: {} if value == "JSON" else _emptied(value) if isinstance(value, dict) else value
        for key, value in shape.items()
    }


def _has_instants(level: Level) -> bool:
    return any(leaf.kind == "instant" for leaf in level.leaves) or any(
        _has_instants(nested) for _, nested in level.lists
    )


def _value(leaf: Leaf, base: str) -> str:
    value = _access(base, leaf.keys) if leaf.keys else base
    if leaf.kind == "instant":
        return f"try_cast({value} as timestamptz)"
    if leaf.kind == "bigint":
        return f"cast({value} as bigint)"  # an integer beyond BIGINT fails the chunk
    return value


# Lines per record batch handed to DuckDB: its unit of parallel work.
PARALLEL_ROWS = 8_192
_IS_OBJECT = "case when json_valid(line) then json_type(line) = 'OBJECT' else false end"


class SqlObjectTables:
    """One object type's JSON lines into the tables ``ObjectTables`` gives, chunk by chunk.
    ``suppression`` is the load's list of erased people, if any."""

    def __init__(
        self, objects: ObjectTables, key: str, suppression: Suppression | None = None
    ) -> None:
        self.objects = objects
        self.key = key
        self.suppression = suppression if suppression else None
        self.con = connect(None)
        self.con.execute("set TimeZone = 'UTC'")

    def close(self) -> None:
        self.con.close()

    def chunk(self, lines: pa.Table) -> tuple[dict[str, pa.Table], list[tuple[int, bytes]]]:
        """Tables by name (root first) of the records taken here, and the ``(line number,
        line)`` of every other line, for the Python way."""
        if not pa.types.is_large_string(lines["line"].type) and not pa.types.is_string(
            lines["line"].type
        ):
            return {}, _raw(lines)  # not valid UTF-8: every line the Python way
        con = self.con
        # Record batches of PARALLEL_ROWS lines: one batch is one DuckDB thread's work.
        batches = lines.to_batches(max_chunksize=PARALLEL_ROWS)
        con.register("chunk", pa.Table.from_batches(batches, schema=lines.schema))
        try:
            try:
                shape = self._shape()
                if shape is None:
                    return {}, _raw(lines)
                plan = Plan(
                    shape,
                    self.objects.table,
                    self.key,
                    frozenset(self.objects.text_columns),
                )
                tables = self._tables(
                    plan, lines["line_number"][0].as_py(), lines["line_number"][-1].as_py()
                )
            except (Unsupported, duckdb.Error):
                return {}, _raw(lines)
            left = con.execute(
                "select line_number from chunk anti join roots using (line_number) "
                "order by line_number"
            ).fetchall()
            first = lines["line_number"][0].as_py()
            column = lines["line"]
            return tables, [(n, column[n - first].as_py().encode()) for (n,) in left]
        finally:
            con.execute("drop table if exists roots; drop table if exists shapes")
            con.unregister("chunk")

    def _shape(self) -> Any:
        """The merged shape of the chunk's objects (None when it has none): each distinct
        ``json_structure``, merged in order of first appearance. ``json_structure`` says
        ``JSON`` for an empty object as for a conflict; where it says so outside a list,
        the lines are asked whether it is an empty object, which then adds no keys."""
        con = self.con
        con.execute(
            "create or replace temp table shapes as select line_number, "
            f"case when {_IS_OBJECT} then json_structure(line) end as shape "
            f"from chunk where {_IS_OBJECT}"
        )
        found = con.execute(
            "select shape, min(line_number) as first from shapes group by shape order by first"
        ).fetchall()
        shapes = [orjson.loads(shape) for shape, _ in found]
        unsure = {
            text: paths
            for (text, _), shape in zip(found, shapes, strict=True)
            if (paths := _empty_object_paths(shape))
        }
        conflicts: set[str] = set()
        if unsure:
            tests = " or ".join(
                f"(shape = {_literal(text)} and not ("
                + " and ".join(
                    # guarded: the condition may be evaluated on any line of the chunk
                    f"case when json_valid(line) "
                    f"then json_extract(line, {_literal(p)}) = '{{}}' end"
                    for p in paths
                )
                + "))"
                for text, paths in unsure.items()
            )
            conflicts = {
                shape
                for (shape,) in con.execute(
                    "select distinct shape from shapes join chunk using (line_number) "
                    f"where {tests}"
                ).fetchall()
            }
        merged: Any = None
        for (text, _), shape in zip(found, shapes, strict=True):
            if shape == "JSON":
                continue  # an empty object: no key, so the Python way rejects it
            if text in unsure and text not in conflicts:
                shape = _emptied(shape)
            merged = shape if merged is None else merge_shapes(merged, shape)
        return merged

    def _tables(self, plan: Plan, first: int, last: int) -> dict[str, pa.Table]:
        """The tables of the lines the plan takes (``roots``); ``first`` and ``last`` are
        the chunk's line numbers."""
        con = self.con
        conditions = [f"coalesce({_access('r', (self.key,))}, '') <> ''"]
        conditions.append(plan.instants_ok(plan.root, "r"))
        params: dict[str, Any] = {}
        if self.suppression is not None:
            identifiers = plan.identifiers(self.objects.table)
            if identifiers is not None:
                params["salt"] = self.suppression.salt.decode()
                params["hashes"] = sorted(self.suppression.hashes)
                hashed = (
                    "sha256($salt || '|' || case when contains(c, '@') then lower(c) else c end)"
                )
                conditions.append(
                    f"coalesce(list_bool_and(list_transform({identifiers}, lambda c: "
                    f"c is null or regexp_full_match(c, '{_PLAIN_IDENTIFIER}'))), true)"
                )
                conditions.append(
                    f"not list_has_any(list_transform(list_filter({identifiers}, "
                    f"lambda c: c is not null), lambda c: {hashed}), $hashes)"
                )
        # Row keys from the line numbers: unique, though not consecutive (lines that take
        # the Python way leave gaps), and no second pass to number the rows.
        params["prefix"], params["base"] = self.objects.reserve(last - first + 1)
        params["first"] = first
        con.execute(
            f"""
            create or replace temp table roots as
            select line_number,
                $prefix || printf('%x', $base + line_number - $first) as {ROW_KEY}, r
            from (
                -- guarded: DuckDB may evaluate the projection before the filter
                select line_number,
                    case when {_IS_OBJECT}
                        then json_transform(line, {_literal(plan.transform())}) end as r
                from chunk where {_IS_OBJECT}
            )
            where {" and ".join(f"({c})" for c in conditions)}
            """,
            params,
        )
        tables: dict[str, pa.Table] = {}
        columns = [ROW_KEY] + [
            f"{_value(leaf, 'r')} as {_identifier(leaf.name)}" for leaf in plan.root.leaves
        ]
        root = self._fetch(
            f"select {', '.join(columns)} from roots order by line_number", plan.root, root=True
        )
        if not root.num_rows:
            return {}
        tables[plan.root.table] = root
        self._nested(plan.root, "roots", "r", root=True, tables=tables, counter=[0])
        return tables

    def _nested(
        self,
        level: Level,
        parent: str,
        base: str,
        root: bool,
        tables: dict[str, pa.Table],
        counter: list[int],
    ) -> None:
        root_id = ROW_KEY if root else ROOT_KEY
        for keys, nested in level.lists:
            counter[0] += 1
            name = f"nested_{counter[0]}"
            items = _access(base, keys)
            self.con.execute(
                f"""
                create or replace temp table {name} as
                select {ROOT_KEY}, {PARENT_KEY}, {LIST_INDEX},
                    {PARENT_KEY} || '.' || {LIST_INDEX} as {ROW_KEY}, x
                from (
                    select {root_id} as {ROOT_KEY}, {ROW_KEY} as {PARENT_KEY},
                        unnest({items}) as x, unnest(range(len({items}))) as {LIST_INDEX}
                    from {parent}
                )
                """
            )
            leaves = [nested.scalar] if nested.scalar is not None else nested.leaves
            columns = [ROOT_KEY, PARENT_KEY, LIST_INDEX, ROW_KEY] + [
                f"{_value(leaf, 'x')} as {_identifier(leaf.name)}" for leaf in leaves
            ]
            table = self._fetch(f"select {', '.join(columns)} from {name}", nested, root=False)
            if table.num_rows:
                tables[nested.table] = table
                self._nested(nested, name, "x", root=False, tables=tables, counter=counter)
            self.con.execute(f"drop table {name}")

    def _fetch(self, sql: str, level: Level, root: bool) -> pa.Table:
        result = self.con.execute(sql).fetch_arrow_table()
        leaves = {leaf.name: leaf for leaf in level.leaves}
        if level.scalar is not None:
            leaves["value"] = level.scalar
        fields, arrays = [], []
        for name in result.column_names:
            column = result[name]
            if name == ROW_KEY:
                target = pa.field(ROW_KEY, pa.string(), nullable=False)
            elif name in _KEY_FIELDS:
                target = _KEY_FIELDS[name]
            else:
                leaf = leaves[name]
                if (
                    leaf.kind != "instant"
                    and not leaf.forced_text
                    and (column.null_count == len(column))
                ):
                    continue  # as the Python way: no column from values that are all empty
                required = root and name in self.objects.text_columns
                target = pa.field(name, _ARROW[leaf.kind], nullable=not required)
            fields.append(target)
            arrays.append(column.cast(target.type))
        return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _raw(lines: pa.Table) -> list[tuple[int, bytes]]:
    """Every line of a chunk as ``(line number, bytes)``."""
    numbers = lines["line_number"].to_pylist()
    values = lines["line"].to_pylist()
    return [
        (n, v if isinstance(v, bytes) else v.encode()) for n, v in zip(numbers, values, strict=True)
    ]
