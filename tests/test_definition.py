"""The lead definition: validation with file/line errors, and seeds in sync with YAML."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import time
from collections.abc import Iterator
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


class SeedBuilds:
    """Builds in their own processes, as far as the seeds go, around seeds in ``root``:
    each marks when it waits and when it holds the seeds, and holds them until released."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.seeds = root / "seeds" / "lead_definition"
        self.changed = definitions_with_pricing_points(root / "changed", 12)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, definitions: Path) -> None:
        marks = self.root / name
        marks.mkdir()
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-c", _BUILD, str(definitions), str(self.seeds), str(marks)],
            cwd=Path(__file__).parents[1],
        )
        _wait_for(marks / "waiting")

    def wait_until_blocked(self, name: str) -> None:
        """Until the build waits for a lock (the kernel lists its request with ``->`` in
        /proc/locks); where there is no /proc/locks, a pause long enough to get there."""
        locks = Path("/proc/locks")
        if not locks.exists():
            time.sleep(1.5)
            return
        pid = str(self.processes[name].pid)
        deadline = time.monotonic() + 60
        while not any(
            "->" in line and pid in line.split()
            for line in locks.read_text(encoding="utf-8").splitlines()
        ):
            assert time.monotonic() < deadline, f"{name} never waited for a lock"
            time.sleep(0.05)

    def holding(self, name: str) -> bool:
        return (self.root / name / "holding").exists()

    def wait_until_holding(self, name: str) -> None:
        _wait_for(self.root / name / "holding")

    def release(self, name: str) -> None:
        (self.root / name / "release").touch()
        assert self.processes[name].wait(timeout=60) == 0

    def pricing_points(self) -> str:
        """The pricing page's points in the seeds (10 shipped, 12 changed)."""
        rules = (self.seeds / "lead_engagement_rules.csv").read_text(encoding="utf-8")
        return next((p for p in ("10", "12") if f",page_view_pricing,{p}," in rules), rules)


@pytest.fixture
def seed_builds(tmp_path: Path) -> Iterator[SeedBuilds]:
    builds = SeedBuilds(tmp_path)
    try:
        yield builds
    finally:
        for process in builds.processes.values():  # none left waiting when an assert fails
            process.kill()
            process.wait(timeout=60)


def _wait_for(path: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} did not happen"
        time.sleep(0.05)


def test_builds_with_other_definitions_take_turns_with_the_seeds(seed_builds: SeedBuilds) -> None:
    """Warehouses built from one checkout share its seeds: builds with the same definition
    hold them together, one with another definition waits until they have ended."""
    builds = seed_builds
    with definition_in_seeds(load_definitions(DEFINITIONS_DIR), builds.seeds):
        assert builds.pricing_points() == "10"
        builds.start("same", DEFINITIONS_DIR)
        builds.wait_until_holding("same")  # side by side with this one
        builds.start("other", builds.changed)
        builds.release("same")
        time.sleep(1.5)  # time enough to write, were it not waiting
        assert not builds.holding("other")
        assert builds.pricing_points() == "10"
    builds.wait_until_holding("other")
    assert builds.pricing_points() == "12"
    builds.release("other")


def test_a_build_waiting_to_write_the_seeds_is_not_overtaken(seed_builds: SeedBuilds) -> None:
    """Builds with the held definition that come after one waiting to write its own wait
    behind it, so a stream of them cannot keep it waiting forever."""
    builds = seed_builds
    with definition_in_seeds(load_definitions(DEFINITIONS_DIR), builds.seeds):
        builds.start("other", builds.changed)
        builds.wait_until_blocked("other")  # it queues for the seeds, holding the gate
        builds.start("later", DEFINITIONS_DIR)
        time.sleep(1.5)  # time enough to join this one, were it not behind the other
        assert not builds.holding("later")
        assert not builds.holding("other")
    builds.wait_until_holding("other")
    assert builds.pricing_points() == "12"
    time.sleep(1.5)
    assert not builds.holding("later")  # it waits to write its own
    builds.release("other")
    builds.wait_until_holding("later")
    assert builds.pricing_points() == "10"
    builds.release("later")


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
