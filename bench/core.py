"""Orchestration of `leadhouse bench`: data, timed steps, ratios, Markdown and JSON.

Each step runs ``repeat`` times from the same starting point, in a fresh process, and is
reported as median with min-max; the ratios compare medians measured in the same run.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from leadhouse.build import dbt_env, dbt_executable, definition_in_seeds, run_dbt
from leadhouse.config import DBT_PROJECT_DIR, DEFINITIONS_DIR, REPO_ROOT, Warehouse
from leadhouse.definition import load_definitions
from leadhouse.generate.synthetic import Volumes, generate
from leadhouse.runner import list_runs

END_DATE = date(2026, 11, 1)
AS_OF = "2026-11-01T12:00:00"
SEED = 11


@dataclass(frozen=True)
class Scale:
    name: str
    people: int
    volumes: Volumes


# M and L follow the issue: ~20 web events and ~5 e-mail events per person.
BENCH_VOLUMES = Volumes(anonymous_visitors_per_person=2.4, email_sends=3)
SCALES = {
    "XS": Scale("XS", 1_000, BENCH_VOLUMES),  # smoke test of the benchmark itself
    "S": Scale("S", 10_000, BENCH_VOLUMES),
    "M": Scale("M", 100_000, BENCH_VOLUMES),
    "L": Scale("L", 1_000_000, BENCH_VOLUMES),
}

# name: (what, goal, "max" when the ratio must stay at or below the goal, "min" at or above)
GOALS = {
    "ingest_vs_duckdb_reader": ("ingest / DuckDB read_json+read_csv", 1.25, "max"),
    "web_ingest_vs_duckdb_reader": ("web events ingest / DuckDB read_json (issue 3)", 1.25, "max"),
    "dbt_vs_raw_sql": ("dbt build / compiled SQL as one script", 1.3, "max"),
    "incremental_vs_full": ("incremental run (+1 % events) / full run", 0.10, "max"),
    "tutorial_vs_leadhouse": ("tutorial-style run / Leadhouse incremental run", 5.0, "min"),
    "peak_rss_gb": ("peak RSS of any Leadhouse step, its processes together, GiB", 4.0, "max"),
}
LEADHOUSE_STEPS = ("ingest", "ingest_web", "dbt_build", "full_run", "incremental_run")
# The runs broken down by step and dbt node (``run_breakdown``), and how many of the full
# run's slowest nodes a report lists.
RUN_STEPS = ("full_run", "incremental_run")
LISTED_NODES = 15
# The ratios above that divide one step's median by another's.
RATIO_STEPS = {
    "ingest_vs_duckdb_reader": ("ingest", "duckdb_reader"),
    "web_ingest_vs_duckdb_reader": ("ingest_web", "duckdb_reader_web"),
    "dbt_vs_raw_sql": ("dbt_build", "raw_sql"),
    "incremental_vs_full": ("incremental_run", "full_run"),
    "tutorial_vs_leadhouse": ("tutorial_run", "incremental_run"),
}
# What `--steps` chooses from; every group by default.
STEP_GROUPS = {
    "ingest": "ingest of every source vs DuckDB's readers",
    "web": "web events ingest vs DuckDB's read_json",
    "dbt": "dbt build vs the compiled SQL",
    "runs": "full run and incremental run",
    "tutorial": "tutorial-style pipeline",
}


def _leadhouse() -> str:
    candidate = Path(sys.executable).with_name("leadhouse")
    return str(candidate) if candidate.exists() else "leadhouse"


def measure(command: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """One timed execution in a fresh process tree; fails loudly when the step fails."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.measure", "--", *command],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
        env=env,
    )
    result: dict[str, Any] = json.loads(completed.stdout)
    # `leadhouse run` exits 1 when blocking checks fail: still a complete, timed run.
    if result["exit_code"] not in (0, 1):
        raise RuntimeError(
            f"benchmark step failed (exit {result['exit_code']}): {' '.join(command)}\n"
            f"{result['stderr_tail']}{result['stdout_tail']}"
        )
    return result


