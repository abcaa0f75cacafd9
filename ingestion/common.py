"""What every Leadhouse source shares: landing-folder scanning, quarantine rows, counters.

Bad records never stop a load. Each one becomes a row in the ``quarantine`` table of the
source's raw dataset, with the source, resource, file, line, reason and raw payload, and
dlt's ``_dlt_load_id`` for lineage. Good rows in the same file load as usual.
"""

from __future__ import annotations

import csv
import gzip
import itertools
import posixpath
import queue
import secrets
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import dlt
import fsspec
import numpy as np
import orjson
import pyarrow as pa
from fsspec import AbstractFileSystem

QUARANTINE_TABLE = "quarantine"
# Raw payloads are kept for diagnosis, but a multi-megabyte line would bloat the table.
MAX_PAYLOAD_CHARS = 10_000
# Clock skew between senders and us is normal; anything further ahead is a bad timestamp.
FUTURE_TOLERANCE = timedelta(days=1)

QUARANTINE_COLUMNS: dict[str, Any] = {
    "source": {"data_type": "text", "nullable": False},
    "resource": {"data_type": "text", "nullable": False},
    "file_name": {"data_type": "text", "nullable": True},
    "line_number": {"data_type": "bigint", "nullable": True},
    "reason": {"data_type": "text", "nullable": False},
    "raw_payload": {"data_type": "text", "nullable": True},
    "quarantined_at": {"data_type": "timestamp", "nullable": False},
}

_ARROW_TYPES = {
    "text": pa.string(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}
# Derived from the dlt hints so the Arrow items and the declared table never disagree.
_QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field(name, _ARROW_TYPES[hint["data_type"]], nullable=hint["nullable"])
        for name, hint in QUARANTINE_COLUMNS.items()
    ]
)


@dataclass
class ResourceCounts:
    rows: int = 0
    quarantined: int = 0
    files_read: int = 0
    files_skipped: int = 0
    seconds: float = 0.0  # time spent reading and parsing inside the resource


def timed(counts: ResourceCounts, items: Iterator[Any]) -> Iterator[Any]:
    """Pass items through, adding the time spent producing them to ``counts.seconds``.

    dlt interleaves resources, so wall time per resource is not observable from outside;
    the time inside a resource's own generator is, and it is what a slow source costs.
    """
    iterator = iter(items)
    while True:
        started = time.perf_counter()
        try:
            item = next(iterator)
        except StopIteration:
            counts.seconds += time.perf_counter() - started
            return
        counts.seconds += time.perf_counter() - started
        yield item


@dataclass
class LoadCounters:
    """Rows yielded and quarantined per resource, filled in while dlt extracts."""

    source: str
    resources: dict[str, ResourceCounts] = field(default_factory=dict)

    def of(self, resource: str) -> ResourceCounts:
        return self.resources.setdefault(resource, ResourceCounts())


@dataclass
class Reject:
    resource: str
    file_name: str | None
    line_number: int | None
    reason: str
    raw_payload: str | bytes | None


def quarantine_rows(source: str, rejects: list[Reject]) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [
        {
            "source": source,
            "resource": r.resource,
            "file_name": r.file_name,
            "line_number": r.line_number,
            "reason": r.reason,
            "raw_payload": _payload_text(r.raw_payload),
            "quarantined_at": now,
        }
        for r in rejects
    ]


def quarantine_arrow(source: str, rejects: list[Reject]) -> pa.Table:
    return pa.Table.from_pylist(quarantine_rows(source, rejects), schema=_QUARANTINE_SCHEMA)


def quarantine_item(rows: pa.Table | list[dict[str, Any]]) -> Any:
    """Route rejects to the append-only quarantine table, whatever the resource's hints."""
    return dlt.mark.with_hints(
        rows,
        dlt.mark.make_hints(
            table_name=QUARANTINE_TABLE,
            write_disposition="append",
            columns=QUARANTINE_COLUMNS,
        ),
        create_table_variant=True,
    )


def _payload_text(payload: str | bytes | None) -> str | None:
    if payload is None:
        return None
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    return text[:MAX_PAYLOAD_CHARS]


