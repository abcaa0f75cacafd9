"""The short report `leadhouse run` ends with: stages, consent coverage, top leads."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from leadhouse.config import connect

STAGE_ORDER = (
    "lead",
    "mql",
    "sal",
    "sql",
    "opportunity",
    "customer",
    "nurture",
    "recycled",
    "disqualified",
    "no_consent",
)
# Values staging could not read (dbt_project/models/staging/stg_values_not_typed.sql).
NOT_TYPED_VIEW = "staging.stg_values_not_typed"
RAW_DATASETS = ("raw_crm", "raw_web_analytics", "raw_email", "raw_company_registry")


@dataclass
class Summary:
    people: int
    stages: dict[str, int]
    consent_coverage: dict[str, float]
    top_leads: list[tuple[str, str, str, float, float, float, str, str]]
    handover: int
    sla: dict[str, int]
    quarantined: dict[str, int]
    database: Path
    # (raw table, column) -> values staging could not read (carried on as null or a fallback).
    not_typed: dict[tuple[str, str], int] = field(default_factory=dict)


def read_summary(database: Path, top: int = 10) -> Summary:
    with connect(database, read_only=True) as con:
        stages = dict(
            con.execute("select stage, count(*) from marts.dim_person group by 1").fetchall()
        )
        people = sum(stages.values())
        row = con.execute(
            """
            select
                avg(case when has_email_marketing_consent then 1.0 else 0 end),
                avg(case when has_sales_contact_consent then 1.0 else 0 end),
                avg(case when has_profiling_consent then 1.0 else 0 end)
            from marts.dim_person
            """
        ).fetchone()
        coverage = dict(
            zip(("email_marketing", "sales_contact", "profiling"), row or (), strict=False)
        )
        top_leads = con.execute(
            """
            select
                coalesce(first_name || ' ' || last_name, email), coalesce(account_name, '-'),
                stage, total_score, fit_score, engagement_score, temperature,
                coalesce(score_explanation, '')
            from marts.rpt_sales_handover
            order by total_score desc, person_id
            limit ?
            """,
            [top],
        ).fetchall()
        handover_row = con.execute("select count(*) from marts.rpt_sales_handover").fetchone()
        sla = dict(
            con.execute(
                "select sla_status, count(*) from marts.rpt_speed_to_lead group by 1 order by 1"
            ).fetchall()
        )
        present = {
            schema
            for (schema,) in con.execute(
                "select schema_name from duckdb_tables() where table_name = 'quarantine'"
            ).fetchall()
        }
        quarantined = {}
        for dataset in RAW_DATASETS:
            if dataset in present:
                count = con.execute(f"select count(*) from {dataset}.quarantine").fetchone()
                quarantined[dataset] = int(count[0]) if count else 0
        not_typed: dict[tuple[str, str], int] = {}
        has_view = con.execute(
            "select count(*) from duckdb_views() where schema_name = ? and view_name = ?",
            NOT_TYPED_VIEW.split("."),
        ).fetchone()
        if has_view and has_view[0]:  # a warehouse built before the view has none
            for table, column, count in con.execute(
                f"""
                select source_table, column_name, count(*)
                from {NOT_TYPED_VIEW}
                group by source_table, column_name
                order by source_table, column_name
                """
            ).fetchall():
                not_typed[(table, column)] = int(count)
    return Summary(
        people=people,
        stages={stage: stages.get(stage, 0) for stage in STAGE_ORDER if stage in stages}
        | {s: n for s, n in stages.items() if s not in STAGE_ORDER},
        consent_coverage={k: float(v or 0) for k, v in coverage.items()},
        top_leads=top_leads,
        handover=int(handover_row[0]) if handover_row else 0,
        sla={status: int(count) for status, count in sla.items()},
        quarantined=quarantined,
        database=database,
        not_typed=not_typed,
    )


def render(summary: Summary) -> str:
    lines = [f"People: {summary.people}", "", "People per stage:"]
    width = max((len(s) for s in summary.stages), default=5)
    for stage, count in summary.stages.items():
        lines.append(f"  {stage:<{width}}  {count:>7}")
    lines += ["", "Consent coverage (share of people with a valid basis now):"]
    for purpose, share in summary.consent_coverage.items():
        lines.append(f"  {purpose:<16} {share:6.1%}")
    lines += ["", f"Sales handover queue: {summary.handover} people"]
    hot = sum(summary.sla.values())
    if hot:
        met = summary.sla.get("met", 0)
        lines.append(
            f"Speed to lead: {met} of {hot} hot moments ({met / hot:.0%}) got a first sales "
            "contact within the SLA ("
            + ", ".join(f"{status} {count}" for status, count in summary.sla.items())
            + ")"
        )
    lines += ["", "Top leads:"]
    lines.append(
        f"  {'name':<26} {'account':<26} {'stage':<6} {'total':>6} {'fit':>5} {'eng':>6}  why"
    )
    for name, account, stage, total, fit, eng, _temperature, why in summary.top_leads:
        lines.append(
            f"  {name[:26]:<26} {account[:26]:<26} {stage:<6} "
            f"{total:6.1f} {fit:5.0f} {eng:6.1f}  {why}"
        )
    if summary.quarantined:
        lines += ["", "Quarantined at load (see <dataset>.quarantine):"]
        for dataset, count in summary.quarantined.items():
            lines.append(f"  {dataset:<22} {count:>6}")
    if summary.not_typed:
        lines += ["", f"Values staging could not read (see {NOT_TYPED_VIEW}):"]
        for (table, column), count in summary.not_typed.items():
            lines.append(f"  {table + '.' + column:<46} {count:>6}")
    lines += ["", f"Warehouse: {summary.database}"]
    return "\n".join(lines)
