"""Expectation suites, defined in code. Each suite targets one table of the warehouse."""

from __future__ import annotations

from dataclasses import dataclass

import great_expectations as gx
import great_expectations.expectations as gxe


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    schema: str
    table: str
    blocking: bool
    build: object  # () -> list[Expectation]


def _sales_handover() -> list[gxe.Expectation]:
    return [
        # GDPR: a person without a valid basis for sales contact must never reach sales.
        gxe.ExpectColumnValuesToBeInSet(column="has_sales_contact_consent", value_set=[True]),
        gxe.ExpectColumnValuesToNotBeNull(column="has_sales_contact_consent"),
        gxe.ExpectColumnValuesToBeUnique(column="person_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="person_id"),
        gxe.ExpectColumnValuesToBeInSet(column="stage", value_set=["mql", "sal", "sql"]),
        # Completeness: sales cannot work a lead without an address or a reason.
        gxe.ExpectColumnValuesToNotBeNull(column="email"),
        gxe.ExpectColumnValuesToNotBeNull(column="score_explanation"),
    ]


def _person() -> list[gxe.Expectation]:
    return [
        gxe.ExpectColumnValuesToBeUnique(column="person_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="stage"),
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToNotBeNull(column="lead_definition_version"),
        # Nobody without a basis for profiling carries a score.
        gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=(
                "select person_id from {batch} "
                "where not has_profiling_consent and (fit_score <> 0 or engagement_score <> 0)"
            ),
            description="people without a profiling basis are not scored",
        ),
    ]


SUITES: tuple[SuiteSpec, ...] = (
    SuiteSpec("sales_handover_consent", "marts", "rpt_sales_handover", True, _sales_handover),
    SuiteSpec("person_quality", "marts", "dim_person", True, _person),
)


def build_suite(spec: SuiteSpec) -> gx.ExpectationSuite:
    suite = gx.ExpectationSuite(name=spec.name)
    for expectation in spec.build():  # type: ignore[operator]
        suite.add_expectation(expectation)
    return suite
