"""The benchmark's own parts (no timings are asserted: performance is `make bench`'s job)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from bench import anchor, core, rawsql
from tests.conftest import Built, query


def test_raw_sql_script_rebuilds_every_model_exactly_as_dbt_did(built: Built, tmp_path: Path):
    """The 'dbt overhead' comparison is only fair if the script computes the same tables."""
    copy = tmp_path / "leadhouse.duckdb"
    shutil.copy(built.warehouse.database, copy)
    manifest = built.warehouse.dbt_target_dir / "manifest.json"
    counts = rawsql.run(manifest, copy)
    assert counts["models"] > 30 and counts["tests"] > 100

    marts = query(
        built.warehouse.database,
        "select table_schema, table_name from information_schema.tables "
        "where table_schema like '%marts' and table_type = 'BASE TABLE'",
    )
    assert len(marts) >= 10
    with duckdb.connect(str(copy)) as con:
        con.execute(f"attach '{built.warehouse.database}' as dbt_built (read_only)")
        for schema, table in marts:
            ours = f"leadhouse.{schema}.{table}"
            theirs = f"dbt_built.{schema}.{table}"
            rows = con.execute(f"select count(*) from {ours}").fetchone()[0]
            assert rows == con.execute(f"select count(*) from {theirs}").fetchone()[0], table
            differ = con.execute(
                f"select count(*) from (select * from {ours} except select * from {theirs})"
            ).fetchone()[0]
            assert differ == 0, f"{table}: {differ} rows differ from dbt's build"


def test_raw_sql_orders_models_by_dependency_and_keeps_views():
    def node(name: str, materialized: str, parents: list[str]) -> dict:
        return {
            "resource_type": "model",
            "config": {"materialized": materialized},
            "depends_on": {"nodes": parents},
            "database": "memory",
            "schema": "main",
            "relation_name": f"memory.main.{name}",
            "compiled_code": f"select 1 as n /* {name} */",
        }

    manifest = {
        "nodes": {
            "model.p.c": node("c", "view", ["model.p.b"]),
            "model.p.b": node("b", "table", ["model.p.a"]),
            "model.p.a": node("a", "incremental", ["seed.p.s"]),
            "model.p.e": node("e", "ephemeral", []),
            "test.p.t": {"resource_type": "test", "compiled_code": "select * from memory.main.c"},
        }
    }
    sql, models, tests = rawsql.script(manifest)
    assert (models, tests) == (3, 1)
    assert sql.index("/* a */") < sql.index("/* b */") < sql.index("/* c */")
    assert "create or replace view memory.main.c" in sql
    assert "/* e */" not in sql
    con = duckdb.connect()
    con.execute(sql)
    assert con.execute("select n from memory.main.c").fetchall() == [(1,)]


def test_anchor_loads_files_and_counts_the_ones_duckdb_refuses(tmp_path: Path):
    data = tmp_path / "data"
    (data / "web_analytics").mkdir(parents=True)
    (data / "email").mkdir()
    (data / "company_registry").mkdir()
    (data / "web_analytics" / "a.jsonl").write_text('{"x": 1}\n{"x": 2}\n{"x": \n')
    (data / "email" / "b.json").write_text('[{"e": 1}, {"e": 2}, {"e": 3}]')
    (data / "email" / "broken.json").write_text('[{"e": 1}, {"e"')
    (data / "company_registry" / "c.csv").write_text("nip,name\n1,a\n")
    (data / "company_registry" / "d.xml").write_text("<a/>")
    result = anchor.load(data, tmp_path / "a.duckdb")
    # DuckDB's ignore_errors turns the malformed line into a row of nulls (3 rows, not 2);
    # the XML file is one row of text; the truncated JSON array is refused.
    assert result == {"rows": 3 + 3 + 1 + 1, "files_refused": 1}


def test_increment_adds_one_percent_new_ids_and_keeps_loaded_files_unchanged(
    built: Built, tmp_path: Path
):
    landing = tmp_path / "landing"
    shutil.copytree(built.data, landing)
    before = {p: p.read_bytes() for p in landing.rglob("*") if p.is_file()}
    added = core.add_increment(landing)
    assert all(path.read_bytes() == body for path, body in before.items())
    web = (landing / "web_analytics" / "segment-events-9999-increment.jsonl").read_text()
    lines = web.splitlines()
    assert len(lines) == added["web_analytics"] > 100
    assert all('"messageId":"inc-' in line for line in lines)
    emails = json.loads((landing / "email" / "sendgrid-events-9999-increment.json").read_text())
    assert len(emails) == added["email"] > 10
    assert all(e["sg_event_id"].startswith("inc-") for e in emails)
    total = sum(
        1
        for path in (built.data / "web_analytics").glob("segment-events-0*.jsonl")
        for line in path.read_text().splitlines()
        if '"messageId":"' in line
    )
    assert abs(added["web_analytics"] - total / 100) <= 1


def test_warehouse_copy_can_keep_the_parse_left_at_its_path(tmp_path: Path):
    """Timed builds repeat at one path, from the same data, with the parse dbt left there."""
    source = tmp_path / "source"
    for name, body in (
        ("leadhouse.duckdb", "source data"),
        ("dbt_target/partial_parse.msgpack", "parsed at source"),
        ("published/leadhouse.duckdb", "published"),
        ("pipelines/state.json", "dlt state"),
    ):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(body)
    target = tmp_path / "target"
    copied = core._copy_warehouse(core.Warehouse(source), target)
    assert (target / "dbt_target" / "partial_parse.msgpack").read_text() == "parsed at source"
    assert not (target / "published").exists()

    (target / "dbt_target" / "partial_parse.msgpack").write_text("parsed at target")
    (target / "leadhouse.duckdb").write_text("changed by a timed build")
    (target / "stray.tmp").write_text("left by a timed build")
    kept = core._copy_warehouse(core.Warehouse(source), target, keep_parse=True)
    assert kept.root == copied.root == target.resolve()
    assert (target / "dbt_target" / "partial_parse.msgpack").read_text() == "parsed at target"
    assert (target / "leadhouse.duckdb").read_text() == "source data"
    assert (target / "pipelines" / "state.json").read_text() == "dlt state"
    assert not (target / "stray.tmp").exists()
    assert not (target / "published").exists()

    core._copy_warehouse(core.Warehouse(source), target)
    assert (target / "dbt_target" / "partial_parse.msgpack").read_text() == "parsed at source"


def test_measure_reports_time_rss_and_exit_code():
    # A parent holding 80 MB starts a child that holds 120 MB while the parent waits:
    # the largest process is the child, both together are more than either.
    child = "import time; y = bytearray(120_000_000); time.sleep(2)"
    command = [
        sys.executable,
        "-c",
        "import subprocess, sys; x = bytearray(80_000_000); "
        f"subprocess.run([sys.executable, '-c', {child!r}], check=True); raise SystemExit(3)",
    ]
    completed = subprocess.run(
        [sys.executable, "-m", "bench.measure", "--", *command],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(completed.stdout)
    assert result["exit_code"] == 3
    assert 115 < result["peak_rss_mb"] < 190
    assert result["peak_tree_rss_mb"] > 195
    assert result["seconds"] > 2


def test_report_puts_ratios_first_and_judges_goals(tmp_path: Path):
    step = {
        "median_s": 2.0,
        "min_s": 1.0,
        "max_s": 3.0,
        "peak_rss_mb": 100.0,
        "peak_tree_rss_mb": 130.0,
        "runs": 3,
    }
    report = {
        "scale": "S",
        "measured_at": "2026-11-23T00:00:00+00:00",
        "repeat": 3,
        "ratios": {
            key: core.judged(key, goal * 2 if direction == "max" else goal / 2)
            for key, (_, goal, direction) in core.GOALS.items()
        },
        "data": {
            "people": 10,
            "companies": 3,
            "web_events": 1_000_000,
            "email_events": 0,
            "increment": {},
        },
        "steps": {"ingest": step},
        "machine": core.machine(),
        "not_measured": [],
    }
    text = core.markdown(report, tmp_path)
    assert text.index("## Ratios") < text.index("## Steps") < text.index("Machine:")
    assert text.count("**no**") == len(core.GOALS)
    assert "| ingest | 2.00 | 1.00-3.00 | 100 | 130 |" in text
    assert "| tutorial-style run / Leadhouse incremental run | 2.50 | ≥ 5.0 | **no** |" in text
    assert core.judged("tutorial_vs_leadhouse", 6.0)["met"]
    assert core.judged("dbt_vs_raw_sql", 1.2)["met"]


def test_ratios_need_both_of_their_steps():
    def step(seconds: float, rss: float = 100.0) -> dict:
        return {"median_s": seconds, "min_s": seconds, "max_s": seconds, "peak_rss_mb": rss}

    runs_only = {"full_run": step(100, 2048), "incremental_run": step(20, 1024)}
    assert core.ratios_of(runs_only) == {"incremental_vs_full": 0.2, "peak_rss_gb": 2.0}
    # Where the step's processes were sampled together, their sum is what counts.
    runs_only["incremental_run"]["peak_tree_rss_mb"] = 3072
    assert core.ratios_of(runs_only)["peak_rss_gb"] == 3.0
    # The tutorial is compared with the incremental run; the DuckDB reader is not a
    # Leadhouse step, so it does not count for peak memory.
    assert core.ratios_of({"tutorial_run": step(50), "duckdb_reader": step(1, 4096)}) == {}


def test_bench_times_only_the_chosen_steps(tmp_path: Path):
    """A whole benchmark at L takes hours; one group of steps runs on its own."""
    report = core.run_bench("XS", 1, tmp_path / "work", tmp_path / "results", groups=("web",))
    assert set(report["steps"]) == {"ingest_web", "duckdb_reader_web"}
    assert set(report["ratios"]) == {"web_ingest_vs_duckdb_reader", "peak_rss_gb"}
    assert report["data"]["web_events"] > 1000
    text = (tmp_path / "results" / "bench-XS.md").read_text()
    assert "| web events ingest / DuckDB read_json (issue 3) |" in text
    assert "Not measured: ingest: ingest of every source vs DuckDB's readers (--steps)" in text
    assert "dbt" not in json.dumps(report["steps"])


def test_a_failed_step_still_reports_what_was_measured(tmp_path: Path, monkeypatch):
    """At L a failure hours in (a full disk) must not lose the steps already timed."""
    real = core.measure

    def failing(command: list[str], env: dict[str, str] | None = None) -> dict:
        if "bench.anchor" in command:
            raise RuntimeError("benchmark step failed (exit 5): anchor\nNo space left on device")
        return real(command, env)

    monkeypatch.setattr(core, "measure", failing)
    with pytest.raises(RuntimeError, match="steps measured before the failure"):
        core.run_bench("XS", 1, tmp_path / "work", tmp_path / "results", groups=("web",))
    report = json.loads((tmp_path / "results" / "bench-XS.json").read_text())
    assert set(report["steps"]) == {"ingest_web"}
    assert report["steps"]["ingest_web"]["median_s"] > 0
    assert report["failed"].startswith("benchmark step failed (exit 5): anchor")
    text = (tmp_path / "results" / "bench-XS.md").read_text()
    assert "**Stopped by a failed step:** benchmark step failed (exit 5): anchor" in text


def test_the_two_steps_of_a_ratio_run_in_turn(tmp_path: Path, monkeypatch):
    """ingest, reader, ingest, reader: the runs a ratio compares are taken moments apart,
    so a machine that slows down for a while moves both sides alike."""
    order: list[str] = []

    def recording(command: list[str], env: dict[str, str] | None = None) -> dict:
        order.append("reader" if "bench.anchor" in command else "ingest")
        return {"seconds": 2.0 if order[-1] == "ingest" else 1.0, "peak_rss_mb": 10.0}

    monkeypatch.setattr(core, "measure", recording)
    report = core.run_bench("XS", 3, tmp_path / "work", tmp_path / "results", groups=("web",))
    assert order == ["ingest", "reader"] * 3
    assert report["steps"]["ingest_web"]["runs"] == 3
    assert report["ratios"]["web_ingest_vs_duckdb_reader"]["value"] == 2.0


def test_run_breakdown_reads_the_run_record_and_every_dbt_node(built: Built, tmp_path: Path):
    """The runs' breakdown names each dbt node of a real build once, without test hashes,
    and takes the steps' seconds from the run's record."""
    breakdown = core.run_breakdown(built.warehouse)
    nodes = breakdown["nodes"]
    results = json.loads((built.warehouse.dbt_target_dir / "run_results.json").read_text())
    assert len(nodes) == len(results["results"])
    assert "model:dim_person" in nodes and "model:int_web_events_attributed" in nodes
    # A data test is named without the hash dbt appends to a generic test's id
    # (test.leadhouse.unique_dim_person_person_id.<hash>); a singular test has none.
    data_tests = [
        r["unique_id"].split(".") for r in results["results"] if r["unique_id"].startswith("test.")
    ]
    assert any(len(parts) == 4 for parts in data_tests)
    assert any(len(parts) == 3 for parts in data_tests)
    assert all(f"test:{parts[2]}" in nodes for parts in data_tests)
    assert not any(parts[3] in name for parts in data_tests if len(parts) == 4 for name in nodes)
    assert any(name.startswith("unit_test:") for name in nodes)
    assert breakdown["parts"] == {}  # built without `leadhouse run`: no run record

    warehouse = core.Warehouse(tmp_path / "w")
    warehouse.ensure()
    with duckdb.connect(str(warehouse.database)) as con:
        con.execute("create schema audit")
        con.execute("create table audit.runs (started_at timestamp, steps varchar)")
        older = [{"name": "ingest", "seconds": 9.0}]
        newer = [{"name": "ingest", "seconds": 1.5}, {"name": "build", "seconds": 2.25}]
        con.execute(
            "insert into audit.runs values ('2026-01-01', ?), ('2026-01-02', ?)",
            [json.dumps(older), json.dumps(newer)],
        )
    assert core.run_breakdown(warehouse) == {"parts": {"ingest": 1.5, "build": 2.25}, "nodes": {}}


def test_report_shows_where_the_runs_time_went_and_how_nodes_grow(tmp_path: Path):
    def run(seconds: float, nodes: dict[str, float]) -> dict:
        return core.summarise(
            [
                {"seconds": seconds, "peak_rss_mb": 10.0, "parts": {"build": s}, "nodes": nodes}
                for s in (seconds - 1, seconds + 1)
            ]
        )

    def report(scale: str, events: int, nodes: dict[str, float]) -> dict:
        return {
            "scale": scale,
            "measured_at": "2026-12-07T00:00:00+00:00",
            "repeat": 2,
            "ratios": {},
            "data": {
                "people": 1,
                "companies": 1,
                "web_events": events,
                "email_events": 0,
                "increment": {},
            },
            "steps": {"full_run": run(10, nodes), "incremental_run": run(4, {"model:a": 0.5})},
            "machine": core.machine(),
            "not_measured": [],
        }

    small = report("S", 1_000_000, {"model:a": 2.0, "model:b": 1.0})
    large = report("M", 10_000_000, {"model:a": 20.0, "model:b": 40.0})
    assert small["steps"]["full_run"]["parts"] == {"build": 10.0}  # the median of 9 and 11
    (tmp_path / "bench-S.json").write_text(json.dumps(small))
    (tmp_path / "bench-M.json").write_text(json.dumps(large))
    text = core.markdown(large, tmp_path)
    assert "| full_run | 10.0 |" in text and "| incremental_run | 4.0 |" in text
    # The slowest nodes of the full run first, with the incremental run's beside them.
    assert text.index("| model:b | 40.0 | - |") < text.index("| model:a | 20.0 | 0.5 |")
    # Per million events: a stays at 2, b doubles from S to M (it grows faster than the data).
    assert "| model:b | 1.00 | 4.00 |" in text and "| model:a | 2.00 | 2.00 |" in text
