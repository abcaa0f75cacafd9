"""Lead definitions: declarative YAML in ``models/``, validated, compiled into dbt seeds.

dbt reads the definition only through the generated seeds (``lead_fit_criteria``,
``lead_engagement_rules``, ``lead_thresholds``), so changing a weight needs no SQL edit.
Validation errors name the file, the line and the rule that is wrong.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

# Attributes dbt exposes for criteria (int_person_attributes / int_account_attributes);
# a typo fails early. Account attributes are the ones a segment filter and the refer
# score may test; person attributes only make sense for a person.
ACCOUNT_TEXT_ATTRIBUTES = frozenset(
    {
        "industry",
        "legal_form",
        "vat_status",
        "is_in_liquidation",
        "is_in_bankruptcy",
        "is_dissolved",
        "has_registry_record",
        "has_web_domain",
    }
)
PERSON_TEXT_ATTRIBUTES = frozenset({"job_function", "seniority", "is_competitor", "has_account"})
ACCOUNT_NUMBER_ATTRIBUTES = frozenset(
    {
        "revenue_min_pln",
        "headcount_min",
        "branch_count",
        "company_age_years",
        "share_capital_pln",
        "known_people",
        "implementation_page_views",
    }
)
TEXT_ATTRIBUTES = ACCOUNT_TEXT_ATTRIBUTES | PERSON_TEXT_ATTRIBUTES
NUMBER_ATTRIBUTES = ACCOUNT_NUMBER_ATTRIBUTES
ACCOUNT_ATTRIBUTES = ACCOUNT_TEXT_ATTRIBUTES | ACCOUNT_NUMBER_ATTRIBUTES


class DefinitionError(ValueError):
    """A lead definition that cannot be used, with where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    """A yes/no test of one attribute: ``attribute operator value``."""

    attribute: str
    operator: Literal["eq", "in", "gte", "lte"]
    value: str | int | float | bool | list[str]

    @model_validator(mode="after")
    def _check(self) -> Condition:
        if self.attribute not in TEXT_ATTRIBUTES | NUMBER_ATTRIBUTES:
            known = ", ".join(sorted(TEXT_ATTRIBUTES | NUMBER_ATTRIBUTES))
            raise ValueError(f"unknown attribute {self.attribute!r}; known: {known}")
        numeric = self.attribute in NUMBER_ATTRIBUTES
        if self.operator in ("gte", "lte") and (
            not numeric or isinstance(self.value, bool) or not isinstance(self.value, int | float)
        ):
            raise ValueError(f"{self.operator} needs a numeric attribute and a number value")
        if self.operator == "in" and not isinstance(self.value, list):
            raise ValueError("operator 'in' needs a list value")
        if self.operator == "eq" and isinstance(self.value, list):
            raise ValueError("operator 'eq' needs a single value")
        return self

    def value_text(self) -> str:
        if isinstance(self.value, list):
            return "|".join(self.value)
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        return str(self.value)

    def value_number(self) -> int | float | None:
        if self.operator in ("gte", "lte") and isinstance(self.value, int | float):
            return self.value
        return None


def _account_only(condition: Condition, what: str) -> None:
    if condition.attribute not in ACCOUNT_ATTRIBUTES:
        known = ", ".join(sorted(ACCOUNT_ATTRIBUTES))
        raise ValueError(
            f"{what} tests accounts, not people: {condition.attribute!r} is not an account "
            f"attribute; known: {known}"
        )


class Criterion(Condition):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str
    points: int = 0


class ReferCriterion(Criterion):
    """One yes/no test of the account's refer score (maturity, trust, technology)."""

    dimension: Literal["maturity", "trust", "technology"]

    @model_validator(mode="after")
    def _account(self) -> ReferCriterion:
        _account_only(self, "a refer criterion")
        return self


class Segment(_Strict):
    """The market segment a definition applies to: accounts matching every condition."""

    description: str = ""
    priority: int = Field(ge=1, description="1 is tried first when segments overlap")
    filter: list[Condition] = Field(min_length=1)

    @model_validator(mode="after")
    def _account(self) -> Segment:
        for condition in self.filter:
            _account_only(condition, "a segment filter")
        return self


class EngagementRule(_Strict):
    signal: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    points: int
    half_life_days: float | None = Field(default=None, gt=0)
    window_days: float | None = Field(default=None, gt=0)
    max_points: int | None = Field(default=None, gt=0)
    cap_period: Literal["day", "week", "month", "quarter"] | None = None
    description: str | None = None

    @model_validator(mode="after")
    def _cap(self) -> EngagementRule:
        if self.cap_period and self.max_points is None:
            raise ValueError("cap_period needs max_points (the cap applied per period)")
        return self


