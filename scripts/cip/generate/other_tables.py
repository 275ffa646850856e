"""Other customs tables: advance rulings, treatments applied, trader survey."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .helpers import State, dates, ids, take_strings
from .params import TREATMENT_CODE
from .reference import SURVEY_QUESTIONS


def draw_other_customs_tables(state: State, rng: np.random.Generator) -> None:
    """advance_rulings, treatments_applied and trader_survey."""
    (M, T, hs, month_bounds, ms, op_isic, ref, size_hint, tin_nums, tins, treat_day, treated) = (
        state.M, state.T, state.hs, state.month_bounds, state.ms, state.op_isic, state.ref, state.size_hint,
        state.tin_nums, state.tins, state.treat_day, state.treated)
    n_ar_ops = max(1, round(0.02 * M))
    w = np.where(size_hint == 2, 20.0, np.where(size_hint == 1, 3.0, 0.3))
    ar_ops = np.sort(rng.choice(M, n_ar_ops, replace=False, p=w / w.sum()))
    n_per = rng.integers(1, 6, n_ar_ops)
    ar_op = np.repeat(ar_ops, n_per)
    n_ar = len(ar_op)
    ar_date = np.sort(rng.integers(int(ms[0]) - 365, int(month_bounds[-1]), n_ar))
    ar_type = rng.choice(3, n_ar, p=[0.65, 0.2, 0.15])
    ar_hs = hs["nr_mat"][ref["cls_mat"][op_isic[ar_op], 0], 0]
    advance_rulings = {
        "ruling_id": ids("R", np.arange(1, n_ar + 1), 8),
        "tin": tins.take(pa.array(ar_op)),
        "ruling_date": dates(ar_date),
        "ruling_type": take_strings(["classification", "origin", "valuation"], ar_type),
        "hs_code": pa.array(hs["hs_code"][ar_hs].astype(object), type=pa.string(), mask=(ar_type == 1)),
    }
    tr_ops = np.flatnonzero(treated)
    tr_ops = tr_ops[np.argsort(tin_nums[tr_ops], kind="stable")]
    treatments_applied = {
        "treatment_code": pa.array([TREATMENT_CODE] * len(tr_ops), type=pa.string()),
        "tin": tins.take(pa.array(tr_ops, type=pa.int64())),
        "start_date": dates(np.full(len(tr_ops), treat_day)),
    }
    q_ends = month_bounds[np.arange(3, T + 1, 3)] - 1
    nq, nqs = len(q_ends), len(SURVEY_QUESTIONS)
    base_score = rng.uniform(2.8, 3.4, nqs)
    trader_survey = {
        "survey_date": dates(np.repeat(q_ends, nqs)),
        "question_code": pa.array(SURVEY_QUESTIONS * nq, type=pa.string()),
        "respondents": pa.array(rng.integers(80, 320, nq * nqs).astype(np.int32)),
        "mean_score": pa.array(np.round(np.clip(np.tile(base_score, nq) + 0.04 * np.repeat(np.arange(nq), nqs)
                                                + rng.normal(0, 0.05, nq * nqs), 1, 5), 2)),
    }
    state.put(advance_rulings=advance_rulings, trader_survey=trader_survey, treatments_applied=treatments_applied)
