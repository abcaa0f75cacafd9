"""The lead marts on generated data: consistent with each other and with the truth."""

from __future__ import annotations

import contextlib
import itertools
import json
import shutil
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from leadhouse.build import AS_OF_ENV, BuildFailed, run_dbt
from leadhouse.config import Warehouse
from tests.conftest import AS_OF, Built, query


def _rows(built: Built, sql: str) -> list[tuple]:
    return query(built.warehouse.database, sql)


def test_stage_history_ends_in_the_current_stage_without_gaps(built: Built) -> None:
    current = dict(_rows(built, "select person_id, stage from marts.dim_person"))
    history: dict[str, list[tuple]] = defaultdict(list)
    for row in _rows(
        built,
        """
        select person_id, stage_sequence, stage, previous_stage, entered_at, exited_at, is_current
        from marts.fct_lead_stage_transition order by person_id, stage_sequence
        """,
    ):
        history[row[0]].append(row[1:])
    assert set(history) == set(current)
    for person, rows in history.items():
        assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
        assert rows[-1][1] == current[person] and rows[-1][5] and rows[-1][4] is None
        for before, after in itertools.pairwise(rows):
            assert before[4] == after[3], person  # exited when the next stage was entered
            assert before[3] <= after[3], person
            assert after[2] == before[1] != after[1], person  # no repeated stage in a row
            assert not before[5]


def test_stage_history_tells_the_funnel_story(built: Built) -> None:
    paths = Counter(
        (previous, stage)
        for previous, stage in _rows(
            built, "select previous_stage, stage from marts.fct_lead_stage_transition"
        )
    )
    assert paths[("lead", "mql")] > 0
    assert paths[("mql", "recycled")] > 0  # score decayed
    assert paths[("opportunity", "customer")] > 0
    assert paths[("anonymous", "lead")] > 0  # visited before they were known
    # Sales stages are never left because a score moved.
    score_moves = _rows(
        built,
        """
        select count(*) from marts.fct_lead_stage_transition
        where event_source = 'lead_score' and previous_stage in ('sal', 'sql', 'opportunity')
        """,
    )
    assert score_moves == [(0,)]
    # Every MQL in dim_person has an MQL entry in the history, dated no later than as-of.
    missing = _rows(
        built,
        f"""
        select count(*) from marts.dim_person
        where stage = 'mql' and (first_mql_at is null or first_mql_at > timestamp '{AS_OF}')
        """,
    )
    assert missing == [(0,)]


def test_contributions_add_up_to_the_scores(built: Built) -> None:
    mismatches = _rows(
        built,
        """
        with sums as (
            select
                person_id,
                sum(points) filter (where rule_kind = 'fit') as fit,
                sum(points) filter (where rule_kind = 'engagement') as engagement
            from marts.fct_lead_score_contribution
            group by person_id
        )
        select count(*)
        from marts.dim_person p
        left join sums using (person_id)
        where abs(coalesce(sums.fit, 0) - p.fit_score) > 0.1
            or abs(coalesce(sums.engagement, 0) - p.engagement_score) > 0.5
        """,
    )
    assert mismatches == [(0,)]
    sample = _rows(
        built,
        """
        select explanation from marts.fct_lead_score_contribution
        where rule_id = 'page_view_pricing' limit 1
        """,
    )
    assert sample and "points" in sample[0][0] and "/pricing" in sample[0][0]
    versions = _rows(
        built, "select distinct lead_definition_version from marts.fct_lead_score_contribution"
    )
    assert versions == [("2026.11.0",)]


def test_handover_measures_the_first_contact_sla(built: Built) -> None:
    rows = _rows(
        built,
        """
        select stage_entered_at, sla_due_at, first_contact_at, sla_status
        from marts.rpt_sales_handover
        """,
    )
    assert rows
    for entered, due, contacted, status in rows:
        assert entered is not None and (due - entered).total_seconds() == 3600
        if contacted is None:
            assert status in ("due", "overdue")
        else:
            assert contacted >= entered
            assert status == ("met" if contacted <= due else "late")


def test_speed_to_lead_is_measured_from_the_moment_a_lead_turned_hot(built: Built) -> None:
    rows = _rows(
        built,
        """
        select s.became_hot_at, s.first_contact_at, s.hours_to_first_contact, s.sla_status
        from marts.rpt_speed_to_lead s
        """,
    )
    assert rows
    statuses = Counter(r[3] for r in rows)
    assert statuses["met"] > 0, statuses
    assert statuses["late"] + statuses["missed"] > 0, statuses
    for hot_at, contacted, hours, status in rows:
        if contacted is not None:
            assert contacted >= hot_at
            assert abs((contacted - hot_at).total_seconds() / 3600 - hours) < 0.01
            assert status == ("met" if hours <= 1 else "late")
    # Everyone hot now has the start of the hot period on their profile.
    undated = _rows(
        built,
        "select count(*) from marts.dim_person where temperature = 'hot' "
        "and has_profiling_consent and became_hot_at is null",
    )
    assert undated == [(0,)]


