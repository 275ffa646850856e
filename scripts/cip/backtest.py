"""Backtest of the global risk index (`cip backtest`).

Builds the warehouse as it would have been on an as-of date (dbt build with
as_of_date=DATE into a separate DuckDB file), then scores the global GRI of every
weighting technique against what the controls recorded after that date found.
See docs/backtest.md for the definitions and a worked run.

Definitions (operator level; N = operators scored on the as-of date):
  controlled  the operator had at least one clean control (examination or PCA) closed in
              (as_of, as_of + horizon]; detected = at least one of them found an irregularity.
  budget b    the top round(b x N) operators by GRI (at least 1) are "selected". GRIs tie
              a lot (few indicators, discrete weights): the operators tied at the cut-off
              are selected fractionally (each with the same share of the remaining slots),
              which is the expectation under a random tie-break and makes the figures
              independent of row order.
  precision   detected among the selected-and-controlled / selected-and-controlled.
  recall      detected and selected / all detected.
  base rate   detected / controlled over all operators: the precision of a random choice.
  lift        precision / base rate.
Declaration level: every staged declaration line dated in (as_of, as_of + horizon]
takes its operator's GRI (0 for an operator not scored on the as-of date); "controlled"
= the line was examined (an examination without item_no covers all lines of its
declaration), "detected" = an examination of it found an irregularity; the budget is a
share of all those lines. The random baseline ranks everything as tied.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from cip.check import checked_source, load_contract, load_vars
from cip.dbt import run_dbt
from cip.paths import data_dir as default_data_dir

HELP = ("Rebuild the warehouse as of a past date and score the GRI of every weighting "
        "technique against the controls recorded after it (hit rates, precision/recall/lift).")

BUDGETS = (0.01, 0.02, 0.05, 0.10)
TECHNIQUES = ("frequency", "learned", "equal", "expert")
LEVELS = ("high", "medium", "low")


# --------------------------------------------------------------------------- metrics

def selection_weights(score, budget: float) -> np.ndarray:
    """Weight in [0, 1] of each unit in the top `budget` share ranked by score (desc).
    Units tied at the cut-off share the remaining slots equally."""
    score = np.asarray(score, dtype=float)
    n = len(score)
    if n == 0:
        return np.zeros(0)
    slots = max(1, int(round(budget * n)))
    slots = min(slots, n)
    order = np.sort(score)[::-1]
    cutoff = order[slots - 1]
    above = score > cutoff
    tied = score == cutoff
    weights = above.astype(float)
    remaining = slots - above.sum()
    weights[tied] = remaining / tied.sum()
    return weights


def budget_metrics(score, controlled, detected, budget: float) -> dict:
    """Precision, recall and lift of selecting the top `budget` share by score."""
    controlled = np.asarray(controlled, dtype=bool)
    detected = np.asarray(detected, dtype=bool) & controlled
    weights = selection_weights(score, budget)
    selected_controlled = float((weights * controlled).sum())
    selected_detected = float((weights * detected).sum())
    total_controlled = int(controlled.sum())
    total_detected = int(detected.sum())
    base_rate = total_detected / total_controlled if total_controlled else None
    precision = selected_detected / selected_controlled if selected_controlled > 0 else None
    recall = selected_detected / total_detected if total_detected else None
    lift = precision / base_rate if precision is not None and base_rate else None
    return {"budget": budget, "selected": float(weights.sum()), "selected_controlled": selected_controlled,
            "selected_detected": selected_detected, "precision": precision, "recall": recall,
            "base_rate": base_rate, "lift": lift}


def hit_rates(levels, controlled, detected) -> dict:
    """Per risk level: operators, controlled, detected and hit rate (detected / controlled)."""
    frame = pd.DataFrame({"level": list(levels), "controlled": np.asarray(controlled, bool),
                          "detected": np.asarray(detected, bool) & np.asarray(controlled, bool)})
    out = {}
    for level in LEVELS:
        rows = frame[frame["level"] == level]
        n_controlled = int(rows["controlled"].sum())
        n_detected = int(rows["detected"].sum())
        out[level] = {"operators": len(rows), "controlled": n_controlled, "detected": n_detected,
                      "hit_rate": n_detected / n_controlled if n_controlled else None}
    return out


def truth_metrics(flagged, noncompliant) -> dict:
    """Precision and recall of a flagged set against the planted ground truth."""
    flagged = np.asarray(flagged, bool)
    noncompliant = np.asarray(noncompliant, bool)
    true_positive = int((flagged & noncompliant).sum())
    return {"flagged": int(flagged.sum()), "noncompliant": int(noncompliant.sum()),
            "true_positive": true_positive,
            "precision": true_positive / flagged.sum() if flagged.sum() else None,
            "recall": true_positive / noncompliant.sum() if noncompliant.sum() else None}


def _truth_budget(gri, noncompliant, budget: float) -> dict:
    """Expected precision and recall of the top `budget` share against the ground truth."""
    weights = selection_weights(gri, budget)
    hits = float((weights * noncompliant).sum())
    return {"budget": budget, "precision": hits / weights.sum() if weights.sum() else None,
            "recall": hits / noncompliant.sum() if noncompliant.sum() else None}


def risk_level(gri, high: float, medium: float) -> np.ndarray:
    gri = np.asarray(gri, dtype=float)
    return np.where(gri >= high, "high", np.where(gri >= medium, "medium", "low"))


# --------------------------------------------------------------------------- data

def horizon_end(as_of: pd.Timestamp, months: int) -> pd.Timestamp:
    return (as_of + pd.DateOffset(months=months)).normalize()


def later_controls(data: Path, config: dict, as_of: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Clean control results (same rules as staging) closed in (as_of, end]."""
    from cip.check import _null_or, _pattern

    contracts = load_contract()
    tin_re = config["tin_pattern"]
    controls = checked_source(data, contracts, "customs", "control_results", lambda f: _pattern(f["tin"], tin_re)
                              & ~_null_or((f["control_type"] == "examination") & f["declaration_id"].isna())
                              & ~_null_or((f["outcome"] == "irregularity") & f["offence_type"].isna())
                              & ~_null_or((f["amount_reassessed"] < 0) | (f["amount_collected"] < 0)))
    if controls is None:
        raise SystemExit(f"cip backtest: no control_results in {data}: nothing to score against")
    controls = controls[(controls["control_date"] > as_of) & (controls["control_date"] <= end)].copy()
    controls["is_irregular"] = controls["outcome"] == "irregularity"
    return controls


