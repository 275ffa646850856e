"""Operator level: the global GRI of every weighting technique (M4, M5) as of D and, when
marts.operator_line_risk exists, the expected irregular lines of the line model, ranked
over the operators scored on D and scored against the controls closed in (D, D + horizon].

  controlled  at least one clean control (examination or post-clearance audit) in the horizon;
  detected    at least one of them found an irregularity;
  recovered   amount reassessed by those irregular controls.
Views: `all` and, when the data marks it, `random` (controls with selection_method = 'random').
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from cip.backtest.metrics import (BUDGETS, hit_rates, risk_level, score_summary, truth_budget,
                                  truth_metrics)
from cip.backtest.warehouse import columns_of, table_exists

TECHNIQUES = ("frequency", "learned", "equal", "expert")


def read_operator_scores(db: Path) -> tuple[pd.DataFrame, list[str], dict]:
    """One row per operator scored on the as-of date: the global GRI per technique and,
    when the mart exists, expected_irregular_lines and expected_irregular_share (0 for an
    operator it does not list)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        long = con.execute("select tin, technique, gri from marts.operator_gri_by_technique "
                           "where gri_type = 'global'").df()
        wide = long.pivot(index="tin", columns="technique", values="gri").reset_index()
        wide.columns.name = None
        techniques = [t for t in TECHNIQUES if t in wide.columns] + \
            sorted(c for c in wide.columns if c not in TECHNIQUES and c != "tin")
        notes = {}
        # the line model fed back to operators: expected irregular lines (volume) and their share (rate)
        line_scores = ["expected_irregular_lines", "expected_irregular_share"]
        available = set(columns_of(con, "marts", "operator_line_risk")) if table_exists(
            con, "marts", "operator_line_risk") else set()
        present = [name for name in line_scores if name in available]
        if present:
            line_risk = con.execute("select tin, " + ", ".join(f"cast({n} as double) as {n}" for n in present)
                                    + " from marts.operator_line_risk").df()
            notes["operator_line_risk_outside_gri"] = int((~line_risk["tin"].isin(set(wide["tin"]))).sum())
            wide = wide.merge(line_risk, on="tin", how="left")
            for name in present:
                wide[name] = wide[name].fillna(0.0)
                techniques.append(name)
        missing = [f"{n} (marts.operator_line_risk)" for n in line_scores if n not in present]
        if missing:
            notes["missing_scores"] = missing
    finally:
        con.close()
    return wide, techniques, notes


def operator_outcomes(tins: pd.Series, controls: pd.DataFrame) -> pd.DataFrame:
    """Per operator and view: controlled, detected, recovered."""
    frame = pd.DataFrame({"tin": tins.to_numpy()})
    out = {}
    for suffix, rows in (("", controls), ("_random", controls[controls["selection_method"] == "random"])):
        per = rows.assign(amount=np.where(rows["is_irregular"], rows["amount_reassessed"], 0.0)) \
            .groupby("tin").agg(detected=("is_irregular", "any"), recovered=("amount", "sum"))
        joined = frame.join(per, on="tin")
        out[f"controlled{suffix}"] = joined["detected"].notna().to_numpy(bool)
        out[f"detected{suffix}"] = joined["detected"].fillna(False).astype(bool).to_numpy()
        out[f"recovered{suffix}"] = joined["recovered"].fillna(0.0).to_numpy(float)
    return pd.DataFrame(out)


def score_operators(db: Path, controls: pd.DataFrame, config: dict, data: Path, budgets=BUDGETS) -> dict:
    """Every figure of the operator level (JSON-ready)."""
    wide, names, notes = read_operator_scores(db)
    outcomes = operator_outcomes(wide["tin"], controls)
    scores = {name: wide[name].to_numpy(float) for name in names}
    scores["random"] = np.zeros(len(wide))
    high, medium = float(config["risk_cutoff_high"]), float(config["risk_cutoff_medium"])
    views = {"all": ""}
    if outcomes["controlled_random"].any():
        views["random"] = "_random"
    result = {"scored": len(wide), "controls_in_horizon": len(controls),
              "controls_by_selection_method": {str(k): int(v) for k, v in
                                               controls["selection_method"].value_counts().items()},
              "controls_on_operators_not_scored": int((~controls["tin"].isin(set(wide["tin"]))).sum()),
              "risk_cutoffs": {"high": high, "medium": medium}, **notes,
              "hit_rate_by_level": {t: hit_rates(risk_level(scores[t], high, medium), outcomes["controlled"],
                                                 outcomes["detected"]) for t in names
                                    if not t.startswith("expected_irregular_")},
              "views": {}}
    for view, suffix in views.items():
        controlled = outcomes[f"controlled{suffix}"].to_numpy(bool)
        detected = outcomes[f"detected{suffix}"].to_numpy(bool)
        recovered = outcomes[f"recovered{suffix}"].to_numpy(float)
        result["views"][view] = {
            "controlled": int(controlled.sum()), "detected": int(detected.sum()),
            "base_rate": float(detected.sum() / controlled.sum()) if controlled.sum() else None,
            "recovered_total": float((recovered * detected).sum()),
            "scores": {name: score_summary(values, controlled, detected, recovered, budgets)
                       for name, values in scores.items()}}
    truth_path = Path(data) / "_truth" / "operators.parquet"
    if truth_path.exists():
        truth = pd.read_parquet(truth_path, columns=["tin", "is_noncompliant"])
        noncompliant = wide["tin"].map(truth.set_index("tin")["is_noncompliant"]).fillna(False).to_numpy(bool)
        rows = {}
        for name in names:
            row = {"budgets": [truth_budget(scores[name], noncompliant, b) for b in budgets]}
            if name in result["hit_rate_by_level"]:
                row["high_segment"] = truth_metrics(risk_level(scores[name], high, medium) == "high", noncompliant)
            rows[name] = row
        result["truth"] = {"noncompliant_share": float(noncompliant.mean()) if len(noncompliant) else None,
                           "by_score": rows}
    return result
