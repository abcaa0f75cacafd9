"""Expectation suites, defined in code. Each suite targets one table of the warehouse.

Every metric is computed in SQL inside DuckDB (see ``duckdb_support``): column
expectations become aggregate queries, and ``UnexpectedRowsExpectation`` runs a query
that must return no rows. Thresholds live in ``thresholds.yml``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import great_expectations as gx
import great_expectations.expectations as gxe
import yaml

THRESHOLDS_FILE = Path(__file__).with_name("thresholds.yml")
LAWFUL_BASES = ["consent", "legitimate_interest", "contract"]
# Staging publishes only addresses this matches (email_pattern in dbt_project/macros/
# portable.sql, the same text: tests/test_typing.py); the check proves it held.
EMAIL_REGEX = r"^[a-z0-9._%+-]+@[a-z0-9-]+([.][a-z0-9-]+)*[.][a-z]{2,}$"


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    schema: str
    table: str
    blocking: bool
    build: Callable[[dict[str, Any]], list[gxe.Expectation]]


def load_thresholds(path: Path | None = None) -> dict[str, Any]:
    """The gate's thresholds: ``$LEADHOUSE_GX_THRESHOLDS`` (a deployment's own file) or
    the project's ``expectations/thresholds.yml``."""
    path = path or Path(os.environ.get("LEADHOUSE_GX_THRESHOLDS") or THRESHOLDS_FILE)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of thresholds")
    return data


