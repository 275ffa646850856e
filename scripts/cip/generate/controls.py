"""Controls: selection for examination, examinations, post-clearance audits and the
control_results table."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa

from .declarations import decl_ids, item_numbers, line_value_lcu
from .helpers import State, dates, day_number, ids, slices, take_strings
from .line_patterns import flag
from .params import (CUSTOMS_RISKS, DETECT, FALSE_POSITIVE, LARGE_USD, MEDIUM_USD, OFFENCES, OFFENCE_OF,
                     OFFICER_BASE, OFFICER_TIP, PCA_OFFICER_SHARE, RULE_KNOWN_UPGRADE, SELECTION)
from .reference import RELEASE_BASE, RELEASE_CH, TRANSPORT


def select_for_examination(state: State, rng: np.random.Generator) -> None:
    """Final channel per declaration: rule upgrades on known routes, officers' picks, the random stream."""
    (D, combos_a, h_channel, h_exp, h_mode, h_tfrac, hidx, l_a, random_inspection_rate, scheme_line) = (
        state.D, state.combos_a, state.h_channel, state.h_exp, state.h_mode, state.h_tfrac, state.hidx,
        state.l_a, state.random_inspection_rate, state.scheme_line)
    # The rule channel (operator propensities) was drawn with the headers. Selection bias as in
    # real life: rules already know half the risky routes, officers' own picks lean towards
    # declarations in the schemes' visible scope, and only the random stream is blind. Selection
    # depends on what is declared, never on the hidden outcome, so p_any stays the expectation.
    h_imp = ~h_exp
    known = np.zeros(D, dtype=bool)
    if len(combos_a):
        known[hidx[(l_a >= 0) & (l_a < (len(combos_a) + 1) // 2)]] = True
    h_channel = np.where(known & (h_channel == 2) & (rng.random(D) < RULE_KNOWN_UPGRADE), 1, h_channel)
    tip = np.zeros(D, dtype=bool)
    tip[hidx[scheme_line]] = True
    officer = h_imp & (h_channel == 2) & (rng.random(D) < OFFICER_BASE * np.where(tip, OFFICER_TIP, 1.0))
    off_channel = np.where(rng.random(D) < 0.5, 0, 1)
    h_random = h_imp & (rng.random(D) < random_inspection_rate)  # physical examination, like red
    h_sel = np.where(h_random, 0, np.where(h_channel <= 1, 1, np.where(officer, 2, 3))).astype(np.int8)
    h_channel = np.where(h_random, 0, np.where(officer, off_channel, h_channel)).astype(np.int8)
    del known, tip, officer, off_channel, scheme_line
    ch_mult = np.array([RELEASE_CH["red"], RELEASE_CH["yellow"], RELEASE_CH["green"]])
    mode_base = np.array([RELEASE_BASE[m] for m in TRANSPORT])
    h_release = np.round(mode_base[h_mode] * ch_mult[h_channel] * (1 - 0.15 * h_tfrac.astype(np.float64))
                         * rng.lognormal(-0.08, 0.4, D), 1)
    state.put(h_channel=h_channel, h_release=h_release, h_sel=h_sel)


def examine(state: State, rng: np.random.Generator) -> None:
    """Examinations of red and yellow lines: found or not, offence type, amounts, seriousness, date."""
    (evaded, h_channel, h_date, h_sel, hidx, pattern) = (
        state.evaded, state.h_channel, state.h_date, state.h_sel, state.hidx, state.pattern)
    l_channel = h_channel[hidx]
    examined = l_channel <= 1
    ex = np.flatnonzero(examined)
    n_ex = len(ex)
    sel_ex = h_sel[hidx[ex]]
    pat = pattern[ex]
    irr_ex = flag(pat, "irr")
    det_p = np.where(l_channel[ex] == 0, DETECT["red"], DETECT["yellow"])
    u = rng.random(n_ex)
    found = np.where(irr_ex, u < det_p, u < FALSE_POSITIVE)
    # offence type: priority valuation > misclassification > origin > special regime > other
    off_t = np.full(n_ex, -1, dtype=np.int64)
    other = np.array([OFFENCES.index(o) for o in ["undeclared_goods", "smuggling", "counterfeit"]])
    fp_types = np.array([OFFENCES.index(o) for o in ["valuation", "misclassification", "origin", "undeclared_goods"]])
    off_t = np.where(flag(pat, "irr_x"), other[rng.choice(3, n_ex, p=[0.6, 0.2, 0.2])], off_t)
    for rname in ["special_regime_abuse", "origin", "misclassification", "undervaluation"]:
        f_ = flag(pat, {"undervaluation": "undervalued", "misclassification": "misclassified", "origin": "irr_o",
                        "special_regime_abuse": "irr_s"}[rname])
        off_t = np.where(f_, OFFENCES.index(OFFENCE_OF[rname]), off_t)
    off_t = np.where(~irr_ex, fp_types[rng.integers(0, len(fp_types), n_ex)], off_t)
    off_t = np.where(found, off_t, -1)
    amt = np.where(irr_ex, evaded[ex], line_value_lcu(state, ex)[0] * rng.uniform(0.02, 0.10, n_ex))
    amt = np.round(np.where(found, amt, 0.0), 2)
    big = amt > np.quantile(amt[found], 0.85) if found.any() else np.zeros(n_ex, dtype=bool)
    p_ser = np.where((off_t == OFFENCES.index("valuation")) & big, 0.70,
                     np.where(np.isin(off_t, [OFFENCES.index("smuggling"), OFFENCES.index("counterfeit")]), 0.8, 0.24))
    serious = rng.random(n_ex) < p_ser
    collected = np.round(amt * rng.uniform(0.5, 1.0, n_ex), 2)
    ex_date = h_date[hidx[ex]] + np.where(l_channel[ex] == 0, rng.integers(1, 11, n_ex), rng.integers(0, 5, n_ex))
    # PCAs: ~3% of operators per year, partly targeted
    state.put(amt=amt, collected=collected, det_p=det_p, ex=ex, ex_date=ex_date, found=found,
        l_channel=l_channel, n_ex=n_ex, off_t=off_t, sel_ex=sel_ex, serious=serious)


def post_clearance_audits(state: State, rng: np.random.Generator) -> None:
    """Post-clearance audits: ~3% of operators a year, partly targeted."""
    (M, R, customs_nc, h_date, hidx, imp, month_bounds, ms, n_ex, op, size_val_usd) = (
        state.M, state.R, state.customs_nc, state.h_date, state.hidx, state.imp, state.month_bounds, state.ms,
        state.n_ex, state.op, state.size_val_usd)
    years = sorted({int(str(np.datetime64(int(d), "D"))[:4]) for d in ms})
    imp_lcu_op_year = {}
    h_year = (np.datetime64("1970", "Y") + (h_date.astype("datetime64[D]").astype("datetime64[Y]")
              - np.datetime64("1970", "Y"))).astype(int) + 1970
    pca_rows = {k: [] for k in ["op", "date", "scope", "outcome", "off", "ser", "amt", "col", "sel"]}
    size_hint = np.where(size_val_usd >= LARGE_USD, 2, np.where(size_val_usd >= MEDIUM_USD, 1, 0))
    for y in years:
        lines_y = np.flatnonzero((h_year == y)[hidx] & imp)
        v_lcu = np.empty(len(lines_y))
        for sl in slices(len(lines_y)):
            v_lcu[sl] = line_value_lcu(state, lines_y[sl])[0]
        imp_y = np.bincount(op[lines_y], weights=v_lcu, minlength=M)
        del lines_y, v_lcu
        imp_lcu_op_year[y] = imp_y
        k_y = max(1, round(0.03 * M))
        w = (0.3 + 1.2 * customs_nc + 0.3 * (size_hint == 2) + 0.1 * (size_hint == 1)) * (imp_y > 0)
        if w.sum() == 0:
            continue
        k_y = min(k_y, int((w > 0).sum()))
        sel = np.sort(rng.choice(M, k_y, replace=False, p=w / w.sum()))
        y_lo = max(day_number(date(y, 1, 1)), int(ms[0]))
        y_hi = min(day_number(date(y, 12, 31)), int(month_bounds[-1]) - 1)
        d_ = rng.integers(y_lo, y_hi + 1, k_y)
        p_irr = np.where(customs_nc[sel], 0.70, 0.05)
        oc = rng.random(k_y) < p_irr
        # offence: operator's first customs risk type, else random
        first = np.full(k_y, -1)
        for rname in reversed(CUSTOMS_RISKS):
            first = np.where(R[rname][sel], OFFENCES.index(OFFENCE_OF[rname]), first)
        rnd_off = np.array([OFFENCES.index(o) for o in ["valuation", "misclassification", "origin",
                                                         "undeclared_goods", "special_regime_abuse"]])
        first = np.where(first < 0, rnd_off[rng.integers(0, len(rnd_off), k_y)], first)
        a = np.round(np.where(oc, imp_y[sel] * rng.uniform(0.01, 0.06, k_y), 0.0), 2)
        pca_rows["op"].append(sel); pca_rows["date"].append(d_)
        pca_rows["scope"].append(size_hint[sel]); pca_rows["outcome"].append(oc)
        pca_rows["off"].append(np.where(oc, first, -1))
        pca_rows["ser"].append(rng.random(k_y) < np.where(customs_nc[sel], 0.5, 0.2))
        pca_rows["amt"].append(a); pca_rows["col"].append(np.round(a * rng.uniform(0.5, 1.0, k_y), 2))
        pca_rows["sel"].append(np.where(rng.random(k_y) < PCA_OFFICER_SHARE, 2, 1))  # no random audits
    P = {k: (np.concatenate(v) if v else np.zeros(0)) for k, v in pca_rows.items()}
    n_pca = len(P["op"])
    # assemble control_results
    n_ctrl = n_ex + n_pca
    scope_names = np.array(["desk", "narrowed", "comprehensive"])
    state.put(P=P, imp_lcu_op_year=imp_lcu_op_year, n_ctrl=n_ctrl, n_pca=n_pca, scope_names=scope_names,
        size_hint=size_hint, size_val_usd=size_val_usd, years=years)


def control_results(state: State) -> None:
    """control_results rows (examinations and PCAs) ordered by control date, as numbers and codes:
    link_controls() makes the columns once the declarations are written."""
    (P, amt, collected, ex, ex_date, found, n_ex, n_pca, off_t, op, sel_ex, serious) = (
        state.P, state.amt, state.collected, state.ex, state.ex_date, state.found, state.n_ex, state.n_pca,
        state.off_t, state.op, state.sel_ex, state.serious)
    c_type = np.r_[np.zeros(n_ex, np.int8), np.ones(n_pca, np.int8)]
    c_scope = np.r_[np.full(n_ex, -1, np.int8), P["scope"].astype(np.int8)]  # -1: null (examinations)
    c_op = np.r_[op[ex], P["op"].astype(np.int64)]
    c_date = np.r_[ex_date, P["date"].astype(np.int64)]
    c_found = np.r_[found, P["outcome"].astype(bool)]
    c_off = np.r_[off_t, P["off"].astype(np.int64)]
    c_ser = np.r_[serious, P["ser"].astype(bool)]
    c_amt = np.r_[amt, P["amt"].astype(float)]
    c_col = np.r_[collected, P["col"].astype(float)]
    c_sel = np.r_[sel_ex.astype(np.int64), P["sel"].astype(np.int64)]
    # order by control date (stable), ids sequential in that order
    c_ord = np.argsort(c_date, kind="stable")
    c_src_ex = np.r_[ex, np.full(n_pca, -1)][c_ord]
    ctrl = {name: x[c_ord] for name, x in (
        ("type", c_type), ("scope", c_scope), ("op", c_op), ("date", c_date), ("found", c_found), ("off", c_off),
        ("ser", c_ser), ("amt", c_amt), ("col", c_col), ("sel", c_sel))}
    ctrl["decl_src"] = c_src_ex  # examined line, -1 for PCAs
    state.put(ctrl=ctrl)


def link_controls(state: State) -> None:
    """control_results columns; examinations point at their declaration id and item number."""
    ctrl, hidx, n_ctrl, scope_names, tins = state.ctrl, state.hidx, state.n_ctrl, state.scope_names, state.tins
    ctrl_decl = ctrl["decl_src"]
    ex_mask_c = ctrl_decl < 0
    c_found, c_scope = ctrl["found"], ctrl["scope"]
    ctrl_cols_final = {
        "control_id": ids("C", np.arange(1, n_ctrl + 1), 9),
        "control_type": take_strings(["examination", "pca"], ctrl["type"]),
        "audit_scope": pa.array(list(scope_names), type=pa.string()).take(
            pa.array(np.maximum(c_scope, 0).astype(np.int64), mask=c_scope < 0)),
        "declaration_id": decl_ids(state, np.where(ex_mask_c, 0, hidx[np.maximum(ctrl_decl, 0)]), null=ex_mask_c),
        "item_no": pa.array(np.where(ex_mask_c, 0, item_numbers(state, np.maximum(ctrl_decl, 0))).astype(np.int32),
                            mask=ex_mask_c),
        "tin": tins.take(pa.array(ctrl["op"])),
        "control_date": dates(ctrl["date"]),
        "outcome": take_strings(["compliant", "irregularity"], c_found.astype(np.int64)),
        "offence_type": pa.array(OFFENCES, type=pa.string()).take(
            pa.array(np.maximum(ctrl["off"], 0), mask=~c_found)),
        "seriousness": pa.array(["minor", "serious"], type=pa.string()).take(
            pa.array(ctrl["ser"].astype(np.int64), mask=~c_found)),
        "amount_reassessed": pa.array(ctrl["amt"]),
        "amount_collected": pa.array(ctrl["col"]),
        "selection_method": take_strings(SELECTION, ctrl["sel"]),
    }
    del ex_mask_c
    state.drop("ctrl")
    state.put(ctrl_cols_final=ctrl_cols_final)
