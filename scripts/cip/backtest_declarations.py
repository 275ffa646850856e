"""Backtest of the declaration-level risk score (marts.declaration_risk, M10).

The score of every declaration line is point in time (it uses only what was known on
its declaration date), so one warehouse built on all the data can be scored against the
controls recorded after any as-of date: no rebuild per date is needed.

Definitions (lines = staged declaration lines dated in (as_of, as_of + horizon]):
  examined    an examination closed in the horizon covers the line (an examination
              without item_no covers every line of its declaration).
  detected    one of those examinations found an irregularity.
  budget b    the top round(b x lines) lines by score are inspected; lines tied at the
              cut-off share the remaining slots (cip.backtest.selection_weights), so a
              score that ties everything is the expectation of a random choice.
  precision   detected among the inspected-and-examined / inspected-and-examined.
  recall      detected and inspected / all detected lines.
  recovered   amount reassessed (LCU) of the detected lines that are inspected; the amount
              of an examination covering a whole declaration is split over its lines.
Scores compared: `declaration` (risk_score), `operator` (the operator's point-in-time
GRI alone, the operator_gri column of the same mart) and `random`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HELP = ("Score the declaration-level risk score (marts.declaration_risk) against the examinations "
        "recorded after a date: precision, recall and recovered revenue at inspection budgets.")

BUDGETS = (0.01, 0.02, 0.05, 0.10)
SCORES = ("declaration", "operator", "random")


def read_lines(db_path: Path, as_of: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Scored declaration lines dated in (as_of, end]."""
    import duckdb

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(
            "select declaration_id, item_no, tin, declaration_date, risk_score, operator_gri "
            "from marts.declaration_risk where declaration_date > ? and declaration_date <= ? "
            "order by declaration_id, item_no",
            [as_of.date(), end.date()]).df()
    finally:
        con.close()


def line_outcomes(lines: pd.DataFrame, examinations: pd.DataFrame) -> pd.DataFrame:
    """Per line: examined, detected and the amount reassessed attributed to it.

    `examinations` has declaration_id, item_no (null = whole declaration), is_irregular
    and amount_reassessed. A whole-declaration amount is split evenly over its lines."""
    frame = lines[["declaration_id", "item_no"]].reset_index()
    controls = examinations[["declaration_id", "item_no", "is_irregular", "amount_reassessed"]].reset_index(drop=True)
    controls["control_row"] = np.arange(len(controls))
    joined = controls.merge(frame, on="declaration_id", suffixes=("_control", ""))
    joined = joined[joined["item_no_control"].isna() | (joined["item_no_control"] == joined["item_no"])].copy()
    # lines covered by each control: 1 for a line-level control, all lines of the declaration otherwise
    covered = joined.groupby("control_row")["index"].transform("size").astype(float)
    amount = joined["amount_reassessed"].fillna(0.0).astype(float)
    joined["amount_share"] = np.where(joined["is_irregular"].fillna(False).astype(bool), amount / covered, 0.0)
    n = len(lines)
    examined = np.zeros(n, dtype=bool)
    detected = np.zeros(n, dtype=bool)
    recovered = np.zeros(n, dtype=float)
    idx = joined["index"].to_numpy(int)
    examined[idx] = True
    detected[joined.loc[joined["is_irregular"].fillna(False).astype(bool), "index"].to_numpy(int)] = True
    np.add.at(recovered, idx, joined["amount_share"].to_numpy(float))
    return pd.DataFrame({"examined": examined, "detected": detected, "recovered": recovered})


