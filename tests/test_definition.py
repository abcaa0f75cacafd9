"""The lead definition: validation with file/line errors, and seeds in sync with YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadhouse.config import DEFAULT_DEFINITION, LEAD_DEFINITION_SEEDS
from leadhouse.definition import DefinitionError, load_definition, seed_files


def test_default_definition_is_valid_and_ranks_high_intent_pages_first() -> None:
    definition = load_definition(DEFAULT_DEFINITION)
    points = {rule.signal: rule.points for rule in definition.engagement}
    for strong in ("page_view_pricing", "page_view_implementation", "page_view_contact"):
        assert points[strong] >= 5 * points["page_view_product"]
        assert points[strong] >= 5 * points["page_view_about"]
    assert points["interest_level_4"] > points["interest_level_3"] > points["interest_level_2"]
    assert all(points[f"bant_{a}"] > 0 for a in ("budget", "authority", "need", "timing"))


def test_committed_seeds_match_the_default_definition() -> None:
    """The seeds dbt reads are generated; a stale copy would score with old weights."""
    for name, content in seed_files(load_definition(DEFAULT_DEFINITION)).items():
        assert (LEAD_DEFINITION_SEEDS / name).read_text(encoding="utf-8") == content, name


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
