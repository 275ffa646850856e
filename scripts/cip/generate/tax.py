"""Tax records: taxpayers, monthly tax returns and tax audits."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa

from .declarations import line_taxes, line_value_lcu
from .helpers import State, dates, day_number, ids, slices, take_strings


def register_taxpayers(state: State, rng: np.random.Generator) -> None:
    """taxpayers: registered operators plus non-trading taxpayers."""
    (M, R, ms, n_cls, n_extra_tp, op_isic, ref, tin_nums, tins_all) = (
        state.M, state.R, state.ms, state.n_cls, state.n_extra_tp, state.op_isic, state.ref, state.tin_nums,
        state.tins_all)
    registered = rng.random(M) < 0.95
    n_tp = int(registered.sum()) + n_extra_tp
    tp_ops = np.flatnonzero(registered)
    tp_tin_idx = np.r_[tp_ops, np.arange(M, M + n_extra_tp)]
    tp_isic = np.r_[op_isic[tp_ops], rng.integers(0, n_cls, n_extra_tp)]
    st = rng.random(n_tp)
    is_nf = np.r_[R["non_filer"][tp_ops], np.zeros(n_extra_tp, bool)]
    tp_status = np.where(st < np.where(is_nf, 0.75, 0.93), 0, np.where(st < np.where(is_nf, 0.92, 0.98), 1, 2))
    reg_date = rng.integers(day_number(date(1995, 1, 1)), int(ms[0]) - 30, n_tp)
    tp_order = np.argsort(tin_nums[tp_tin_idx], kind="stable")
    taxpayers = {
        "tin": tins_all.take(pa.array(tp_tin_idx[tp_order])),
        "isic_code": pa.array(np.array(ref["isic_codes"], dtype=object)[tp_isic[tp_order]], type=pa.string(),
                              mask=(rng.random(n_tp) < 0.01)),
        "status": take_strings(["active", "inactive", "deregistered"], tp_status[tp_order]),
        "registration_date": dates(reg_date[tp_order]),
    }
    state.put(registered=registered, taxpayers=taxpayers, tp_ops=tp_ops)


def draw_tax_returns(state: State, rng: np.random.Generator) -> None:
    """Monthly tax returns of registered trading operators (planted mismatches and non-filing)."""
    (M, N, R, T, imp, l_month, ms, op, tin_nums, tins, tp_ops, v2_factor, v2_lines) = (
        state.M, state.N, state.R, state.T, state.imp, state.l_month, state.ms, state.op, state.tin_nums,
        state.tins, state.tp_ops, state.v2_factor, state.v2_lines)

    def agg(weight, n_keys: int, flow: bool = False) -> np.ndarray:
        """Per operator and month (and flow), the sum of weight(slice) over lines at their corrected
        values. np.add.at adds line after line into the same bins, as one bincount over all lines
        would (the same sums to the bit), without a key and a weight per line for all N at once."""
        out = np.zeros(n_keys)
        for sl in slices(N):
            key = op[sl].astype(np.int64) * T + l_month[sl]
            if flow:
                key = key * 2 + imp[sl]
            w = weight(sl)
            lo, hi = np.searchsorted(v2_lines, [sl.start, sl.stop])
            w[v2_lines[lo:hi] - sl.start] *= v2_factor[lo:hi]  # x * 1.0 == x elsewhere
            np.add.at(out, key, w)
        return out

    # imports (CIF) and exports (FOB) in one pass, keyed apart: a bin's sum skips only the +0.0 terms
    # that weighting the other flow by zero would have added, so the sums are the same
    flow_m = agg(lambda sl: line_value_lcu(state, sl)[0], M * T * 2, flow=True).reshape(M, T, 2)
    cif_m, fob_m = flow_m[:, :, 1], flow_m[:, :, 0]
    vat_m = agg(lambda sl: line_taxes(state, sl)["vat"], M * T).reshape(M, T)  # 0 on export lines
    exc_m = agg(lambda sl: line_taxes(state, sl)["excise"], M * T).reshape(M, T)
    del flow_m
    rt_ops = tp_ops[np.argsort(tin_nums[tp_ops], kind="stable")]
    nR = len(rt_ops) * T
    r_op = np.repeat(rt_ops, T)
    r_m = np.tile(np.arange(T), len(rt_ops))
    nf_rate = np.where(R["non_filer"], rng.uniform(0.4, 0.8, M), 0.02)
    filed = rng.random(nR) >= nf_rate[r_op]
    tm = R["tax_mismatch"][r_op]
    noise3 = lambda: 1.0 + rng.uniform(-0.03, 0.03, nR)
    vat_claim = vat_m[r_op, r_m] * np.where(tm, rng.uniform(1.3, 2.0, nR), noise3())
    sign = np.where(rng.random(nR) < 0.5, -1.0, 1.0)
    imp_decl = cif_m[r_op, r_m] * np.where(tm, 1.0 + sign * rng.uniform(0.26, 0.6, nR), noise3())
    exp_decl = fob_m[r_op, r_m] * noise3()
    exc_decl = exc_m[r_op, r_m] * np.where(tm, np.where(sign > 0, rng.uniform(0.3, 0.6, nR), rng.uniform(1.4, 1.8, nR)), noise3())
    nf_mask = ~filed
    tax_returns = {
        "tin": tins.take(pa.array(r_op)),
        "period_start": dates(ms[r_m]),
        "filed": pa.array(filed),
        "vat_on_imports_claimed": pa.array(np.round(vat_claim, 2), mask=nf_mask),
        "imports_declared": pa.array(np.round(imp_decl, 2), mask=nf_mask),
        "exports_declared": pa.array(np.round(exp_decl, 2), mask=nf_mask),
        "excise_declared": pa.array(np.round(exc_decl, 2), mask=nf_mask),
    }
    state.put(filed=filed, r_op=r_op, tax_returns=tax_returns)


def draw_tax_audits(state: State, rng: np.random.Generator) -> None:
    """Tax audits: ~4% of operators a year, more for the tax risk types."""
    (M, R, imp_lcu_op_year, month_bounds, ms, nc, size_hint, tins, years) = (
        state.M, state.R, state.imp_lcu_op_year, state.month_bounds, state.ms, state.nc, state.size_hint,
        state.tins, state.years)
    # tax audits: ~4% of operators a year, more for tax-risk types
    tax_nc = R["tax_mismatch"] | R["non_filer"] | R["transfer_pricing"]
    a_ops, a_dates, a_irr, a_tp, a_amt = [], [], [], [], []
    for y in years:
        k_y = max(1, round(0.04 * M))
        w = 1.0 + 5.0 * tax_nc + 4.0 * R["transfer_pricing"] + 0.5 * (size_hint == 2)
        sel = np.sort(rng.choice(M, k_y, replace=False, p=w / w.sum()))
        y_lo = max(day_number(date(y, 1, 1)), int(ms[0]))
        y_hi = min(day_number(date(y, 12, 31)), int(month_bounds[-1]) - 1)
        a_ops.append(sel); a_dates.append(rng.integers(y_lo, y_hi + 1, k_y))
        irr_a = rng.random(k_y) < np.where(tax_nc[sel], 0.75, np.where(nc[sel], 0.3, 0.10))
        tpadj = irr_a & (rng.random(k_y) < np.where(R["transfer_pricing"][sel], 0.85, 0.02))
        irr_a |= tpadj
        a_irr.append(irr_a); a_tp.append(tpadj)
        yearly = imp_lcu_op_year.get(y, np.zeros(M))[sel] + 1e5
        a_amt.append(np.round(np.where(irr_a, yearly * rng.uniform(0.005, 0.05, k_y) * np.where(tpadj, 3.0, 1.0), 0.0), 2))
    a_ops = np.concatenate(a_ops); a_dates = np.concatenate(a_dates)
    ao = np.argsort(a_dates, kind="stable")
    tax_audits = {
        "audit_id": ids("A", np.arange(1, len(ao) + 1), 8),
        "tin": tins.take(pa.array(a_ops[ao])),
        "audit_date": dates(a_dates[ao]),
        "irregularity_found": pa.array(np.concatenate(a_irr)[ao]),
        "transfer_pricing_adjustment": pa.array(np.concatenate(a_tp)[ao]),
        "amount_assessed": pa.array(np.concatenate(a_amt)[ao]),
    }
    state.put(tax_audits=tax_audits)
