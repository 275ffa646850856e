"""Build the warehouse with dbt and print what was built (`cip build`, `cip demo`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from cip.dbt import run_dbt
from cip.paths import data_dir, db_path, project_root
from cip.summary import print_summary

HELP_BUILD = "Run `dbt build` (seeds, models, tests) on a data folder and print a summary."
HELP_DEMO = ("Generate the demo data set, build the warehouse, write the report: "
             "the whole product in one command.")


def add_build_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=None, help="raw data folder (default: CIP_DATA_DIR or data/demo)")
    parser.add_argument("--db", type=Path, default=None, help="DuckDB file (default: CIP_DB_PATH or warehouse/customs_cip.duckdb)")
    parser.add_argument("--select", default=None, help="dbt selection (default: everything)")
    parser.add_argument("--full-refresh", action="store_true", help="rebuild incremental models from scratch")
    parser.add_argument("--vars", default=None, help="dbt vars as YAML, e.g. \"{as_of_date: '2025-06-30'}\"")


def run_build(args: argparse.Namespace) -> int:
    dbt_args = ["build"]
    if args.select:
        dbt_args += ["--select", args.select]
    if args.full_refresh:
        dbt_args.append("--full-refresh")
    if args.vars:
        dbt_args += ["--vars", args.vars]
    code = run_dbt(dbt_args, data=args.data, db=args.db)
    if code == 0:
        print_summary(args.db or db_path())
    return code


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--declarations", type=int, default=300_000, help="demo size (default 300,000 lines)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--regenerate", action="store_true", help="regenerate even if the demo data exist")


def run_demo(args: argparse.Namespace) -> int:
    from cip import generate

    data = project_root() / "data" / "demo"
    marker = data / "_truth" / "truth.json"
    if args.regenerate or not marker.exists():
        generate.generate(data, declarations=args.declarations, seed=args.seed, corrupt_rate=0.001)
    else:
        print(f"demo data already in {data} (use --regenerate to rebuild them)")
    db = db_path()
    code = run_dbt(["build"], data=data, db=db)
    if code != 0:
        return code
    print_summary(db)
    try:
        from cip import report
    except ModuleNotFoundError:
        return 0
    path = report.write_report(db, project_root() / "reports" / "cip_report.html")
    print(f"CIP report: {path}")
    return 0
