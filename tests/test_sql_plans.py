"""Every model and data test joins in a way that grows linearly with the data.

DuckDB (like Spark) turns a join condition that is not a plain comparison between the two
sides, such as ``valid_to is null or x < valid_to`` in a left join, into a nested-loop
join that compares every pair of rows. At scale M two such joins took 330 of the dbt
build's 400 seconds. This test reads DuckDB's plan of the SQL that dbt compiled for every
model and data test of the session build and allows a pairwise join (or a cross product)
only where one side is a reference seed (a handful of rules, bands or codes) or a single
aggregate row.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from tests.conftest import Built

PAIRWISE = {"BLOCKWISE_NL_JOIN", "NESTED_LOOP_JOIN", "CROSS_PRODUCT"}
ONE_ROW = {"UNGROUPED_AGGREGATE", "SIMPLE_AGGREGATE"}


def _ctes(plan: Any) -> dict[str, dict[str, Any]]:
    """Materialised CTEs of a plan by index: the first child of a CTE node defines it."""
    found: dict[str, dict[str, Any]] = {}
    for node in plan if isinstance(plan, list) else [plan]:
        if node.get("name") == "CTE":
            found[node["extra_info"]["Table Index"]] = node["children"][0]
        found.update(_ctes(node.get("children", [])))
    return found


def _scans(node: dict[str, Any], ctes: dict[str, dict[str, Any]]) -> list[str]:
    """The tables a plan subtree reads (schema.table), looking through CTE scans."""
    found: list[str] = []
    info = node.get("extra_info", {})
    if info.get("Table"):
        found.append(".".join(info["Table"].split(".")[-2:]))
    elif node.get("name") == "CTE_SCAN":
        found.extend(_scans(ctes[info["CTE Index"]], ctes))
    elif node.get("name") in ("DELIM_SCAN", "COLUMN_DATA_SCAN"):
        found.append("<intermediate result>")
    for child in node.get("children", []):
        found.extend(_scans(child, ctes))
    return found


def _is_small(node: dict[str, Any], seeds: set[str], ctes: dict[str, dict[str, Any]]) -> bool:
    """A side that cannot grow with the data: constants, seed tables or one aggregate row."""
    current = node
    while current.get("name") in ("PROJECTION", "FILTER", "CTE_SCAN"):
        if current["name"] == "CTE_SCAN":
            current = ctes[current["extra_info"]["CTE Index"]]
        elif len(current["children"]) == 1:
            current = current["children"][0]
        else:
            break
    if current.get("name") in ONE_ROW:
        return True
    return all(scan in seeds for scan in _scans(node, ctes))


def pairwise_joins(plan: Any, seeds: set[str]) -> list[str]:
    """Every join in a plan that compares every pair of rows of two growing inputs."""
    ctes = _ctes(plan)
    offending: list[str] = []

    def visit(node: dict[str, Any]) -> None:
        children = node.get("children", [])
        if node.get("name") in PAIRWISE and not any(_is_small(c, seeds, ctes) for c in children):
            sides = [sorted(set(_scans(c, ctes))) for c in children]
            offending.append(f"{node['name']} between {' and '.join(map(str, sides))}")
        for child in children:
            visit(child)

    for root in plan if isinstance(plan, list) else [plan]:
        visit(root)
    return offending


def _plan(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    return json.loads(con.execute(f"explain (format json) {sql}").fetchall()[0][1])


def test_pairwise_joins_are_found(built: Built) -> None:
    """The check itself: the former shape of the consent test is flagged, the fix is not."""
    with duckdb.connect(str(built.warehouse.database), read_only=True) as con:
        base = """
            select c.person_id from intermediate.int_lead_score_contributions as c
            left join intermediate.int_consent_intervals as p
                on c.person_id = p.person_id and c.last_signal_at >= p.valid_from
                and {condition}
            where p.person_id is null
        """
        pairwise = _plan(
            con, base.format(condition="(p.valid_to is null or c.last_signal_at < p.valid_to)")
        )
        hashed = _plan(
            con,
            base.format(
                condition="c.last_signal_at < coalesce(p.valid_to, cast('9999-12-31' as timestamp))"
            ),
        )
        per_seed = _plan(
            con,
            "select * from intermediate.int_web_events_attributed as e "
            "join reference.page_categories as r on e.page_path like r.path_pattern",
        )
    assert pairwise_joins(pairwise, set()), "the or-condition left join should be pairwise"
    assert pairwise_joins(hashed, set()) == []
    assert pairwise_joins(per_seed, {"reference.page_categories"}) == []
    assert pairwise_joins(per_seed, set()), "without the seed rule the LIKE join is flagged"


def test_no_model_or_test_compares_every_pair_of_rows(built: Built) -> None:
    manifest = json.loads(Path(built.warehouse.dbt_target_dir / "manifest.json").read_text())
    seeds = {
        f"{node['schema']}.{node['alias']}"
        for node in manifest["nodes"].values()
        if node["resource_type"] == "seed"
    }
    checked = 0
    offending: dict[str, list[str]] = {}
    with duckdb.connect(str(built.warehouse.database), read_only=True) as con:
        for uid, node in manifest["nodes"].items():
            if node["resource_type"] not in ("model", "test") or not node.get("compiled_code"):
                continue
            if node["resource_type"] == "model" and node["config"]["materialized"] == "ephemeral":
                continue
            found = pairwise_joins(_plan(con, node["compiled_code"]), seeds)
            checked += 1
            if found:
                offending[uid] = found
    assert checked > 100  # every model and data test of the build, not a handful
    assert offending == {}, json.dumps(offending, indent=2)