@dataclass(frozen=True)
class LandingFile:
    """A file in a landing location: a local folder or any fsspec URL (``s3://bucket/
    prefix``, ``gs://…``, ``memory://…``). Behaves enough like ``pathlib.Path`` for the
    parsers; ``.gz`` files are decompressed transparently."""

    fs: AbstractFileSystem
    path: str
    size: int
    modified: str

    @property
    def name(self) -> str:
        return posixpath.basename(self.path)

    @property
    def suffix(self) -> str:
        """The format suffix, ignoring a trailing ``.gz``."""
        name = self.name.removesuffix(".gz")
        return posixpath.splitext(name)[1]

    @property
    def fingerprint(self) -> str:
        return f"{self.size}:{self.modified}"

    def open(self, mode: str = "rb", **kwargs: Any) -> Any:
        compression = "gzip" if self.name.endswith(".gz") else None
        return self.fs.open(self.path, mode, compression=compression, **kwargs)

    def read_bytes(self) -> bytes:
        with self.open("rb") as handle:
            data: bytes = handle.read()
            return data

    def read_bytes_until_fault(self) -> tuple[bytes, Exception | None]:
        """The file's bytes as far as they can be read, and the fault (``UNREADABLE``)
        that stopped the reading early, if any (a ``.gz`` cut off mid-write)."""
        parts: list[bytes] = []
        with self.open("rb") as handle:
            read = getattr(handle, "read1", handle.read)  # see _read_into
            while True:
                try:
                    part = read(READ_BYTES)
                except UNREADABLE as fault:
                    return b"".join(parts), fault
                if not part:
                    return b"".join(parts), None
                parts.append(part)


# Bytes per read of ``LandingFile.read_bytes_until_fault``.
READ_BYTES = 8 * 1024 * 1024


# What Windows editors put before UTF-8 text; JSON parsers may ignore it at the start of
# a document (RFC 8259, section 8.1), and so does every reader of landing files here.
UTF8_BOM = b"\xef\xbb\xbf"


def without_bom(data: bytes) -> bytes:
    """``data`` without a UTF-8 byte order mark at its start."""
    return data[len(UTF8_BOM) :] if data.startswith(UTF8_BOM) else data


# Bytes read per step when a file is streamed line by line into Arrow.
LINE_CHUNK_BYTES = 32 * 1024 * 1024


def line_chunks(path: LandingFile, chunk_bytes: int = LINE_CHUNK_BYTES) -> Iterator[pa.Table]:
    """Stream a text file as Arrow tables of (``line_number``, ``line``), a chunk at a time.

    Lines are cut at the file's own newline bytes, never split across chunks, and keep
    their numbers in the file, so rejects can point at the exact line. The Arrow strings
    are views on the bytes read (no Python string per line) and keep their line ending,
    which JSON parsers treat as whitespace. Memory stays at about two chunks whatever the
    file size. A file that cannot be read to its end (a ``.gz`` cut off mid-write) gives
    the lines read before the fault, the last one perhaps cut, then raises the fault
    (``UNREADABLE``). A UTF-8 byte order mark at the start of the file is skipped (JSON
    allows a parser to ignore it; editors on Windows write one). A chunk that is not valid
    UTF-8 has the lines' bytes in its ``line`` column instead (binary), for a caller that
    judges such lines itself (``utf8_lines``).

    A caller that lets go of a chunk before asking for the next one (no table, array or
    view of it left) gets the next chunk in the same memory: fresh memory costs a page
    fault per 4 KB, more than the read itself. A chunk still held is never overwritten;
    the next one then gets new memory.
    """
    first_line = 1
    buffer, newlines = _scratch(chunk_bytes)
    kept = 0  # bytes of an unfinished line at the start of ``buffer``
    try:
        with path.open("rb") as handle:
            while True:
                if kept == len(buffer):  # a line longer than the buffer: make room
                    buffer = _moved(buffer, 0, kept, size=kept + chunk_bytes)
                    newlines = np.empty(len(buffer), dtype=np.bool_)
                read, fault = _read_into(handle, memoryview(buffer)[kept:])
                end = kept + read
                if first_line == 1 and not kept and end >= 3 and buffer.startswith(UTF8_BOM):
                    buffer = _moved(buffer, len(UTF8_BOM), end, size=len(buffer))
                    end -= len(UTF8_BOM)
                # At the end of the file, or where it cannot be read further (a cut-off
                # .gz): the lines read so far, the last one perhaps cut, then the fault.
                last = not read or fault is not None
                if not end:
                    if fault is not None:
                        raise fault
                    return
                cut = end if last else buffer.rfind(b"\n", 0, end) + 1
                if cut == 0:  # no line ends in the buffer yet: read on
                    kept = end
                    continue
                chunk = [_numbered_lines(memoryview(buffer)[:cut], first_line, newlines)]
                first_line += chunk[0].num_rows
                # Popped as it is yielded: this frame keeps no reference to the chunk.
                yield chunk.pop()
                if fault is not None:
                    raise fault
                if last:
                    return
                kept = end - cut
                buffer = _moved(buffer, cut, end, size=len(buffer))
    finally:
        if len(buffer) == chunk_bytes and _unshared(buffer):
            _SPARE.buffer, _SPARE.newlines = buffer, newlines


