"""Watching processes from tests (Linux /proc): alive, whose child, gone in time."""

from __future__ import annotations

import sys
import time

import pytest

from bench.measure import stat_fields

LINUX_ONLY = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="/proc and prctl(PR_SET_PDEATHSIG)"
)


def alive(pid: int) -> bool:
    fields = stat_fields(pid)
    return fields is not None and fields[0] != "Z"  # a zombie has died, unreaped


def parent_of(pid: int) -> int:
    fields = stat_fields(pid)
    assert fields is not None, f"process {pid} is gone"
    return int(fields[1])


def wait_until_gone(pid: int, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while alive(pid):
        assert time.monotonic() < deadline, f"{what} outlived its parent"
        time.sleep(0.1)
