"""Declaration level: every score of marts.declaration_risk, ranked over the declaration
lines dated in (D, D + horizon] of the backtest's own warehouse (built as of D), scored
against the examinations closed in that horizon.

  examined   an examination closed in the horizon covers the line (one without item_no
             covers every line of its declaration);
  detected   one of those examinations found an irregularity;
  recovered  amount reassessed by those irregular examinations (a whole-declaration
             amount is split evenly over its lines).
Views: `all` (every examination) and, when the data marks it, `random` (examinations with
selection_method = 'random' only: an unbiased sample of the lines).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from cip.backtest.metrics import BUDGETS, score_summary
from cip.backtest.warehouse import columns_of, table_exists

# the scores of marts.declaration_risk, in report order (the ones missing are listed as such)
MART_SCORES = ("score_rule", "score_sql", "score_gbm", "risk_score", "operator_gri", "recommended_channel")
CHANNEL_RANK = "case recommended_channel when 'red' then 2 when 'yellow' then 1 when 'green' then 0 end"


def read_lines(db: Path, as_of, end) -> tuple[pd.DataFrame, dict, list[str]]:
    """Lines of marts.declaration_risk dated in (as_of, end] with every score found:
    the mart's columns, the operator's GRI as of the build date under each technique
    (gri_<technique>, 0 for an operator not scored) and `random` (all tied).
    Returns (lines, scores by name, mart scores missing)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        if not table_exists(con, "marts", "declaration_risk"):
            raise SystemExit(f"cip backtest: marts.declaration_risk is not in {db}")
        present = set(columns_of(con, "marts", "declaration_risk"))
        found = [c for c in MART_SCORES if c in present]
        missing = [c for c in MART_SCORES if c not in present]
        selects = [CHANNEL_RANK + " as recommended_channel" if c == "recommended_channel"
                   else f"cast({c} as double) as {c}" for c in found]
        techniques = []
        gri_join = ""
        if table_exists(con, "marts", "operator_gri_by_technique"):
            techniques = [r[0] for r in con.execute(
                "select distinct technique from marts.operator_gri_by_technique "
                "where gri_type = 'global' order by 1").fetchall()]
        if techniques:
            pivot = ", ".join(f"max(gri) filter (where technique = '{t}') as gri_{t}" for t in techniques)
            gri_join = (f"left join (select tin, {pivot} from marts.operator_gri_by_technique "
                        "where gri_type = 'global' group by tin) as gri using (tin)")
            selects += [f"coalesce(gri.gri_{t}, 0) as gri_{t}" for t in techniques]
        lines = con.execute(
            f"select risk.declaration_id, risk.item_no, risk.tin, risk.declaration_date, {', '.join(selects)} "
            f"from marts.declaration_risk as risk {gri_join} "
            "where risk.declaration_date > ? and risk.declaration_date <= ? "
            "order by risk.declaration_id, risk.item_no",
            [pd.Timestamp(as_of).date(), pd.Timestamp(end).date()]).df()
    finally:
        con.close()
    names = found + [f"gri_{t}" for t in techniques]
    scores = {name: lines[name].to_numpy(float) for name in names}
    scores["random"] = np.zeros(len(lines))
    return lines, scores, missing


def line_outcomes(lines: pd.DataFrame, examinations: pd.DataFrame) -> pd.DataFrame:
    """Per line and view: examined, detected and the amount reassessed attributed to it.

    `examinations` has declaration_id, item_no (null = whole declaration), is_irregular,
    amount_reassessed and optionally selection_method. Columns: examined, detected,
    recovered (every examination) and examined_random, detected_random, recovered_random
    (examinations with selection_method = 'random')."""
    frame = lines[["declaration_id", "item_no"]].reset_index(drop=True)
    frame["line"] = np.arange(len(frame))
    controls = examinations.reset_index(drop=True)
    method = controls["selection_method"] if "selection_method" in controls else pd.Series("unknown", index=controls.index)
    controls = pd.DataFrame({"declaration_id": controls["declaration_id"], "item_no": controls["item_no"],
                             "is_irregular": controls["is_irregular"].fillna(False).astype(bool),
                             "amount": pd.to_numeric(controls["amount_reassessed"], errors="coerce").fillna(0.0),
                             "is_random": (method == "random").to_numpy(bool),
                             "control_row": np.arange(len(controls))})
    joined = controls.merge(frame, on="declaration_id", suffixes=("_control", ""))
    joined = joined[joined["item_no_control"].isna() | (joined["item_no_control"] == joined["item_no"])]
    covered = joined.groupby("control_row")["line"].transform("size").to_numpy(float)
    share = np.where(joined["is_irregular"].to_numpy(bool), joined["amount"].to_numpy(float) / covered, 0.0)
    n = len(frame)
    out = {}
    for suffix, mask in (("", np.ones(len(joined), bool)), ("_random", joined["is_random"].to_numpy(bool))):
        idx = joined["line"].to_numpy(int)[mask]
        irregular = joined["is_irregular"].to_numpy(bool)[mask]
        examined = np.zeros(n, bool)
        detected = np.zeros(n, bool)
        recovered = np.zeros(n, float)
        examined[idx] = True
        detected[idx[irregular]] = True
        np.add.at(recovered, idx, share[mask])
        out.update({f"examined{suffix}": examined, f"detected{suffix}": detected, f"recovered{suffix}": recovered})
    return pd.DataFrame(out)


def score_declarations(db: Path, controls: pd.DataFrame, as_of, end, budgets=BUDGETS) -> dict:
    """Every figure of the declaration level (JSON-ready)."""
    lines, scores, missing = read_lines(db, as_of, end)
    examinations = controls[controls["control_type"] == "examination"]
    outcomes = line_outcomes(lines, examinations)
    methods = examinations["selection_method"].value_counts().to_dict() if len(examinations) else {}
    views = {"all": ""}
    if outcomes["examined_random"].any():
        views["random"] = "_random"
    unavailable = {name: "all null" for name, values in scores.items() if len(values) and np.isnan(values).all()}
    result = {"lines": len(lines), "examinations_in_horizon": len(examinations),
              "examinations_by_selection_method": {str(k): int(v) for k, v in methods.items()},
              "missing_scores": missing, "unavailable_scores": unavailable,
              "null_scores": {name: int(np.isnan(v).sum()) for name, v in scores.items()
                              if name not in unavailable and np.isnan(v).any()},
              "same_as": _same_as(scores), "views": {}}
    for view, suffix in views.items():
        examined = outcomes[f"examined{suffix}"].to_numpy(bool)
        detected = outcomes[f"detected{suffix}"].to_numpy(bool)
        recovered = outcomes[f"recovered{suffix}"].to_numpy(float)
        result["views"][view] = {
            "examined": int(examined.sum()), "detected": int((detected & examined).sum()),
            "base_rate": float(detected.sum() / examined.sum()) if examined.sum() else None,
            "recovered_total": float((recovered * detected).sum()),
            "scores": {name: score_summary(values, examined, detected, recovered, budgets)
                       for name, values in scores.items() if name not in unavailable}}
    return result


def _same_as(scores: dict) -> dict:
    """risk_score is one of the other scores (chosen by var declaration_scorer): which."""
    if "risk_score" not in scores:
        return {}
    mine = scores["risk_score"]
    for name in ("score_rule", "score_sql", "score_gbm"):
        other = scores.get(name)
        if other is not None and len(other) and np.allclose(np.nan_to_num(mine, nan=-1), np.nan_to_num(other, nan=-1),
                                                           rtol=0, atol=1e-6):
            return {"risk_score": name}
    return {}
