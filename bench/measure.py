"""Run one command and print its wall time and peak RSS as JSON (the benchmark's stopwatch).

``python -m bench.measure -- cmd args…``. Peak RSS is the largest resident set of any
process in the command's tree that was waited for (``RUSAGE_CHILDREN``), so the dbt
process that ``leadhouse build`` starts is included.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    command = argv[argv.index("--") + 1 :] if "--" in argv else argv
    started = time.perf_counter()
    completed = subprocess.run(command, check=False, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_rss_mb": peak_kb / 1024,
                "exit_code": completed.returncode,
                "stderr_tail": completed.stderr[-2000:],
                "stdout_tail": completed.stdout[-2000:],
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