def _braces(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _rows(query: str, description: str) -> gxe.UnexpectedRowsExpectation:
    return gxe.UnexpectedRowsExpectation(unexpected_rows_query=query, description=description)


def _share_at_least(where: str, condition: str, share: float, description: str) -> Any:
    """Fails (returns a row) when fewer than ``share`` of the rows matching ``where``
    satisfy ``condition``."""
    return _rows(
        f"select observed from (select avg(case when {condition} then 1.0 else 0.0 end) "
        f"as observed from {{batch}} where {where}) as measured where observed < {share}",
        f"{description}: at least {share:.0%}",
    )


def _withdrawals_respected(purpose: str) -> gxe.UnexpectedRowsExpectation:
    """Nobody is in an outbound mart while any of their identities' latest decision for
    the purpose (an unsubscribe, a "no" in the CRM or on a form) is a withdrawal."""
    return _rows(
        "select outbound.person_id from {batch} as outbound join ("
        "select person_id, status, row_number() over (partition by person_id, identity_hash "
        "order by captured_at desc, case when status = 'withdrawn' then 0 else 1 end) as rank "
        f"from marts.fct_consent_ledger where purpose = '{purpose}') as latest "
        "on outbound.person_id = latest.person_id and latest.rank = 1 "
        "where latest.status = 'withdrawn'",
        f"withdrawals of {purpose} are respected",
    )


def _sales_handover(limits: dict[str, Any]) -> list[gxe.Expectation]:
    ready = limits["sales_ready"]
    return [
        # GDPR: a person without a valid basis for sales contact must never reach sales.
        gxe.ExpectColumnValuesToBeInSet(column="has_sales_contact_consent", value_set=[True]),
        gxe.ExpectColumnValuesToNotBeNull(column="has_sales_contact_consent"),
        _withdrawals_respected("sales_contact"),
        gxe.ExpectColumnValuesToBeUnique(column="person_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="person_id"),
        gxe.ExpectColumnValuesToBeInSet(column="stage", value_set=["mql", "sal", "sql"]),
        gxe.ExpectColumnValuesToBeInSet(
            column="sla_status", value_set=["met", "late", "due", "overdue"]
        ),
        # Completeness: sales cannot work a lead without an address or a reason.
        gxe.ExpectColumnValuesToNotBeNull(column="email", mostly=ready["email"]),
        gxe.ExpectColumnValuesToNotBeNull(column="score_explanation"),
    ]


def _email_audience(limits: dict[str, Any]) -> list[gxe.Expectation]:
    return [
        gxe.ExpectColumnValuesToBeUnique(column="person_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="email"),
        gxe.ExpectColumnValuesToBeInSet(column="lawful_basis", value_set=LAWFUL_BASES),
        gxe.ExpectColumnValuesToNotBeNull(column="lawful_basis"),
        gxe.ExpectColumnValuesToNotBeNull(column="evidence_id"),
        _withdrawals_respected("email_marketing"),
    ]


def _consent_ledger(limits: dict[str, Any]) -> list[gxe.Expectation]:
    return [
        gxe.ExpectColumnValuesToBeUnique(column="consent_event_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="evidence_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="captured_at"),
        gxe.ExpectColumnValuesToBeInSet(column="status", value_set=["granted", "withdrawn"]),
        gxe.ExpectColumnValuesToBeInSet(
            column="purpose", value_set=["email_marketing", "sales_contact", "profiling"]
        ),
        gxe.ExpectColumnValuesToBeInSet(column="lawful_basis", value_set=[*LAWFUL_BASES, "none"]),
        _rows(
            "select consent_event_id from {batch} where captured_at > current_timestamp",
            "no consent captured in the future",
        ),
        _rows(
            "select consent_event_id from {batch} "
            "where status = 'granted' and is_valid_basis and lawful_basis is null",
            "every valid grant names its lawful basis",
        ),
    ]


def _consent_coverage(limits: dict[str, Any]) -> list[gxe.Expectation]:
    return [
        # The auditor's headline: nobody processed for a purpose without a basis for it.
        gxe.ExpectColumnValuesToBeInSet(column="people_processed_without_basis", value_set=[0]),
        _rows(
            "select purpose from {batch} where people_with_basis > 0 group by purpose "
            "having sum(proof_completeness_rate * people_with_basis) / sum(people_with_basis) "
            f"< {limits['consent']['proof_completeness']}",
            "consent proofs are complete (lawful basis, policy version, evidence id, time)",
        ),
    ]


def _person(limits: dict[str, Any]) -> list[gxe.Expectation]:
    ready = limits["sales_ready"]
    sales_ready = "stage in ('mql', 'sal', 'sql')"
    return [
        gxe.ExpectColumnValuesToBeUnique(column="person_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="person_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="stage"),
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToNotBeNull(column="lead_definition_version"),
        # Nobody without a basis for profiling carries a score.
        _rows(
            "select person_id from {batch} "
            "where not has_profiling_consent and (fit_score <> 0 or engagement_score <> 0)",
            "people without a profiling basis are not scored",
        ),
        # Validity: e-mail addresses are well formed.
        _share_at_least(
            "email is not null",
            # GX fills {batch} with str.format: the regex's own braces are doubled.
            f"regexp_matches(email, '{_braces(EMAIL_REGEX)}')",
            limits["people"]["valid_email"],
            "e-mail addresses are well formed",
        ),
        # Completeness of the people sales works with.
        _share_at_least(
            sales_ready, "email is not null", ready["email"], "sales-ready have e-mail"
        ),
        _share_at_least(
            sales_ready, "account_id is not null", ready["account"], "sales-ready have an account"
        ),
        _share_at_least(
            sales_ready,
            "account_id in (select account_id from marts.dim_account "
            "where has_valid_nip or uk_company_number is not null)",
            ready["registry_tax_id"],
            "sales-ready accounts have a registry-validated tax id",
        ),
    ]


def _account(limits: dict[str, Any]) -> list[gxe.Expectation]:
    accounts = limits["accounts"]
    return [
        gxe.ExpectColumnValuesToBeUnique(column="account_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="account_id"),
        gxe.ExpectColumnValuesToBeInSet(
            column="has_valid_nip", value_set=[True], mostly=accounts["valid_nip"]
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="has_valid_regon", value_set=[True], mostly=accounts["valid_regon"]
        ),
    ]


SUITES: tuple[SuiteSpec, ...] = (
    SuiteSpec("sales_handover_consent", "marts", "rpt_sales_handover", True, _sales_handover),
    SuiteSpec("email_audience_consent", "marts", "rpt_email_audience", True, _email_audience),
    SuiteSpec("consent_ledger", "marts", "fct_consent_ledger", True, _consent_ledger),
    SuiteSpec("consent_coverage", "marts", "rpt_consent_coverage", True, _consent_coverage),
    SuiteSpec("person_quality", "marts", "dim_person", True, _person),
    SuiteSpec("account_validity", "marts", "dim_account", True, _account),
)


def build_suite(spec: SuiteSpec, limits: dict[str, Any] | None = None) -> gx.ExpectationSuite:
    suite = gx.ExpectationSuite(name=spec.name)
    for expectation in spec.build(limits or load_thresholds()):
        suite.add_expectation(expectation)
    return suite
