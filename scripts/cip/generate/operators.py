"""Operators and their planted behaviour (risk types, size, brokers, AEO status, treatment)."""

from __future__ import annotations

import numpy as np

from .helpers import State, ids, unique_draw
from .params import LARGE_USD, MEDIUM_USD, RISK_TYPES, SCHEME_BROKERS
from .reference import CURRENCIES, TRANSPORT, TRANSPORT_P


def plant_operators(state: State, rng: np.random.Generator) -> None:
    """Operators: activity, ISIC class, size, planted risk types, brokers, suppliers, AEO, channel
    propensities, treatment groups and TINs (with the non-trading taxpayers' TINs)."""
    M, N, T, ms, ref = state.M, state.N, state.T, state.ms, state.ref
    n_cls = len(ref["isic_codes"])
    w_act = rng.pareto(1.15, M) + 1.0
    op_isic = rng.integers(0, n_cls, M)
    # noncompliance: 20% of operators, one primary type + 30% a second type
    nc = rng.random(M) < 0.20
    risk = np.zeros((M, len(RISK_TYPES)), dtype=bool)
    nc_idx = np.flatnonzero(nc)
    prim = rng.integers(0, len(RISK_TYPES), len(nc_idx))
    risk[nc_idx, prim] = True
    sec_pick = rng.random(len(nc_idx)) < 0.30
    sec = (prim + rng.integers(1, len(RISK_TYPES), len(nc_idx))) % len(RISK_TYPES)
    risk[nc_idx[sec_pick], sec[sec_pick]] = True
    R = {k: risk[:, i] for i, k in enumerate(RISK_TYPES)}
    customs_nc = R["undervaluation"] | R["misclassification"] | R["origin"] | R["special_regime_abuse"]
    # undervaluation operators sit in classes that trade valuation-sensitive goods
    val_classes = np.flatnonzero(ref["cls_val_cnt"] > 0)
    uv = R["undervaluation"]
    op_isic[uv] = val_classes[rng.integers(0, len(val_classes), int(uv.sum()))]
    # ISIC-inconsistent trade for ~30% of noncompliers
    isic_off = nc & (rng.random(M) < 0.30)
    off_cls = (op_isic + rng.integers(1, n_cls, M)) % n_cls
    # activity and line size
    lines_exp = N * w_act / w_act.sum()
    line_mean_rel = (w_act / np.median(w_act)) ** 0.40 * rng.lognormal(-0.5, 1.0, M)
    exp_val = np.maximum(lines_exp, 0.5) * line_mean_rel
    v0 = LARGE_USD / np.quantile(exp_val, 0.915)
    op_line_mean = v0 * line_mean_rel  # USD per line (mean)
    size_exp = np.where(exp_val * v0 >= LARGE_USD, 2, np.where(exp_val * v0 >= MEDIUM_USD, 1, 0))
    # export propensity: ~15% of lines are exports
    pe = np.where(rng.random(M) < 0.25, rng.beta(2.0, 2.5, M), rng.beta(0.5, 12.0, M))
    pe = np.clip(pe * (0.15 / max(np.average(pe, weights=w_act), 1e-9)), 0, 0.95)
    op_mode = rng.choice(len(TRANSPORT), M, p=TRANSPORT_P)
    op_cur = rng.choice(len(CURRENCIES), M, p=ref["cur_w"])
    # brokers
    n_brok = max(10, M // 40)
    b_draw = rng.choice(np.arange(10000, 100000), n_brok + SCHEME_BROKERS, replace=False)
    brok_ids = np.sort(b_draw[:n_brok])
    scheme_ids = np.sort(b_draw[n_brok:])  # brokers of the line-level scheme: clients only via routing
    all_brok_ids = np.sort(b_draw)
    del b_draw
    n_compl = max(1, round(0.05 * n_brok))
    compl = rng.choice(n_brok, n_compl, replace=False)
    normal_b = np.setdiff1d(np.arange(n_brok), compl)
    op_broker = normal_b[rng.integers(0, len(normal_b), M)]
    self_decl = rng.random(M) < 0.17
    p_compl = np.where(nc, 0.50, 0.05)
    # suppliers
    n_sup_op = np.minimum(1 + np.floor(np.sqrt(lines_exp / 2.2) / 1.5).astype(np.int64), 40)
    sup_off = np.concatenate([[0], np.cumsum(n_sup_op)[:-1]])
    sup_perm_base = int(rng.integers(100000, 200000))
    op_line_seed = rng.integers(0, 1 << 20, M)  # each operator concentrates on a few lines per chapter
    # AEO: ~3% of operators, mostly large and compliant
    n_aeo = max(1, round(0.03 * M))
    w_aeo = np.where(nc, 0.0, np.where(size_exp == 2, 30.0, np.where(size_exp == 1, 2.0, 0.05)))
    aeo_idx = rng.choice(M, min(n_aeo, int((w_aeo > 0).sum())), replace=False, p=w_aeo / w_aeo.sum())
    aeo_since = np.full(M, np.iinfo(np.int32).max, dtype=np.int64)
    aeo_since[aeo_idx] = np.where(rng.random(len(aeo_idx)) < 0.6, ms[0] - 365,
                                  ms[rng.integers(0, T, len(aeo_idx))])
    # channel propensities (operator-level, imperfect, independent of treatment)
    noise = rng.lognormal(0.0, 0.35, M)
    is_aeo_any = aeo_since < np.iinfo(np.int32).max
    p_red_op = np.where(customs_nc, 0.11, 0.046) * noise
    p_yel_op = np.where(customs_nc, 0.20, 0.108) * rng.lognormal(0.0, 0.4, M)
    p_red_op = np.clip(np.where(is_aeo_any, p_red_op * 0.3, p_red_op), 0.002, 0.6)
    p_yel_op = np.clip(np.where(is_aeo_any, p_yel_op * 0.4, p_yel_op), 0.005, 0.35)
    # treatment: 40% of underval/misclass operators
    tm_elig = np.flatnonzero(R["undervaluation"] | R["misclassification"])
    treated = np.zeros(M, dtype=bool)
    comparison = np.zeros(M, dtype=bool)
    if len(tm_elig):
        tsel = rng.random(len(tm_elig)) < 0.40
        treated[tm_elig[tsel]] = True
        comparison[tm_elig[~tsel]] = True
    # TINs for operators + non-trading taxpayers
    n_extra_tp = M // 4
    tin_nums = unique_draw(rng, 100_000_000, 999_999_999, M + n_extra_tp)
    tins_all = ids("T", tin_nums, 9)
    tins = tins_all.slice(0, M)
    state.put(R=R, aeo_since=aeo_since, all_brok_ids=all_brok_ids, brok_ids=brok_ids, comparison=comparison,
        compl=compl, customs_nc=customs_nc, is_aeo_any=is_aeo_any, isic_off=isic_off, lines_exp=lines_exp,
        n_brok=n_brok, n_cls=n_cls, n_compl=n_compl, n_extra_tp=n_extra_tp, n_sup_op=n_sup_op, nc=nc,
        normal_b=normal_b, off_cls=off_cls, op_broker=op_broker, op_cur=op_cur, op_isic=op_isic,
        op_line_mean=op_line_mean, op_line_seed=op_line_seed, op_mode=op_mode, p_compl=p_compl,
        p_red_op=p_red_op, p_yel_op=p_yel_op, pe=pe, risk=risk, scheme_ids=scheme_ids, self_decl=self_decl,
        size_exp=size_exp, sup_off=sup_off, sup_perm_base=sup_perm_base, tin_nums=tin_nums, tins=tins,
        tins_all=tins_all, treated=treated, w_act=w_act)
