"""`leadhouse run` as schedulers use it, tested on real subprocesses: killed at every step,
started twice at once, failing its checks, run twice on unchanged data."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from leadhouse.config import Warehouse
from leadhouse.generate.synthetic import generate
from leadhouse.runner import (
    EXIT_BAD_INPUT,
    EXIT_BUSY,
    EXIT_CHECKS_FAILED,
    PUBLISHED_SCHEMAS,
    published_database,
    table_checksums,
)
from tests.conftest import AS_OF, LEADHOUSE, query
from tests.processes import LINUX_ONLY, parent_of, wait_until_gone


def _command(data: Path, warehouse: Path, *extra: str) -> list[str]:
    return [
        LEADHOUSE,
        "run",
        "--data",
        str(data),
        "--warehouse",
        str(warehouse),
        "--as-of",
        AS_OF,
        "--log-format",
        "json",
        *extra,
    ]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("LEADHOUSE_HOLD_AT", None)
    env.update(extra)
    return env


def _run(data: Path, warehouse: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _command(data, warehouse),
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def _start(data: Path, warehouse: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        _command(data, warehouse),
        env=_env(LEADHOUSE_HOLD_SECONDS="600", **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # its own process group: dbt dies with it, as under cron
    )


def _wait_for(process: subprocess.Popen[str], predicate, timeout: float = 300) -> dict:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    for line in process.stdout:
        event = json.loads(line)
        if predicate(event):
            return event
        assert time.monotonic() < deadline, "timed out waiting for the run"
    raise AssertionError(f"run ended without reaching the point (exit {process.wait()})")


def _kill(process: subprocess.Popen[str]) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)


def _raw_counts(database: Path) -> dict[str, int]:
    tables = query(
        database,
        "select schema_name || '.' || table_name from duckdb_tables() "
        "where schema_name like 'raw_%' and schema_name not like '%_staging' "
        "and table_name not like '_dlt_%'",
    )
    return {t: query(database, f"select count(*) from {t}")[0][0] for (t,) in tables}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "data"
    generate(out, people=200, seed=31, end=date(2026, 11, 1))
    return out


@pytest.fixture(scope="module")
def baseline(data: Path, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """An uninterrupted run, then a second one on unchanged inputs."""
    warehouse = Warehouse(tmp_path_factory.mktemp("baseline"))
    first = _run(data, warehouse.root, SOURCES__CRM__ACCESS_TOKEN="supersecret-token-123")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    events = _events(first.stdout)
    assert {e["event"] for e in events} >= {"run_started", "step_started", "published"}
    assert [e["step"] for e in events if e["event"] == "step_finished"] == [
        "ingest",
        "build",
        "check",
        "publish",
    ]
    assert len({e["run_id"] for e in events}) == 1
    assert "supersecret-token-123" not in first.stdout + first.stderr
    manifest = json.loads((published_database(warehouse).parent / "published.json").read_text())
    second = _run(data, warehouse.root)
    assert second.returncode == 0, second.stdout[-3000:]
    again = json.loads((published_database(warehouse).parent / "published.json").read_text())
    # Idempotent: the same inputs give byte-identical marts (checksums per table).
    assert again["tables"] == manifest["tables"] and again["version"] == manifest["version"]
    assert again["run_id"] != manifest["run_id"]
    return warehouse


def test_runs_are_logged(baseline: Warehouse) -> None:
    runs = query(
        baseline.database,
        "select status, exit_code, steps, rows_loaded, checks, lead_definition, "
        "published_version from audit.runs order by started_at",
    )
    assert [r[0] for r in runs] == ["succeeded", "succeeded"]
    _status, code, steps, loaded, checks, definition, version = runs[0]
    assert code == 0 and version and definition.startswith("default v")
    assert [s["name"] for s in json.loads(steps)] == ["ingest", "build", "check", "publish"]
    assert json.loads(loaded)["raw_crm"] > 0
    assert json.loads(checks) and all(json.loads(checks).values())
    listing = subprocess.run(
        [LEADHOUSE, "runs", "--warehouse", str(baseline.root)],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = listing.stdout.splitlines()
    assert len(lines) == 2
    assert all(" succeeded " in line and "publish succeeded" in line for line in lines)


def test_the_published_file_holds_what_its_readers_use(baseline: Warehouse) -> None:
    """BI tools and auditors read the marts, the BI views, the reference data and the audit
    records; raw, staging and intermediate data stay in the working database."""
    working, published = baseline.database, published_database(baseline)
    objects = """
        select 'table', schema_name, table_name, sql from duckdb_tables() where not internal
        union all
        select 'view', schema_name, view_name, sql from duckdb_views() where not internal
    """
    shown = set(query(published, objects))
    held = set(query(working, objects))
    assert {schema for _, schema, _, _ in shown} == set(PUBLISHED_SCHEMAS)
    # Every table and view of those schemas, defined as in the working database.
    assert shown == {o for o in held if o[1] in PUBLISHED_SCHEMAS}
    assert any(schema.startswith("raw_") for _, schema, _, _ in held)
    # With every row: the same content per table, and every BI view reads the same rows.
    # The run log alone moves on: the run that published finishes after its copy.
    copied, current = (table_checksums(db, PUBLISHED_SCHEMAS) for db in (published, working))
    assert copied.pop("audit.runs") != current.pop("audit.runs")
    assert copied == current
    runs = "select run_id from audit.runs order by run_id"
    assert query(published, runs) == query(working, runs)
    for kind, schema, name, _ in shown:
        if kind == "view":
            count = f'select count(*) from "{schema}"."{name}"'
            assert query(published, count) == query(working, count)
    assert query(published, "select count(*) from bi.dim_person")[0][0] > 0
    # A fraction of the working file (the bundled data's raw events stay behind).
    assert published.stat().st_size < working.stat().st_size / 2


def test_killed_at_every_step_the_next_run_repairs_everything(
    data: Path, baseline: Warehouse, tmp_path: Path
) -> None:
    warehouse = Warehouse(tmp_path / "warehouse")
    for point in ("ingest", "build", "check", "publish"):
        process = _start(data, warehouse.root, LEADHOUSE_HOLD_AT=point)
        if point == "build":
            # dbt runs as a child process: kill the group while it is building.
            _wait_for(process, lambda e: e.get("event") == "step_started" and e["step"] == "build")
            time.sleep(4)
        else:
            _wait_for(process, lambda e, p=point: e.get("event") == "hold" and e["point"] == p)
        _kill(process)
        if point == "publish":
            assert not published_database(warehouse).exists()  # nothing half-published
    final = _run(data, warehouse.root)
    assert final.returncode == 0, final.stdout[-3000:]
    assert any(e["event"] == "recovered" for e in _events(final.stdout))
    statuses = [s for (s,) in query(warehouse.database, "select status from audit.runs")]
    assert sorted(statuses) == ["killed"] * 4 + ["succeeded"]
    # Nothing lost, nothing duplicated: the same raw rows and marts as the clean run.
    assert _raw_counts(warehouse.database) == _raw_counts(baseline.database)
    assert table_checksums(warehouse.database) == table_checksums(baseline.database)
    assert table_checksums(published_database(warehouse)) == table_checksums(
        published_database(baseline)
    )
    assert not list(published_database(warehouse).parent.glob("*.tmp*"))


@LINUX_ONLY
def test_the_ingest_runs_in_a_child_process_that_dies_with_the_run(
    data: Path, tmp_path: Path
) -> None:
    """The ingest's leftover memory goes with its process before dbt starts (0.55 GB at
    L); a scheduler that kills only the run's process must not leave it loading."""
    process = _start(data, tmp_path / "warehouse", LEADHOUSE_HOLD_AT="ingest")
    try:
        hold = _wait_for(process, lambda e: e.get("event") == "hold")
        ingest = hold["pid"]
        assert ingest != process.pid
        assert parent_of(ingest) == process.pid
        os.kill(process.pid, signal.SIGKILL)  # the run's process only, as a kill -9
        process.wait(timeout=60)
        wait_until_gone(ingest, "the ingest")
    finally:
        with contextlib.suppress(ProcessLookupError):
            _kill(process)


