"""The physical anchor: DuckDB's own readers loading the same landing files into tables.

One table per landing file, read with ``read_json``/``read_csv`` (XML has no DuckDB
reader, so it is read with ``read_text``). DuckDB checks nothing, quarantines nothing and
deduplicates nothing: this is the floor, not an equivalent pipeline. A file DuckDB's
strict JSON reader refuses (a truncated webhook batch) is counted, not loaded.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import duckdb

SYSTEMS = ("crm", "web_analytics", "email", "company_registry")


def reader(path: Path) -> str:
    quoted = "'" + str(path).replace("'", "''") + "'"
    if path.suffix == ".csv":
        return f"read_csv({quoted})"
    if path.suffix == ".xml":
        return f"read_text({quoted})"
    options = (
        ", format = 'newline_delimited', ignore_errors = true"
        if path.suffix
        in (
            ".jsonl",
            ".ndjson",
        )
        else ""
    )
    return f"read_json({quoted}{options})"


def load(data_dir: Path, database: Path) -> dict[str, int]:
    rows = 0
    refused = 0
    with duckdb.connect(str(database)) as con:
        for system in SYSTEMS:
            con.execute(f"create schema if not exists {system}")
            for path in sorted((data_dir / system).glob("*.*")):
                table = re.sub(r"\W", "_", path.name)
                try:
                    con.execute(
                        f"create or replace table {system}.{table} as select * from {reader(path)}"
                    )
                except duckdb.Error:
                    refused += 1
                    continue
                (count,) = con.execute(f"select count(*) from {system}.{table}").fetchone() or (0,)
                rows += count
    return {"rows": rows, "files_refused": refused}


if __name__ == "__main__":
    print(json.dumps(load(Path(sys.argv[1]), Path(sys.argv[2]))))
