"""Reports people read without SQL: the consent coverage report for auditors.

``write_consent_report`` reads ``marts.rpt_consent_coverage`` (and the gate's and the
erasure log's audit tables) and writes a self-contained HTML page (no scripts, no external
files) and a CSV of the coverage rows. Nothing in either identifies a person.
"""

from __future__ import annotations

import csv
import html
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from leadhouse.config import connect

COVERAGE = "marts.rpt_consent_coverage"


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    csv: Path
    processed_without_basis: int


def _table(headers: list[str], rows: list[tuple[Any, ...]], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for n, value in enumerate(row):
            css = ' class="num"' if n >= numeric_from else ""
            cells.append(f"<td{css}>{_format(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


class Html(str):
    """Cell content that is already HTML."""


def _format(value: Any) -> str:
    if isinstance(value, Html):
        return str(value)
    if value is None:
        return "&ndash;"
    if isinstance(value, float):
        return f"{value:.1%}" if 0 <= value <= 1 else f"{value:,.1f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m")
    if isinstance(value, int):
        return f"{value:,}"
    return html.escape(str(value))


def _bar(share: float | None) -> Html:
    width = 0 if share is None else round(share * 100)
    return Html(f'<span class="bar"><span style="width:{width}%"></span></span> {_format(share)}')


def _grouped(con: duckdb.DuckDBPyConnection, columns: str) -> list[tuple[Any, ...]]:
    return con.execute(
        f"""
        select {columns}, sum(people), sum(people_with_basis),
            sum(people_with_basis) / nullif(sum(people), 0),
            sum(people_processed), sum(people_processed_without_basis),
            sum(proof_completeness_rate * people_with_basis) / nullif(sum(people_with_basis), 0)
        from {COVERAGE}
        group by {columns}
        order by {columns}
        """
    ).fetchall()


def write_consent_report(database: Path, out_dir: Path) -> ReportFiles:
    out_dir.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC).replace(microsecond=0)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    with connect(database, read_only=True) as con:
        columns = [d[0] for d in con.execute(f"select * from {COVERAGE} limit 0").description]
        rows = con.execute(f"select * from {COVERAGE} order by all").fetchall()
        as_of = con.execute("select max(scored_at) from marts.dim_person").fetchone()
        versions = con.execute(
            "select distinct lead_definition_name || ' v' || lead_definition_version "
            "from marts.dim_person order by 1"
        ).fetchall()
        by_purpose = _grouped(con, "purpose, channel")
        by_source = _grouped(con, "purpose || ' / ' || channel, consent_source")
        by_segment = _grouped(con, "purpose || ' / ' || channel, lead_definition_name")
        by_month = _grouped(con, "purpose || ' / ' || channel, coverage_month")
        tables = {
            t
            for (t,) in con.execute(
                "select schema_name || '.' || table_name from duckdb_tables()"
            ).fetchall()
        }
        gate = (
            con.execute(
                "select suite, bool_and(success), max(checked_at) from audit.check_results "
                "where run_id = (select run_id from audit.check_results "
                "order by checked_at desc limit 1) group by suite order by suite"
            ).fetchall()
            if "audit.check_results" in tables
            else []
        )
        erasures = (
            con.execute(
                "select count(*), sum(people), max(completed_at) from audit.erasure_log"
            ).fetchone()
            if "audit.erasure_log" in tables
            else None
        )
    without_basis = sum(int(r[4] or 0) for r in by_purpose)

    csv_path = out_dir / f"consent-coverage-{stamp}.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)

    headers = [
        "purpose",
        "",
        "people",
        "with a basis",
        "coverage",
        "processed",
        "processed without a basis",
        "proof complete",
    ]

    def section(
        title: str, grouped: list[tuple[Any, ...]], second: str, first: str = "purpose / channel"
    ) -> str:
        body = [
            (a, b, people, basis, _bar(share), processed, missing, proof)
            for a, b, people, basis, share, processed, missing, proof in grouped
        ]
        return f"<h2>{html.escape(title)}</h2>" + _table(
            [first, second, *headers[2:]], body, numeric_from=2
        )

    verdict = (
        '<p class="ok">Nobody was processed for a purpose without a valid basis for it.</p>'
        if without_basis == 0
        else f'<p class="bad">{without_basis} people were processed without a valid basis.</p>'
    )
    gate_html = (
        _table(
            ["check (Great Expectations suite)", "passed", "checked at"],
            [(s, "yes" if ok else "NO", str(at)) for s, ok, at in gate],
        )
        if gate
        else "<p>No gate results recorded yet (run <code>leadhouse check</code>).</p>"
    )
    erasure_html = (
        f"<p>{erasures[0]} erasure request(s) carried out for {erasures[1] or 0} people; "
        f"latest {erasures[2]}. Identifiers are kept only as salted hashes "
        "(audit.suppressed_identifiers) so no later load brings them back.</p>"
        if erasures and erasures[0]
        else "<p>No erasure requests so far.</p>"
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Leadhouse consent coverage {html.escape(stamp)}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2rem;max-width:72rem;color:#222}}
table{{border-collapse:collapse;margin:.5rem 0 1.5rem}}
th,td{{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}}
td.num{{text-align:right}} th{{background:#f3f3f3}}
.ok{{color:#155724;background:#d4edda;padding:.5rem}}
.bad{{color:#721c24;background:#f8d7da;padding:.5rem}}
.bar{{display:inline-block;width:6rem;height:.7rem;background:#eee;vertical-align:middle}}
.bar span{{display:block;height:100%;background:#4a7}}
</style></head><body>
<h1>Consent coverage</h1>
<p>Generated {html.escape(now.isoformat())} from {html.escape(str(database))};
data as of {html.escape(str(as_of[0] if as_of else ""))}; lead definitions:
{html.escape(", ".join(v for (v,) in versions))}.</p>
{verdict}
<p>Purposes: <b>email_marketing</b> (newsletters and campaigns), <b>sales_contact</b>
(sales may contact by e-mail or phone), <b>profiling</b> (scoring behaviour). A person has
a basis for a purpose when every identity they used (e-mail addresses, web visitors) last
said yes on a valid lawful basis; a withdrawal anywhere wins. "Processed" means scored, in
the sales queue, or in the e-mail audience. "Proof complete" means the basis has a lawful
basis, a policy version, an evidence id and a capture time.</p>
{section("By purpose and channel", by_purpose, "channel", "purpose")}
{section("By where the basis was captured", by_source, "source")}
{section("By segment (lead definition)", by_segment, "segment")}
{section("By month the basis was captured", by_month, "month")}
<h2>Quality gate</h2>{gate_html}
<h2>Right to erasure</h2>{erasure_html}
<p>Rows behind this page: {html.escape(csv_path.name)} (same folder).</p>
</body></html>
"""
    html_path = out_dir / f"consent-coverage-{stamp}.html"
    html_path.write_text(page, encoding="utf-8")
    return ReportFiles(html_path, csv_path, without_basis)