def test_an_ingest_failure_in_its_child_process_is_the_runs_exit_code(tmp_path: Path) -> None:
    """The ingest runs in another process: its error, exit code and log lines (with the
    run's id, as JSON) still reach the run and its run log."""
    empty = tmp_path / "landing"
    empty.mkdir()
    warehouse = tmp_path / "warehouse"
    failed = _run(empty, warehouse)
    assert failed.returncode == EXIT_BAD_INPUT, failed.stdout[-2000:] + failed.stderr[-2000:]
    events = _events(failed.stdout)
    run_id = events[0]["run_id"]
    error = next(e for e in events if e.get("event") == "error")
    assert error["run_id"] == run_id
    assert error["message"] == f"no source folders found under {empty}"
    assert [e["event"] for e in events[-2:]] == ["step_failed", "run_finished"]
    status = query(Warehouse(warehouse).database, "select status, exit_code from audit.runs")
    assert status == [("bad_input", EXIT_BAD_INPUT)]


def test_a_second_run_while_one_is_active_exits_at_once(data: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    first = _start(data, warehouse, LEADHOUSE_HOLD_AT="ingest")
    try:
        _wait_for(first, lambda e: e.get("event") == "hold")
        started = time.monotonic()
        second = _run(data, warehouse)
        assert second.returncode == EXIT_BUSY
        assert time.monotonic() - started < 30
        message = " ".join(e.get("message", "") for e in _events(second.stdout))
        assert "another Leadhouse run is active" in message
    finally:
        _kill(first)


def test_failing_checks_keep_the_previous_publish(
    data: Path, baseline: Warehouse, tmp_path: Path
) -> None:
    warehouse = Warehouse(tmp_path / "warehouse")
    shutil.copytree(baseline.root, warehouse.root)
    before = published_database(warehouse).read_bytes()
    strict = tmp_path / "strict.yml"
    strict.write_text(
        (Path("expectations") / "thresholds.yml")
        .read_text(encoding="utf-8")
        .replace("account: 0.9", "account: 1.01"),
        encoding="utf-8",
    )
    failed = _run(data, warehouse.root, LEADHOUSE_GX_THRESHOLDS=str(strict))
    assert failed.returncode == EXIT_CHECKS_FAILED, failed.stdout[-2000:]
    events = _events(failed.stdout)
    assert any(e["event"] == "step_failed" and e["step"] == "check" for e in events)
    assert not any(e["event"] == "published" for e in events)
    assert published_database(warehouse).read_bytes() == before  # untouched and readable
    assert query(published_database(warehouse), "select count(*) from marts.dim_person")[0][0]
    last = query(
        warehouse.database, "select status, exit_code from audit.runs order by started_at desc"
    )[0]
    assert last == ("checks_failed", EXIT_CHECKS_FAILED)


def test_secrets_are_redacted_from_messages_and_json_logs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The run above never prints its token; this shows redaction would catch it if an
    error message carried it (dlt and HTTP errors can include headers)."""
    from leadhouse.runner import Output, redact

    monkeypatch.setenv("SOURCES__CRM__ACCESS_TOKEN", "pat-eu1-0123456789")
    message = "401 from https://api.hubapi.com with token pat-eu1-0123456789"
    assert "pat-eu1-0123456789" not in redact(message)
    assert redact("Authorization: Bearer abcdef0123456789xyz") == "Authorization: Bearer ***"
    Output("json").event("step_failed", error=message)
    Output("human").say(message)
    printed = capsys.readouterr().out
    assert "pat-eu1-0123456789" not in printed and printed.count("***") == 2
    assert json.loads(printed.splitlines()[0])["event"] == "step_failed"


def test_table_checksums_depend_on_rows_not_their_order(tmp_path: Path) -> None:
    """The same rows written in another order give the same checksum; one changed value or
    one duplicated row gives another (sums stay exact integers, never doubles)."""

    def checksum(name: str, order: str, label: str = "'row ' || i", extra: str = "") -> str:
        path = tmp_path / f"{name}.duckdb"
        with duckdb.connect(str(path)) as con:
            con.execute("create schema marts")
            con.execute(
                f"create table marts.t as select * from (select i, {label} as label, "
                f"i / 7.0 as share from range(20000) as r(i) {extra}) order by {order}"
            )
        return table_checksums(path)["marts.t"]

    ascending = checksum("ascending", "i")
    assert ascending.startswith("20000:")
    assert checksum("shuffled", "hash(i)") == ascending
    changed = "case when i = 123 then 'changed' else 'row ' || i end"
    assert checksum("changed", "i", label=changed) != ascending
    duplicated = checksum("duplicated", "i", extra="union all select 5, 'row 5', 5 / 7.0")
    assert duplicated.startswith("20001:") and duplicated != ascending
