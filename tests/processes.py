"""Watching processes from tests (Linux /proc): alive, whose child, gone in time."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

LINUX_ONLY = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="/proc and prctl(PR_SET_PDEATHSIG)"
)


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state first)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    return text.rsplit(")", 1)[1].split()


def alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"  # a zombie has died, unreaped


def parent_of(pid: int) -> int:
    fields = _stat(pid)
    assert fields is not None, f"process {pid} is gone"
    return int(fields[1])


def wait_until_gone(pid: int, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while alive(pid):
        assert time.monotonic() < deadline, f"{what} outlived its parent"
        time.sleep(0.1)
