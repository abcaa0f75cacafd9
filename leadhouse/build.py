"""Build the warehouse with dbt: compile the lead definition into seeds, then `dbt build`."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from leadhouse.config import (
    DBT_PROJECT_DIR,
    LEAD_DEFINITION_SEEDS,
    MEMORY_LIMIT_ENV,
    Warehouse,
    duckdb_settings,
)
from leadhouse.definition import DefinitionSet, load_definitions, seeds_written, write_seeds
from leadhouse.isolated import dies_with_this_process

# Read by the as_of_timestamp() macro when dbt executes (dbt_project/macros/portable.sql).
AS_OF_ENV = "LEADHOUSE_AS_OF"


class BuildFailed(RuntimeError):
    pass


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def dbt_env(warehouse: Warehouse, as_of: str | None = None) -> dict[str, str]:
    """dbt's environment for ``warehouse``. The as-of moment travels as LEADHOUSE_AS_OF, not
    as ``--vars``: dbt parses the whole project again whenever its vars change, and the
    moment changes on every scheduled build; the warehouse path and target folder stay the
    same from run to run, so dbt reuses its parse of the last run for the unchanged files."""
    env = dict(os.environ)
    env.update(
        {
            "LEADHOUSE_DUCKDB": str(warehouse.database),
            "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
            "DBT_TARGET_PATH": str(warehouse.dbt_target_dir),
            "DBT_LOG_PATH": str(warehouse.root / "dbt_logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            # The one memory limit of every warehouse connection (profiles.yml reads it).
            MEMORY_LIMIT_ENV: duckdb_settings()["memory_limit"],
        }
    )
    if as_of:
        env[AS_OF_ENV] = as_of
    return env


@contextmanager
def definition_in_seeds(definitions: DefinitionSet, seed_dir: Path | None = None) -> Iterator[None]:
    """Keep ``definitions`` in the seeds at ``seed_dir`` while dbt reads them.

    The seeds sit in the checkout, shared by every warehouse built from it. Builds with
    the same definition hold them together (a shared lock); a build with another one
    waits until those have ended, then writes its own (an exclusive lock). So no build
    scores with another build's weights, whichever definitions two warehouses are built
    with at the same time. A build that waits to write is not overtaken: builds that
    come after it pass a gate it holds while it waits, so they wait behind it. The locks
    are the kernel's: a killed build lets go of them."""
    seed_dir = seed_dir or LEAD_DEFINITION_SEEDS
    seed_dir.mkdir(parents=True, exist_ok=True)
    with (
        (seed_dir.parent / f".{seed_dir.name}.lock").open("a") as lock,
        (seed_dir.parent / f".{seed_dir.name}.gate").open("a") as gate,
    ):
        with _held(gate):
            fcntl.flock(lock, fcntl.LOCK_SH)
        try:
            while not seeds_written(definitions, seed_dir):
                # Let go of the seeds before queueing at the gate: a build holding the
                # gate waits for every holder of the seeds, so holding both would deadlock.
                fcntl.flock(lock, fcntl.LOCK_UN)
                with _held(gate):
                    fcntl.flock(lock, fcntl.LOCK_EX)
                    write_seeds(definitions, seed_dir)
                    # Converting a flock is not atomic (Linux lets go first); nobody slips
                    # in while this build holds the gate, but the loop checks again.
                    fcntl.flock(lock, fcntl.LOCK_SH)
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextmanager
def _held(lock_file: IO[str]) -> Iterator[None]:
    fcntl.flock(lock_file, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(lock_file, fcntl.LOCK_UN)


def build_time() -> str:
    """One as-of moment for the whole build (UTC, whole seconds), so every model agrees."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0).isoformat(sep=" ")


def run_dbt(
    warehouse: Warehouse, args: list[str], as_of: str | None = None, quiet: bool = False
) -> None:
    command = [dbt_executable(), *args, "--project-dir", str(DBT_PROJECT_DIR)]
    completed = subprocess.run(
        command,
        env=dbt_env(warehouse, as_of),
        cwd=DBT_PROJECT_DIR,
        capture_output=quiet,
        text=True,
        check=False,
        preexec_fn=dies_with_this_process(),  # no orphan dbt writing without the run's lock
    )
    if completed.returncode != 0:
        detail = ""
        if quiet:
            lines = (completed.stdout or "").splitlines()
            errors = [line for line in lines if "ERROR" in line or "Error" in line]
            # A parsing or compilation error explains itself in the lines that follow it.
            start = next((n for n, line in enumerate(lines) if "Error" in line), len(lines))
            detail = "\n" + "\n".join(dict.fromkeys(errors + lines[start : start + 12]))
        raise BuildFailed(f"dbt {' '.join(args)} failed (exit {completed.returncode}){detail}")


def build(
    warehouse: Warehouse,
    definition_path: Path,
    as_of: str | None = None,
    quiet: bool = False,
    full_refresh: bool = False,
    unit_tests: bool = False,
) -> DefinitionSet:
    """Compile the definitions and run `dbt build` (models, seeds and data tests):
    incremental models only recompute what changed since the last build, unless
    ``full_refresh``. dbt unit tests check the SQL, not the data: they run in development
    and CI (``unit_tests=True``), not on every scheduled build."""
    definitions = load_definitions(definition_path)
    args = ["build", "--full-refresh"] if full_refresh else ["build"]
    if not unit_tests:
        args += ["--exclude", "test_type:unit"]
    with definition_in_seeds(definitions):
        run_dbt(warehouse, args, as_of=as_of or build_time(), quiet=quiet)
    return definitions
