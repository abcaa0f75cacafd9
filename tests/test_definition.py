"""The lead definition: validation with file/line errors, and seeds in sync with YAML."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import time
from pathlib import Path

import pytest

from leadhouse.build import definition_in_seeds
from leadhouse.config import DEFAULT_DEFINITION, DEFINITIONS_DIR, LEAD_DEFINITION_SEEDS
from leadhouse.definition import DefinitionError, load_definition, load_definitions, seed_files
from tests.conftest import definitions_with_pricing_points


def test_default_definition_is_valid_and_ranks_high_intent_pages_first() -> None:
    definition = load_definition(DEFAULT_DEFINITION)
    points = {rule.signal: rule.points for rule in definition.engagement}
    for strong in ("page_view_pricing", "page_view_implementation", "page_view_contact"):
        assert points[strong] >= 5 * points["page_view_product"]
        assert points[strong] >= 5 * points["page_view_about"]
    assert points["interest_level_4"] > points["interest_level_3"] > points["interest_level_2"]
    assert all(points[f"bant_{a}"] > 0 for a in ("budget", "authority", "need", "timing"))


def test_committed_seeds_match_the_shipped_definitions() -> None:
    """The seeds dbt reads are generated; a stale copy would score with old weights."""
    for name, content in seed_files(load_definitions(DEFINITIONS_DIR)).items():
        assert (LEAD_DEFINITION_SEEDS / name).read_text(encoding="utf-8") == content, name


# A build as far as the seeds go: it marks when it waits and when it holds the seeds,
# and holds them until told to let go (a file appears).
_BUILD = """
import sys, time
from pathlib import Path
from leadhouse.build import definition_in_seeds
from leadhouse.definition import load_definitions
definitions, seeds, marks = (Path(a) for a in sys.argv[1:])
loaded = load_definitions(definitions)
(marks / "waiting").touch()
with definition_in_seeds(loaded, seeds):
    (marks / "holding").touch()
    while not (marks / "release").exists():
        time.sleep(0.05)
