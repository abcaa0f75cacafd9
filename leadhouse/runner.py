"""Scheduled runs: one run at a time, every step logged, results published atomically.

``leadhouse run`` works on the warehouse's working database (``<warehouse>/leadhouse.duckdb``)
and, only when the blocking checks pass, publishes what BI tools and auditors read of it
(the marts, the BI views, reference data and the audit records) to
``<warehouse>/published/leadhouse.duckdb``: the copy is written next
to it and swapped in with an atomic rename, so readers see either the previous version or
the new one, never a partial file, and are never blocked by the writer's lock.

A lock file (``flock``) keeps a second run from starting while one is active; the operating
system releases it when a run dies, even by SIGKILL. A killed run leaves its row in
``audit.runs`` marked ``running``; the next run marks it ``killed`` and repairs what it left:
dlt finishes or redoes pending loads, dbt rebuilds, a half-written publish copy is removed.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from leadhouse.config import Warehouse, connect

EXIT_OK = 0
EXIT_CHECKS_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_BUILD_FAILED = 3
EXIT_SOURCE_FAILED = 4
EXIT_INTERNAL_ERROR = 5
EXIT_BUSY = 6
STATUS_BY_EXIT = {
    EXIT_OK: "succeeded",
    EXIT_CHECKS_FAILED: "checks_failed",
    EXIT_BAD_INPUT: "bad_input",
    EXIT_BUILD_FAILED: "build_failed",
    EXIT_SOURCE_FAILED: "source_failed",
    EXIT_INTERNAL_ERROR: "internal_error",
}
HOLD_ENV = "LEADHOUSE_HOLD_AT"  # test and debugging hook: pause at a named point
_SECRET_NAMES = re.compile(r"TOKEN|SECRET|PASSWORD|API_KEY|ACCESS_KEY|CREDENTIALS", re.I)


def redact(text: str) -> str:
    """Remove the values of secret-looking environment variables from a message."""
    for name, value in os.environ.items():
        if _SECRET_NAMES.search(name) and value and len(value) >= 6:
            text = text.replace(value, "***")
    return re.sub(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}", r"\1***", text)


def hold_point(name: str) -> None:
    """If $LEADHOUSE_HOLD_AT names this point, announce it and wait (to be killed)."""
    if os.environ.get(HOLD_ENV) == name:
        print(json.dumps({"event": "hold", "point": name, "pid": os.getpid()}), flush=True)
        time.sleep(float(os.environ.get("LEADHOUSE_HOLD_SECONDS", "300")))


class RunBusy(RuntimeError):
    pass


class Output:
    """Human lines on a terminal, or JSON lines (one object per event) for log shippers."""

    def __init__(self, log_format: str = "human", stream: TextIO | None = None) -> None:
        self.json = log_format == "json"
        self._stream = stream
        self.run_id: str | None = None

    @property
    def stream(self) -> TextIO:
        # Looked up on every write: test runners and daemons swap sys.stdout.
        return self._stream or sys.stdout

    def say(self, message: str) -> None:
        if self.json:
            self.event("detail", message=message)
        else:
            print(redact(message), file=self.stream, flush=True)

    def event(self, event: str, **fields: Any) -> None:
        if not self.json:
            return
        record = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "run_id": self.run_id,
            "event": event,
            **fields,
        }
        print(redact(json.dumps(record, default=str)), file=self.stream, flush=True)


OUTPUT = Output()


@dataclass
class StepResult:
    name: str
    status: str = "pending"
    seconds: float = 0.0
    detail: str = ""


@dataclass
class RunRecord:
    run_id: str
    started_at: datetime
    steps: list[StepResult] = field(default_factory=list)
    rows_loaded: dict[str, int] = field(default_factory=dict)
    rows_quarantined: dict[str, int] = field(default_factory=dict)
    checks: dict[str, bool] = field(default_factory=dict)
    definition: str = ""
    published_version: str | None = None
    exit_code: int | None = None


@contextmanager
def run_lock(warehouse: Warehouse) -> Iterator[None]:
    warehouse.ensure()
    path = warehouse.root / ".leadhouse.lock"
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as error:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise RunBusy(f"another Leadhouse run is active on {warehouse.root} ({holder})") from error
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {datetime.now(UTC).isoformat(timespec='seconds')}")
        handle.flush()
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


RUNS_DDL = """
create table if not exists audit.runs (
    run_id varchar primary key, started_at timestamp, finished_at timestamp, status varchar,
    exit_code integer, steps varchar, rows_loaded varchar, rows_quarantined varchar,
    checks varchar, lead_definition varchar, published_version varchar
)
"""


def _save(warehouse: Warehouse, record: RunRecord, status: str) -> None:
    finished = None if status == "running" else datetime.now(UTC).replace(tzinfo=None)
    with connect(warehouse.database) as con:
        con.execute("create schema if not exists audit")
        con.execute(RUNS_DDL)
        con.execute(
            "insert or replace into audit.runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                record.run_id,
                record.started_at,
                finished,
                status,
                record.exit_code,
                json.dumps([s.__dict__ for s in record.steps]),
                json.dumps(record.rows_loaded),
                json.dumps(record.rows_quarantined),
                json.dumps(record.checks),
                record.definition,
                record.published_version,
            ],
        )


def _mark_killed(warehouse: Warehouse) -> int:
    if not warehouse.database.exists():
        return 0
    with connect(warehouse.database) as con:
        con.execute("create schema if not exists audit")
        con.execute(RUNS_DDL)
        stale = con.execute("select count(*) from audit.runs where status = 'running'").fetchone()
        con.execute("update audit.runs set status = 'killed' where status = 'running'")
    return int(stale[0]) if stale else 0


class StepFailed(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class Run:
    """One scheduled run: lock, run log, steps with timings and exit codes."""

    def __init__(self, warehouse: Warehouse, output: Output) -> None:
        self.warehouse = warehouse
        self.output = output
        self.record = RunRecord(
            run_id=datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8],
            started_at=datetime.now(UTC).replace(tzinfo=None),
        )
        output.run_id = self.record.run_id

    def start(self) -> None:
        killed = _mark_killed(self.warehouse)
        if killed:
            self.output.say(f"Previous run(s) killed before finishing: {killed}; repairing.")
            self.output.event("recovered", killed_runs=killed)
        _cleanup_publish_leftovers(self.warehouse)
        _save(self.warehouse, self.record, "running")
        self.output.event("run_started", warehouse=str(self.warehouse.root))

    def step(self, name: str, action: Callable[[], None]) -> None:
        result = StepResult(name)
        self.record.steps.append(result)
        self.output.event("step_started", step=name)
        started = time.perf_counter()
        try:
            action()
        except StepFailed as error:
            result.status, result.detail = "failed", redact(str(error))
            result.seconds = round(time.perf_counter() - started, 2)
            self.output.event("step_failed", step=name, exit_code=error.code, error=str(error))
            raise
        result.status = "succeeded"
        result.seconds = round(time.perf_counter() - started, 2)
        self.output.event("step_finished", step=name, seconds=result.seconds)
        _save(self.warehouse, self.record, "running")

    def finish(self, exit_code: int) -> None:
        self.record.exit_code = exit_code
        with connect(self.warehouse.database, read_only=True) as con:
            present = con.execute(
                "select 1 from duckdb_tables() "
                "where schema_name = 'audit' and table_name = 'check_results'"
            ).fetchone()
            if present:
                self.record.checks = dict(
                    con.execute(
                        "select suite, bool_and(success) from audit.check_results "
                        "where run_id = ? group by suite order by suite",
                        [self.record.run_id],
                    ).fetchall()
                )
        status = STATUS_BY_EXIT.get(exit_code, "failed")
        _save(self.warehouse, self.record, status)
        self.output.event("run_finished", status=status, exit_code=exit_code)


def internal_error(error: BaseException) -> StepFailed:
    detail = "".join(traceback.format_exception_only(type(error), error)).strip()
    return StepFailed(EXIT_INTERNAL_ERROR, f"internal error: {redact(detail)}")


# -- publish ---------------------------------------------------------------------------------
def published_database(warehouse: Warehouse) -> Path:
    return warehouse.root / "published" / "leadhouse.duckdb"


def _cleanup_publish_leftovers(warehouse: Warehouse) -> None:
    folder = published_database(warehouse).parent
    if folder.exists():
        # The half-written copy and the write-ahead log DuckDB may have left beside it.
        for leftover in folder.glob(".leadhouse.duckdb.*.tmp*"):
            leftover.unlink(missing_ok=True)


# What the readers of the published file use: the marts and the BI views over them, the
# reference data and lead definition they were scored with, and the run and check records
# and the erasure log (auditors). Raw, staging and intermediate data stay in the working
# database: the published file is about a tenth of its size, and nobody reading it gets
# the raw records. The erasure's suppression hashes serve the loads alone.
PUBLISHED_SCHEMAS = ("marts", "bi", "reference", "audit")
UNPUBLISHED_TABLES = frozenset({("audit", "suppressed_identifiers")})
_COPY = "leadhouse_published_copy"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def write_published_copy(source: Path, target: Path) -> None:
    """Write to ``target`` (a new file) the tables and views of ``PUBLISHED_SCHEMAS`` in
    ``source``, each table with its own definition (types, keys) and every row, in the
    order of the source; views keep their SQL, which names the source's catalog, the
    same name the published file has."""
    with connect(source) as con:
        catalog = con.execute("select current_database()").fetchone()[0]  # type: ignore[index]
        schemas = list(PUBLISHED_SCHEMAS)
        placeholders = ", ".join("?" for _ in schemas)
        tables = [
            (schema, name, sql)
            for schema, name, sql in con.execute(
                "select schema_name, table_name, sql from duckdb_tables() "
                f"where database_name = ? and schema_name in ({placeholders}) order by table_oid",
                [catalog, *schemas],
            ).fetchall()
            if (schema, name) not in UNPUBLISHED_TABLES
        ]
        views = con.execute(
            "select schema_name, sql from duckdb_views() "
            f"where database_name = ? and schema_name in ({placeholders}) and not internal "
            "order by view_oid",  # creation order: a view comes after what it reads
            [catalog, *schemas],
        ).fetchall()
        path = str(target).replace("'", "''")
        con.execute(f"attach '{path}' as {_COPY}")
        try:
            con.execute(f"use {_COPY}")
            for schema in dict.fromkeys(s for s, *_ in [*tables, *views]):
                con.execute(f"create schema if not exists {_quoted(schema)}")
            for schema, name, sql in tables:
                con.execute(sql)
                con.execute(
                    f"insert into {_COPY}.{_quoted(schema)}.{_quoted(name)} "
                    f"select * from {_quoted(catalog)}.{_quoted(schema)}.{_quoted(name)}"
                )
            for _, sql in views:
                con.execute(sql)
            con.execute(f"checkpoint {_COPY}")
        finally:
            con.execute(f"use {_quoted(catalog)}")
            con.execute(f"detach {_COPY}")


def table_checksums(database: Path, schemas: tuple[str, ...] = ("marts",)) -> dict[str, str]:
    """Content checksum per table, to compare builds: the row count and the sum of DuckDB's
    64-bit hash of each row, so it depends on the rows, duplicates included, and not on
    their order, without sorting or rendering rows as text. The hash is DuckDB's own: equal
    within a DuckDB version, so an upgrade may change every checksum once."""
    checksums = {}
    with connect(database, read_only=True) as con:
        placeholders = ", ".join("?" for _ in schemas)
        tables = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            f"where table_type = 'BASE TABLE' and table_schema in ({placeholders}) order by 1",
            list(schemas),
        ).fetchall()
        for (table,) in tables:
            # Summed as signed 128-bit integers: exact, whatever the order rows come in.
            row = con.execute(
                f"select count(*), coalesce(sum(cast(hash(t) as hugeint)), 0) from {table} as t"
            ).fetchone()
            checksums[table] = f"{row[0]}:{row[1]:032x}" if row else ""
    return checksums


def publish(warehouse: Warehouse, run_id: str) -> str:
    """Write what readers use of the checked working database (``PUBLISHED_SCHEMAS``) to a
    new file and swap it in for the published one, atomically."""
    target = published_database(warehouse)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.parent / f".leadhouse.duckdb.{run_id}.tmp"
    partial.unlink(missing_ok=True)
    write_published_copy(warehouse.database, partial)
    with partial.open("rb+") as copy:
        os.fsync(copy.fileno())  # DuckDB syncs at its checkpoint; this makes sure of it
    checksums = table_checksums(partial)
    version = hashlib.sha256(json.dumps(checksums, sort_keys=True).encode()).hexdigest()[:16]
    hold_point("publish")
    os.replace(partial, target)
    manifest = {
        "run_id": run_id,
        "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "version": version,
        "tables": checksums,
    }
    manifest_path = target.with_name("published.json")
    staged = manifest_path.with_suffix(".json.tmp")
    staged.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    os.replace(staged, manifest_path)
    return version


def list_runs(warehouse: Warehouse, limit: int = 20) -> list[dict[str, Any]]:
    if not warehouse.database.exists():
        return []
    with connect(warehouse.database, read_only=True) as con:
        present = con.execute(
            "select 1 from duckdb_tables() where schema_name = 'audit' and table_name = 'runs'"
        ).fetchone()
        if not present:
            return []
        cursor = con.execute("select * from audit.runs order by started_at desc limit ?", [limit])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
