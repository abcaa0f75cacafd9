"""Incremental builds give exactly what a full refresh gives on the same inputs.

Web events arrive in two parts split by time: the second part brings new visits of
known visitors, late events, and the identification of visitors who were anonymous in
the first part, so their earlier events move to a person (the hard case for sessions).
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

import leadhouse.build
from ingestion.pipeline import load_sources
from leadhouse.build import build, run_dbt
from leadhouse.config import DBT_PROJECT_DIR, DEFINITIONS_DIR, LEAD_DEFINITION_SEEDS, Warehouse
from leadhouse.generate.synthetic import generate
from leadhouse.runner import table_checksums
from tests.conftest import AS_OF, Built, definitions_with_pricing_points, query

CUTOFF = datetime(2026, 9, 15, tzinfo=UTC)


def _split_web_events(source: Path, part_one: Path, part_two: Path) -> None:
    """Write each web file's events before CUTOFF to part one, the rest to part two."""
    for path in sorted(source.glob("*.jsonl")):
        early, late = [], []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                stamp = json.loads(line).get("timestamp")
                when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            except (ValueError, AttributeError, TypeError):
                early.append(line)  # bad lines are quarantined with the first load
                continue
            (early if when < CUTOFF else late).append(line)
        (part_one / f"a-{path.name}").write_text("\n".join(early) + "\n", encoding="utf-8")
        (part_two / f"b-{path.name}").write_text("\n".join(late) + "\n", encoding="utf-8")


def _last_parse(warehouse: Warehouse) -> str:
    """What dbt's log says about parsing in its last command (each command's log begins
    with a line of '=')."""
    log = (warehouse.root / "dbt_logs" / "dbt.log").read_text(encoding="utf-8")
    last = log[log.rindex("=" * 30) :]
    return "\n".join(line for line in last.splitlines() if "parsing" in line.lower())


def _tables(database: Path) -> dict[str, str]:
    return table_checksums(database, ("intermediate", "marts"))