"""


def _start_build(definitions: Path, seeds: Path, marks: Path) -> subprocess.Popen[bytes]:
    marks.mkdir()
    build = subprocess.Popen(
        [sys.executable, "-c", _BUILD, str(definitions), str(seeds), str(marks)],
        cwd=Path(__file__).parents[1],
    )
    _wait_for(marks / "waiting")
    return build


def _wait_for(path: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} did not happen"
        time.sleep(0.05)


def test_builds_with_other_definitions_take_turns_with_the_seeds(tmp_path: Path) -> None:
    """Warehouses built from one checkout share its seeds: builds with the same definition
    hold them together, one with another definition waits until they have ended."""
    seeds = tmp_path / "seeds" / "lead_definition"
    changed = definitions_with_pricing_points(tmp_path / "changed", 12)
    rules = seeds / "lead_engagement_rules.csv"

    builds: list[subprocess.Popen[bytes]] = []
    try:
        with definition_in_seeds(load_definitions(DEFINITIONS_DIR), seeds):
            assert ",page_view_pricing,10," in rules.read_text(encoding="utf-8")
            builds.append(_start_build(DEFINITIONS_DIR, seeds, tmp_path / "same"))
            _wait_for(tmp_path / "same" / "holding")  # side by side with this one
            builds.append(_start_build(changed, seeds, tmp_path / "other"))
            (tmp_path / "same" / "release").touch()
            assert builds[0].wait(timeout=60) == 0
            time.sleep(1.5)  # time enough to write, were it not waiting
            assert not (tmp_path / "other" / "holding").exists()
            assert ",page_view_pricing,10," in rules.read_text(encoding="utf-8")
        _wait_for(tmp_path / "other" / "holding")
        assert ",page_view_pricing,12," in rules.read_text(encoding="utf-8")
        (tmp_path / "other" / "release").touch()
        assert builds[1].wait(timeout=60) == 0
    finally:
        for build in builds:  # none left waiting for its release when an assert fails
            build.kill()
            build.wait(timeout=60)


def test_a_build_waiting_to_write_the_seeds_is_not_overtaken(tmp_path: Path) -> None:
    """Builds with the held definition that come after one waiting to write its own wait
    behind it, so a stream of them cannot keep it waiting forever."""
    seeds = tmp_path / "seeds" / "lead_definition"
    changed = definitions_with_pricing_points(tmp_path / "changed", 12)
    rules = seeds / "lead_engagement_rules.csv"

    builds: list[subprocess.Popen[bytes]] = []
    try:
        with definition_in_seeds(load_definitions(DEFINITIONS_DIR), seeds):
            builds.append(_start_build(changed, seeds, tmp_path / "other"))
            time.sleep(1.5)  # it queues for the seeds
            builds.append(_start_build(DEFINITIONS_DIR, seeds, tmp_path / "later"))
            time.sleep(1.5)  # time enough to join this one, were it not behind the other
            assert not (tmp_path / "later" / "holding").exists()
            assert not (tmp_path / "other" / "holding").exists()
        _wait_for(tmp_path / "other" / "holding")
        assert ",page_view_pricing,12," in rules.read_text(encoding="utf-8")
        time.sleep(1.5)
        assert not (tmp_path / "later" / "holding").exists()  # it waits to write its own
        (tmp_path / "other" / "release").touch()
        assert builds[0].wait(timeout=60) == 0
        _wait_for(tmp_path / "later" / "holding")
        assert ",page_view_pricing,10," in rules.read_text(encoding="utf-8")
        (tmp_path / "later" / "release").touch()
        assert builds[1].wait(timeout=60) == 0
    finally:
        for build in builds:  # none left waiting for its release when an assert fails
            build.kill()
            build.wait(timeout=60)


def test_errors_name_file_line_and_rule(tmp_path: Path) -> None:
    text = DEFAULT_DEFINITION.read_text(encoding="utf-8").replace(
        "attribute: revenue_min_pln", "attribute: revenue_in_euro"
    )
    bad = tmp_path / "bad.yml"
    bad.write_text(text, encoding="utf-8")
    expected_line = next(
        n for n, line in enumerate(text.splitlines(), 1) if "id: revenue_over_10m_pln" in line
    )
    with pytest.raises(DefinitionError) as error:
        load_definition(bad)
    message = str(error.value)
    assert f"{bad}:{expected_line}" in message
    assert "rule revenue_over_10m_pln" in message
    assert "unknown attribute 'revenue_in_euro'" in message


def test_wrong_types_and_unknown_keys_are_rejected(tmp_path: Path) -> None:
    text = DEFAULT_DEFINITION.read_text(encoding="utf-8")
    cases = {
        "mql_score: 100": "mql_score: lots",
        "  hot_score: 100": "  hot_score: 100\n  cold_score: 1",
        "operator: gte\n    value: 10000000": "operator: gte\n    value: [1, 2]",
    }
    for original, replacement in cases.items():
        bad = tmp_path / "bad.yml"
        bad.write_text(text.replace(original, replacement, 1), encoding="utf-8")
        with pytest.raises(DefinitionError, match=r"bad\.yml:\d+"):
            load_definition(bad)


SEGMENT = """
name: enterprise
version: "2026.11.0-ent"
segment:
  description: Large manufacturers and wholesalers
  priority: 1
  filter:
    - {attribute: headcount_min, operator: gte, value: 250}
    - {attribute: industry, operator: in, value: [manufacturing, wholesale]}
fit:
  - {id: big_revenue, description: Revenue over 200 M PLN, attribute: revenue_min_pln,
     operator: gte, value: 200000000, points: 30}
engagement:
  - {signal: page_view_pricing, points: 5, half_life_days: 60, window_days: 180,
     max_points: 10, cap_period: month}
