"""Declarations: headers, lines, origin and reliefs, values and taxes, late corrections and the
row order of the declarations file. The line-level patterns are in line_patterns.py."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .helpers import State, ids, slices
from .line_patterns import flag
from .params import (ANNUAL_GROWTH, OTHER_OFFENCE_RATE, PREFERENCE, PREFERENCE_USE, SCHEME_BROKERS,
                     SCHEME_ROUTE, SEASON, TREATMENT_REDUCTION)
from .reference import (CURRENCIES, EXEMPTION_CODES, HOME_COUNTRY, HUBS, IMPORT_REGIME_P, OFFICES, TRANSPORT,
                        TRANSPORT_P)


def draw_headers(state: State, rng: np.random.Generator) -> None:
    """Declaration headers: items per declaration, operator, date (season and growth), flow, regime,
    mode, office, currency, broker (incl. the scheme brokers' routing), supplier, rule channel."""
    (M, N, T, aeo_since, brok_ids, compl, is_aeo_any, lp, month_bounds, ms, n_compl, n_sup_op, normal_b,
        op_broker, op_cur, op_mode, p_compl, p_red_op, p_yel_op, pe, ref, scheme_ids, self_decl, size_exp,
        start, sup_off, sup_perm_base, w_act) = (
        state.M, state.N, state.T, state.aeo_since, state.brok_ids, state.compl, state.is_aeo_any, state.lp,
        state.month_bounds, state.ms, state.n_compl, state.n_sup_op, state.normal_b, state.op_broker,
        state.op_cur, state.op_mode, state.p_compl, state.p_red_op, state.p_yel_op, state.pe, state.ref,
        state.scheme_ids, state.self_decl, state.size_exp, state.start, state.sup_off, state.sup_perm_base,
        state.w_act)
    items_mean = 2.2
    D_est = int(N / items_mean * 1.15) + 64
    items = np.minimum(rng.geometric(1.0 / items_mean, D_est), 40)
    cum = np.cumsum(items)
    D = int(np.searchsorted(cum, N) + 1)
    items = items[:D]
    items[-1] -= int(cum[D - 1] - N)
    # operator per header (every operator at least one declaration)
    h_op = np.empty(D, dtype=np.int64)
    k0 = min(M, D)
    h_op[:k0] = rng.permutation(M)[:k0]
    if D > k0:
        cw = np.cumsum(w_act / w_act.sum())
        h_op[k0:] = np.minimum(np.searchsorted(cw, rng.random(D - k0)), M - 1)
    # month with seasonality and growth, uniform day
    mi = np.arange(T)
    mw = SEASON[(start.month - 1 + mi) % 12] * (1 + ANNUAL_GROWTH) ** (mi / 12.0)
    h_month = np.minimum(np.searchsorted(np.cumsum(mw / mw.sum()), rng.random(D)), T - 1)
    dim = (month_bounds[1:] - month_bounds[:-1])
    h_date = ms[h_month] + np.floor(rng.random(D) * dim[h_month]).astype(np.int64)
    order = np.argsort(h_date, kind="stable")
    h_op, h_month, h_date, items = h_op[order], h_month[order], h_date[order], items[order]
    del order
    h_tfrac = h_month / max(T - 1, 1)
    h_exp = rng.random(D) < pe[h_op]
    h_regime = np.where(h_exp, 4, np.minimum(np.searchsorted(np.cumsum(IMPORT_REGIME_P), rng.random(D)), 3))
    h_mode = np.where(rng.random(D) < 0.7, op_mode[h_op],
                      np.minimum(np.searchsorted(np.cumsum(TRANSPORT_P), rng.random(D)), 4))
    # office by mode
    all_offices = sorted({o for v in OFFICES.values() for o in v})
    off_idx_mat = np.zeros((len(TRANSPORT), 4), dtype=np.int64)
    off_cnt = np.zeros(len(TRANSPORT), dtype=np.int64)
    for i, mname in enumerate(TRANSPORT):
        lst = [all_offices.index(o) for o in OFFICES[mname]]
        off_idx_mat[i, :len(lst)] = lst
        off_cnt[i] = len(lst)
    h_office = off_idx_mat[h_mode, np.floor(rng.random(D) * off_cnt[h_mode]).astype(np.int64)]
    h_cur = np.where(rng.random(D) < 0.75, op_cur[h_op],
                     np.minimum(np.searchsorted(np.cumsum(ref["cur_w"]), rng.random(D)), len(CURRENCIES) - 1))
    # broker
    u = rng.random(D)
    use_compl = u < p_compl[h_op]
    b_idx = np.where(use_compl, compl[rng.integers(0, n_compl, D)], op_broker[h_op])
    other_b = (rng.random(D) < 0.08) & ~self_decl[h_op]
    b_idx = np.where(other_b & ~use_compl, normal_b[rng.integers(0, len(normal_b), D)], b_idx)
    h_broker_null = self_decl[h_op] & ~use_compl & ~other_b
    h_broker = brok_ids[b_idx]
    # broker scheme: some brokered import declarations of small/medium importers go to a scheme broker
    h_scheme = (~h_broker_null & ~h_exp
                & (rng.random(D) < lp * np.where(size_exp[h_op] == 2, SCHEME_ROUTE / 5, SCHEME_ROUTE)))
    h_broker = np.where(h_scheme, scheme_ids[rng.integers(0, SCHEME_BROKERS, D)], h_broker)
    h_supplier = (sup_off[h_op] + np.floor(rng.random(D) ** 2 * n_sup_op[h_op]).astype(np.int64)
                  + sup_perm_base) % 900_000 + 100_000
    # e-value declaration (imports), manifest in advance (sea only)
    h_evd = rng.random(D) < (0.30 + 0.40 * h_tfrac)
    h_man = rng.random(D) < (0.30 + 0.30 * h_tfrac)
    # channel (operator propensity only: independent of line irregularity and treatment)
    h_aeo = h_date >= aeo_since[h_op]
    # calibrate the operator propensities so that the line-weighted shares hit the targets
    hc = np.bincount(h_op, weights=items, minlength=M)
    aeo_frac = np.bincount(h_op, weights=items * h_aeo, minlength=M) / np.maximum(hc, 1)
    # targets a little below 6% / 12%: random, officer and rule upgrades add the rest
    for arr_, mult, target, cap in ((p_red_op, 0.3, 0.052, 0.6), (p_yel_op, 0.4, 0.112, 0.35)):
        for _ in range(3):
            eff = np.where(is_aeo_any, arr_ * (aeo_frac + (1 - aeo_frac) / mult), arr_)
            cur_share = float((hc * eff).sum() / hc.sum())
            arr_ *= target / max(cur_share, 1e-9)
            np.clip(arr_, 0.002, cap, out=arr_)
    pr = np.where(h_aeo, p_red_op[h_op], np.where(is_aeo_any[h_op], p_red_op[h_op] / 0.3, p_red_op[h_op]))
    py = np.where(h_aeo, p_yel_op[h_op], np.where(is_aeo_any[h_op], p_yel_op[h_op] / 0.4, p_yel_op[h_op]))
    u = rng.random(D)
    # rule channel; random and officer selections are added once the lines are known
    h_channel = np.where(u < pr, 0, np.where(u < pr + py, 1, 2))  # 0 red 1 yellow 2 green
    h_start = np.concatenate([[0], np.cumsum(items)[:-1]])
    # compact dtypes for the header attributes that are broadcast to lines
    h_op = h_op.astype(np.int32); h_month = h_month.astype(np.int16); h_regime = h_regime.astype(np.int8)
    h_mode = h_mode.astype(np.int8); h_office = h_office.astype(np.int8); h_cur = h_cur.astype(np.int8)
    h_channel = h_channel.astype(np.int8); h_tfrac = h_tfrac.astype(np.float32)
    h_date = h_date.astype(np.int32); h_supplier = h_supplier.astype(np.int32)
    h_broker = h_broker.astype(np.int32)
    h_start = h_start.astype(np.int32)  # lines < 2**31
    del u, pr, py
    state.put(D=D, all_offices=all_offices, h_aeo=h_aeo, h_broker=h_broker, h_broker_null=h_broker_null,
        h_channel=h_channel, h_cur=h_cur, h_date=h_date, h_evd=h_evd, h_exp=h_exp, h_man=h_man,
        h_mode=h_mode, h_month=h_month, h_office=h_office, h_op=h_op, h_regime=h_regime, h_scheme=h_scheme,
        h_start=h_start, h_supplier=h_supplier, h_tfrac=h_tfrac, items=items)


def draw_lines(state: State, rng: np.random.Generator) -> None:
    """Declaration lines: chapter and tariff line per line, then the operator-level irregularities
    (undervaluation on valuation-sensitive lines, misclassification to the low-duty residual line)."""
    (D, N, R, h_date, h_exp, h_month, h_op, h_regime, h_tfrac, hs, isic_off, items, off_cls, op_isic,
        op_line_seed, ref, treat_day, treated) = (
        state.D, state.N, state.R, state.h_date, state.h_exp, state.h_month, state.h_op, state.h_regime,
        state.h_tfrac, state.hs, state.isic_off, state.items, state.off_cls, state.op_isic, state.op_line_seed,
        state.ref, state.treat_day, state.treated)
    hidx = np.repeat(np.arange(D, dtype=np.int32), items)
    op = h_op[hidx]
    l_month = h_month[hidx]
    imp = ~h_exp[hidx]
    after = h_date[hidx] >= treat_day
    # chapter: own class (95%), off-class for ISIC-inconsistent noncompliers, random otherwise
    cls = op_isic[op]
    u = rng.random(N)
    off = isic_off[op] & (u < 0.60)
    cls = np.where(off, off_cls[op], cls)
    chosen = ref["cls_mat"][cls, np.floor(rng.random(N) * ref["cls_cnt"][cls]).astype(np.int64)]
    rand_ch = np.where(isic_off[op], (u >= 0.60) & (u < 0.65), u < 0.04)
    ch = np.where(rand_ch, rng.integers(0, len(ref["chapters"]), N), chosen)
    del chosen, cls, off, rand_ch
    # line within chapter: residual with 10% probability
    u = rng.random(N)
    res_pick = rng.random(N) < 0.10
    focus = op_line_seed[op] + np.floor(u ** 2.5 * hs["nr_cnt"][ch]).astype(np.int64)
    nr_line = hs["nr_mat"][ch, focus % hs["nr_cnt"][ch]]
    r_line = hs["r_mat"][ch, (op_line_seed[op] + np.floor(u ** 2.5 * hs["r_cnt"][ch]).astype(np.int64)) % hs["r_cnt"][ch]]
    del focus, ch, u
    line_true = np.where(res_pick, r_line, nr_line).astype(np.int16 if len(hs["hs_code"]) < 1 << 15 else np.int32)
    line_decl = line_true.copy()
    del r_line, res_pick

    # planted irregularities (imports only): operator-level first
    regime = h_regime[hidx]
    # each probability is drawn against and folded into p_any (the chance of any of them, in the same
    # order of products as one expression) before the next is made: one float array alive at a time
    treat_factor = np.where(treated[op] & after, 1.0 - TREATMENT_REDUCTION, 1.0)
    p_ = np.where(R["undervaluation"][op] & imp, 0.60 * treat_factor, 0.0)
    irr_u = rng.random(N) < p_
    p_any = 1 - p_
    tfrac = h_tfrac[hidx]
    p_ = np.where(R["misclassification"][op] & imp, (0.08 + 0.55 * tfrac) * treat_factor, 0.0)
    del treat_factor
    irr_m = rng.random(N) < p_
    p_any *= 1 - p_
    p_ = np.where(R["origin"][op] & imp, 0.50, 0.0)
    irr_o = rng.random(N) < p_
    p_any *= 1 - p_
    p_ = np.where(R["special_regime_abuse"][op] & imp, 0.05 + 0.35 * tfrac, 0.0)
    del tfrac
    irr_s = rng.random(N) < p_
    p_any *= 1 - p_
    del p_
    irr_x = imp & (rng.random(N) < OTHER_OFFENCE_RATE)  # undeclared goods / smuggling / counterfeit
    p_any *= 1 - np.where(imp, OTHER_OFFENCE_RATE, 0)
    np.subtract(1, p_any, out=p_any)
    # undervaluation concentrated in valuation-sensitive lines of the operator's class
    k = np.flatnonzero(irr_u & (rng.random(N) < 0.75) & (ref["cls_val_cnt"][op_isic[op]] > 0))
    kc = op_isic[op[k]]
    line_true[k] = ref["cls_val_mat"][kc, np.floor(rng.random(len(k)) * ref["cls_val_cnt"][kc]).astype(np.int64)]
    line_decl[k] = line_true[k]
    # misclassification: true line is a regular line, declared as the chapter's low-duty residual line
    k = np.flatnonzero(irr_m)
    line_true[k] = nr_line[k]
    cm = hs["ch_idx"][line_true[k]]
    line_decl[k] = hs["low_resid"][cm]
    del nr_line, k, kc, cm
    state.put(after=after, hidx=hidx, imp=imp, irr_m=irr_m, irr_o=irr_o, irr_s=irr_s, irr_u=irr_u, irr_x=irr_x,
        l_month=l_month, line_decl=line_decl, line_true=line_true, op=op, p_any=p_any,
        regime=regime)


def draw_origin_and_reliefs(state: State, rng: np.random.Generator) -> None:
    """Origin and departure countries, exemptions and claimed tariff preferences; `pays` marks the
    lines that pay duty at entry."""
    (N, h_supplier, hidx, imp, irr_o, irr_s, ref, regime) = (
        state.N, state.h_supplier, state.hidx, state.imp, state.irr_o, state.irr_s, state.ref, state.regime)
    # origin: mostly the supplier's country (one country per supplier), sometimes mixed consignments
    n_ctry = len(ref["country_codes"])
    cw_cum = np.cumsum(ref["country_w"])
    sup_country = np.minimum(np.searchsorted(cw_cum, rng.random(900_000)), len(cw_cum) - 1).astype(np.int16)
    origin = np.where(rng.random(N) < 0.85, sup_country[h_supplier[hidx] - 100_000],
                      np.minimum(np.searchsorted(cw_cum, rng.random(N)), len(cw_cum) - 1)).astype(np.int16)
    del sup_country
    hi = ref["high_idx"]
    origin = np.where(irr_o, hi[rng.integers(0, len(hi), N)], origin)
    home = int(np.flatnonzero(ref["country_codes"] == HOME_COUNTRY)[0])
    # exports: origin home, departure = destination
    dest = np.minimum(np.searchsorted(cw_cum, rng.random(N)), n_ctry - 1)
    hub_idx = np.array([int(np.flatnonzero(ref["country_codes"] == h)[0]) for h in HUBS])
    departure = np.where(rng.random(N) < 0.78, origin, hub_idx[rng.integers(0, len(hub_idx), N)])
    departure = np.where(imp, departure, dest).astype(np.int16)
    origin = np.where(imp, origin, home).astype(np.int16)
    del dest
    # exemption and tariff preference (claimed on most eligible lines)
    exempt = imp & ((irr_s) | ((regime == 0) & (rng.random(N) < 0.03)))
    exempt_code = rng.integers(0, len(EXEMPTION_CODES), N, dtype=np.int8)
    pref_share = np.full(n_ctry, np.nan)
    for c_, f_ in PREFERENCE.items():
        pref_share[ref["country_codes"] == c_] = f_
    pays = imp & (regime == 0) & ~exempt  # lines that pay duty at entry: where line-level schemes pay off
    pref = pays & ~np.isnan(pref_share[origin]) & (rng.random(N) < PREFERENCE_USE)
    n_pays = int(pays.sum())
    state.put(departure=departure, exempt=exempt, exempt_code=exempt_code, hub_idx=hub_idx, n_ctry=n_ctry,
        n_pays=n_pays, origin=origin, pays=pays, pref=pref, pref_share=pref_share)


def value_lines(state: State, rng: np.random.Generator) -> None:
    """Values, quantities, mass, duty treatment and the evaded amount per line. Only what was drawn is
    kept per line (customs value, quantity, mass, evaded); line_taxes() derives the taxes from them.
    Each step works in place, so that at most a few float arrays of N lines are alive at once."""
    (M, N, exempt, hidx, hs, imp, l_month, line_decl, line_true, op, op_line_mean, pattern, ref, regime) = (
        state.M, state.N, state.exempt, state.hidx, state.hs, state.imp, state.l_month, state.line_decl,
        state.line_true, state.op, state.op_line_mean, state.pattern, state.ref, state.regime)
    # values (the declared unit value is the true one times the undervaluation factor)
    uv_true = hs["base_price"][line_true]
    uv_true *= rng.lognormal(-0.06, 0.35, N)
    uv_true *= 1.02 ** (l_month / 12.0)
    v_true_usd = rng.lognormal(-0.5, 1.0, N)
    v_true_usd *= op_line_mean[op]
    qty = np.divide(v_true_usd, uv_true, out=uv_true)
    del uv_true
    u_d = rng.uniform(0.25, 0.5, N)
    v_decl_usd = rng.uniform(0.3, 0.6, N)
    v_decl_usd[~flag(pattern, "undervalued")] = 1.0
    irr_d = flag(pattern, "irr_d")
    v_decl_usd[irr_d] = u_d[irr_d]  # the undervaluation factor
    del u_d, irr_d
    v_decl_usd *= v_true_usd
    mass = qty * hs["kg_per_unit"][line_true]
    mass *= rng.lognormal(0, 0.15, N)
    kg = (hs["supplementary_unit"] == "KG")[line_decl]
    mass[kg] = qty[kg]
    del kg
    size_val_usd = np.bincount(op, weights=v_decl_usd, minlength=M)  # operator size (controls)
    customs_value = np.empty(N)
    tax_code = np.empty(N, dtype=np.int8)
    for sl in slices(N):
        fx = ref["rates"][state.h_cur[hidx[sl]], l_month[sl]]
        customs_value[sl] = np.maximum(np.round(v_decl_usd[sl] / fx, 2), 0.01)
        # duty treatment as coded: 0 general 1 preferential 2 exempt 3 suspended 4 export
        tax_code[sl] = np.where(~imp[sl], 4, np.where(exempt[sl], 2, np.where(regime[sl] != 0, 3,
                                np.where(state.pref[sl], 1, 0))))
    del v_decl_usd
    state.put(customs_value=customs_value)
    rate_null = imp & (rng.random(N) < 0.005)  # a few not recorded
    # true taxes and evaded amount (only for irregular lines); legitimate reliefs stay
    evaded = np.empty(N)
    for sl in slices(N):
        t = line_taxes(state, sl)
        v_lcu_true = v_true_usd[sl] / t["lcu"]
        pat = pattern[sl]
        irr_s_, irr_o_ = flag(pat, "irr_s"), flag(pat, "irr_o")
        t_home = imp[sl] & (regime[sl] == 0) | irr_s_
        lt = line_true[sl]
        td = np.where(t_home & ~(exempt[sl] & ~irr_s_), hs["duty_rate"][lt] * t["pf"], 0.0) * v_lcu_true
        te = np.where(t_home, hs["excise_rate"][lt], 0.0) * v_lcu_true
        tv = np.where(t_home, hs["vat_rate"][lt], 0.0) * (v_lcu_true + td + te)
        ev = np.where(flag(pat, "irr"), np.maximum(td + te + tv - t["duty"] - t["excise"] - t["vat"], 0.0), 0.0)
        ev = ev + np.where(irr_o_, 0.10 * v_lcu_true, 0.0)
        other_only = flag(pat, "irr_x") & ~(flag(pat, "undervalued") | flag(pat, "misclassified") | irr_o_ | irr_s_)
        ev = ev + np.where(other_only, 0.20 * v_lcu_true, 0.0)
        evaded[sl] = ev
    del v_true_usd
    state.put(evaded=evaded, mass=mass, qty=qty, rate_null=rate_null, size_val_usd=size_val_usd,
        tax_code=tax_code)


def item_numbers(state: State, lines) -> np.ndarray:
    """Item number (1, 2, ... within the declaration) of lines (a slice or an index array)."""
    lines = np.arange(lines.start, lines.stop) if isinstance(lines, slice) else np.asarray(lines)
    return (lines - state.h_start[state.hidx[lines]] + 1).astype(np.int32)


def line_value_lcu(state: State, idx) -> tuple[np.ndarray, np.ndarray]:
    """The customs value in local currency of the lines idx (a slice or an index array), and lcu."""
    l_month = state.l_month[idx]
    fx = state.ref["rates"][state.h_cur[state.hidx[idx]], l_month]
    lcu = state.ref["rates"][-1, l_month]
    return state.customs_value[idx] * fx / lcu, lcu


def line_taxes(state: State, idx) -> dict:
    """v_lcu, d_rate, duty, excise and vat (and lcu, pf) of the lines idx (a slice or an index array),
    derived from the declared customs value: the same arithmetic on the same inputs gives the same bits
    as holding five float arrays per line, at a fraction of the memory."""
    hs = state.hs
    line_decl, imp, pays = state.line_decl[idx], state.imp[idx], state.pays[idx]
    home_use = imp & (state.regime[idx] == 0)
    v_lcu, lcu = line_value_lcu(state, idx)
    # share of the general rate paid
    pf = np.where(state.pref[idx], state.pref_share[state.origin[idx]], 1.0).astype(np.float32)
    # taxes (imports only); suspensive regimes and exemptions pay no duty at entry
    d_rate = np.where(pays, np.round(hs["duty_rate"][line_decl] * pf, 4), 0.0)
    e_rate = np.where(home_use, hs["excise_rate"][line_decl], 0.0)
    vrate = np.where(home_use, hs["vat_rate"][line_decl], 0.0)
    duty = np.round(v_lcu * d_rate, 2)
    excise = np.round(v_lcu * e_rate, 2)
    vat = np.round((v_lcu + duty + excise) * vrate, 2)
    duty = np.where(imp, duty, 0.0); excise = np.where(imp, excise, 0.0); vat = np.where(imp, vat, 0.0)
    return {"v_lcu": v_lcu, "lcu": lcu, "pf": pf, "d_rate": d_rate, "duty": duty, "excise": excise, "vat": vat}


def draw_late_corrections(state: State, rng: np.random.Generator) -> None:
    """Version-2 lines (late corrections), drawn before the tax returns so that the returns match the
    corrected customs values."""
    N = state.N
    # monthly returns for registered trading operators
    # late corrections (version 2) are drawn here so the returns match the corrected customs values
    n_v2 = int(round(0.003 * N))
    v2_lines = np.sort(rng.choice(N, n_v2, replace=False)) if n_v2 else np.zeros(0, np.int64)
    v2_factor = rng.uniform(1.05, 1.6, n_v2)
    state.put(n_v2=n_v2, v2_factor=v2_factor, v2_lines=v2_lines)


def row_space(state: State) -> None:
    """Row order of the declarations file (each corrected line followed by its version 2) and ids."""
    N, v2_lines = state.N, state.v2_lines
    # row space: version-1 lines in order, each corrected line followed by its version 2 (rows(a, b)
    # maps rows to lines; no per-row array is kept)
    v2_rows = v2_lines + np.arange(1, len(v2_lines) + 1)
    n_rows = N + len(v2_lines)
    state.put(n_rows=n_rows, v2_rows=v2_rows)


def number_declarations(state: State) -> None:
    """Declaration numbers (the ids are made from them where needed, see decl_ids)."""
    D, h_date = state.D, state.h_date
    # ids: 'D' + YY + 8-digit sequence per year
    h_year = (h_date.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970)
    first_of_year = np.r_[True, h_year[1:] != h_year[:-1]]
    grp_start = np.maximum.accumulate(np.where(first_of_year, np.arange(D), 0))
    decl_num = (h_year % 100) * 100_000_000 + (np.arange(D) - grp_start + 1)
    del h_year, first_of_year, grp_start
    state.put(decl_num=decl_num)


def decl_ids(state: State, h: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Declaration ids of headers h (null where null is True), built for the rows that need them
    rather than held for every declaration."""
    h = np.asarray(h)
    if len(h) == 0:
        return pa.array([], type=pa.string()) if null is None else pa.nulls(0, pa.string())
    lo, hi = int(h.min()), int(h.max())
    if hi - lo + 1 <= len(h):  # each id made once for the span of headers (a chunk's lines repeat theirs)
        out = ids("D", state.decl_num[lo:hi + 1], 10).take(pa.array(h - lo))
    else:  # few headers spread over many (examined lines, breaches)
        out = ids("D", state.decl_num[h], 10)
    return out if null is None else pc.if_else(pa.array(null), pa.scalar(None, pa.string()), out)


def rows(state: State, a: int, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For rows [a, b) of the declarations file: the line of each row, whether it is a version 2, and
    the factor on its values (the correction's factor on version 2 rows, else 1)."""
    r = np.arange(a, b)
    v2_rows, v2_factor = state.v2_rows, state.v2_factor
    src = r - np.searchsorted(v2_rows, r, side="right")
    k = np.searchsorted(v2_rows, r)
    is_v2 = v2_rows[np.minimum(k, len(v2_rows) - 1)] == r if len(v2_rows) else np.zeros(b - a, dtype=bool)
    fac = np.ones(b - a)
    fac[is_v2] = v2_factor[k[is_v2]]
    return src, is_v2, fac