def test_backtest_shows_the_definition_separates_winners(built: Built) -> None:
    rows = {
        (kind, order): (people, won, conversion, lift, precision, recall)
        for kind, order, people, won, conversion, lift, precision, recall in _rows(
            built,
            """
            select slice_kind, slice_order, people, won_deals, conversion_rate, lift,
                mql_precision, mql_recall
            from marts.rpt_lead_score_backtest
            """,
        )
    }
    deciles = [rows[("score_decile", d)] for d in range(1, 11)]
    assert deciles[-1][2] > 2 * max(deciles[0][2], 0.01)
    assert deciles[-1][3] > 1.5
    people, won, _, _, precision, recall = rows[("mql_threshold", 1)]
    overall = sum(d[1] for d in deciles) / sum(d[0] for d in deciles)
    assert precision > overall  # an MQL is likelier to win than the average lead
    assert 0 < recall <= 1 and won <= people


def test_funnel_narrows_and_nurture_has_horizons(built: Built) -> None:
    for segment, month, stage, reached, previous, conversion in _rows(
        built,
        """
        select lead_definition_name, cohort_month, stage, people_reached,
            people_at_previous_step, conversion_from_previous
        from marts.rpt_funnel where step > 1
        """,
    ):
        assert reached <= previous, (segment, month, stage)
        assert conversion is None or 0 <= conversion <= 1
    unplanned = _rows(
        built,
        """
        select count(*) from marts.dim_person
        where stage in ('nurture', 'recycled') and (nurture_horizon is null or recontact_at is null)
        """,
    )
    assert unplanned == [(0,)]
    nurture = dict(
        _rows(built, "select nurture_horizon, sum(people) from marts.rpt_nurture group by 1")
    )
    assert set(nurture) <= {"next_quarter", "next_half_year", "next_year"}
    assert (
        sum(nurture.values())
        == _rows(
            built, "select count(*) from marts.dim_person where stage in ('nurture', 'recycled')"
        )[0][0]
    )


def test_accounts_carry_account_and_refer_scores(built: Built) -> None:
    rows = _rows(
        built,
        """
        select refer_score, refer_maturity_score + refer_trust_score + refer_technology_score,
            account_score, best_person_score, known_people, refer_explanation
        from marts.dim_account
        """,
    )
    assert rows
    for refer, parts, account, best, people, explanation in rows:
        assert refer == parts
        assert (explanation is None) == (refer == 0)
        if people == 0:
            assert account == 0
        else:
            assert account >= best
    assert max(r[0] for r in rows) >= 40


MARTS = (
    "dim_person",
    "dim_account",
    "fct_lead_score_contribution",
    "fct_lead_stage_transition",
    "rpt_sales_handover",
    "rpt_nurture",
    "rpt_funnel",
    "rpt_speed_to_lead",
    "rpt_lead_score_backtest",
)


def _checksums(database: Path) -> dict[str, tuple]:
    return {
        table: query(
            database,
            f"select count(*), md5(coalesce(string_agg(t::varchar, '|' order by t::varchar), '')) "
            f"from marts.{table} t",
        )[0]
        for table in MARTS
    }


def test_past_scores_are_reproducible_as_of_any_moment(built: Built, tmp_path: Path) -> None:
    """Build the same warehouse as of an earlier moment, then as of the original again."""
    copy = Warehouse(tmp_path / "warehouse")
    shutil.copytree(built.warehouse.root, copy.root)
    original = _checksums(copy.database)
    models = ["run", "--select", "path:models/intermediate", "path:models/marts"]

    earlier = "2026-09-01T00:00:00"
    run_dbt(copy, models, as_of=earlier, quiet=True)
    cutoff = datetime.fromisoformat(earlier)
    (people, scored_at, latest_entry, latest_hot) = query(
        copy.database,
        """
        select count(*), max(scored_at),
            (select max(entered_at) from marts.fct_lead_stage_transition),
            (select max(became_hot_at) from marts.rpt_speed_to_lead)
        from marts.dim_person
        """,
    )[0]
    assert scored_at == cutoff
    assert latest_entry <= cutoff and latest_hot <= cutoff
    assert 0 < people < len(built.truth)  # contacts created later did not exist yet
    customers_then = query(
        copy.database, "select count(*) from marts.dim_person where stage = 'customer'"
    )[0][0]
    customers_now = query(
        built.warehouse.database, "select count(*) from marts.dim_person where stage = 'customer'"
    )[0][0]
    assert customers_then < customers_now

    run_dbt(copy, models, as_of=AS_OF, quiet=True)
    assert _checksums(copy.database) == original


