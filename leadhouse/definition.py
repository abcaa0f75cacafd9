"""Lead definitions: declarative YAML in ``models/``, validated, compiled into dbt seeds.

dbt reads the definition only through the generated seeds (``lead_fit_criteria``,
``lead_engagement_rules``, ``lead_thresholds``), so changing a weight needs no SQL edit.
Validation errors name the file, the line and the rule that is wrong.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

# Attributes dbt exposes for fit criteria (int_person_attributes); a typo fails early.
TEXT_ATTRIBUTES = frozenset(
    {
        "industry",
        "legal_form",
        "vat_status",
        "job_function",
        "seniority",
        "is_competitor",
        "is_in_liquidation",
        "has_account",
    }
)
NUMBER_ATTRIBUTES = frozenset(
    {"revenue_min_pln", "headcount_min", "branch_count", "company_age_years", "share_capital_pln"}
)


class DefinitionError(ValueError):
    """A lead definition that cannot be used, with where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Criterion(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str
    attribute: str
    operator: Literal["eq", "in", "gte", "lte"]
    value: str | int | float | bool | list[str]
    points: int = 0

    @model_validator(mode="after")
    def _check(self) -> Criterion:
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


class EngagementRule(_Strict):
    signal: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    points: int
    half_life_days: float | None = Field(default=None, gt=0)
    max_points: int | None = Field(default=None, gt=0)
    description: str | None = None


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


class LeadDefinition(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: str = Field(min_length=1)
    description: str = ""
    fit: list[Criterion]
    knockouts: list[Criterion] = []
    engagement: list[EngagementRule]
    thresholds: Thresholds

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
        return self


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


def seed_files(definition: LeadDefinition) -> dict[str, str]:
    """CSV text of each generated seed, by file name."""

    def render(header: list[str], rows: list[list[Any]]) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in row] for row in rows)
        return out.getvalue()

    criteria = [
        [
            c.id,
            kind,
            c.attribute,
            c.operator,
            c.value_text(),
            c.value if c.operator in ("gte", "lte") else None,
            c.points,
            c.description,
        ]
        for kind, items in (("fit", definition.fit), ("knockout", definition.knockouts))
        for c in items
    ]
    rules = [
        [r.signal, r.points, r.half_life_days, r.max_points, r.description or r.signal]
        for r in definition.engagement
    ]
    t = definition.thresholds
    return {
        "lead_fit_criteria.csv": render(
            [
                "criterion_id",
                "criterion_kind",
                "attribute",
                "operator",
                "value_text",
                "value_number",
                "points",
                "description",
            ],
            criteria,
        ),
        "lead_engagement_rules.csv": render(
            ["signal_type", "points", "half_life_days", "max_points", "description"], rules
        ),
        "lead_thresholds.csv": render(
            [
                "definition_name",
                "definition_version",
                "mql_score",
                "mql_min_fit",
                "warm_score",
                "hot_score",
                "sla_first_contact_hours",
            ],
            [
                [
                    definition.name,
                    definition.version,
                    t.mql_score,
                    t.mql_min_fit,
                    t.warm_score,
                    t.hot_score,
                    t.sla_first_contact_hours,
                ]
            ],
        ),
    }


def write_seeds(definition: LeadDefinition, seed_dir: Path) -> list[Path]:
    """Write the seeds, touching only files whose content changed."""
    seed_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in seed_files(definition).items():
        path = seed_dir / name
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
        written.append(path)
    return written
