"""Find line-level CTEs that DuckDB materialises whole (`cip query-plans`, run by pytest).

DuckDB 2.0 materialises a CTE that a query reads more than once (and, with its common-subplan
optimizer, identical subplans too): every row and column of it is built before its readers run
and held, or spilled, until the query ends. Over every declaration line that is the spill that
stopped the 50M builds (docs/benchmarks.md, "What spilled"). This check reads the compiled SQL
of every SQL model from a manifest, asks the warehouse for its plan (`EXPLAIN`, nothing runs),
and lists each materialised CTE whose definition scans a line-level table with no aggregate in
between. A CTE of that shape is allowed only when [tool.cip-query-plans] in pyproject.toml
excepts the (model, cte) pair with the reason its rows stay few (a join to examined lines, a
filter to a rare case).

Line-level tables: those with at least half as many rows as `stg_customs__declarations` that
have an `item_no` column, and those with more rows than it. The plans are those of a full build
(an incremental model's daily path is compiled differently); the check is static, so a filter
that keeps few rows is not seen: that is what the exception's reason states.
"""

from __future__ import annotations

import argparse
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cip.paths import db_path, project_root

HELP = "List line-level CTEs that DuckDB would materialise whole (a spill risk at 50M lines)."

# operators after which a CTE no longer holds one row per line
REDUCING = {"HASH_GROUP_BY", "PERFECT_HASH_GROUP_BY", "UNGROUPED_AGGREGATE", "TOP_N", "LIMIT",
            "STREAMING_LIMIT"}


@dataclass(frozen=True)
class Finding:
    model: str
    cte: str
    tables: tuple[str, ...]
    columns: int  # the most columns read from one line-level table in the CTE

    def describe(self) -> str:
        return (f"{self.model}: CTE `{self.cte}` is materialised whole and holds rows of "
                f"{', '.join(self.tables)} ({self.columns} columns read)")


def line_level_tables(connection: duckdb.DuckDBPyConnection) -> set[str]:
    lines = connection.execute("select count(*) from staging.stg_customs__declarations").fetchone()[0]
    rows = connection.execute("""
        select tables.table_name
        from duckdb_tables() as tables
        where tables.estimated_size > ?
            or (
                tables.estimated_size >= ? / 2
                and exists (
                    select 1 from duckdb_columns() as columns
                    where columns.table_oid = tables.table_oid and columns.column_name = 'item_no'
                )
            )
    """, [lines, lines]).fetchall()
    return {name for (name,) in rows}


def _unreduced_scans(node: dict, found: list[tuple[str, int]]) -> None:
    name = node.get("name", "")
    if name in REDUCING:
        return
    info = node.get("extra_info") or {}
    if name != "CTE_SCAN" and isinstance(info, dict) and info.get("Table"):
        found.append((info["Table"].split(".")[-1], len(info.get("Projections") or [])))
    for child in node.get("children", []):
        _unreduced_scans(child, found)


def materialised_line_ctes(plan: list[dict], line_tables: set[str], model: str) -> list[Finding]:
    findings: list[Finding] = []

    def walk(node: dict) -> None:
        if node.get("name") == "CTE" and node.get("children"):
            scans: list[tuple[str, int]] = []
            _unreduced_scans(node["children"][0], scans)
            hits = [(table, columns) for table, columns in scans if table in line_tables]
            if hits:
                findings.append(Finding(model, str(node["extra_info"].get("CTE Name")),
                                        tuple(sorted({table for table, _ in hits})),
                                        max(columns for _, columns in hits)))
        for child in node.get("children", []):
            walk(child)

    for root in plan:
        walk(root)
    return findings


def check(db: Path, manifest: Path) -> list[Finding]:
    """Every line-level CTE the warehouse's planner would materialise, over the manifest's models."""
    nodes = json.loads(manifest.read_text())["nodes"].values()
    models = [node for node in nodes if node["resource_type"] == "model" and node.get("language") == "sql"]
    missing = [node["name"] for node in models if not node.get("compiled_code")]
    if missing:
        raise SystemExit(f"{manifest} has no compiled SQL for {len(missing)} model(s) (e.g. {missing[0]}): "
                         "use the manifest of a full `dbt build` or `dbt compile` of this project")
    connection = duckdb.connect(str(db), read_only=True)
    try:
        line_tables = line_level_tables(connection)
        findings: list[Finding] = []
        for node in models:
            (_, plan_text), = connection.execute("explain (format json) " + node["compiled_code"]).fetchall()
            findings += materialised_line_ctes(json.loads(plan_text), line_tables, node["name"])
        return findings
    finally:
        connection.close()


def exceptions(pyproject: Path | None = None) -> dict[tuple[str, str], str]:
    config = tomllib.loads((pyproject or project_root() / "pyproject.toml").read_text())
    entries = config.get("tool", {}).get("cip-query-plans", {}).get("line_level_cte_exceptions", [])
    return {(entry["model"], entry["cte"]): entry["reason"] for entry in entries}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None,
                        help="a built warehouse, opened read-only [CIP_DB_PATH or warehouse/customs_cip.duckdb]")
    parser.add_argument("--manifest", type=Path, action="append", default=None,
                        help="manifest of a full build or compile, repeatable: a fresh build's compiles the "
                             "full paths, a compile against a built warehouse the incremental (daily) paths; "
                             "exceptions are judged over all of them [target/manifest.json]")


def run(args: argparse.Namespace) -> int:
    allowed = exceptions()
    manifests = args.manifest or [project_root() / "target" / "manifest.json"]
    findings = sorted({finding for manifest in manifests for finding in check(args.db or db_path(), manifest)},
                      key=lambda finding: (finding.model, finding.cte))
    new = [finding for finding in findings if (finding.model, finding.cte) not in allowed]
    seen = {(finding.model, finding.cte) for finding in findings}
    stale = sorted(pair for pair in allowed if pair not in seen)  # a fixed CTE leaves the list
    for finding in findings:
        if (finding.model, finding.cte) in allowed:
            print(f"excepted  {finding.describe()}: {allowed[(finding.model, finding.cte)]}")
    for finding in new:
        print(f"NEW       {finding.describe()}: read it once (give each reader its own narrow "
              f"select) or, if its rows stay few, add the pair to [tool.cip-query-plans] with the reason")
    for model, cte in stale:
        print(f"STALE     exception ({model}, {cte}) matches no materialised CTE any more: remove it")
    return 1 if new or stale else 0
