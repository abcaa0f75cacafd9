"""The `leadhouse` command line: generate, ingest, build, check, summarise, or run it all."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from leadhouse.config import DEFAULT_DEFINITION, DEFINITIONS_DIR, Warehouse
from leadhouse.runner import (
    EXIT_BAD_INPUT,
    EXIT_BUILD_FAILED,
    EXIT_BUSY,
    EXIT_CHECKS_FAILED,
    EXIT_INTERNAL_ERROR,
    EXIT_SOURCE_FAILED,
    OUTPUT,
    redact,
)

if TYPE_CHECKING:
    from expectations.checkpoint import CheckOutcome
    from ingestion.pipeline import SourceSummary
    from leadhouse.runner import Run

app = typer.Typer(
    help=(
        "Leadhouse: a lead warehouse for B2B marketing and sales. Loads CRM, web analytics, "
        "e-mail and company-registry data into DuckDB (dlt), scores leads against a shared "
        "lead definition (dbt) and gates the result with GDPR and quality checks (Great "
        "Expectations)."
    ),
    no_args_is_help=True,
    add_completion=False,
)

WarehouseOption = Annotated[
    Path | None,
    typer.Option(
        "--warehouse",
        help="Folder for the DuckDB file, dlt state, dbt artefacts and Data Docs "
        "[default: $LEADHOUSE_WAREHOUSE or ./warehouse].",
    ),
]
DefinitionOption = Annotated[
    Path,
    typer.Option(
        "--definition",
        help="Lead definition YAML, or a folder of them (one default plus market segments).",
    ),
]
FullRefreshOption = Annotated[
    bool,
    typer.Option(
        "--full-refresh",
        help="Rebuild incremental models from scratch (after changing a seed such as "
        "page_categories).",
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="Score as of this UTC timestamp (ISO), e.g. 2026-10-01T00:00:00."),
]


def _fail(message: str, code: int) -> typer.Exit:
    message = redact(message)
    if OUTPUT.json:
        OUTPUT.event("error", message=message, exit_code=code)
    else:
        typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the data set into.")] = Path(
        "data/generated"
    ),
    people: Annotated[int, typer.Option("--people", min=1, help="Number of CRM contacts.")] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed, same files.")] = 42,
    end_date: Annotated[
        str | None,
        typer.Option("--end-date", help="Last day of activity (YYYY-MM-DD) [default: today]."),
    ] = None,
) -> None:
    """Write a deterministic synthetic data set for all four sources.

    HubSpot CRM v3 objects (crm/), Segment events (web_analytics/), SendGrid webhook
    batches (email/) and registry records (company_registry/), with controlled dirt,
    plus the generator's ground truth in _truth/.
    """
    from leadhouse.generate.synthetic import generate as run_generator

    try:
        end = date.fromisoformat(end_date) if end_date else None
    except ValueError as error:
        raise _fail(f"--end-date: {error}", EXIT_BAD_INPUT) from error
    stats = run_generator(out, people=people, seed=seed, end=end)
    OUTPUT.say(
        f"Generated {stats.crm_contacts} contacts, {stats.companies} companies, "
        f"{stats.deals} deals, {stats.web_events} web events, "
        f"{stats.email_events} e-mail events into {out} "
        f"in {stats.seconds:.1f} s ({stats.web_events_per_second:,.0f} web events/s)"
    )


CrmSourceOption = Annotated[
    str,
    typer.Option(
        "--crm-source",
        help="Where CRM data comes from: 'files' (exports in <data>/crm) or 'api' (HubSpot "
        "CRM v3; token in SOURCES__CRM__ACCESS_TOKEN or .dlt/secrets.toml).",
    ),
]
VatWhitelistOption = Annotated[
    bool,
    typer.Option(
        "--vat-whitelist/--no-vat-whitelist",
        help="After loading, check the warehouse's NIPs against the Ministry of Finance VAT "
        "White List (30 NIPs per request, answers kept with their requestId).",
    ),
]
WhitelistBudgetOption = Annotated[
    int, typer.Option("--whitelist-budget", min=0, help="White List requests allowed per day.")
]
OfficersOption = Annotated[
    bool,
    typer.Option(
        "--load-officers/--no-load-officers",
        help="Also load KRS board members (personal data; off by default).",
    ),
]
DataOption = Annotated[
    str,
    typer.Option(
        "--data",
        help="Landing location with crm/, web_analytics/, email/, company_registry/: "
        "a folder or an fsspec URL such as s3://bucket/landing.",
    ),
]


@dataclass(frozen=True)
class IngestOptions:
    crm_source: str = "files"
    vat_whitelist: bool = False
    whitelist_budget: int = 10
    load_officers: bool = False


@app.command()
def ingest(
    data: DataOption = "data/generated",
    warehouse: WarehouseOption = None,
    crm_source: CrmSourceOption = "files",
    vat_whitelist: VatWhitelistOption = False,
    whitelist_budget: WhitelistBudgetOption = 10,
    load_officers: OfficersOption = False,
) -> None:
    """Load new data into raw_<system> datasets (dlt) and report per resource.

    Files already loaded are skipped; API records are read past a stored cursor; records
    merge on their natural keys; bad records go to each dataset's quarantine table.
    Exit codes: 2 bad input or missing credentials, 4 a source failed (e.g. unreachable).
    """
    options = IngestOptions(crm_source, vat_whitelist, whitelist_budget, load_officers)
    _ingest(data, Warehouse.from_env(warehouse), options)


def _ingest(data: str, warehouse: Warehouse, options: IngestOptions) -> list[SourceSummary]:
    from dlt.common.configuration.exceptions import ConfigFieldMissingException
    from dlt.pipeline.exceptions import PipelineStepFailed

    from ingestion.common import landing_exists
    from ingestion.pipeline import enrich_vat_whitelist, load_hubspot_api, load_sources

    if options.crm_source not in ("files", "api"):
        raise _fail("--crm-source must be 'files' or 'api'", EXIT_BAD_INPUT)
    if not landing_exists(data):
        raise _fail(f"data location {data} does not exist", EXIT_BAD_INPUT)
    warehouse.ensure()
    systems: tuple[str, ...] = ("web_analytics", "email", "company_registry")
    if options.crm_source == "files":
        systems = ("crm", *systems)
    try:
        summaries = load_sources(
            data,
            warehouse.database,
            warehouse.pipelines_dir,
            systems=systems,
            source_options={"company_registry": {"load_officers": options.load_officers}},
        )
        if options.crm_source == "api":
            summaries.insert(0, load_hubspot_api(warehouse.database, warehouse.pipelines_dir))
        whitelist = None
        if options.vat_whitelist:
            whitelist = enrich_vat_whitelist(
                warehouse.database,
                warehouse.pipelines_dir,
                daily_request_budget=options.whitelist_budget,
            )
    except ConfigFieldMissingException as error:
        raise _fail(
            f"missing configuration {', '.join(error.fields)}: set it in .dlt/secrets.toml or "
            "as an environment variable (e.g. SOURCES__CRM__ACCESS_TOKEN)",
            EXIT_BAD_INPUT,
        ) from error
    except PipelineStepFailed as error:
        raise _fail(
            f"source failed at step {error.step}: {error.exception}", EXIT_SOURCE_FAILED
        ) from error
    if not summaries:
        raise _fail(f"no source folders found under {data}", EXIT_BAD_INPUT)
    OUTPUT.say("Ingest:")
    for summary in summaries:
        OUTPUT.say(
            f"  {summary.dataset:<22} {summary.rows:>9} rows loaded  "
            f"{summary.quarantined:>5} quarantined  {summary.seconds:6.1f} s"
        )
        for resource, counts in summary.resources.items():
            loaded = summary.tables.get(resource, 0)
            OUTPUT.say(
                f"    {resource:<26} {counts.rows:>8} read {loaded:>8} loaded "
                f"{counts.quarantined:>5} quarantined  {counts.seconds:6.2f} s"
            )
    if whitelist is not None:
        _, report = whitelist
        OUTPUT.say(
            f"  VAT White List: {report.requested} NIPs asked in {len(report.requests)} requests, "
            f"{report.answered} answered, {report.cached} cached today, {report.invalid} invalid "
            f"(not sent), {report.pending} waiting for tomorrow's budget"
        )
    return summaries


@app.command()
def build(
    warehouse: WarehouseOption = None,
    definition: DefinitionOption = DEFINITIONS_DIR,
    as_of: AsOfOption = None,
    full_refresh: FullRefreshOption = False,
    unit_tests: Annotated[
        bool,
        typer.Option("--unit-tests", help="Also run the dbt unit tests (development, CI)."),
    ] = False,
) -> None:
    """Compile the lead definition into seeds and run `dbt build` (models and data tests)."""
    _build(Warehouse.from_env(warehouse), definition, as_of, full_refresh, unit_tests)


def _build(
    warehouse: Warehouse,
    definition: Path,
    as_of: str | None,
    full_refresh: bool = False,
    unit_tests: bool = False,
) -> str:
    from leadhouse.build import BuildFailed
    from leadhouse.build import build as run_build
    from leadhouse.definition import DefinitionError

    if not warehouse.database.exists():
        raise _fail(
            f"no warehouse at {warehouse.database}: run `leadhouse ingest` first", EXIT_BAD_INPUT
        )
    try:
        lead_definition = run_build(
            warehouse,
            definition,
            as_of=as_of,
            quiet=True,
            full_refresh=full_refresh,
            unit_tests=unit_tests,
        )
    except DefinitionError as error:
        raise _fail(str(error), EXIT_BAD_INPUT) from error
    except BuildFailed as error:
        raise _fail(str(error), EXIT_BUILD_FAILED) from error
    OUTPUT.say(f"Build: dbt build passed with lead definitions {lead_definition.label}")
    return lead_definition.label


@app.command()
def check(warehouse: WarehouseOption = None) -> None:
    """Run the Great Expectations gate; exit 1 when a blocking suite fails."""
    _check(Warehouse.from_env(warehouse))


def _check(warehouse: Warehouse, run_id: str | None = None) -> CheckOutcome:
    from expectations.checkpoint import run_checks

    if not warehouse.database.exists():
        raise _fail(f"no warehouse at {warehouse.database}", EXIT_BAD_INPUT)
    outcome = run_checks(
        warehouse.database,
        warehouse.gx_dir,
        manifest=warehouse.dbt_target_dir / "manifest.json",
        run_id=run_id,
    )
    OUTPUT.say("Checks (Great Expectations):")
    for suite in outcome.suites:
        status = "passed" if suite.success else "FAILED"
        OUTPUT.say(
            f"  {suite.suite:<24} {suite.table:<26} {status} ({suite.evaluated} expectations)"
        )
        for failed in suite.failed:
            OUTPUT.say(f"    failed: {failed}")
    if outcome.data_docs:
        OUTPUT.say(f"  Data Docs: {outcome.data_docs}")
    if not outcome.success:
        raise _fail("blocking checks failed", EXIT_CHECKS_FAILED)
    return outcome


@app.command()
def summary(
    warehouse: WarehouseOption = None,
    top: Annotated[int, typer.Option("--top", min=1, help="How many top leads to list.")] = 10,
) -> None:
    """Print people per stage, consent coverage and the top leads."""
    _summary(Warehouse.from_env(warehouse), top)


def _summary(warehouse: Warehouse, top: int) -> None:
    from leadhouse.summary import read_summary, render

    OUTPUT.say(render(read_summary(warehouse.database, top=top)))


LogFormatOption = Annotated[
    str,
    typer.Option(
        "--log-format",
        help="'human' lines, or 'json': one JSON object per event (for schedulers and log "
        "shippers).",
    ),
]


@app.command()
def run(
    data: DataOption = "data/generated",
    warehouse: WarehouseOption = None,
    definition: DefinitionOption = DEFINITIONS_DIR,
    as_of: AsOfOption = None,
    full_refresh: FullRefreshOption = False,
    crm_source: CrmSourceOption = "files",
    vat_whitelist: VatWhitelistOption = False,
    whitelist_budget: WhitelistBudgetOption = 10,
    load_officers: OfficersOption = False,
    log_format: LogFormatOption = "human",
    generate_data: Annotated[
        bool,
        typer.Option("--generate/--no-generate", help="Generate synthetic data into --data first."),
    ] = False,
    people: Annotated[int, typer.Option("--people", min=1, help="With --generate.")] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="With --generate.")] = 42,
) -> None:
    """The whole pipeline for schedulers: (generate →) ingest → build → check → publish.

    Works on <warehouse>/leadhouse.duckdb and publishes it to
    <warehouse>/published/leadhouse.duckdb (what BI reads) only when the blocking checks
    pass. One run at a time per warehouse; every run is logged in audit.runs (see
    `leadhouse runs`). Exit codes: 0 success, 1 blocking checks failed (previous publish
    kept), 2 bad input, 3 build failed, 4 a source failed (e.g. unreachable), 5 internal
    error, 6 another run is active.
    """
    from leadhouse.runner import Output

    if log_format not in ("human", "json"):
        raise _fail("--log-format must be 'human' or 'json'", EXIT_BAD_INPUT)
    previous = dict(OUTPUT.__dict__)
    OUTPUT.__dict__.update(Output(log_format).__dict__)
    try:
        _run_pipeline(
            data,
            Warehouse.from_env(warehouse),
            definition,
            as_of,
            full_refresh,
            IngestOptions(crm_source, vat_whitelist, whitelist_budget, load_officers),
            (people, seed) if generate_data else None,
        )
    finally:
        OUTPUT.__dict__.update(previous)


def _run_pipeline(
    data: str,
    target: Warehouse,
    definition: Path,
    as_of: str | None,
    full_refresh: bool,
    options: IngestOptions,
    generate_first: tuple[int, int] | None,
) -> None:
    from leadhouse.isolated import call_in_child
    from leadhouse.runner import Run, RunBusy, StepFailed, run_lock

    if generate_first:
        generate(out=Path(data), people=generate_first[0], seed=generate_first[1], end_date=None)
    try:
        with run_lock(target):
            pipeline = Run(target, OUTPUT)
            pipeline.start()
            code = 0
            try:
                record = pipeline.record

                def ingest_step() -> None:
                    # In a child process: the ingest's leftover memory must not sit beside
                    # dbt's for the whole build (leadhouse/isolated.py).
                    summaries = call_in_child(
                        _ingest_with_output, data, target, options, OUTPUT.json, OUTPUT.run_id
                    )
                    for summary in summaries:
                        record.rows_loaded[summary.dataset] = summary.rows
                        record.rows_quarantined[summary.dataset] = summary.quarantined

                def build_step() -> None:
                    record.definition = _build(target, definition, as_of, full_refresh)

                for name, action in (
                    ("ingest", ingest_step),
                    ("build", build_step),
                    ("check", lambda: _check(target, run_id=record.run_id)),
                    ("publish", lambda: _publish(target, pipeline)),
                ):
                    pipeline.step(name, _as_step(action))
            except StepFailed as error:
                code = error.code
            pipeline.finish(code)
    except RunBusy as error:
        raise _fail(f"{error}; not starting (exit {EXIT_BUSY})", EXIT_BUSY) from error
    if code:
        raise typer.Exit(code)
    if not OUTPUT.json:
        OUTPUT.say("")
        _summary(target, 10)


def _ingest_with_output(
    data: str, warehouse: Warehouse, options: IngestOptions, json: bool, run_id: str | None
) -> list[SourceSummary]:
    """`_ingest` in the child process of a run, writing as the run's output does (JSON
    lines carrying the run's id, or human lines)."""
    OUTPUT.json = json
    OUTPUT.run_id = run_id
    return _ingest(data, warehouse, options)