@pytest.fixture
def own_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A build compiles the lead definition into the dbt project's seeds, and the test
    below builds with a changed one. The seeds' lock would make the builds of the tests
    running beside it (`make test` runs two files at a time) wait for those builds; it
    builds from its own copy of the project instead."""
    project = tmp_path / "dbt_project"
    shutil.copytree(
        DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", ".user.yml")
    )
    monkeypatch.setattr(leadhouse.build, "DBT_PROJECT_DIR", project)
    monkeypatch.setattr(
        leadhouse.build,
        "LEAD_DEFINITION_SEEDS",
        project / LEAD_DEFINITION_SEEDS.relative_to(DBT_PROJECT_DIR),
    )
    return project


@pytest.mark.parametrize("people", [400])
def test_incremental_build_equals_full_refresh(
    tmp_path: Path, people: int, own_project: Path
) -> None:
    generated = tmp_path / "generated"
    generate(generated, people=people, seed=11, end=date(2026, 11, 1))
    data = tmp_path / "data"
    shutil.copytree(generated, data, ignore=shutil.ignore_patterns("web_analytics"))
    web = data / "web_analytics"
    later = tmp_path / "later"
    web.mkdir()
    later.mkdir()
    _split_web_events(generated / "web_analytics", web, later)

    warehouse = Warehouse(tmp_path / "incremental")
    warehouse.ensure()
    load_sources(data, warehouse.database, warehouse.pipelines_dir)
    build(warehouse, DEFINITIONS_DIR, as_of=AS_OF, quiet=True)
    anonymous_before = {
        event_id
        for (event_id,) in query(
            warehouse.database,
            "select event_id from intermediate.int_web_events_attributed where person_id is null",
        )
    }

    for path in later.iterdir():
        shutil.copy(path, web / path.name)
    load_sources(data, warehouse.database, warehouse.pipelines_dir, systems=("web_analytics",))
    build(warehouse, DEFINITIONS_DIR, as_of=AS_OF, quiet=True)

    identified_later = query(
        warehouse.database,
        "select event_id from intermediate.int_web_events_attributed where person_id is not null",
    )
    moved = anonymous_before & {event_id for (event_id,) in identified_later}
    assert moved, "the second part must identify visitors who were anonymous before"
    loaded = query(warehouse.database, "select count(*) from raw_web_analytics.events")[0][0]
    attributed = query(
        warehouse.database, "select count(*) from intermediate.int_web_events_attributed"
    )[0][0]
    assert attributed == loaded

    refreshed = Warehouse(tmp_path / "refreshed")
    shutil.copytree(warehouse.root, refreshed.root)
    build(refreshed, DEFINITIONS_DIR, as_of=AS_OF, quiet=True, full_refresh=True)

    incremental, full = _tables(warehouse.database), _tables(refreshed.database)
    assert "intermediate.int_web_events_attributed" in full
    # The scoring history is stored in parts by range of person id (a view unions them).
    parts = {name for name in full if name.startswith("intermediate.int_lead_engagement_history_")}
    assert len(parts) == 4, parts
    differing = sorted(name for name in full if incremental.get(name) != full[name])
    assert not differing, differing

    # Scoring history is incremental by person: an earlier as-of moment takes signals and
    # evaluation moments away (some people lose every scored signal) and a changed rule
    # changes the points of everyone it scores; both must reach the kept rows.
    history = "select distinct person_id from intermediate.int_lead_engagement_history"
    people_before = set(query(warehouse.database, history))
    definitions = definitions_with_pricing_points(tmp_path / "definitions", 12)
    earlier = "2026-09-20T00:00:00"
    build(warehouse, definitions, as_of=earlier, quiet=True)
    # A new as-of moment must not make dbt parse the whole project again (the CLI
    # passes it in the environment, not as a var): only the changed seeds are parsed.
    parsing = _last_parse(warehouse)
    assert "Partial parsing enabled: 0 files deleted, 0 files added" in parsing, parsing
    # The changed definition went into this test's copy of the project only.
    rules = "seeds/lead_definition/lead_engagement_rules.csv"
    assert ",page_view_pricing,12," in (own_project / rules).read_text(encoding="utf-8")
    assert ",page_view_pricing,10," in (DBT_PROJECT_DIR / rules).read_text(encoding="utf-8")
    people_after = set(query(warehouse.database, history))
    assert people_before - people_after, "some people must lose every scored signal"
    refreshed = Warehouse(tmp_path / "refreshed-earlier")
    shutil.copytree(warehouse.root, refreshed.root)
    build(refreshed, definitions, as_of=earlier, quiet=True, full_refresh=True)
    incremental, full = _tables(warehouse.database), _tables(refreshed.database)
    differing = sorted(name for name in full if incremental.get(name) != full[name])
    assert not differing, differing


def test_an_attribution_built_before_visit_starts_were_stored_is_rebuilt_whole(
    built: Built, tmp_path: Path
) -> None:
    """The web attribution gained `starts_session` (the signal stream counts visits by it).
    In a warehouse built before, the next incremental build must not keep the stored rows
    without it: the pre-hook empties the table, and that build recomputes every visitor,
    giving what a full build gives."""
    copy = Warehouse(tmp_path / "warehouse")
    shutil.copytree(built.warehouse.root, copy.root)
    attribution = "intermediate.int_web_events_attributed"
    expected = table_checksums(copy.database, ("intermediate",))[attribution]
    with duckdb.connect(str(copy.database)) as con:
        con.execute(
            f"create or replace table {attribution} as "
            f"select * exclude (starts_session) from {attribution}"
        )
    run_dbt(copy, ["run", "--select", "int_web_events_attributed"], as_of=AS_OF, quiet=True)
    assert table_checksums(copy.database, ("intermediate",))[attribution] == expected
    visits = query(
        copy.database,
        f"select count(*) filter (where starts_session), "
        f"count(distinct (visitor_key, session_number)) from {attribution}",
    )[0]
    assert visits[0] == visits[1] > 0