def summarise(samples: list[dict[str, Any]]) -> dict[str, Any]:
    seconds = [s["seconds"] for s in samples]
    summary = {
        "median_s": statistics.median(seconds),
        "min_s": min(seconds),
        "max_s": max(seconds),
        "peak_rss_mb": max(s["peak_rss_mb"] for s in samples),
        "peak_tree_rss_mb": _largest(s.get("peak_tree_rss_mb") for s in samples),
        "runs": len(samples),
    }
    # A run's breakdown (``run_breakdown``): the median of each part over the repeats.
    for part in ("parts", "nodes"):
        if any(part in s for s in samples):
            names = dict.fromkeys(name for s in samples for name in s.get(part, {}))
            summary[part] = {
                name: statistics.median(s[part][name] for s in samples if name in s.get(part, {}))
                for name in names
            }
    return summary


def run_breakdown(warehouse: Warehouse) -> dict[str, Any]:
    """Where the last run on ``warehouse`` spent its time: the seconds of each of its steps
    (ingest, build, check, publish; the run's record in ``audit.runs``) and of each dbt
    node of its build (``run_results.json``), so growth across scales can be traced to the
    models that grow faster than the data. Empty parts when the run left no record."""
    parts: dict[str, float] = {}
    for record in list_runs(warehouse, limit=1):
        for step in json.loads(record["steps"]):
            parts[step["name"]] = float(step["seconds"])
    nodes: dict[str, float] = {}
    results = warehouse.dbt_target_dir / "run_results.json"
    if results.exists():
        for node in json.loads(results.read_text())["results"]:
            # model.leadhouse.dim_person, test.leadhouse.<test>.<hash>,
            # unit_test.leadhouse.<model>.<test>
            kind, _package, *names = node["unique_id"].split(".")
            name = names[0] if kind == "test" else ".".join(names)
            nodes[f"{kind}:{name}"] = float(node["execution_time"])
    return {"parts": parts, "nodes": nodes}


def _measured_run(command: list[str], warehouse: Path) -> dict[str, Any]:
    """A timed ``leadhouse run`` with its breakdown."""
    sample = measure(command)
    return sample | run_breakdown(Warehouse(warehouse))