def _as_step(action: Callable[[], object]) -> Callable[[], None]:
    """Run a step; a typer.Exit or an unexpected error becomes the step's exit code."""
    from leadhouse.runner import StepFailed, internal_error

    def step() -> None:
        try:
            action()
        except typer.Exit as error:
            raise StepFailed(error.exit_code, f"exit {error.exit_code}") from error
        except StepFailed:
            raise
        except Exception as error:
            failure = internal_error(error)
            _fail(str(failure), EXIT_INTERNAL_ERROR)
            raise failure from error

    return step


def _publish(target: Warehouse, pipeline: Run) -> None:
    from leadhouse.runner import publish as publish_database
    from leadhouse.runner import published_database

    version = publish_database(target, pipeline.record.run_id)
    pipeline.record.published_version = version
    OUTPUT.say(f"Published: {published_database(target)} (version {version})")
    OUTPUT.event("published", version=version, path=str(published_database(target)))


@app.command()
def runs(
    warehouse: WarehouseOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many runs to list.")] = 20,
) -> None:
    """List recent runs: start, end, status and time per step, checks, what was published."""
    import json

    from leadhouse.runner import list_runs

    rows = list_runs(Warehouse.from_env(warehouse), limit)
    if not rows:
        OUTPUT.say("No runs recorded yet.")
        return
    for row in rows:
        steps = ", ".join(
            f"{s['name']} {s['status']} {s['seconds']:.0f}s" for s in json.loads(row["steps"])
        )
        finished = row["finished_at"] or "-"
        code = "-" if row["exit_code"] is None else row["exit_code"]
        OUTPUT.say(
            f"{row['run_id']}  {row['status']:<14} exit {code}  "
            f"{row['started_at']} -> {finished}  [{steps}]  "
            f"published {row['published_version'] or '-'}  {row['lead_definition'] or ''}"
        )