def read_scores(db: Path) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Global GRI per operator and technique (wide), and the as-of date of the build."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        long = con.execute("select tin, technique, gri from intermediate.int_operator_gri_by_technique "
                           "where gri_type = 'global'").df()
        as_of = con.execute("select as_of_date from intermediate.int_evaluation_window").fetchone()[0]
        lines = con.execute("select declaration_id, item_no, tin, declaration_date "
                            "from staging.stg_customs__declarations where declaration_date > ?", [as_of]).df()
    finally:
        con.close()
    wide = long.pivot(index="tin", columns="technique", values="gri").reset_index()
    wide.attrs["later_lines"] = lines
    return wide, pd.Timestamp(as_of)


# --------------------------------------------------------------------------- backtest

def score(db: Path, data: Path, horizon: int, config: dict) -> dict:
    """Everything the backtest reports, from a warehouse built as of a date."""
    scores, as_of = read_scores(db)
    end = horizon_end(as_of, horizon)
    controls = later_controls(data, config, as_of, end)
    techniques = [t for t in TECHNIQUES if t in scores.columns] + \
        sorted(t for t in scores.columns if t not in TECHNIQUES and t != "tin")
    high, medium = float(config["risk_cutoff_high"]), float(config["risk_cutoff_medium"])

    # operators
    tins = scores["tin"]
    controlled = tins.isin(set(controls["tin"])).to_numpy(bool)
    detected = tins.isin(set(controls.loc[controls["is_irregular"], "tin"])).to_numpy(bool)
    operator_rows = {}
    for technique in techniques:
        gri = scores[technique].to_numpy(float)
        operator_rows[technique] = {
            "hit_rate_by_level": hit_rates(risk_level(gri, high, medium), controlled, detected),
            "budgets": [budget_metrics(gri, controlled, detected, b) for b in BUDGETS]}
    flat = np.zeros(len(scores))
    operator_rows["random"] = {"hit_rate_by_level": None,
                               "budgets": [budget_metrics(flat, controlled, detected, b) for b in BUDGETS]}

    # declaration lines after the as-of date, ranked by their operator's GRI
    lines = scores.attrs["later_lines"]
    lines = lines[lines["declaration_date"] <= end].reset_index(drop=True)
    examinations = controls[controls["control_type"] == "examination"]
    joined = examinations[["declaration_id", "item_no", "is_irregular"]].merge(
        lines[["declaration_id", "item_no"]].reset_index(), on="declaration_id", suffixes=("_control", ""))
    joined = joined[joined["item_no_control"].isna() | (joined["item_no_control"] == joined["item_no"])]
    examined = np.zeros(len(lines), dtype=bool)
    irregular = np.zeros(len(lines), dtype=bool)
    examined[joined["index"].to_numpy(int)] = True
    irregular[joined.loc[joined["is_irregular"], "index"].to_numpy(int)] = True
    line_rows = {}
    by_tin = scores.set_index("tin")
    for technique in techniques:
        gri = lines["tin"].map(by_tin[technique]).fillna(0.0).to_numpy(float)
        line_rows[technique] = {"budgets": [budget_metrics(gri, examined, irregular, b) for b in BUDGETS]}
    line_rows["random"] = {"budgets": [budget_metrics(np.zeros(len(lines)), examined, irregular, b) for b in BUDGETS]}

    result = {
        "as_of_date": str(as_of.date()), "horizon_months": horizon, "horizon_end": str(end.date()),
        "selected_technique": config["weighting_technique"],
        "risk_cutoffs": {"high": high, "medium": medium},
        "operators": {"scored": len(scores), "controlled": int(controlled.sum()), "detected": int(detected.sum()),
                      "controls_in_horizon": len(controls),
                      "controlled_not_scored": int((~controls["tin"].isin(set(tins))).sum()),
                      "by_technique": operator_rows},
        "declarations": {"lines": len(lines), "examined": int(examined.sum()), "irregular": int(irregular.sum()),
                         "by_technique": line_rows},
    }

    truth_path = Path(data) / "_truth" / "operators.parquet"
    if truth_path.exists():
        truth = pd.read_parquet(truth_path, columns=["tin", "is_noncompliant"])
        noncompliant = tins.map(truth.set_index("tin")["is_noncompliant"]).fillna(False).to_numpy(bool)
        rows = {}
        for technique in techniques:
            gri = scores[technique].to_numpy(float)
            rows[technique] = {
                "high_segment": truth_metrics(risk_level(gri, high, medium) == "high", noncompliant),
                "budgets": [_truth_budget(gri, noncompliant, b) for b in BUDGETS]}
        result["truth"] = {"noncompliant_share": float(noncompliant.mean()) if len(noncompliant) else None,
                           "by_technique": rows}
    return result


