"""`leadhouse calibrate` on generated data, where the truth is known: the proposal beats a
deliberately bad definition on held-out leads and recovers the traits that win deals."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import yaml
from typer.testing import CliRunner

from leadhouse.calibrate import calibrate, html_report, markdown_summary
from leadhouse.cli import app
from leadhouse.config import DEFAULT_DEFINITION
from leadhouse.definition import load_definition
from tests.conftest import AS_OF, Built

# Points that reward the wrong people: logistics over manufacturing, blog and "about"
# readers and lukewarm interest over pricing readers and buyers ready to buy.
BAD_POINTS = {
    "industry_manufacturing": 0,
    "industry_logistics_or_wholesale": 40,
    "revenue_over_10m_pln": 0,
    "role_logistics_or_operations": 0,
    "page_view_blog": 20,
    "page_view_about": 20,
    "interest_level_2": 20,
    "interest_level_4": 0,
    "page_view_pricing": 0,
    "bant_budget": 0,
    "bant_need": 0,
}


def _bad_definition(folder: Path) -> Path:
    data = yaml.safe_load(DEFAULT_DEFINITION.read_text(encoding="utf-8"))
    data["name"], data["version"] = "bad", "0.0.1"
    for criterion in data["fit"]:
        criterion["points"] = BAD_POINTS.get(criterion["id"], criterion["points"])
    for rule in data["engagement"]:
        if rule["signal"] in BAD_POINTS:
            rule["points"] = BAD_POINTS[rule["signal"]]
            rule["max_points"] = max(rule.get("max_points") or 1, 60)
    path = folder / "bad.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_the_proposal_beats_a_bad_definition_and_finds_the_winning_traits(
    built: Built, tmp_path: Path
) -> None:
    bad = _bad_definition(tmp_path)
    before = hashlib.sha256(bad.read_bytes()).hexdigest()
    result = calibrate(
        built.warehouse.database,
        bad,
        out_dir=tmp_path / "proposed",
        as_of=datetime.fromisoformat(AS_OF),
    )
    assert hashlib.sha256(bad.read_bytes()).hexdigest() == before  # current file untouched
    assert result.tested_on > 100 and result.won_in_test > 5
    # On leads the model never saw, the proposal ranks winners far better.
    assert result.proposed.auc > result.current.auc + 0.1
    assert result.proposed.deciles[-1]["lift"] > result.current.deciles[-1]["lift"]
    assert result.proposed.mql_precision > result.current.mql_precision
    points = {c.rule: c.proposed for c in result.changes}
    # What wins deals in the generator: manufacturers with revenue, people who say they are
    # ready to buy (interest 4) and confirm a need; not blog or "about" readers.
    for trait in ("industry_manufacturing", "revenue_over_10m_pln", "interest_level_4"):
        assert points[trait] > 0, trait
        assert points[trait] > max(points["page_view_blog"], points["page_view_about"]), trait
    assert points["industry_manufacturing"] > points["industry_logistics_or_wholesale"]
    assert points["interest_level_4"] > points["interest_level_2"]
    # Rules with too little evidence keep their points and say so.
    flagged = [c for c in result.changes if c.flagged]
    assert flagged and all(c.proposed == c.current for c in flagged)
    # The proposal is a valid definition with a new version next to the old one.
    proposal = load_definition(Path(result.proposed_path))
    assert proposal.version == result.proposed_version != "0.0.1"
    assert proposal.thresholds.mql_score == result.thresholds["proposed"]["mql_score"]


def test_report_and_json_for_people_and_automation(built: Built, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "calibrate",
            "--warehouse",
            str(built.warehouse.root),
            "--definition",
            str(DEFAULT_DEFINITION),
            "--as-of",
            AS_OF,
            "--out",
            str(tmp_path),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"current", "proposed", "changes", "proposed_path"} <= set(data)
    assert Path(data["proposed_path"]).parent == tmp_path
    reports = sorted((built.warehouse.root / "reports").glob("calibration-default-*"))
    assert {p.suffix for p in reports} >= {".html", ".md"}
    page = next(p for p in reports if p.suffix == ".html").read_text(encoding="utf-8")
    assert page.count("<svg") == 2 and "<script" not in page  # self-contained charts
    assert "AUC" in page and "lift" in page


def test_markdown_names_every_rule_with_its_evidence(built: Built, tmp_path: Path) -> None:
    result = calibrate(
        built.warehouse.database,
        DEFAULT_DEFINITION,
        out_dir=tmp_path,
        as_of=datetime.fromisoformat(AS_OF),
    )
    summary = markdown_summary(result)
    definition = load_definition(DEFAULT_DEFINITION)
    for rule in [c.id for c in definition.fit] + [r.signal for r in definition.engagement]:
        assert f"| {rule} |" in summary
    assert "MQL precision" in summary and "too little evidence" in summary
    assert "<table>" in html_report(result)
