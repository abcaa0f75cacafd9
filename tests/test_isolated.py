"""A step in a child process (leadhouse/isolated.py): results, output, failures, death."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from leadhouse.isolated import ChildDied, ChildFailed, call_in_child
from tests.processes import LINUX_ONLY, alive, wait_until_gone


def _report(label: str) -> dict[str, object]:
    print(f"{label}: to stdout")
    print(f"{label}: to stderr", file=sys.stderr)
    print(f"{label}: stdout again")
    return {"label": label, "pid": os.getpid()}


def _raise_value_error(text: str) -> None:
    raise ValueError(text)


def _raise_unpicklable() -> None:
    class Local(Exception):  # defined in a function: pickle cannot find it by name
        pass

    raise Local("what went wrong")


def _kill_myself() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def test_the_result_comes_back_and_the_output_is_forwarded_in_order(
    capfd: pytest.CaptureFixture[str],
) -> None:
    result = call_in_child(_report, "ingest")
    assert result["label"] == "ingest"
    assert result["pid"] != os.getpid()  # it did run elsewhere
    captured = capfd.readouterr()
    assert captured.out == "ingest: to stdout\ningest: stdout again\n"
    assert captured.err == "ingest: to stderr\n"


def test_an_exception_is_raised_again_in_the_parent() -> None:
    with pytest.raises(ValueError, match="bad landing file"):
        call_in_child(_raise_value_error, "bad landing file")


def test_an_exception_that_cannot_be_pickled_keeps_its_text() -> None:
    with pytest.raises(ChildFailed, match=r"Local: what went wrong"):
        call_in_child(_raise_unpicklable)


def test_a_child_killed_without_an_answer_is_an_error() -> None:
    with pytest.raises(ChildDied, match=r"signal 9"):
        call_in_child(_kill_myself)


@LINUX_ONLY
def test_the_child_dies_with_its_parent(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    parent_code = f"""
        from leadhouse.isolated import call_in_child
        from tests.test_isolated import _sleep_forever
        call_in_child(_sleep_forever, {str(pid_file)!r})
        """
    _kill_parent_and_expect_child_gone(parent_code, pid_file)


@LINUX_ONLY
def test_dbt_dies_with_the_process_that_started_it(tmp_path: Path) -> None:
    """A run killed by its scheduler must leave no dbt writing to the warehouse without
    the run's lock: run_dbt's command (here a stand-in that sleeps) dies with it."""
    pid_file = tmp_path / "dbt.pid"
    fake_dbt = tmp_path / "dbt"
    fake_dbt.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 600\n")
    fake_dbt.chmod(0o755)
    parent_code = f"""
        from pathlib import Path
        import leadhouse.build as build
        from leadhouse.config import Warehouse
        build.dbt_executable = lambda: {str(fake_dbt)!r}
        build.run_dbt(Warehouse(Path({str(tmp_path / "warehouse")!r})), ["build"])
        """
    _kill_parent_and_expect_child_gone(parent_code, pid_file)


def _kill_parent_and_expect_child_gone(parent_code: str, pid_file: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(parent_code)], cwd=Path(__file__).parents[1]
    )
    try:
        deadline = time.monotonic() + 60
        while not pid_file.exists() or not pid_file.read_text().strip():
            assert time.monotonic() < deadline, "the child never started"
            assert parent.poll() is None, "the parent ended before its child started"
            time.sleep(0.1)
        child = int(pid_file.read_text())
        assert alive(child)
        os.kill(parent.pid, signal.SIGKILL)  # the parent only, as a scheduler's kill -9
        parent.wait(timeout=30)
        wait_until_gone(child, "the child")
    finally:
        if parent.poll() is None:
            parent.kill()
        if pid_file.exists() and pid_file.read_text().strip():
            with contextlib.suppress(ProcessLookupError):  # gone, as it should be
                os.kill(int(pid_file.read_text()), signal.SIGKILL)


def _sleep_forever(pid_file: str) -> None:
    Path(pid_file).write_text(str(os.getpid()))
    time.sleep(600)