class Thresholds(_Strict):
    mql_score: int = Field(gt=0)
    mql_min_fit: int = Field(ge=0)
    warm_score: int = Field(ge=0)
    hot_score: int = Field(gt=0)
    sla_first_contact_hours: float = Field(default=1, gt=0)

    @model_validator(mode="after")
    def _order(self) -> Thresholds:
        if not self.warm_score < self.hot_score:
            raise ValueError("warm_score must be below hot_score")
        return self


class NurtureHorizon(_Strict):
    """When to come back to a not-ready lead: the first horizon whose interest level fits."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str = ""
    days: int = Field(gt=0)
    min_interest_level: int | None = Field(default=None, ge=1, le=4)


DEFAULT_NURTURE = (NurtureHorizon(id="later", description="Re-check later", days=180),)


class LeadDefinition(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: str = Field(min_length=1)
    description: str = ""
    segment: Segment | None = None
    fit: list[Criterion]
    knockouts: list[Criterion] = []
    engagement: list[EngagementRule]
    thresholds: Thresholds
    nurture: list[NurtureHorizon] = list(DEFAULT_NURTURE)
    refer: list[ReferCriterion] = []

    @model_validator(mode="after")
    def _unique(self) -> LeadDefinition:
        ids = [c.id for c in self.fit + self.knockouts]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate criterion ids: {', '.join(duplicates)}")
        signals = [r.signal for r in self.engagement]
        duplicates = sorted({s for s in signals if signals.count(s) > 1})
        if duplicates:
            raise ValueError(f"duplicate engagement signals: {', '.join(duplicates)}")
        if not self.nurture or self.nurture[-1].min_interest_level is not None:
            raise ValueError(
                "the last nurture horizon must have no min_interest_level, so every "
                "not-ready lead gets a horizon"
            )
        return self


@dataclass(frozen=True)
class DefinitionSet:
    """Every lead definition in force: one default plus optional market segments."""

    definitions: tuple[LeadDefinition, ...]
    paths: tuple[Path, ...]

    @property
    def default(self) -> LeadDefinition:
        return next(d for d in self.definitions if d.segment is None)

    @property
    def label(self) -> str:
        return ", ".join(f"{d.name} v{d.version}" for d in self.definitions)


def _line_of(root: yaml.Node | None, location: tuple[int | str, ...]) -> int | None:
    """1-based line of the YAML node at a pydantic error location (deepest node found)."""
    node, line = root, None
    for key in location:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            node = node.value[key] if key < len(node.value) else None
        else:
            node = None
    if node is not None:
        line = node.start_mark.line + 1
    return line


def load_definition(path: Path) -> LeadDefinition:
    text = path.read_text(encoding="utf-8")
    try:
        data: Any = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as error:
        raise DefinitionError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise DefinitionError(f"{path}: a lead definition is a YAML mapping")
    try:
        return LeadDefinition.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            location = tuple(item["loc"])
            line = _line_of(root, location)
            rule = _rule_name(data, location)
            where = f"{path}:{line}" if line else str(path)
            field = ".".join(str(part) for part in location) or "(top level)"
            problems.append(f"{where}: {field}{rule}: {item['msg']}")
        raise DefinitionError("invalid lead definition\n" + "\n".join(problems)) from error


def _rule_name(data: dict[str, Any], location: tuple[int | str, ...]) -> str:
    if len(location) >= 2 and isinstance(location[1], int):
        section = data.get(str(location[0]))
        if isinstance(section, list) and location[1] < len(section):
            item = section[location[1]]
            if isinstance(item, dict):
                name = item.get("id") or item.get("signal")
                if name:
                    return f" (rule {name})"
    return ""


def load_definitions(path: Path) -> DefinitionSet:
    """A definition file, or every ``*.yml`` in a folder (one default plus segments)."""
    if path.is_dir():
        paths = tuple(sorted(p for p in path.glob("*.yml") if p.is_file()))
        if not paths:
            raise DefinitionError(f"{path}: no lead definition (*.yml) in this folder")
    elif path.is_file():
        paths = (path,)
    else:
        raise DefinitionError(f"{path}: no such lead definition file or folder")
    definitions = tuple(load_definition(p) for p in paths)
    problems = []
    defaults = [p.name for p, d in zip(paths, definitions, strict=True) if d.segment is None]
    if len(defaults) != 1:
        found = ", ".join(defaults) or "none"
        problems.append(
            f"exactly one definition must have no segment (the default for everyone no "
            f"segment matches); found {len(defaults)}: {found}"
        )
    for attribute, values in (
        ("name", [d.name for d in definitions]),
        ("segment priority", [str(d.segment.priority) for d in definitions if d.segment]),
    ):
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            problems.append(f"{attribute} used by more than one definition: {', '.join(repeated)}")
    if problems:
        where = ", ".join(str(p) for p in paths)
        raise DefinitionError(f"{where}: " + "; ".join(problems))
    return DefinitionSet(definitions, paths)


def _render(header: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return out.getvalue()


def _criterion_row(definition: LeadDefinition, c: Criterion, kind: str) -> list[Any]:
    """A criterion as a seed row: definition, id, kind (or refer dimension), the test and
    its points."""
    return [
        definition.name,
        c.id,
        kind,
        c.attribute,
        c.operator,
        c.value_text(),
        c.value_number(),
        c.points,
        c.description,
    ]


def seed_files(definitions: DefinitionSet | LeadDefinition) -> dict[str, str]:
    """CSV text of each generated seed, by file name; every row names its definition."""
    if isinstance(definitions, LeadDefinition):
        definitions = DefinitionSet((definitions,), ())
    criteria, rules, thresholds, segments, nurture, refer = [], [], [], [], [], []
    for d in definitions.definitions:
        criteria += [
            _criterion_row(d, c, kind)
            for kind, items in (("fit", d.fit), ("knockout", d.knockouts))
            for c in items
        ]
        rules += [
            [
                d.name,
                r.signal,
                r.points,
                r.half_life_days,
                r.window_days,
                r.max_points,
                r.cap_period,
                r.description or r.signal,
            ]
            for r in d.engagement
        ]
        t = d.thresholds
        thresholds.append(
            [
                d.name,
                d.version,
                d.segment.priority if d.segment else None,
                t.mql_score,
                t.mql_min_fit,
                t.warm_score,
                t.hot_score,
                t.sla_first_contact_hours,
            ]
        )
        if d.segment:
            segments += [
                [
                    d.name,
                    d.segment.priority,
                    f"{d.name}_{n}",
                    c.attribute,
                    c.operator,
                    c.value_text(),
                    c.value_number(),
                ]
                for n, c in enumerate(d.segment.filter, 1)
            ]
        nurture += [
            [d.name, h.id, n, h.days, h.min_interest_level, h.description or h.id]
            for n, h in enumerate(d.nurture, 1)
        ]
        refer += [_criterion_row(d, c, c.dimension) for c in d.refer]
    condition = ["attribute", "operator", "value_text", "value_number"]
    return {
        "lead_fit_criteria.csv": _render(
            [
                "definition_name",
                "criterion_id",
                "criterion_kind",
                *condition,
                "points",
                "description",
            ],
            criteria,
        ),
        "lead_engagement_rules.csv": _render(
            [
                "definition_name",
                "signal_type",
                "points",
                "half_life_days",
                "window_days",
                "max_points",
                "cap_period",
                "description",
            ],
            rules,
        ),
        "lead_thresholds.csv": _render(
            [
                "definition_name",
                "definition_version",
                "segment_priority",
                "mql_score",
                "mql_min_fit",
                "warm_score",
                "hot_score",
                "sla_first_contact_hours",
            ],
            thresholds,
        ),
        "lead_segment_filters.csv": _render(
            ["definition_name", "segment_priority", "condition_id", *condition], segments
        ),
        "lead_nurture_horizons.csv": _render(
            [
                "definition_name",
                "horizon_id",
                "horizon_rank",
                "days",
                "min_interest_level",
                "description",
            ],
            nurture,
        ),
        "lead_refer_criteria.csv": _render(
            ["definition_name", "criterion_id", "dimension", *condition, "points", "description"],
            refer,
        ),
    }


def seeds_written(definitions: DefinitionSet, seed_dir: Path) -> bool:
    """Whether ``seed_dir`` holds exactly the seeds of ``definitions``."""
    return all(
        (seed_dir / name).is_file() and (seed_dir / name).read_text(encoding="utf-8") == content
        for name, content in seed_files(definitions).items()
    )


def write_seeds(definitions: DefinitionSet, seed_dir: Path) -> list[Path]:
    """Write the seeds, touching only files whose content changed."""
    seed_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in seed_files(definitions).items():
        path = seed_dir / name
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
        written.append(path)
    return written