def test_dbt_by_hand_without_an_as_of_moment_scores_at_one_moment(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dbt run by hand with no as-of moment (README, "You can also use dbt directly"): every
    model of the invocation is computed as of the moment the invocation started, so the
    current score, the timeline and the stages agree; and the tests of a later invocation
    take the build's moment from the current score."""
    monkeypatch.delenv(AS_OF_ENV, raising=False)
    copy = Warehouse(tmp_path / "warehouse")
    shutil.copytree(built.warehouse.root, copy.root)
    scoring = ["int_lead_engagement_current", "int_lead_score_timeline", "int_lead_stages_current"]
    started = datetime.now(UTC).replace(tzinfo=None)  # the as-of moments are naive UTC
    run_dbt(copy, ["build", "--select", *scoring, "--exclude", "test_type:unit"], quiet=True)
    moments = query(
        copy.database,
        """
        select evaluated_at from intermediate.int_lead_engagement_current
        union
        select evaluated_at from intermediate.int_lead_score_timeline where is_as_of
        """,
    )
    assert len(moments) == 1, moments
    assert moments[0][0] > datetime.fromisoformat(AS_OF)
    assert abs((moments[0][0] - started).total_seconds()) < 600
    people, distinct_people = query(
        copy.database,
        "select count(*), count(distinct person_id) from intermediate.int_lead_stages_current",
    )[0]
    assert people == distinct_people > 0
    run_dbt(
        copy,
        ["test", "--select", "assert_engagement_points_parts_do_not_overlap", *scoring],
        quiet=True,
    )


def test_uk_accounts_come_from_companies_house_with_sic_industries(built: Built) -> None:
    rows = _rows(
        built,
        """
        select a.account_name, a.industry, a.is_in_liquidation, a.is_dissolved,
            a.refer_trust_score > 0
        from marts.dim_account a
        where a.uk_company_number is not null
        """,
    )
    assert len(rows) >= 3
    assert all(name.endswith(" LIMITED") for name, *_ in rows)  # Companies House legal name
    assert {industry for _, industry, *_ in rows} <= {
        "manufacturing",
        "wholesale",
        "logistics",
        "software",
    }
    assert any(liquidation for _, _, liquidation, _, _ in rows)
    assert any(dissolved for _, _, _, dissolved, _ in rows)
    assert all(trusted for *_, trusted in rows)  # found in a registry


def test_the_scoring_history_tests_catch_any_repeated_moment(built: Built, tmp_path: Path) -> None:
    """int_lead_engagement_points (a view over the history's parts and the current score)
    holds one row per person and moment. That is tested part by part plus a test that the
    parts cannot overlap; each way a row could repeat fails one of those tests."""
    copy = Warehouse(tmp_path / "warehouse")
    shutil.copytree(built.warehouse.root, copy.root)
    part = "intermediate.int_lead_engagement_history_{}".format
    selection = [
        "test",
        "--select",
        "int_lead_engagement_history_0",
        "int_lead_engagement_history_1",
        "int_lead_engagement_current",
        "--exclude",
        "test_type:unit",
    ]

    def failing() -> set[str]:
        with contextlib.suppress(BuildFailed):
            run_dbt(copy, selection, as_of=AS_OF, quiet=True)
        results = json.loads((copy.dbt_target_dir / "run_results.json").read_text())["results"]
        assert {r["status"] for r in results} <= {"pass", "fail"} and len(results) == 4
        return {r["unique_id"].split(".")[2] for r in results if r["status"] == "fail"}

    def repeats() -> int:
        return query(
            copy.database,
            "select count(*) from (select person_id, evaluated_at "
            "from intermediate.int_lead_engagement_points group by all having count(*) > 1)",
        )[0][0]

    assert failing() == set() and repeats() == 0
    assert query(copy.database, f"select count(*) from {part(1)}")[0][0] > 0
    changes = [
        # A row twice within a part.
        (
            part(0),
            f"select * from {part(0)} limit 1",
            "unique_combination_int_lead_engagement_history_0_person_id__evaluated_at",
        ),
        # A row of part 1's people in part 0: no part repeats it, the union does.
        (
            part(0),
            f"select * from {part(1)} limit 1",
            "assert_engagement_points_parts_do_not_overlap",
        ),
        # The current score's moment in the history, at the as-of moment.
        (
            part(1),
            "select person_id, evaluated_at, false, points, signal_count, "
            "last_signal_at, 'fingerprint' from intermediate.int_lead_engagement_current limit 1",
            "assert_engagement_points_parts_do_not_overlap",
        ),
    ]
    for table, row, test in changes:
        with duckdb.connect(str(copy.database)) as con:
            con.execute(f"insert into {table} {row}")
        assert repeats() == 1, row
        assert failing() == {test}, row
        with duckdb.connect(str(copy.database)) as con:  # the row added goes again
            con.execute(f"delete from {table} where rowid = (select max(rowid) from {table})")
        assert repeats() == 0
