"""Calibrate a lead definition from history: which traits did the leads who won share?

The training set comes from the built warehouse. Each scored person is observed over their
first ``observe_days`` as a lead (from the contact's creation, and never past their first
deal, so nothing after the outcome leaks in); the label is a deal won within
``window_days`` of becoming a lead. Features are the definition's own rules: each fit
criterion met (yes/no) and, per engagement rule, how many times the signal happened in the
observation window while the person had a profiling basis (counted up to the rule's cap).

An L2-regularised logistic regression is fitted on the earlier people (a time-based
split: the last ``test_share`` of leads by creation time are held out) and its
coefficients become integer points on the definition's scale. Rules seen for fewer than
``min_support`` training people, or never among winners, keep their points and are
flagged. Current and proposed definitions are compared on the held-out leads: AUC, lift
and conversion by score decile, precision, recall and MQL volume at the MQL threshold.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from leadhouse.config import connect
from leadhouse.definition import Criterion, EngagementRule, LeadDefinition, load_definition


@dataclass
class TrainingSet:
    person_ids: list[str]
    lead_at: list[datetime]
    features: np.ndarray  # people x rules
    labels: np.ndarray  # 1 = deal won within the window
    rules: list[str]  # feature names: criterion ids, then engagement signals
    kinds: list[str]  # "fit" or "engagement"


@dataclass
class RuleChange:
    rule: str
    kind: str
    current: int
    proposed: int
    coefficient: float | None
    people_with_trait: int
    winners_with_trait: int
    flagged: str = ""


@dataclass
class Evaluation:
    auc: float
    deciles: list[dict[str, float]]
    mql_precision: float
    mql_recall: float
    mql_volume: int


@dataclass
class CalibrationResult:
    definition: str
    current_version: str
    proposed_version: str
    proposed_path: str
    trained_on: int
    tested_on: int
    won_in_training: int
    won_in_test: int
    split_at: str
    current: Evaluation
    proposed: Evaluation
    changes: list[RuleChange] = field(default_factory=list)
    thresholds: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, default=str)


def _criterion_sql(criterion: Criterion) -> str:
    """SQL condition over an attribute row (``value_text``, ``value_number``)."""
    value = criterion.value_text().replace("'", "''")
    if criterion.operator == "eq":
        return f"value_text = '{value}'"
    if criterion.operator == "in":
        return f"'|{value}|' like '%|' || value_text || '|%'"
    number = criterion.value_number()
    return f"value_number {'>=' if criterion.operator == 'gte' else '<='} {number}"


def _occurrence_cap(rule: EngagementRule) -> int | None:
    if rule.max_points is None or rule.points == 0 or rule.cap_period is not None:
        return None
    return max(1, math.ceil(rule.max_points / abs(rule.points)))


def training_set(
    database: Path,
    definition: LeadDefinition,
    observe_days: int = 30,
    window_days: int = 120,
    as_of: datetime | None = None,
) -> TrainingSet:
    as_of_sql = f"timestamp '{as_of:%Y-%m-%d %H:%M:%S}'" if as_of else "current_timestamp"
    with connect(database, read_only=True) as con:
        people = con.execute(
            f"""
            with firsts as (
                select
                    person_id,
                    min(case when stage = 'opportunity' then entered_at end) as deal_at,
                    min(case when stage = 'customer' then entered_at end) as won_at
                from marts.fct_lead_stage_transition
                group by person_id
            )
            select p.person_id, p.created_at,
                least(
                    p.created_at + to_days({observe_days}),
                    coalesce(f.deal_at, timestamp '9999-01-01'),
                    {as_of_sql}
                ) as observed_until,
                f.won_at is not null
                and f.won_at <= p.created_at + to_days({window_days})
                and f.won_at <= {as_of_sql} as won
            from intermediate.int_people_profiled as p
            left join firsts as f using (person_id)
            where p.has_profiling_consent and p.created_at <= {as_of_sql}
            order by p.created_at, p.person_id
            """
        ).fetchall()
        index = {row[0]: n for n, row in enumerate(people)}
        fit_rules = [c for c in definition.fit]
        rules = [c.id for c in fit_rules] + [r.signal for r in definition.engagement]
        kinds = ["fit"] * len(fit_rules) + ["engagement"] * len(definition.engagement)
        features = np.zeros((len(people), len(rules)))
        for column, criterion in enumerate(fit_rules):
            met = con.execute(
                "select distinct person_id from intermediate.int_person_attributes "
                f"where attribute = ? and ({_criterion_sql(criterion)})",
                [criterion.attribute],
            ).fetchall()
            for (person,) in met:
                if person in index:
                    features[index[person], column] = 1
        con.execute(
            "create temp table observed (person_id varchar, created_at timestamp, "
            "observed_until timestamp)"
        )
        con.executemany(
            "insert into observed values (?, ?, ?)", [(p[0], p[1], p[2]) for p in people]
        )
        counts = con.execute(
            """
            select s.signal_type, s.person_id, count(*)
            from intermediate.int_signals_unioned as s
            join observed as o on s.person_id = o.person_id
            join intermediate.int_consent_intervals as c
                on c.person_id = s.person_id and c.purpose = 'profiling'
                and s.occurred_at >= c.valid_from
                and (c.valid_to is null or s.occurred_at < c.valid_to)
            where s.occurred_at <= o.observed_until
            group by all
            """
        ).fetchall()
    offset = len(fit_rules)
    by_signal = {r.signal: (offset + n, r) for n, r in enumerate(definition.engagement)}
    for signal, person, count in counts:
        if signal in by_signal and person in index:
            column, rule = by_signal[signal]
            cap = _occurrence_cap(rule)
            features[index[person], column] = min(count, cap) if cap else count
    return TrainingSet(
        person_ids=[p[0] for p in people],
        lead_at=[p[1] for p in people],
        features=features,
        labels=np.array([1 if p[3] else 0 for p in people]),
        rules=rules,
        kinds=kinds,
    )


def _points(definition: LeadDefinition) -> np.ndarray:
    return np.array(
        [c.points for c in definition.fit] + [r.points for r in definition.engagement], float
    )


def _scores(data: TrainingSet, points: np.ndarray) -> np.ndarray:
    return data.features @ points


def _fit_scores(data: TrainingSet, points: np.ndarray) -> np.ndarray:
    mask = np.array([k == "fit" for k in data.kinds], float)
    return data.features @ (points * mask)


def evaluate(
    data: TrainingSet, rows: np.ndarray, points: np.ndarray, mql_score: float, mql_min_fit: float
) -> Evaluation:
    labels = data.labels[rows]
    subset = TrainingSet([], [], data.features[rows], labels, data.rules, data.kinds)
    scores = _scores(subset, points)
    auc = float(roc_auc_score(labels, scores)) if 0 < labels.sum() < len(labels) else float("nan")
    order = np.argsort(scores, kind="stable")
    base = labels.mean() if len(labels) else 0.0
    deciles = []
    for decile, part in enumerate(np.array_split(order, 10), start=1):
        conversion = float(labels[part].mean()) if len(part) else 0.0
        deciles.append(
            {
                "decile": decile,
                "people": len(part),
                "won": int(labels[part].sum()),
                "conversion": conversion,
                "lift": conversion / base if base else 0.0,
            }
        )
    mql = (scores >= mql_score) & (_fit_scores(subset, points) >= mql_min_fit)
    won_mql = int((mql & (labels == 1)).sum())
    return Evaluation(
        auc=auc,
        deciles=deciles,
        mql_precision=won_mql / int(mql.sum()) if mql.sum() else 0.0,
        mql_recall=won_mql / int(labels.sum()) if labels.sum() else 0.0,
        mql_volume=int(mql.sum()),
    )


def calibrate(
    database: Path,
    definition_path: Path,
    out_dir: Path | None = None,
    as_of: datetime | None = None,
    observe_days: int = 30,
    window_days: int = 120,
    test_share: float = 0.3,
    min_support: int = 20,
) -> CalibrationResult:
    definition = load_definition(definition_path)
    data = training_set(database, definition, observe_days, window_days, as_of)
    if len(data.person_ids) < 50 or data.labels.sum() < 5:
        raise ValueError(
            f"not enough history to calibrate: {len(data.person_ids)} scored leads, "
            f"{int(data.labels.sum())} won deals (need at least 50 and 5)"
        )
    split = int(len(data.person_ids) * (1 - test_share))
    train, test = np.arange(split), np.arange(split, len(data.person_ids))
    model = LogisticRegression(C=1.0, max_iter=2000)
    model.fit(data.features[train], data.labels[train])
    coefficients = model.coef_[0]

    current = _points(definition)
    support = (data.features[train] > 0).sum(axis=0)
    winners = ((data.features[train] > 0) & (data.labels[train, None] == 1)).sum(axis=0)
    usable = (support >= min_support) & (winners > 0)
    # Scale: the proposal keeps the definition's size of points (mean absolute current
    # points of the usable rules equals the mean absolute proposed points).
    if usable.any() and np.abs(coefficients[usable]).sum() > 0:
        scale = np.abs(current[usable]).mean() / np.abs(coefficients[usable]).mean()
    else:
        scale = 0.0
    proposed = np.where(usable, np.round(coefficients * scale), current).astype(int)

    # Thresholds follow the new scale: the proposed MQL bar lets through the same share of
    # training leads as today's, so sales' capacity is unchanged (a policy choice to revisit).
    t = definition.thresholds
    train_set = TrainingSet(
        [], [], data.features[train], data.labels[train], data.rules, data.kinds
    )
    now_scores, now_fit = _scores(train_set, current), _fit_scores(train_set, current)
    new_scores, new_fit = (
        _scores(train_set, proposed.astype(float)),
        _fit_scores(train_set, proposed.astype(float)),
    )
    mql_share = float(((now_scores >= t.mql_score) & (now_fit >= t.mql_min_fit)).mean())
    fit_share = float((now_fit < t.mql_min_fit).mean())
    new_mql = round(float(np.quantile(new_scores, 1 - mql_share))) if mql_share else t.mql_score
    new_mql = max(new_mql, 1)
    new_min_fit = max(round(float(np.quantile(new_fit, fit_share))), 0)
    ratio = new_mql / t.mql_score
    thresholds = {
        "mql_score": new_mql,
        "mql_min_fit": new_min_fit,
        "warm_score": max(round(t.warm_score * ratio), 0),
        "hot_score": max(round(t.hot_score * ratio), 1),
    }
    if thresholds["warm_score"] >= thresholds["hot_score"]:
        thresholds["warm_score"] = thresholds["hot_score"] - 1

    changes = []
    for n, rule in enumerate(data.rules):
        flag = ""
        if not usable[n]:
            flag = (
                f"too little evidence ({int(support[n])} people, {int(winners[n])} winners): kept"
            )
        changes.append(
            RuleChange(
                rule=rule,
                kind=data.kinds[n],
                current=int(current[n]),
                proposed=int(proposed[n]),
                coefficient=round(float(coefficients[n]), 4) if usable[n] else None,
                people_with_trait=int(support[n]),
                winners_with_trait=int(winners[n]),
                flagged=flag,
            )
        )
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    version = f"{definition.version}+calibrated.{stamp}"
    proposal = _proposed_definition(
        definition_path, definition, data.rules, proposed, version, thresholds
    )
    target_dir = out_dir or definition_path.parent / "proposed"
    target_dir.mkdir(parents=True, exist_ok=True)
    proposed_path = target_dir / f"{definition.name}-{version.replace('+', '-')}.yml"
    proposed_path.write_text(proposal, encoding="utf-8")
    load_definition(proposed_path)  # the proposal is a valid definition
    return CalibrationResult(
        definition=definition.name,
        current_version=definition.version,
        proposed_version=version,
        proposed_path=str(proposed_path),
        trained_on=len(train),
        tested_on=len(test),
        won_in_training=int(data.labels[train].sum()),
        won_in_test=int(data.labels[test].sum()),
        split_at=str(data.lead_at[split]) if len(test) else "",
        current=evaluate(data, test, current, t.mql_score, t.mql_min_fit),
        proposed=evaluate(data, test, proposed.astype(float), new_mql, thresholds["mql_min_fit"]),
        thresholds={"current": t.model_dump(), "proposed": thresholds},
        changes=changes,
    )


def _proposed_definition(
    path: Path,
    definition: LeadDefinition,
    rules: list[str],
    points: np.ndarray,
    version: str,
    thresholds: dict[str, int],
) -> str:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    by_rule = dict(zip(rules, (int(p) for p in points), strict=True))
    data["version"] = version
    data["thresholds"] = {**data["thresholds"], **thresholds}
    for criterion in data.get("fit", []):
        criterion["points"] = by_rule.get(criterion["id"], criterion.get("points", 0))
    for rule in data.get("engagement", []):
        rule["points"] = by_rule.get(rule["signal"], rule["points"])
        if rule.get("max_points") is not None and rule["points"] != 0:
            rule["max_points"] = max(rule["max_points"], abs(rule["points"]))
    header = (
        f"# Proposed by `leadhouse calibrate` from {definition.name} v{definition.version} on "
        f"{datetime.now(UTC):%Y-%m-%d}.\n# Review the report, then copy over the current "
        "definition to adopt it.\n"
    )
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _svg_deciles(current: Evaluation, proposed: Evaluation) -> str:
    """Conversion by score decile, current and proposed side by side (inline SVG)."""
    width, height, pad = 560, 220, 30
    top = max([d["conversion"] for d in current.deciles + proposed.deciles] + [0.01])
    bars = []
    slot = (width - 2 * pad) / 10
    for n in range(10):
        for k, (evaluation, colour) in enumerate(((current, "#999"), (proposed, "#2a7"))):
            value = evaluation.deciles[n]["conversion"] if n < len(evaluation.deciles) else 0
            h = (height - 2 * pad) * value / top
            x = pad + n * slot + k * slot / 2.5 + 2
            y = height - pad - h
            bars.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot / 2.5:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>decile {n + 1}: {value:.1%}</title></rect>'
            )
        bars.append(
            f'<text x="{pad + n * slot + slot / 3:.1f}" y="{height - 10}" font-size="11">'
            f"{n + 1}</text>"
        )
    return (
        f'<svg width="{width}" height="{height}" role="img" '
        'aria-label="conversion by score decile">' + "".join(bars) + "</svg>"
    )


def _svg_lift(current: Evaluation, proposed: Evaluation) -> str:
    """Cumulative share of won deals captured, best-scored leads first (lift curve)."""
    width, height, pad = 320, 220, 30

    def points(evaluation: Evaluation) -> str:
        deciles = list(reversed(evaluation.deciles))
        total = sum(d["won"] for d in deciles) or 1
        coords: list[tuple[float, float]] = [(pad, height - pad)]
        captured = 0.0
        for n, d in enumerate(deciles, start=1):
            captured += d["won"]
            x = pad + (width - 2 * pad) * n / 10
            y = height - pad - (height - 2 * pad) * captured / total
            coords.append((x, y))
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)

    diagonal = f"{pad},{height - pad} {width - pad},{pad}"
    return (
        f'<svg width="{width}" height="{height}" role="img" aria-label="lift curve">'
        f'<polyline points="{diagonal}" fill="none" stroke="#ccc" stroke-dasharray="4"/>'
        f'<polyline points="{points(current)}" fill="none" stroke="#999" stroke-width="2"/>'
        f'<polyline points="{points(proposed)}" fill="none" stroke="#2a7" stroke-width="2"/>'
        "</svg>"
    )


def markdown_summary(result: CalibrationResult) -> str:
    c, p = result.current, result.proposed
    lines = [
        f"# Calibration of `{result.definition}` v{result.current_version}",
        "",
        f"Trained on {result.trained_on} leads ({result.won_in_training} won), tested on the "
        f"{result.tested_on} most recent ({result.won_in_test} won, from {result.split_at}).",
        "",
        "| held-out leads | current | proposed |",
        "| --- | ---: | ---: |",
        f"| AUC | {c.auc:.3f} | {p.auc:.3f} |",
        f"| lift, top decile | {c.deciles[-1]['lift']:.2f} | {p.deciles[-1]['lift']:.2f} |",
        f"| MQL precision | {c.mql_precision:.1%} | {p.mql_precision:.1%} |",
        f"| MQL recall | {c.mql_recall:.1%} | {p.mql_recall:.1%} |",
        f"| MQL volume | {c.mql_volume} | {p.mql_volume} |",
        "",
        f"Proposed definition: `{result.proposed_path}` (v{result.proposed_version}).",
        "",
        "| rule | kind | current | proposed | why | people (winners) |",
        "| --- | --- | ---: | ---: | --- | ---: |",
    ]
    for change in sorted(result.changes, key=lambda ch: -abs(ch.proposed - ch.current)):
        if change.flagged:
            why = change.flagged
        elif change.proposed > change.current:
            why = "won deals had it more often: gained weight"
        elif change.proposed < change.current:
            why = "won deals had it less often than its weight says: lost weight"
        else:
            why = "confirmed"
        lines.append(
            f"| {change.rule} | {change.kind} | {change.current} | {change.proposed} | {why} | "
            f"{change.people_with_trait} ({change.winners_with_trait}) |"
        )
    return "\n".join(lines) + "\n"


def html_report(result: CalibrationResult) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(ch.rule)}</td><td>{ch.kind}</td><td class=n>{ch.current}</td>"
        f"<td class=n>{ch.proposed}</td><td class=n>{ch.people_with_trait}</td>"
        f"<td class=n>{ch.winners_with_trait}</td><td>{html.escape(ch.flagged)}</td></tr>"
        for ch in sorted(result.changes, key=lambda ch: -abs(ch.proposed - ch.current))
    )
    c, p = result.current, result.proposed
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Calibration of {html.escape(result.definition)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.2rem .5rem}}
td.n{{text-align:right}}.key span{{display:inline-block;width:1rem;height:.7rem}}</style>
</head><body>
<h1>Calibration of {html.escape(result.definition)} v{html.escape(result.current_version)}</h1>
<p>Weights learnt from history: which traits did the leads who won share? Trained on
{result.trained_on} leads ({result.won_in_training} won within the window), compared on the
{result.tested_on} most recent ({result.won_in_test} won) that the model never saw.</p>
<table><tr><th>held-out leads</th><th>current</th><th>proposed</th></tr>
<tr><td>AUC</td><td class=n>{c.auc:.3f}</td><td class=n>{p.auc:.3f}</td></tr>
<tr><td>lift, top decile</td><td class=n>{c.deciles[-1]["lift"]:.2f}</td>
<td class=n>{p.deciles[-1]["lift"]:.2f}</td></tr>
<tr><td>MQL precision</td><td class=n>{c.mql_precision:.1%}</td>
<td class=n>{p.mql_precision:.1%}</td></tr>
<tr><td>MQL recall</td><td class=n>{c.mql_recall:.1%}</td><td class=n>{p.mql_recall:.1%}</td></tr>
<tr><td>MQL volume</td><td class=n>{c.mql_volume}</td><td class=n>{p.mql_volume}</td></tr></table>
<p class=key><span style="background:#999"></span> current
<span style="background:#2a7"></span> proposed</p>
<h2>Conversion by score decile (1 = lowest scores)</h2>{_svg_deciles(c, p)}
<h2>Lift curve: share of won deals in the best-scored leads</h2>{_svg_lift(c, p)}
<h2>Rules</h2><table><tr><th>rule</th><th>kind</th><th>current</th><th>proposed</th>
<th>people with it</th><th>winners with it</th><th>note</th></tr>{rows}</table>
<p>Proposed definition: {html.escape(result.proposed_path)}
(v{html.escape(result.proposed_version)}).
Rules with too little evidence keep their points. Knock-outs are policy and are not
changed.</p></body></html>
"""
