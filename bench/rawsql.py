"""dbt's overhead: the SQL dbt compiled, run directly as one DuckDB script.

Reads ``manifest.json`` of a finished ``dbt build`` and executes, in dependency order,
every model as ``create or replace table|view <relation> as <compiled select>`` and every
data test as ``select count(*) from (<compiled test>)``, in a single ``execute`` call on
one connection, with the memory limit dbt's connection has (leadhouse.config). Seeds are
expected to be loaded already (both sides start from the same seeded copy). Contracts,
hooks and dbt's rename dance are not repeated: that is the overhead being measured.
"""

from __future__ import annotations

import json
import sys
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

from leadhouse.config import connect


def script(manifest: dict[str, Any]) -> tuple[str, int, int]:
    nodes = manifest["nodes"]
    models = {
        uid: node
        for uid, node in nodes.items()
        if node["resource_type"] == "model" and node["config"]["materialized"] != "ephemeral"
    }
    order = TopologicalSorter(
        {
            uid: [d for d in node["depends_on"]["nodes"] if d in models]
            for uid, node in models.items()
        }
    ).static_order()
    statements = [
        f"create schema if not exists {node['database']}.{node['schema']};"
        for node in models.values()
    ]
    for uid in order:
        node = models[uid]
        kind = "view" if node["config"]["materialized"] == "view" else "table"
        statements.append(
            f"create or replace {kind} {node['relation_name']} as (\n{node['compiled_code']}\n);"
        )
    tests = [
        node
        for node in nodes.values()
        if node["resource_type"] == "test" and node.get("compiled_code")
    ]
    for node in tests:
        statements.append(f"select count(*) from (\n{node['compiled_code']}\n) as dbt_test;")
    return "\n".join(dict.fromkeys(statements)), len(models), len(tests)


def run(manifest_path: Path, database: Path) -> dict[str, int]:
    sql, models, tests = script(json.loads(manifest_path.read_text()))
    with connect(database) as con:
        con.execute("set preserve_insertion_order = false")
        con.execute(sql)
    return {"models": models, "tests": tests}


if __name__ == "__main__":
    print(json.dumps(run(Path(sys.argv[1]), Path(sys.argv[2]))))