def budget_row(name: str, score: np.ndarray, outcomes: pd.DataFrame, budget: float) -> dict:
    """Precision, recall and recovered revenue of inspecting the top `budget` share by score."""
    from cip.backtest import selection_weights

    weights = selection_weights(score, budget)
    examined = outcomes["examined"].to_numpy(bool)
    detected = outcomes["detected"].to_numpy(bool) & examined
    recovered = outcomes["recovered"].to_numpy(float) * detected
    selected_examined = float((weights * examined).sum())
    selected_detected = float((weights * detected).sum())
    total_examined = int(examined.sum())
    total_detected = int(detected.sum())
    total_recovered = float(recovered.sum())
    base_rate = total_detected / total_examined if total_examined else None
    precision = selected_detected / selected_examined if selected_examined > 0 else None
    return {
        "score": name, "budget": budget, "lines": int(len(score)), "selected": float(weights.sum()),
        "selected_examined": selected_examined, "selected_detected": selected_detected,
        "precision": precision,
        "recall": selected_detected / total_detected if total_detected else None,
        "lift": precision / base_rate if precision is not None and base_rate else None,
        "base_rate": base_rate,
        "recovered_lcu": float((weights * recovered).sum()),
        "recovered_share": float((weights * recovered).sum()) / total_recovered if total_recovered else None,
    }


def declaration_backtest(db_path, data_dir, as_of, horizon_months: int = 12) -> list[dict]:
    """One row per score (declaration, operator, random) and budget (1, 2, 5, 10% of the
    lines dated in (as_of, as_of + horizon_months]), scored against the examinations
    closed in that horizon (clean control results of `data_dir`, same rules as staging)."""
    from cip.backtest import horizon_end, later_controls
    from cip.check import load_vars

    as_of = pd.Timestamp(as_of)
    end = horizon_end(as_of, int(horizon_months))
    lines = read_lines(Path(db_path), as_of, end)
    controls = later_controls(Path(data_dir), load_vars({"as_of_date": str(as_of.date())}), as_of, end)
    examinations = controls[controls["control_type"] == "examination"]
    outcomes = line_outcomes(lines, examinations)
    scores = {
        "declaration": lines["risk_score"].to_numpy(float),
        "operator": lines["operator_gri"].fillna(0.0).to_numpy(float),
        "random": np.zeros(len(lines)),
    }
    return [budget_row(name, scores[name], outcomes, budget) for name in SCORES for budget in BUDGETS]


def format_rows(rows: list[dict]) -> str:
    def pct(value) -> str:
        return "-" if value is None else f"{100 * value:.1f}%"

    out = [f"{'score':<12} {'budget':>6} {'lines':>8} {'examined':>9} {'detected':>9} "
           f"{'precision':>9} {'recall':>7} {'lift':>5} {'recovered LCU':>15} {'share':>6}"]
    for row in rows:
        lift = "-" if row["lift"] is None else f"{row['lift']:.2f}"
        out.append(f"{row['score']:<12} {pct(row['budget']):>6} {row['selected']:>8.0f} "
                   f"{row['selected_examined']:>9.1f} {row['selected_detected']:>9.1f} "
                   f"{pct(row['precision']):>9} {pct(row['recall']):>7} {lift:>5} "
                   f"{row['recovered_lcu']:>15,.0f} {pct(row['recovered_share']):>6}")
    return "\n".join(out)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-of", required=True, help="date YYYY-MM-DD: lines declared after it are scored")
    parser.add_argument("--horizon", type=int, default=12, help="months after the date (12)")
    parser.add_argument("--data", type=Path, default=None, help="raw data folder (default: CIP_DATA_DIR)")
    parser.add_argument("--db", type=Path, default=None, help="built warehouse (default: CIP_DB_PATH)")


def run(args: argparse.Namespace, data: Path | None = None) -> int:
    """CLI entry: `cip backtest --level declarations` calls run(args, data)."""
    from cip.paths import data_dir as default_data_dir
    from cip.paths import db_path as default_db_path

    data = Path(data or getattr(args, "data", None) or default_data_dir()).resolve()
    db = Path(getattr(args, "db", None) or default_db_path()).resolve()
    if not db.exists():
        print(f"cip backtest: no warehouse at {db}; build it first (dbt build)", file=sys.stderr)
        return 2
    rows = declaration_backtest(db, data, args.as_of, args.horizon)
    print(f"declaration-level backtest: lines declared after {args.as_of}, {args.horizon} months; "
          f"warehouse {db}")
    print(format_rows(rows))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cip.backtest_declarations", description=HELP)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
