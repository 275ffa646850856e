"""Metrics of the backtest, vectorised (numpy / pandas), with the raw counts behind each ratio.

A score ranks units (operators or declaration lines); a budget b selects the top
round(b x N) units (at least one). Units tied at the cut-off are each selected with the
same fraction of the remaining slots: the expectation under a random tie-break, so the
figures never depend on row order and a score that ties everything (random) has
precision = base rate and recall = b exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BUDGETS = (0.01, 0.02, 0.05, 0.10)
LEVELS = ("high", "medium", "low")


def _as_score(score) -> np.ndarray:
    """Float scores; a null ranks below every real score."""
    values = np.asarray(score, dtype=float)
    return np.where(np.isnan(values), -np.inf, values)


def selection_weights(score, budget: float) -> np.ndarray:
    """Weight in [0, 1] of each unit in the top `budget` share ranked by score (desc).
    Units tied at the cut-off share the remaining slots equally."""
    score = _as_score(score)
    n = len(score)
    if n == 0:
        return np.zeros(0)
    slots = min(n, max(1, int(round(budget * n))))
    cutoff = np.partition(score, n - slots)[n - slots]   # the slots-th largest score
    above = score > cutoff
    tied = score == cutoff
    weights = above.astype(float)
    weights[tied] = (slots - above.sum()) / tied.sum()
    return weights


def budget_metrics(score, controlled, detected, budget: float, amount=None) -> dict:
    """Precision, recall, lift (and recovered amount when `amount` is given) of selecting
    the top `budget` share by score.

    controlled  the unit's outcome is known (examined line, controlled operator);
    detected    a control found an irregularity (ignored where not controlled);
    amount      amount reassessed on the unit (counted where detected)."""
    controlled = np.asarray(controlled, dtype=bool)
    detected = np.asarray(detected, dtype=bool) & controlled
    weights = selection_weights(score, budget)
    selected_controlled = float((weights * controlled).sum())
    selected_detected = float((weights * detected).sum())
    total_controlled = int(controlled.sum())
    total_detected = int(detected.sum())
    base_rate = total_detected / total_controlled if total_controlled else None
    precision = selected_detected / selected_controlled if selected_controlled > 0 else None
    out = {"budget": budget, "units": int(len(weights)), "selected": float(weights.sum()),
           "selected_controlled": selected_controlled, "selected_detected": selected_detected,
           "controlled": total_controlled, "detected": total_detected,
           "precision": precision,
           "recall": selected_detected / total_detected if total_detected else None,
           "base_rate": base_rate,
           "lift": precision / base_rate if precision is not None and base_rate else None}
    if amount is not None:
        recovered = np.nan_to_num(np.asarray(amount, dtype=float)) * detected
        total = float(recovered.sum())
        out["recovered"] = float((weights * recovered).sum())
        out["recovered_total"] = total
        out["recovered_share"] = out["recovered"] / total if total > 0 else None
    return out


def auc(score, controlled, detected) -> dict:
    """Area under the ROC curve among controlled units (ties count one half):
    the probability that a detected unit outscores a clean one."""
    controlled = np.asarray(controlled, dtype=bool)
    positive = np.asarray(detected, dtype=bool)[controlled]
    values = _as_score(score)[controlled]
    n_pos = int(positive.sum())
    n_neg = int(len(positive) - n_pos)
    if n_pos == 0 or n_neg == 0:
        return {"auc": None, "positives": n_pos, "negatives": n_neg}
    ranks = pd.Series(values).rank(method="average").to_numpy()
    value = (ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return {"auc": float(value), "positives": n_pos, "negatives": n_neg}


def calibration(score, controlled, detected, bins: int = 10) -> dict:
    """Calibration among controlled units: bins of equal count by score (deciles by
    default; a run of tied scores stays in one bin, so bins can be uneven and fewer),
    each with its units, detected, mean score and observed hit rate. `error` is the
    unit-weighted mean of |mean score - hit rate|, for scores within [0, 1] only."""
    controlled = np.asarray(controlled, dtype=bool)
    values = np.asarray(score, dtype=float)[controlled]
    hits = np.asarray(detected, dtype=bool)[controlled]
    known = ~np.isnan(values)
    values, hits = values[known], hits[known]
    n = len(values)
    if n == 0:
        return {"bins": [], "error": None, "unscored": int((~known).sum())}
    lowest_rank = pd.Series(values).rank(method="min").to_numpy()     # ties share their lowest rank
    bin_no = np.minimum(bins - 1, np.floor(bins * (lowest_rank - 1) / n)).astype(int)
    frame = pd.DataFrame({"bin": bin_no, "score": values, "hit": hits.astype(float)})
    table = frame.groupby("bin").agg(units=("hit", "size"), detected=("hit", "sum"),
                                     score_min=("score", "min"), score_max=("score", "max"),
                                     mean_score=("score", "mean"), hit_rate=("hit", "mean")).reset_index()
    probability = bool(values.min() >= 0 and values.max() <= 1)     # error only means something for these
    error = float((table["units"] * (table["mean_score"] - table["hit_rate"]).abs()).sum() / n) if probability else None
    rows = [{"bin": int(r.bin) + 1, "units": int(r.units), "detected": int(r.detected),
             "score_min": float(r.score_min), "score_max": float(r.score_max),
             "mean_score": float(r.mean_score), "hit_rate": float(r.hit_rate)}
            for r in table.itertuples(index=False)]
    return {"bins": rows, "error": error, "unscored": int((~known).sum())}


def hit_rates(levels, controlled, detected) -> dict:
    """Per risk level: operators, controlled, detected and hit rate (detected / controlled)."""
    frame = pd.DataFrame({"level": np.asarray(levels), "controlled": np.asarray(controlled, bool),
                          "detected": np.asarray(detected, bool) & np.asarray(controlled, bool)})
    sums = frame.groupby("level").agg(operators=("level", "size"), controlled=("controlled", "sum"),
                                      detected=("detected", "sum"))
    out = {}
    for level in LEVELS:
        row = sums.loc[level] if level in sums.index else pd.Series({"operators": 0, "controlled": 0, "detected": 0})
        n_controlled, n_detected = int(row["controlled"]), int(row["detected"])
        out[level] = {"operators": int(row["operators"]), "controlled": n_controlled, "detected": n_detected,
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


def truth_budget(score, noncompliant, budget: float) -> dict:
    """Expected precision and recall of the top `budget` share against the ground truth."""
    noncompliant = np.asarray(noncompliant, bool)
    weights = selection_weights(score, budget)
    hits = float((weights * noncompliant).sum())
    return {"budget": budget, "precision": hits / weights.sum() if weights.sum() else None,
            "recall": hits / noncompliant.sum() if noncompliant.sum() else None}


def risk_level(gri, high: float, medium: float) -> np.ndarray:
    gri = np.asarray(gri, dtype=float)
    return np.where(gri >= high, "high", np.where(gri >= medium, "medium", "low"))


def score_summary(score, controlled, detected, amount=None, budgets=BUDGETS) -> dict:
    """Every figure of one score on one view: budgets, AUC and calibration."""
    return {"budgets": [budget_metrics(score, controlled, detected, b, amount) for b in budgets],
            "auc": auc(score, controlled, detected),
            "calibration": calibration(score, controlled, detected)}