# --------------------------------------------------------------------------- output

def _pct(value, digits: int = 1) -> str:
    return "   -" if value is None else f"{100 * value:.{digits}f}%"


def _num(value, digits: int = 2) -> str:
    return "   -" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def format_report(result: dict) -> str:
    out = []
    ops = result["operators"]
    out.append(f"Backtest of the global GRI as of {result['as_of_date']}, outcomes to {result['horizon_end']} "
               f"({result['horizon_months']} months); selected technique: {result['selected_technique']}")
    out.append(f"Operators: {ops['scored']:,} scored, {ops['controlled']:,} controlled after the as-of date, "
               f"{ops['detected']:,} with a detected irregularity "
               f"(base rate {_pct(ops['detected'] / ops['controlled'] if ops['controlled'] else None)}); "
               f"{ops['controlled_not_scored']:,} controls on operators not scored")
    out.append("")
    out.append("Hit rate by risk level (detected / controlled operators)")
    header = f"  {'technique':<10}" + "".join(f"{level:>24}" for level in LEVELS)
    out.append(header)
    for technique, row in ops["by_technique"].items():
        if row["hit_rate_by_level"] is None:
            continue
        cells = "".join(f"{_pct(cell['hit_rate']):>8} ({cell['detected']:>4}/{cell['controlled']:>4} of {cell['operators']:>4})"
                        for cell in (row["hit_rate_by_level"][level] for level in LEVELS))
        out.append(f"  {technique:<10}{cells}")

    def budget_table(title: str, rows: dict) -> None:
        out.append("")
        out.append(title)
        out.append(f"  {'technique':<10}" + "".join(f"{'top ' + format(b, '.0%'):>27}" for b in BUDGETS))
        out.append(f"  {'':<10}" + "".join(f"{'prec':>9}{'recall':>9}{'lift':>9}" for _ in BUDGETS))
        for technique, row in rows.items():
            cells = "".join(f"{_pct(m['precision']):>9}{_pct(m['recall']):>9}{_num(m['lift']):>9}" for m in row["budgets"])
            out.append(f"  {technique:<10}{cells}")

    budget_table("Operators ranked by GRI, inspection budget as a share of operators", ops["by_technique"])
    dec = result["declarations"]
    base = dec["irregular"] / dec["examined"] if dec["examined"] else None
    out.append("")
    out.append(f"Declaration lines after the as-of date: {dec['lines']:,}, {dec['examined']:,} examined, "
               f"{dec['irregular']:,} irregular (base rate {_pct(base)})")
    budget_table("Declaration lines ranked by their operator's GRI, budget as a share of lines", dec["by_technique"])
    if "truth" in result:
        truth = result["truth"]
        out.append("")
        out.append(f"Against the planted ground truth ({_pct(truth['noncompliant_share'])} of scored operators noncompliant)")
        out.append(f"  {'technique':<10}{'high segment: n':>16}{'precision':>11}{'recall':>9}"
                   + "".join(f"{'top ' + format(b, '.0%') + ' prec':>15}" for b in BUDGETS))
        for technique, row in truth["by_technique"].items():
            high = row["high_segment"]
            out.append(f"  {technique:<10}{high['flagged']:>16,}{_pct(high['precision']):>11}{_pct(high['recall']):>9}"
                       + "".join(f"{_pct(m['precision']):>15}" for m in row["budgets"]))
    return "\n".join(out)