report_app = typer.Typer(help="Reports people read without SQL.", no_args_is_help=True)
app.add_typer(report_app, name="report")


@report_app.command("consent")
def report_consent(
    warehouse: WarehouseOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for the files [default: <warehouse>/reports]."),
    ] = None,
) -> None:
    """Consent coverage for auditors: a self-contained HTML page and a CSV.

    Exits 1 when anybody was processed for a purpose without a valid basis for it.
    """
    from leadhouse.reports import write_consent_report

    target = Warehouse.from_env(warehouse)
    if not target.database.exists():
        raise _fail(f"no warehouse at {target.database}", EXIT_BAD_INPUT)
    files = write_consent_report(target.database, out or target.root / "reports")
    OUTPUT.say(f"Consent report: {files.html}\nRows: {files.csv}")
    if files.processed_without_basis:
        raise _fail(
            f"{files.processed_without_basis} people processed without a valid basis",
            EXIT_CHECKS_FAILED,
        )


@app.command()
def calibrate(
    warehouse: WarehouseOption = None,
    definition: Annotated[
        Path, typer.Option("--definition", help="The lead definition YAML to calibrate.")
    ] = DEFAULT_DEFINITION,
    as_of: AsOfOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder for the proposed definition [default: <definition's folder>/proposed].",
        ),
    ] = None,
    observe_days: Annotated[
        int, typer.Option("--observe-days", min=1, help="Days of behaviour after becoming a lead.")
    ] = 30,
    window_days: Annotated[
        int, typer.Option("--window-days", min=1, help="A win counts within this many days.")
    ] = 120,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Propose weights learnt from won and lost deals, with a backtest people can read.

    Fits a regularised logistic regression on earlier leads (features: the definition's
    fit criteria and engagement signals in each lead's first days; label: a won deal),
    turns it into integer points, writes a proposed definition (new version; the current
    file untouched) and an HTML + Markdown report comparing both on later leads.
    """
    from datetime import datetime

    from leadhouse.calibrate import calibrate as run_calibration
    from leadhouse.calibrate import html_report, markdown_summary
    from leadhouse.definition import DefinitionError

    target = Warehouse.from_env(warehouse)
    if not (target.database.exists() and target.dbt_target_dir.exists()):
        raise _fail(
            f"no built warehouse at {target.root}: run `leadhouse run` first", EXIT_BAD_INPUT
        )
    moment = datetime.fromisoformat(as_of) if as_of else None
    try:
        result = run_calibration(
            target.database,
            definition,
            out_dir=out,
            as_of=moment,
            observe_days=observe_days,
            window_days=window_days,
        )
    except (DefinitionError, ValueError) as error:
        raise _fail(str(error), EXIT_BAD_INPUT) from error
    reports = target.root / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    stem = f"calibration-{result.definition}-{result.proposed_version.replace('+', '-')}"
    (reports / f"{stem}.html").write_text(html_report(result), encoding="utf-8")
    (reports / f"{stem}.md").write_text(markdown_summary(result), encoding="utf-8")
    if as_json:
        typer.echo(result.to_json())
        return
    OUTPUT.say(markdown_summary(result))
    OUTPUT.say(f"Report: {reports / (stem + '.html')}")


@app.command()
def erase(
    email: Annotated[
        list[str] | None,
        typer.Option("--email", help="E-mail address of a person to erase (repeatable)."),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="CSV with an 'email' column, or a text file with one address per line.",
        ),
    ] = None,
    warehouse: WarehouseOption = None,
    definition: DefinitionOption = DEFINITIONS_DIR,
    requested_by: Annotated[
        str, typer.Option("--requested-by", help="Who asked (kept in the erasure log).")
    ] = "",
) -> None:
    """Erase people (GDPR art. 17) from every table and keep them out of later loads.

    Deletes their rows from raw, derived and quarantine tables, adds salted hashes of
    their identifiers to the suppression list, logs the request in audit.erasure_log,
    rebuilds the models, compacts the database file and republishes it. Waits for no
    scheduled run: exits 6 while one is active.
    """
    from leadhouse.runner import RunBusy, run_lock

    target = Warehouse.from_env(warehouse)
    if not target.database.exists():
        raise _fail(f"no warehouse at {target.database}", EXIT_BAD_INPUT)
    addresses = list(email or [])
    if file is not None:
        addresses += _addresses_from(file)
    if not addresses:
        raise _fail("give --email ADDRESS or --file LIST.csv", EXIT_BAD_INPUT)
    try:
        # Erasure writes the working database: never alongside a scheduled run.
        with run_lock(target):
            _erase_locked(target, addresses, definition, requested_by)
    except RunBusy as error:
        raise _fail(f"{error}; erase again when it has finished", EXIT_BUSY) from error


def _erase_locked(
    target: Warehouse, addresses: list[str], definition: Path, requested_by: str
) -> None:
    from leadhouse.erasure import compact
    from leadhouse.erasure import erase as run_erasure
    from leadhouse.runner import publish, published_database

    report = run_erasure(target.database, addresses, requested_by=requested_by)
    OUTPUT.say(
        f"Erasure {report.request_id}: {len(addresses)} address(es), {report.people} "
        f"person(s), {report.identifiers} identifiers suppressed, "
        f"{report.total_rows} rows removed"
    )
    for relation, count in sorted(report.rows_removed.items()):
        OUTPUT.say(f"  {relation:<58} {count:>7}")
    if (target.dbt_target_dir / "manifest.json").exists():
        _build(target, definition, None)
    compact(target.database)
    OUTPUT.say("Database compacted; the suppression list keeps them out of every later load.")
    if published_database(target).exists():
        # The published copy BI reads still holds them: replace it now, not at the next run.
        version = publish(target, f"erasure-{report.request_id}")
        OUTPUT.say(f"Republished {published_database(target)} (version {version}).")


def _addresses_from(path: Path) -> list[str]:
    import csv

    if not path.exists():
        raise _fail(f"no such file: {path}", EXIT_BAD_INPUT)
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(text.splitlines()))
    if rows and any(cell.strip().lower() == "email" for cell in rows[0]):
        column = [cell.strip().lower() for cell in rows[0]].index("email")
        return [row[column] for row in rows[1:] if len(row) > column and row[column].strip()]
    return [row[0] for row in rows if row and row[0].strip()]


@app.command()
def bench(
    scale: Annotated[
        str,
        typer.Option("--scale", help="S (10 k people), M (100 k), L (1 M); XS is a smoke test."),
    ] = "S",
    repeat: Annotated[int, typer.Option("--repeat", min=1, help="Runs of every step.")] = 3,
    work: Annotated[
        Path, typer.Option("--work", help="Scratch folder (data and warehouses; emptied).")
    ] = Path("bench/work"),
    out: Annotated[Path, typer.Option("--out", help="Where results go.")] = Path("bench/results"),
    tutorial: Annotated[
        bool,
        typer.Option(
            "--tutorial/--no-tutorial",
            help="Also time the tutorial-style pipeline (slow at L); same as leaving "
            "'tutorial' out of --steps.",
        ),
    ] = True,
    steps: Annotated[
        str,
        typer.Option(
            "--steps",
            help="Comma-separated step groups to time: ingest, web, dbt, runs, tutorial.",
        ),
    ] = "ingest,web,dbt,runs,tutorial",
) -> None:
    """Benchmark Leadhouse against DuckDB's own readers and raw SQL (see bench/README.md).

    Writes bench-<scale>.md and bench-<scale>.json with the ratios first. A ratio is
    reported when both its steps were timed.
    """
    from bench.core import SCALES, STEP_GROUPS, run_bench

    if scale not in SCALES:
        raise _fail(f"--scale must be one of {', '.join(SCALES)}", EXIT_BAD_INPUT)
    groups = tuple(dict.fromkeys(g.strip() for g in steps.split(",") if g.strip()))
    unknown = [g for g in groups if g not in STEP_GROUPS]
    if not tutorial:
        groups = tuple(g for g in groups if g != "tutorial")
    if unknown or not groups:
        got = ", ".join(unknown) or "nothing to time"
        raise _fail(f"--steps takes {', '.join(STEP_GROUPS)}; got {got}", EXIT_BAD_INPUT)
    report = run_bench(scale, repeat, work, out, groups=groups)
    for ratio in report["ratios"].values():
        verdict = "met" if ratio["met"] else "MISSED"
        bound = "<=" if ratio["direction"] == "max" else ">="
        OUTPUT.say(
            f"{ratio['what']}: {ratio['value']:.2f} (goal {bound} {ratio['goal']}) {verdict}"
        )
    OUTPUT.say(f"Results: {out / f'bench-{scale}.md'}")


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