def _largest(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None


def _peak_mb(step: dict[str, Any]) -> float:
    """A step's memory: all its processes together where that was sampled, else the
    largest single process."""
    tree = step.get("peak_tree_rss_mb")
    return float(tree if tree is not None else step["peak_rss_mb"])


def _repeat(times: int, step: Callable[[int], dict[str, Any]]) -> dict[str, Any]:
    return summarise([step(n) for n in range(times)])


def _alternate(
    steps: dict[str, dict[str, Any]],
    times: int,
    *named: tuple[str, Callable[[int], dict[str, Any]]],
) -> None:
    """Run the two steps of a ratio in turn, ``times`` rounds (a, b, a, b, …) rather
    than each ``times`` in a row, so that the runs a ratio compares were taken moments
    apart: a neighbour that slows the machine for a minute moves both sides alike. At M
    the web ingest measured 1.30x read_json with each step repeated in a row and 1.23-1.26x
    in alternating pairs on the same files, minutes later. Each step's summary is
    updated after every run, so a failed step keeps what was measured before it."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in named}
    for n in range(times):
        for name, step in named:
            runs[name].append(step(n))
            steps[name] = summarise(runs[name])


def _fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _copy_warehouse(source: Warehouse, target: Path, keep_parse: bool = False) -> Warehouse:
    """A copy of a warehouse folder: the database, the salt and dlt's pipeline state.

    ``keep_parse`` keeps the dbt target folder already at ``target`` (dbt's parse of the
    project at that path), as the last scheduled run on a warehouse leaves it for the next.
    """
    target = target.resolve()
    kept = {"dbt_target"} if keep_parse and (target / "dbt_target").is_dir() else set()
    if target.is_dir():
        for child in target.iterdir():
            if child.name in kept:
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    shutil.copytree(
        source.root,
        target,
        ignore=shutil.ignore_patterns("published", *kept),
        dirs_exist_ok=True,
    )
    return Warehouse(target)


def _parse_at(warehouse: Warehouse) -> None:
    """Leave at ``warehouse`` the parse of the dbt project that a previous scheduled run
    there would have left (untimed), so that the timed build parses only what changed."""
    run_dbt(warehouse, ["parse"], quiet=True)


def add_increment(landing: Path, share: float = 0.01) -> dict[str, int]:
    """Add to ``landing`` new files holding ``share`` of its web and e-mail events again
    under new ids, as the next delivery would. The files already there stay untouched,
    so a warehouse that loaded them skips them (its dlt state knows their path and
    fingerprint) and only the new files are read."""
    added = {}
    for system, pattern, key, name in (
        (
            "web_analytics",
            "segment-events-0*.jsonl",
            '"messageId":"',
            "segment-events-9999-increment.jsonl",
        ),
        (
            "email",
            "sendgrid-events-0*.json",
            '"sg_event_id": "',
            "sendgrid-events-9999-increment.json",
        ),
    ):
        step = round(1 / share)
        picked = []
        seen = 0  # lines with an id so far, over all files: every step-th is picked
        for path in sorted((landing / system).glob(pattern)):
            with path.open(encoding="utf-8") as handle:  # streamed: L has 12 GB of events
                for line in handle:
                    if key not in line:
                        continue
                    if seen % step == 0:
                        picked.append(line.rstrip("\n").rstrip(",").replace(key, key + "inc-", 1))
                    seen += 1
        body = "\n".join(picked) + "\n"
        if system == "email":
            body = "[\n" + ",\n".join(picked) + "\n]\n"
        (landing / system / name).write_text(body, encoding="utf-8")
        added[system] = len(picked)
    return added


def machine() -> dict[str, Any]:
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        memory = meminfo.read_text().splitlines()[0].split(":")[1].strip()
    cpu = platform.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            ln.split(":")[1].strip()
            for ln in cpuinfo.read_text().splitlines()
            if ln.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": {p: version(p) for p in ("duckdb", "dlt", "dbt-core", "dbt-duckdb")},
    }


def run_bench(
    scale_name: str,
    repeat: int,
    work: Path,
    results: Path,
    groups: tuple[str, ...] = tuple(STEP_GROUPS),
) -> dict[str, Any]:
    """Generate data at ``scale_name`` and time the chosen ``groups`` of steps (all by
    default; at L a whole benchmark takes hours, so a group can be run on its own)."""
    unknown = sorted(set(groups) - set(STEP_GROUPS))
    if unknown or not groups:
        raise ValueError(f"unknown step groups {unknown}; choose from {', '.join(STEP_GROUPS)}")
    scale = SCALES[scale_name]
    work = work.resolve()
    _fresh(work)
    lh = _leadhouse()
    steps: dict[str, dict[str, Any]] = {}

    data = work / "data"
    stats = generate(data, scale.people, SEED, end=END_DATE, volumes=scale.volumes)

    added: dict[str, int] = {}
    failure = None
    try:
        _time_steps(steps, added, groups, repeat, work, data, lh)
    except RuntimeError as error:  # a step failed: what was measured is still reported
        failure = str(error)

    report = {
        "scale": scale_name,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "repeat": repeat,
        "ratios": {key: judged(key, value) for key, value in ratios_of(steps).items()},
        "data": {
            "people": stats.crm_contacts,
            "web_events": stats.web_events,
            "email_events": stats.email_events,
            "companies": stats.companies,
            "increment": added,
        },
        "steps": steps,
        "machine": machine(),
        "not_measured": [
            f"{group}: {what} (--steps)"
            for group, what in STEP_GROUPS.items()
            if group not in groups
        ],
        "failed": failure,
    }
    results.mkdir(parents=True, exist_ok=True)
    (results / f"bench-{scale_name}.json").write_text(json.dumps(report, indent=2) + "\n")
    (results / f"bench-{scale_name}.md").write_text(markdown(report, results))
    if failure:
        raise RuntimeError(f"{failure}\n(steps measured before the failure: {results})")
    return report


def _time_steps(
    steps: dict[str, dict[str, Any]],
    added: dict[str, int],
    groups: tuple[str, ...],
    repeat: int,
    work: Path,
    data: Path,
    lh: str,
) -> None:
    """Time the chosen groups of steps into ``steps``, in order; ``added`` gets the increment."""

    # 1. Ingest vs DuckDB's readers, each from an empty database: every source, then the
    # web events alone (a landing folder holding only them), which issue 3 sets a goal for.
    web_only = _fresh(work / "web_only")
    (web_only / "web_analytics").symlink_to(data / "web_analytics", target_is_directory=True)
    for group, suffix, landing in (("ingest", "", data), ("web", "_web", web_only)):
        if group not in groups:
            continue

        def ingest_step(n: int, landing: Path = landing, suffix: str = suffix) -> dict[str, Any]:
            target = _fresh(work / f"ingest{suffix}{n}")
            return measure([lh, "ingest", "--data", str(landing), "--warehouse", str(target)])

        def anchor_step(n: int, landing: Path = landing, suffix: str = suffix) -> dict[str, Any]:
            target = _fresh(work / f"anchor{suffix}{n}") / "a.duckdb"
            return measure([sys.executable, "-m", "bench.anchor", str(landing), str(target)])

        _alternate(
            steps, repeat, (f"ingest{suffix}", ingest_step), (f"duckdb_reader{suffix}", anchor_step)
        )

    # 2. dbt build vs the compiled SQL, both from the same seeded copy of the raw data.
    if "dbt" in groups:
        if "ingest" not in groups:  # the raw data, loaded once without timing
            measure(
                [lh, "ingest", "--data", str(data), "--warehouse", str(_fresh(work / "ingest0"))]
            )
        _time_dbt(steps, repeat, work, Warehouse(work / "ingest0"))

    # 3. A full run from nothing vs the next run after 1 % new events. The increment is
    # added to the same landing folder, after the runs that must not see it.

    def run(warehouse: Path) -> list[str]:
        return [lh, "run", "--data", str(data), "--warehouse", str(warehouse), "--as-of", AS_OF]

    if "runs" in groups:

        def full_run(n: int) -> dict[str, Any]:
            warehouse = _fresh(work / f"full{n}")
            return _measured_run(run(warehouse), warehouse)

        steps["full_run"] = _repeat(repeat, full_run)
    # 4. The tutorial-style pipeline on the full run's data (full reload and rebuild every run).
    if "tutorial" in groups:
        steps["tutorial_run"] = _repeat(
            repeat,
            lambda n: measure(
                [
                    sys.executable,
                    "-m",
                    "bench.tutorial",
                    str(data),
                    str(_fresh(work / f"tutorial{n}")),
                    AS_OF,
                ]
            ),
        )

    if "runs" in groups:
        added.update(add_increment(data))
        # The next scheduled run on the same warehouse: every repeat starts from the full
        # run's warehouse, at one path where dbt's parse of the project was left.
        full = Warehouse(work / "full0")
        _parse_at(_copy_warehouse(full, work / "inc"))

        def incremental_run(n: int) -> dict[str, Any]:
            warehouse = _copy_warehouse(full, work / "inc", keep_parse=True).root
            return _measured_run(run(warehouse), warehouse)

        steps["incremental_run"] = _repeat(repeat, incremental_run)


def _time_dbt(
    steps: dict[str, dict[str, Any]], repeat: int, work: Path, ingested: Warehouse
) -> None:
    # Its dbt builds run dbt directly, so they hold the definition's seeds as a build does.
    with definition_in_seeds(load_definitions(DEFINITIONS_DIR)):
        seeded = _copy_warehouse(ingested, work / "seeded")
        run_dbt(seeded, ["seed"], as_of=AS_OF, quiet=True)
        dbt_args = ["build", "--exclude", "resource_type:seed", "test_type:unit"]
        # A scheduled build finds the parse its last run left at the same path (see
        # leadhouse.build.dbt_env): every repeat builds at one path, from the seeded copy.
        _parse_at(_copy_warehouse(seeded, work / "dbt"))

        def dbt_step(n: int) -> dict[str, Any]:
            target = _copy_warehouse(seeded, work / "dbt", keep_parse=True)
            command = [dbt_executable(), *dbt_args, "--project-dir", str(DBT_PROJECT_DIR)]
            return measure(command, env=dbt_env(target, AS_OF))

        manifest = work / "dbt" / "dbt_target" / "manifest.json"

        def raw_sql_step(n: int) -> dict[str, Any]:
            # The manifest of the parse at work/dbt (above), which the dbt builds keep.
            raw = _copy_warehouse(seeded, work / f"raw{n}").database
            return measure([sys.executable, "-m", "bench.rawsql", str(manifest), str(raw)])

        _alternate(steps, repeat, ("dbt_build", dbt_step), ("raw_sql", raw_sql_step))


def ratios_of(steps: dict[str, dict[str, Any]]) -> dict[str, float]:
    """The ratios whose two steps were both measured, and the peak RSS of the Leadhouse
    steps that were."""
    ratios = {
        key: steps[top]["median_s"] / steps[bottom]["median_s"]
        for key, (top, bottom) in RATIO_STEPS.items()
        if top in steps and bottom in steps
    }
    peaks = [_peak_mb(steps[name]) for name in LEADHOUSE_STEPS if name in steps]
    if peaks:
        ratios["peak_rss_gb"] = max(peaks) / 1024
    return ratios


def judged(key: str, value: float) -> dict[str, Any]:
    what, goal, direction = GOALS[key]
    met = value <= goal if direction == "max" else value >= goal
    return {"value": value, "goal": goal, "direction": direction, "met": met, "what": what}


def _scaling(results: Path) -> list[str]:
    """Seconds per million events of each step, over every scale measured so far."""
    reports = []
    for name in SCALES:
        path = results / f"bench-{name}.json"
        if path.exists():
            reports.append(json.loads(path.read_text()))
    if len(reports) < 2:
        return []
    lines = ["", "## Growth across scales (seconds per million web + e-mail events)", ""]
    keys = list(dict.fromkeys(name for r in reports for name in r["steps"]))
    lines.append("| scale | events | " + " | ".join(keys) + " |")
    lines.append("|---" * (len(keys) + 2) + "|")
    for r in reports:
        events = r["data"]["web_events"] + r["data"]["email_events"]
        per = [
            f"{r['steps'][k]['median_s'] / events * 1e6:.1f}" if k in r["steps"] else "-"
            for k in keys
        ]
        lines.append(f"| {r['scale']} | {events:,} | " + " | ".join(per) + " |")
    return lines + _node_growth(reports)


def _node_growth(reports: list[dict[str, Any]]) -> list[str]:
    """Seconds per million events of the full run's slowest dbt nodes at the largest
    scale measured, at every scale that recorded them: a node whose figure rises with
    the scale grows faster than the data."""
    measured = [r for r in reports if r["steps"].get("full_run", {}).get("nodes")]
    if len(measured) < 2:
        return []
    largest = measured[-1]["steps"]["full_run"]["nodes"]
    slowest = sorted(largest, key=lambda node: -largest[node])[:LISTED_NODES]
    lines = [
        "",
        "### dbt nodes of the full run (seconds per million web + e-mail events)",
        "",
        "| dbt node | " + " | ".join(r["scale"] for r in measured) + " |",
        "|---" * (len(measured) + 1) + "|",
    ]
    for node in slowest:
        per = []
        for r in measured:
            events = r["data"]["web_events"] + r["data"]["email_events"]
            seconds = r["steps"]["full_run"]["nodes"].get(node)
            per.append("-" if seconds is None else f"{seconds / events * 1e6:.2f}")
        lines.append(f"| {node} | " + " | ".join(per) + " |")
    return lines


def _breakdown(steps: dict[str, dict[str, Any]]) -> list[str]:
    """The runs' steps and their slowest dbt nodes (medians over the repeats)."""
    runs = [name for name in RUN_STEPS if name in steps and steps[name].get("parts")]
    if not runs:
        return []
    parts = list(dict.fromkeys(part for name in runs for part in steps[name]["parts"]))
    lines = [
        "",
        "## Where the runs' time went (median seconds; the run's record and dbt's run results)",
        "",
        "| run | " + " | ".join(parts) + " |",
        "|---" * (len(parts) + 1) + "|",
    ]
    for name in runs:
        values = [steps[name]["parts"].get(part) for part in parts]
        lines.append(
            f"| {name} | " + " | ".join("-" if v is None else f"{v:.1f}" for v in values) + " |"
        )
    nodes = steps[runs[0]].get("nodes", {})
    slowest = sorted(nodes, key=lambda node: -nodes[node])[:LISTED_NODES]
    if slowest:
        lines += ["", "| dbt node | " + " | ".join(runs) + " |", "|---" * (len(runs) + 1) + "|"]
        for node in slowest:
            values = [steps[name].get("nodes", {}).get(node) for name in runs]
            lines.append(
                f"| {node} | " + " | ".join("-" if v is None else f"{v:.1f}" for v in values) + " |"
            )
    return lines


def markdown(report: dict[str, Any], results: Path) -> str:
    lines = [
        f"# Leadhouse benchmark, scale {report['scale']} ({report['measured_at']})",
        "",
        "## Ratios (medians measured side by side in this run)",
        "",
        "| ratio | value | goal | met |",
        "|---|---|---|---|",
    ]
    for ratio in report["ratios"].values():
        met = "yes" if ratio["met"] else "**no**"
        bound = "≤" if ratio["direction"] == "max" else "≥"
        lines.append(
            f"| {ratio['what']} | {ratio['value']:.2f} | {bound} {ratio['goal']} | {met} |"
        )
    lines += [
        "",
        "## Steps",
        "",
        "| step | median s | min-max s | peak RSS MiB, largest process "
        "| peak RSS MiB, all processes |",
        "|---|---|---|---|---|",
    ]
    for name, step in report["steps"].items():
        tree = step.get("peak_tree_rss_mb")
        lines.append(
            f"| {name} | {step['median_s']:.2f} | {step['min_s']:.2f}-{step['max_s']:.2f} "
            f"| {step['peak_rss_mb']:.0f} | {'-' if tree is None else f'{tree:.0f}'} |"
        )
    lines += _breakdown(report["steps"])
    data = report["data"]
    lines += [
        "",
        f"Data: {data['people']:,} people, {data['companies']:,} companies, "
        f"{data['web_events']:,} web events, {data['email_events']:,} e-mail events; "
        f"increment {data['increment']}. Each step ran {report['repeat']} times.",
    ]
    m = report["machine"]
    lines += [
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}, {m['os']}, "
        f"Python {m['python']}, " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
    ]
    if report.get("failed"):
        lines += ["", "**Stopped by a failed step:** " + report["failed"].splitlines()[0]]
    if report["not_measured"]:
        lines += ["", "Not measured: " + "; ".join(report["not_measured"])]
    lines += _scaling(results)
    return "\n".join(lines) + "\n"