# Per thread, the memory of the last file's chunks, for the thread's next file: parse
# workers read many files one after another. Held until the thread ends.
_SPARE = threading.local()


def _scratch(size: int) -> tuple[bytearray, np.ndarray]:
    """A chunk buffer of ``size`` bytes and newline scratch space for it."""
    buffer, newlines = getattr(_SPARE, "buffer", None), getattr(_SPARE, "newlines", None)
    _SPARE.buffer = _SPARE.newlines = None
    if buffer is None or newlines is None or len(buffer) != size:
        return bytearray(size), np.empty(size, dtype=np.bool_)
    return buffer, newlines


def _moved(buffer: bytearray, start: int, end: int, size: int) -> bytearray:
    """``buffer[start:end]`` at the front of a buffer of ``size`` bytes: ``buffer`` itself
    when it is that large and nothing views it any more, otherwise new memory."""
    target = buffer if size == len(buffer) and _unshared(buffer) else bytearray(size)
    target[: end - start] = buffer[start:end]
    return target


def _unshared(buffer: bytearray) -> bool:
    """Whether no view of ``buffer`` is alive (an Arrow array of a chunk holds one): a
    bytearray refuses to change its size while a view exists."""
    try:
        last = buffer.pop()
    except BufferError:
        return False
    buffer.append(last)
    return True


def _read_into(handle: Any, view: memoryview) -> tuple[int, Exception | None]:
    """Fill ``view`` from ``handle`` as far as the file goes: bytes read, and the fault
    (``UNREADABLE``) that stopped the reading early, if any. Streams such as gzip return
    less than asked before their end, so read until full or at the end."""
    # One read of the underlying stream per call where the handle can (a gzip stream's
    # readinto would lose everything it decompressed in a call that ends in a fault).
    readinto = getattr(handle, "readinto1", handle.readinto)
    filled = 0
    while filled < len(view):
        try:
            got = readinto(view[filled:])
        except UNREADABLE as fault:
            return filled, fault
        if not got:
            break
        filled += got
    return filled, None


def _numbered_lines(data: memoryview, first_line: int, newlines: np.ndarray) -> pa.Table:
    lines = _lines_array(data, newlines)
    numbers = np.arange(first_line, first_line + len(lines), dtype=np.int64)
    return pa.table({"line_number": pa.array(numbers), "line": lines})


# Above this share of rows to drop, ``without_rows`` copies the rows kept instead of
# slicing around the dropped ones: many tiny slices cost more than one copy.
SLICED_DROP_SHARE = 0.01


def without_rows(table: pa.Table, dropped: pa.Array) -> pa.Table:
    """``table`` without the rows at the sorted positions ``dropped``, in order.

    Rejects are rare, so the rows kept are a few long runs: they are returned as slices
    of ``table`` (a table of several chunks that shares its memory), not copied row by
    row as ``Table.filter`` does (measured alone: 0.25 s of CPU per 200 k web events).
    """
    if not len(dropped):
        return table
    if len(dropped) > SLICED_DROP_SHARE * table.num_rows:
        keep = np.ones(table.num_rows, dtype=np.bool_)
        keep[dropped.to_numpy(zero_copy_only=False)] = False
        return table.filter(pa.array(keep))
    pieces, start = [], 0
    for position in dropped.to_pylist():
        if position > start:
            pieces.append(table.slice(start, position - start))
        start = position + 1
    if start < table.num_rows:
        pieces.append(table.slice(start))
    return pa.concat_tables(pieces) if pieces else table.slice(0, 0)


def _lines_array(data: memoryview, newlines: np.ndarray) -> pa.Array:
    """The lines of ``data`` (each with its newline) as an Arrow string array;
    ``newlines`` is scratch space of at least ``len(data)`` booleans. Not valid UTF-8: a
    binary array of the lines' bytes, copied out of ``data``."""
    found = newlines[: len(data)]
    np.equal(np.frombuffer(data, dtype=np.uint8), ord("\n"), out=found)
    ends = np.flatnonzero(found) + 1
    if not len(ends) or ends[-1] != len(data):
        ends = np.append(ends, len(data))  # a last line without a newline
    offsets = np.concatenate(([0], ends)).astype(np.int64)
    lines = pa.LargeStringArray.from_buffers(len(ends), pa.py_buffer(offsets), pa.py_buffer(data))
    try:
        lines.validate(full=True)  # UTF-8 check, in C++
    except pa.ArrowInvalid:
        raw = bytes(data)
        return pa.array(
            [raw[start:end] for start, end in itertools.pairwise(offsets)],
            type=pa.large_binary(),
        )
    return lines


