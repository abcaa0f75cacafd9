"""Run one command and print its wall time and peak memory as JSON (the benchmark's stopwatch).

``python -m bench.measure -- cmd args…``. Two peaks, because a step is several processes
(``leadhouse run`` starts a child for the ingest and dbt for the build):

- ``peak_rss_mb``: the largest resident set of any single process of the command's tree
  that was waited for (``RUSAGE_CHILDREN``), exact;
- ``peak_tree_rss_mb``: the largest sum of the resident sets of the command and all its
  descendants at one moment, sampled every ``SAMPLE_SECONDS`` from ``/proc`` (Linux; a
  peak shorter than that can be missed). This is the memory the step needs of the machine.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

SAMPLE_SECONDS = 0.2
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def stat_fields(pid: int | str) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state first, then the
    parent's pid), or None when the process is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # ended while we looked
        return None
    # The command name may hold spaces and parentheses: fields follow the last ')'.
    return stat.rsplit(")", 1)[1].split()


def _processes() -> dict[int, tuple[int, int]]:
    """Every process's (parent pid, resident KiB)."""
    found: dict[int, tuple[int, int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := stat_fields(entry.name)) is not None:
            found[int(entry.name)] = (int(fields[1]), int(fields[21]) * PAGE_KB)
    return found


def tree_rss_kb(root: int) -> int:
    """Resident KiB of ``root`` and all its descendants now."""
    processes = _processes()
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in processes.items():
        children.setdefault(parent, []).append(pid)
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        if pid in processes:
            total += processes[pid][1]
        stack.extend(children.get(pid, []))
    return total


def main(argv: list[str]) -> int:
    command = argv[argv.index("--") + 1 :] if "--" in argv else argv
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak_tree_kb = 0
    sampling = Path("/proc").is_dir()

    def sample() -> None:
        nonlocal peak_tree_kb
        while process.poll() is None:
            peak_tree_kb = max(peak_tree_kb, tree_rss_kb(process.pid))
            time.sleep(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    if sampling:
        sampler.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    if sampling:
        sampler.join()
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_rss_mb": peak_kb / 1024,
                # Never below the single largest process, which is measured exactly.
                "peak_tree_rss_mb": max(peak_tree_kb, peak_kb) / 1024 if sampling else None,
                "exit_code": process.returncode,
                "stderr_tail": stderr[-2000:],
                "stdout_tail": stdout[-2000:],
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