# --------------------------------------------------------------------------- CLI

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-of", required=True, help="evaluation date YYYY-MM-DD: the warehouse is built as of it")
    parser.add_argument("--horizon", type=int, default=12, help="months of controls after the date to score against (12)")
    parser.add_argument("--data", type=Path, default=None, help="raw data folder (default: CIP_DATA_DIR or data/demo)")
    parser.add_argument("--db", type=Path, default=None,
                        help="DuckDB file for the backtest build (default: a temporary file)")
    parser.add_argument("--skip-build", action="store_true", help="reuse --db as built earlier with the same as-of date")
    parser.add_argument("--json", type=Path, default=None, help="also write the results as JSON")
    parser.add_argument("--level", choices=["operators", "declarations"], default="operators",
                        help="operators (the GRI; default) or declarations (declaration-level risk score)")


def run(args: argparse.Namespace) -> int:
    as_of = pd.Timestamp(args.as_of)
    data = Path(args.data or default_data_dir()).resolve()
    if args.level == "declarations":
        return _run_declarations(args, data)
    config = load_vars({"as_of_date": str(as_of.date())})
    temp = None
    if args.db is None:
        if args.skip_build:
            raise SystemExit("cip backtest: --skip-build needs --db")
        temp = tempfile.TemporaryDirectory(prefix="cip-backtest-")
        db = Path(temp.name) / "backtest.duckdb"
    else:
        db = Path(args.db).resolve()
    try:
        if not args.skip_build:
            if db.exists():
                db.unlink()
            code = run_dbt(["build", "--vars", f"{{as_of_date: '{as_of.date()}'}}"], data=data, db=db)
            if code != 0:
                print(f"cip backtest: dbt build failed (exit {code})", file=sys.stderr)
                return code
        result = score(db, data, args.horizon, config)
    finally:
        if temp is not None:
            temp.cleanup()
    print(format_report(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, default=float))
        print(f"\nJSON written to {args.json}")
    return 0


def _run_declarations(args: argparse.Namespace, data: Path) -> int:
    """`--level declarations`: the declaration-level risk score (marts.declaration_risk) is
    scored by cip.backtest_declarations.run(args, data), on the warehouse of --db (default
    CIP_DB_PATH): that score is point in time, so no rebuild as of the date is needed."""
    try:
        from cip import backtest_declarations
    except ModuleNotFoundError as error:
        if error.name not in (None, "cip.backtest_declarations"):
            raise
        print("cip backtest: --level declarations needs cip.backtest_declarations "
              "(the declaration-level risk score), which is not in this checkout", file=sys.stderr)
        return 2
    return int(backtest_declarations.run(args, data) or 0)

def main(argv: list[str] | None = None) -> int:
    """`python -m cip.backtest ...`: the same as `cip backtest ...`."""
    parser = argparse.ArgumentParser(prog="cip backtest", description=HELP)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