def not_utf8(raw: bytes) -> str | None:
    """Why a line is not UTF-8 text (the first bad byte and where it is), or None."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return f"not UTF-8 text: byte 0x{raw[error.start]:02x} at position {error.start + 1}"
    return None


def utf8_lines(lines: pa.Table, resource: str, origin: str, rejects: list[Reject]) -> pa.Table:
    """A chunk of ``line_chunks`` with text lines: a chunk that is not valid UTF-8 (its
    lines are bytes) has each line that is not UTF-8 rejected and left blank, so line
    numbers stay consecutive; the rest are decoded."""
    if not pa.types.is_large_binary(lines.schema.field("line").type):
        return lines
    texts = []
    for number, raw in zip(
        lines["line_number"].to_pylist(), lines["line"].to_pylist(), strict=True
    ):
        reason = not_utf8(raw)
        if reason:
            rejects.append(Reject(resource, origin, number, reason, raw))
        texts.append("" if reason else raw.decode("utf-8"))
    return lines.set_column(1, "line", pa.array(texts, type=pa.large_string()))


def landing_root(location: str | Path) -> tuple[AbstractFileSystem, str]:
    return fsspec.core.url_to_fs(str(location))


def landing_exists(location: str | Path) -> bool:
    fs, root = landing_root(location)
    return bool(fs.isdir(root))


def join_location(location: str | Path, *parts: str) -> str:
    return posixpath.join(str(location).rstrip("/"), *parts)


def landing_files(location: str | Path, patterns: tuple[str, ...]) -> list[LandingFile]:
    """Files in a landing location, in name order so loads are deterministic."""
    fs, root = landing_root(location)
    if not fs.isdir(root):
        return []
    found: dict[str, dict[str, Any]] = {}
    for pattern in patterns:
        for path in fs.glob(posixpath.join(root.rstrip("/"), pattern)):
            info = fs.info(path)
            if info.get("type") == "file":
                found[path] = info
    return [
        LandingFile(
            fs=fs,
            path=path,
            size=int(info.get("size") or 0),
            # Local files have mtime; object stores an ETag or LastModified.
            modified=str(
                info.get("mtime")
                or info.get("ETag")
                or info.get("LastModified")
                or info.get("created")
                or ""
            ),
        )
        for path, info in sorted(found.items())
    ]


def new_files(files: list[LandingFile], counts: ResourceCounts) -> Iterator[LandingFile]:
    """Yield only files not loaded before (or changed since), remembering them in dlt state.

    State lives in the destination with the data, so a crash between load and commit
    leaves both as they were. Changed files are loaded again; merge keys make that safe.
    """
    seen: dict[str, str] = dlt.current.resource_state().setdefault("files", {})
    for landing_file in files:
        if seen.get(landing_file.path) == landing_file.fingerprint:
            counts.files_skipped += 1
            continue
        counts.files_read += 1
        yield landing_file
        seen[landing_file.path] = landing_file.fingerprint


def future_cutoff() -> datetime:
    """The latest believable event time: a later timestamp is quarantined as future."""
    return datetime.now(UTC) + FUTURE_TOLERANCE


def drop_orphans(execute: Callable[[str], Any], dataset: str) -> dict[str, int]:
    """Delete nested rows whose root row is gone; rows deleted per table.

    Nested tables hold ``_dlt_root_id`` and are named ``<root>__<path>`` beside a root
    with ``_dlt_id`` (dlt's layout, which the CRM builds itself). They are left behind
    by a changed CRM record (its new version has a new ``_dlt_id``) and by erasure.
    ``execute`` runs one SQL statement and returns its rows.
    """
    columns = execute(
        "select table_name, column_name from information_schema.columns "
        f"where table_schema = '{dataset}' and column_name in ('_dlt_id', '_dlt_root_id')"
    )
    roots = {table for table, column in columns if column == "_dlt_id"}
    deleted: dict[str, int] = {}
    for table in sorted({table for table, column in columns if column == "_dlt_root_id"}):
        root = table.split("__", 1)[0]
        if root != table and root in roots:
            rows = execute(
                f'delete from "{dataset}"."{table}" where _dlt_root_id not in '
                f'(select _dlt_id from "{dataset}"."{root}")'
            )
            if rows and rows[0][0]:
                deleted[f"{dataset}.{table}"] = int(rows[0][0])
    return deleted


def drop_duplicates(
    execute: Callable[[str], Any],
    dataset: str,
    table: str,
    key: str,
    within_load: tuple[str, ...] = (),
) -> int:
    """Keep one row per ``key`` in an append-only event table: the first loaded (lowest
    ``_dlt_load_id``); within one load, the first by ``within_load`` (the event tables'
    ``source_file`` and ``source_line``: the first line of the first file by name). Rows
    deleted.

    Events never change, so a re-delivered event adds nothing and the copy already in the
    warehouse stays. Loads do not keep rows in the order they were written (see
    ``ingestion.pipeline.LOAD_SETTINGS``), so the choice within a load is made from the
    rows' own columns, and the same files always keep the same copy; ``rowid`` only
    separates rows equal in all of them. Only keys that occur more than once are ranked,
    so a load without duplicates costs one grouping of the key column. The whole table is
    checked, so duplicates left by a run killed between its load and this step go on the
    next run.
    """
    relation = f'"{dataset}"."{table}"'
    order = ", ".join(["_dlt_load_id", *(f'"{column}"' for column in within_load), "rowid"])
    rows = execute(
        f"delete from {relation} where rowid in ("
        f"select rowid from (select rowid, row_number() over ("
        f'partition by "{key}" order by {order}) as copy from {relation} '
        f'where "{key}" in (select "{key}" from {relation} group by "{key}" '
        f"having count(*) > 1)) as ranked where copy > 1)"
    )
    return int(rows[0][0]) if rows and rows[0][0] else 0


Parser = Callable[[LandingFile, list[Reject]], Iterator[Any]]


class UnreadableFile(Exception):
    """A landing file whose format cannot be read (a corrupt Parquet file)."""


# What reading a landing file raises when it was cut off mid-write (EOFError), is corrupt
# (zlib.error, UnreadableFile) or is not compressed at all (BadGzipFile).
UNREADABLE = (EOFError, zlib.error, gzip.BadGzipFile, UnreadableFile)


def readable(parse: Parser, resource: str) -> Parser:
    """``parse`` for a file that may turn out unreadable part-way: the items read before
    the fault are kept, the fault is rejected for the file (no line), and the next files
    load. Without this, one truncated ``.gz`` stopped the whole source."""

    def parse_readable(path: LandingFile, rejects: list[Reject]) -> Iterator[Any]:
        try:
            yield from parse(path, rejects)
        except UNREADABLE as error:
            reason = f"unreadable file: {str(error) or type(error).__name__}"
            rejects.append(Reject(resource, path.name, None, reason, None))

    return parse_readable


Check = Callable[[dict[str, Any]], str | None]

# Parsed items a file's worker may hold before the loader takes them: bounds the memory of
# parsing ahead to a few chunks per worker, whatever the file size.
PARSE_AHEAD_ITEMS = 2
# Files handed to the workers per worker: the one being parsed and the next, which a
# worker starts as soon as it is free. Otherwise a worker done with a small file waits
# idle until the loader has taken every file before it (2 M web events: ~0.8 s of one
# idle core at the start). Bounds memory: a parsed file holds at most PARSE_AHEAD_ITEMS.
FILES_PER_WORKER = 2
_DONE = object()


def parse_files(
    files: Iterable[LandingFile], parse: Parser, workers: int = 1
) -> Iterator[tuple[LandingFile, Iterator[Any], list[Reject]]]:
    """``(file, items, rejects)`` for each file, in the files' order: ``items`` yields the
    file's parsed items, and ``rejects`` is complete once ``items`` is exhausted.

    With ``workers`` > 1 the next files are parsed in threads while the caller still
    consumes the current one (a worker takes the next file as soon as it is free); this
    pays off for parsers that spend their time outside the interpreter's lock (DuckDB,
    Arrow). Items still come file by file, in order, so a load is the same whatever the
    number of workers. A worker's error is raised here, and leaving early (an error in
    the caller) stops the workers.
    """
    if workers <= 1:
        for path in files:
            found: list[Reject] = []
            yield path, parse(path, found), found
        return

    stop = threading.Event()

    def put(out: queue.Queue[Any], entry: Any) -> bool:
        while not stop.is_set():
            try:
                out.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce(path: LandingFile, found: list[Reject], out: queue.Queue[Any]) -> None:
        try:
            for item in parse(path, found):
                if not put(out, item):
                    return
            put(out, _DONE)
        except BaseException as error:  # handed to the consumer, raised there
            put(out, error)

    def drain(out: queue.Queue[Any]) -> Iterator[Any]:
        while (entry := out.get()) is not _DONE:
            if isinstance(entry, BaseException):
                raise entry
            yield entry

    pending = iter(files)
    window: deque[tuple[LandingFile, queue.Queue[Any], list[Reject]]] = deque()
    with ThreadPoolExecutor(workers, thread_name_prefix="parse") as pool:
        try:
            while True:
                while len(window) < workers * FILES_PER_WORKER:
                    upcoming = next(pending, None)
                    if upcoming is None:
                        break
                    out: queue.Queue[Any] = queue.Queue(PARSE_AHEAD_ITEMS)
                    rejects: list[Reject] = []
                    pool.submit(produce, upcoming, rejects, out)
                    window.append((upcoming, out, rejects))
                if not window:
                    return
                path, out, rejects = window.popleft()
                yield path, drain(out), rejects
        finally:
            stop.set()


# The schema contract of every raw table: new tables and new columns are accepted (a new
# CRM property or registry field simply appears), but a column that changes its data type
# stops the load with dlt's DataValidationError instead of silently creating a variant
# column or dropping rows. Record-level problems are the quarantine's job, not the
# contract's. It is set on each source as a whole (``pipeline.run_source``), not in the
# hints each item carries: dlt validates an item's hints against the contract's union
# type by raising and catching an exception, whose traceback kept the item's frames,
# and with them the Arrow table, alive until the next garbage collection.
SCHEMA_CONTRACT: dict[str, str] = {"tables": "evolve", "columns": "evolve", "data_type": "freeze"}


def table_hints(
    table: str,
    primary_key: str,
    extra_columns: dict[str, Any] | None = None,
    append_only: bool = False,
) -> Any:
    """Hints for a table merged on ``primary_key`` (or, ``append_only``, appended and
    deduplicated on it after the load by ``drop_duplicates``), attached to items rather
    than to the resource so that the same resource can also send rows to the quarantine
    table."""
    return dlt.mark.make_hints(
        table_name=table,
        write_disposition="append" if append_only else "merge",
        primary_key=primary_key,
        columns={primary_key: {"data_type": "text", "nullable": False}} | (extra_columns or {}),
    )


def split_valid(
    items: list[Any], check: Check, resource: str, origin: str
) -> tuple[list[tuple[int, dict[str, Any]]], list[Reject]]:
    """The good items of one page of API records, as ``(position, item)`` pairs, and the
    rejects."""
    good, rejects = [], []
    for position, item in enumerate(items, start=1):
        reason = "not a JSON object" if not isinstance(item, dict) else check(item)
        if reason is None:
            good.append((position, item))
        else:
            rejects.append(Reject(resource, origin, position, reason, orjson.dumps(item)))
    return good, rejects


def landing_resource(
    *,
    source: str,
    table: str,
    folder: str | Path,
    patterns: tuple[str, ...],
    parse: Parser,
    primary_key: str,
    counters: LoadCounters,
    arrow: bool,
    extra_columns: dict[str, Any] | None = None,
    append_only: bool = False,
    parse_workers: int = 1,
    flat: bool = False,
) -> Any:
    """A dlt resource loading new landing files into ``table``, merged on ``primary_key``
    or, for events (``append_only``), appended and deduplicated on it after the load.

    Table hints travel with each item, so one resource feeds both its table and the
    append-only quarantine table. ``parse`` yields Arrow tables (high-volume sources) or
    lists of dicts (nested CRM-style objects dlt should unnest), and appends rejects;
    ``parse_workers`` files are parsed at a time (``parse_files``). ``flat``: the dicts
    are flat records whose columns ``extra_columns`` declares, handed to dlt as Arrow
    tables where they fit the declaration (``FlatTables``).
    """
    hints = table_hints(table, primary_key, extra_columns, append_only)
    declared = {primary_key: "text"} | {
        name: hint["data_type"] for name, hint in (extra_columns or {}).items()
    }

    def load_files() -> Iterator[Any]:
        counts = counters.of(table)
        yield from timed(counts, _load_files(counts))

    def _load_files(counts: ResourceCounts) -> Iterator[Any]:
        files = new_files(landing_files(folder, patterns), counts)
        tables = FlatTables(declared, primary_key) if flat else None
        for _path, items, rejects in parse_files(files, readable(parse, table), parse_workers):
            for item in items:
                counts.rows += item.num_rows if arrow else len(item)
                converted = tables.table(item) if tables is not None else None
                if converted is not None:
                    item = converted
                yield dlt.mark.with_hints(item, hints, create_table_variant=True)
            if rejects:
                counts.quarantined += len(rejects)
                rows = (
                    quarantine_arrow(source, rejects) if arrow else quarantine_rows(source, rejects)
                )
                yield quarantine_item(rows)

    return dlt.resource(load_files, name=table)


class FlatTables:
    """Batches of flat records whose columns are all declared (``{name: dlt data type}``)
    as Arrow tables, so dlt writes them straight to Parquet instead of through its
    row-by-row normalizer (the company registry: 128 k rows at M, 3 s of normalizing).

    ``table`` gives None for a batch that does not fit the declaration exactly (a key
    that is not declared, a value of another type, a date that is not ``YYYY-MM-DD``):
    such a batch goes to dlt as dicts, as before, and dlt's schema evolution and type
    coercion decide. Each row gets a ``_dlt_id`` as dlt's normalizer would give it (a
    random prefix per instance and a counter), so tables first loaded as dicts keep
    their non-null row key.
    """

    ROW_KEY = "_dlt_id"

    def __init__(self, columns: dict[str, str], key: str) -> None:
        self.columns = dict(columns)
        self.key = key
        self._names = frozenset(columns)
        self._prefix = secrets.token_hex(6)
        self._counter = 0
        self.schema = pa.schema(
            [
                pa.field(name, _ARROW_TYPES[data_type], nullable=name != key)
                for name, data_type in self.columns.items()
            ]
            + [pa.field(self.ROW_KEY, pa.string(), nullable=False)]
        )

    def table(self, rows: list[dict[str, Any]]) -> pa.Table | None:
        names = self._names
        if not rows or any(not names.issuperset(row) for row in rows):
            return None
        arrays = []
        for name, data_type in self.columns.items():
            values = _declared_values([row.get(name) for row in rows], data_type)
            if values is None or (name == self.key and None in values):
                return None
            arrays.append(pa.array(values, type=_ARROW_TYPES[data_type]))
        start = self._counter
        self._counter += len(rows)
        arrays.append(
            pa.array([f"{self._prefix}{n:x}" for n in range(start, self._counter)], pa.string())
        )
        return pa.Table.from_arrays(arrays, schema=self.schema)


def _declared_values(values: list[Any], data_type: str) -> list[Any] | None:
    """``values`` ready for an Arrow array of the dlt type, or None if one does not fit
    exactly (Arrow itself would truncate 1.5 to 1 in an integer column, or read True as
    1.0)."""
    kinds: tuple[type, ...]
    if data_type == "date":
        out = []
        for value in values:
            if value is None or type(value) is date:
                out.append(value)
            elif isinstance(value, str) and len(value) == 10:
                try:
                    out.append(date.fromisoformat(value))
                except ValueError:
                    return None
            else:
                return None
        return out
    kinds = {"text": (str,), "bigint": (int,), "double": (int, float), "bool": (bool,)}.get(
        data_type, ()
    )
    # Exact types: bool is a subclass of int, but not an integer here.
    if not kinds or any(value is not None and type(value) not in kinds for value in values):
        return None
    return values


OBJECT_BATCH = 5_000


def batched(rows: Iterator[Any], size: int = OBJECT_BATCH) -> Iterator[list[Any]]:
    """Group records into lists of ``size``: dlt handles lists far better than single rows."""
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class ColumnBatches:
    """Column lists that become Arrow tables of ``size`` rows, for the high-volume parsers.

    Append to ``columns[name]`` for every column, then ``yield from row_done()``: it holds
    a full table when one is ready. ``yield from rest()`` gives the last partial table.
    """

    def __init__(self, schema: pa.Schema, size: int) -> None:
        self.schema = schema
        self.size = size
        self.columns: dict[str, list[Any]] = {name: [] for name in schema.names}
        self.rows = 0

    def row_done(self) -> list[pa.Table]:
        self.rows += 1
        return [self._take()] if self.rows == self.size else []

    def rest(self) -> list[pa.Table]:
        return [self._take()] if self.rows else []

    def _take(self) -> pa.Table:
        table = pa.Table.from_pydict(self.columns, schema=self.schema)
        for values in self.columns.values():
            values.clear()
        self.rows = 0
        return table


def parse_json_objects(
    resource: str,
    check: Check,
    clean: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    numbered: bool = False,
) -> Parser:
    """A parser for JSON-lines files of objects, or JSON files holding a list of them
    (bare, or under ``results`` as HubSpot's list endpoints and exports return them).
    ``clean`` drops what must never be stored before anything else sees the record.
    ``numbered`` yields ``(line or position, object)`` pairs, for rejects found later."""

    def parse(path: LandingFile, rejects: list[Reject]) -> Iterator[list[Any]]:
        found = _objects(path, resource, rejects)
        checked = checked_objects(found, resource, path.name, check, clean, rejects)
        yield from batched(checked if numbered else (item for _, item in checked))

    return parse


def checked_objects(
    found: Iterable[tuple[int, Any, bytes | None]],
    resource: str,
    origin: str,
    check: Check,
    clean: Callable[[dict[str, Any]], dict[str, Any]] | None,
    rejects: list[Reject],
) -> Iterator[tuple[int, Any]]:
    """``(position, object)`` of the parsed ``(position, value, raw line)`` that are
    objects passing ``check`` (after ``clean``); the others go to ``rejects``."""
    for position, item, raw in found:
        if clean is not None and isinstance(item, dict):
            item = clean(item)
            raw = None
        reason = "not a JSON object" if not isinstance(item, dict) else check(item)
        if reason is not None:
            payload = raw if raw is not None else orjson.dumps(item)
            rejects.append(Reject(resource, origin, position, reason, payload))
            continue
        yield position, item


def type_problem(name: str, value: Any, data_type: str) -> str | None:
    """Why ``value`` is not of the dlt ``data_type`` (text, bigint, bool, date) a source
    stores it as, as a quarantine reason, or None (an absent value is fine). A value is
    never coerced: a list stored as text would read "['a']"."""
    if value is None:
        return None
    if data_type == "text":  # most values: answered first
        return None if isinstance(value, str) else f"wrong type: {name} must be text, got {value!r}"
    if data_type == "bigint" and (
        isinstance(value, bool) or not isinstance(value, int) or not -(2**63) <= value < 2**63
    ):
        # Beyond 64 bits it has no column type: it stopped the whole load.
        return f"wrong type: {name} must be an integer, got {value!r}"
    if data_type == "bool" and not isinstance(value, bool):
        return f"wrong type: {name} must be true or false, got {value!r}"
    if data_type == "date":
        try:
            date.fromisoformat(str(value))
        except ValueError:
            return f"wrong type: {name} must be a date (YYYY-MM-DD), got {value!r}"
    return None


def _readable(value: str) -> str:
    """CSV text read with ``surrogateescape`` as Unicode text, bytes that are not UTF-8
    as replacement characters."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _not_utf8_fields(header: list[str], values: list[str]) -> str | None:
    """Why a CSV record read with ``surrogateescape`` is not UTF-8 text, or None."""
    for column, value in itertools.zip_longest(header, values, fillvalue=""):
        for text, where in ((column, "the header"), (value, f"column {_readable(column)!r}")):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as error:
                byte = ord(text[error.start]) - 0xDC00
                return f"not UTF-8 text: byte 0x{byte:02x} in {where}"
    return None


def csv_records(
    path: LandingFile, resource: str, rejects: list[Reject]
) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line number, {header: value})`` for each record of a CSV file with a header row;
    the number is the record's first line (a quoted field may span lines). A record that
    is not UTF-8 (the first bad byte and its column) or has more or fewer fields than the
    header (a value with an unquoted comma shifts the fields after it; a row cut off has
    too few) goes to ``rejects``, and the rest of the file is read: a byte that is not
    UTF-8 fails its own record, not the file. Blank lines are skipped, and a byte order
    mark before the header too."""
    with path.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            return
        previous = reader.line_num
        for values in reader:
            number, previous = previous + 1, reader.line_num
            if not values:
                continue
            problem = _not_utf8_fields(header, values)
            if problem is None and len(values) != len(header):
                problem = f"{len(values)} fields where the header has {len(header)}"
            if problem:
                payload = orjson.dumps([_readable(v) for v in values])
                rejects.append(Reject(resource, path.name, number, problem, payload))
                continue
            yield number, dict(zip(header, values, strict=True))


def json_lines(
    lines: Iterable[tuple[int, bytes]], resource: str, origin: str, rejects: list[Reject]
) -> Iterator[tuple[int, Any, bytes | None]]:
    """``(line number, value, None)`` of numbered JSON lines; blank lines are skipped and
    malformed ones go to ``rejects`` with the parser's message."""
    for line_number, raw in lines:
        if line_number == 1:  # the start of the file
            raw = without_bom(raw)
        if not raw.strip():
            continue
        try:
            yield line_number, orjson.loads(raw), None
        except orjson.JSONDecodeError as error:
            reason = not_utf8(raw) or f"malformed JSON: {error}"
            rejects.append(Reject(resource, origin, line_number, reason, raw))


def _objects(
    path: LandingFile, resource: str, rejects: list[Reject]
) -> Iterator[tuple[int, Any, bytes | None]]:
    if path.suffix == ".json":
        try:
            parsed = orjson.loads(without_bom(path.read_bytes()))
        except orjson.JSONDecodeError as error:
            rejects.append(Reject(resource, path.name, None, f"malformed JSON file: {error}", None))
            return
        items = parsed.get("results", [parsed]) if isinstance(parsed, dict) else parsed
        for position, item in enumerate(items if isinstance(items, list) else [items], start=1):
            yield position, item, None
        return
    with path.open("rb") as handle:
        yield from json_lines(enumerate(handle, start=1), resource, path.name, rejects)
