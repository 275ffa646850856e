"""Leak-free backtest of the risk scores (`cip backtest`, `python -m cip.backtest`).

`cip backtest --level declarations|operators|both --as-of D --horizon M` builds its own
warehouse as of D in its own DuckDB file, from a filtered copy of the raw data in which
no control closed after D exists (cip.backtest.warehouse), then ranks the lines dated in
(D, D + M months] (declaration level: every score of marts.declaration_risk) or the
operators scored on D (operator level: the GRI of every weighting technique, and the line
model's expected irregular lines) and scores those rankings against the controls closed
in that horizon, read from the original raw files: precision, recall, revenue recovered
and lift at 1, 2, 5 and 10% budgets, AUC and calibration, on every control and on the
randomly selected ones. See docs/backtest.md.

Modules: metrics (the figures), warehouse (copy, build, audit, outcomes), declarations
and operators (the two levels), report (the tables).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd

from cip.backtest.declarations import score_declarations
from cip.backtest.metrics import (BUDGETS, auc, budget_metrics, calibration, hit_rates, risk_level,
                                  selection_weights, truth_budget, truth_metrics)
from cip.backtest.operators import score_operators
from cip.backtest.report import format_report
from cip.backtest.warehouse import (build, filtered_copy, horizon_end, leak_audit, later_controls,
                                    warehouse_as_of)
from cip.check import load_vars
from cip.paths import data_dir as default_data_dir

__all__ = ["BUDGETS", "auc", "budget_metrics", "calibration", "hit_rates", "risk_level", "selection_weights",
           "truth_budget", "truth_metrics", "horizon_end", "filtered_copy", "leak_audit", "later_controls",
           "score_declarations", "score_operators", "format_report", "add_arguments", "run", "main"]

HELP = ("Build the warehouse as of a past date from data where later controls do not exist, and score "
        "every risk score (declaration lines or operators) against the controls closed afterwards.")

# what each level reads, and everything upstream of it
SELECT = {"operators": ("+operator_gri_by_technique", "+operator_line_risk", "+evaluation_window"),
          "declarations": ("+declaration_risk", "+operator_gri_by_technique", "+evaluation_window")}
SELECT["both"] = tuple(dict.fromkeys(SELECT["declarations"] + SELECT["operators"]))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--level", choices=["operators", "declarations", "both"], default="operators",
                        help="operators (GRI of every technique; default), declarations (every score of "
                             "marts.declaration_risk) or both (one build)")
    parser.add_argument("--as-of", required=True, help="date D (YYYY-MM-DD): the warehouse is built as of it "
                                                       "and sees no control closed after it")
    parser.add_argument("--horizon", type=int, default=12,
                        help="months after D: lines dated and controls closed in (D, D + horizon] are scored (12)")
    parser.add_argument("--data", type=Path, default=None, help="raw data folder (default: CIP_DATA_DIR or data/demo)")
    parser.add_argument("--db", type=Path, default=None,
                        help="DuckDB file of the backtest's warehouse (default: a temporary file); its filtered "
                             "data copy and dbt logs go to <db>.work/, kept with it")
    parser.add_argument("--json", type=Path, default=None, help="also write every figure, with its counts, as JSON")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (warehouse, filtered data copy, dbt logs) and print its path")
    parser.add_argument("--skip-build", action="store_true",
                        help="score the --db built earlier by the backtest with the same as-of date")
    parser.add_argument("--all-models", action="store_true",
                        help="build every model, not only what the level reads")
    parser.add_argument("--skip-tests", action="store_true",
                        help="leave dbt's data and unit tests out of the build (faster; a failing test no "
                             "longer stops the backtest)")


def _work_dir(args) -> tuple[Path, Path, bool]:
    """(work folder, warehouse file, temporary)."""
    if args.db is not None:
        db = Path(args.db).resolve()
        return db.parent / f"{db.name}.work", db, False
    if args.skip_build:
        raise SystemExit("cip backtest: --skip-build needs --db")
    work = Path(tempfile.mkdtemp(prefix="cip-backtest-"))
    return work, work / "backtest.duckdb", True


def run(args: argparse.Namespace) -> int:
    as_of = pd.Timestamp(args.as_of).normalize()
    end = horizon_end(as_of, args.horizon)
    data = Path(args.data or default_data_dir()).resolve()
    if not data.is_dir():
        raise SystemExit(f"cip backtest: no data folder {data}")
    level = getattr(args, "level", "operators")
    config = load_vars({"as_of_date": str(as_of.date())})
    work, db, temporary = _work_dir(args)
    try:
        build_info: dict = {"warehouse": str(db), "data_copy": str(work / "data")}
        if args.skip_build:
            if not db.exists():
                raise SystemExit(f"cip backtest: --skip-build: no warehouse at {db}")
            built_as_of = warehouse_as_of(db)
            if built_as_of != as_of:
                raise SystemExit(f"cip backtest: {db} was built as of {built_as_of.date()}, not {as_of.date()}")
        else:
            for stale in (db, db.with_name(db.name + ".wal")):
                stale.unlink(missing_ok=True)
            work.mkdir(parents=True, exist_ok=True)
            build_info["filtered_copy"] = filtered_copy(data, work / "data", as_of, end)
            select = None if args.all_models else SELECT[level]
            code = build(work / "data", db, as_of, work, select=select, tests=not args.skip_tests)
            if code != 0:
                print(f"cip backtest: dbt build failed (exit {code}); logs in {work / 'logs'}", file=sys.stderr)
                args.keep = True
                return code
        audit = leak_audit(db, as_of, end)
        build_info["leak_audit"] = audit
        result = {"as_of_date": str(as_of.date()), "horizon_months": int(args.horizon),
                  "horizon_end": str(end.date()), "level": level, "data": str(data), "build": build_info,
                  "selected_technique": config.get("weighting_technique"),
                  "declaration_scorer": config.get("declaration_scorer")}
        if audit["leaks"]:
            print(format_report(result))
            print(f"cip backtest: the warehouse holds data after the as-of date: {audit}", file=sys.stderr)
            return 3
        controls = later_controls(data, config, as_of, end)
        if level in ("declarations", "both"):
            result["declarations"] = score_declarations(db, controls, as_of, end)
        if level in ("operators", "both"):
            result["operators"] = score_operators(db, controls, config, data)
        print(format_report(result))
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=2, default=float))
            print(f"\nJSON written to {args.json}")
        return 0
    finally:
        if temporary and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        elif temporary:
            print(f"cip backtest: kept {work} (warehouse {db})")


def main(argv: list[str] | None = None) -> int:
    """`python -m cip.backtest ...`: the same as `cip backtest ...`."""
    parser = argparse.ArgumentParser(prog="cip backtest", description=HELP)
    add_arguments(parser)
    return run(parser.parse_args(argv))