thresholds: {mql_score: 60, mql_min_fit: 30, warm_score: 30, hot_score: 60}
"""


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_a_folder_holds_one_default_and_market_segments(tmp_path: Path) -> None:
    (tmp_path / "default.yml").write_text(DEFAULT_DEFINITION.read_text(encoding="utf-8"))
    (tmp_path / "enterprise.yml").write_text(SEGMENT, encoding="utf-8")
    definitions = load_definitions(tmp_path)
    assert definitions.default.name == "default"
    assert [d.name for d in definitions.definitions] == ["default", "enterprise"]
    seeds = {name: _csv(text) for name, text in seed_files(definitions).items()}
    filters = seeds["lead_segment_filters.csv"]
    assert [(f["definition_name"], f["attribute"], f["value_text"]) for f in filters] == [
        ("enterprise", "headcount_min", "250"),
        ("enterprise", "industry", "manufacturing|wholesale"),
    ]
    thresholds = {t["definition_name"]: t for t in seeds["lead_thresholds.csv"]}
    assert thresholds["default"]["segment_priority"] == ""
    assert thresholds["enterprise"]["segment_priority"] == "1"
    assert thresholds["enterprise"]["definition_version"] == "2026.11.0-ent"
    rules = [r for r in seeds["lead_engagement_rules.csv"] if r["definition_name"] == "enterprise"]
    assert rules == [
        {
            "definition_name": "enterprise",
            "signal_type": "page_view_pricing",
            "points": "5",
            "half_life_days": "60.0",
            "window_days": "180.0",
            "max_points": "10",
            "cap_period": "month",
            "description": "page_view_pricing",
        }
    ]
    # Every definition gets nurture horizons, the segment the built-in catch-all.
    horizons = [
        h for h in seeds["lead_nurture_horizons.csv"] if h["definition_name"] == "enterprise"
    ]
    assert [(h["horizon_id"], h["min_interest_level"]) for h in horizons] == [("later", "")]


def test_folder_rules_two_defaults_or_clashing_priorities_are_rejected(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text(DEFAULT_DEFINITION.read_text(encoding="utf-8"))
    (tmp_path / "b.yml").write_text(
        DEFAULT_DEFINITION.read_text(encoding="utf-8").replace("name: default", "name: other")
    )
    with pytest.raises(DefinitionError, match="exactly one definition must have no segment"):
        load_definitions(tmp_path)
    (tmp_path / "b.yml").write_text(SEGMENT, encoding="utf-8")
    (tmp_path / "c.yml").write_text(SEGMENT.replace("name: enterprise", "name: mid"))
    with pytest.raises(DefinitionError, match="segment priority used by more than one"):
        load_definitions(tmp_path)
    with pytest.raises(DefinitionError, match="no such lead definition file or folder"):
        load_definitions(tmp_path / "missing")


def test_segment_filters_and_refer_criteria_test_accounts_only(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        SEGMENT.replace(
            "attribute: headcount_min, operator: gte, value: 250",
            "attribute: seniority, operator: eq, value: director",
        ),
        encoding="utf-8",
    )
    with pytest.raises(DefinitionError, match="a segment filter tests accounts, not people"):
        load_definition(bad)
    bad.write_text(
        SEGMENT + "refer:\n  - {id: x, dimension: trust, attribute: job_function, operator: eq, "
        "value: it, points: 5, description: X}\n",
        encoding="utf-8",
    )
    with pytest.raises(DefinitionError, match=r"bad\.yml:\d+: refer\.0.*\(rule x\)"):
        load_definition(bad)


def test_cap_periods_and_nurture_horizons_are_checked(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(SEGMENT.replace("max_points: 10, cap_period", "cap_period"), encoding="utf-8")
    with pytest.raises(DefinitionError, match="cap_period needs max_points"):
        load_definition(bad)
    bad.write_text(
        SEGMENT + "nurture:\n  - {id: soon, days: 30, min_interest_level: 3}\n", encoding="utf-8"
    )
    with pytest.raises(DefinitionError, match="last nurture horizon must have no min_interest"):
        load_definition(bad)
