"""Ground truth in _truth/ (never read by dbt): operators, line truth, line patterns, truth.json."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .declarations import decl_ids, item_numbers
from .helpers import State, jsonable, safe_mean
from .line_patterns import flag, misclass_p
from .params import (CUSTOMS_RISKS, DETECT, FALSE_POSITIVE, LARGE_USD, LINE_PATTERNS, MEDIUM_USD,
                     MISCLASS_CAP, MISCLASS_FLOOR, MISCLASS_K, OTHER_OFFENCE_RATE, PRICE_P, RISK_TYPES,
                     ROUTE_P, SCHEME_P, SELECTION, TAX_TYPES, TREATMENT_CODE, TREATMENT_REDUCTION)
from .writing import write_chunked


def treatment_effect_truth(state: State) -> None:
    """Expected and realised difference in differences of the planted treatment (truth.json)."""
    (after, comparison, det_p, ex, found, op, p_any, treat_date, treated) = (
        state.after, state.comparison, state.det_p, state.ex, state.found, state.op, state.p_any,
        state.treat_date, state.treated)
    # treatment effect (DiD of observed irregularity rate among examined lines)
    grp = np.where(treated[op[ex]], 0, np.where(comparison[op[ex]], 1, -1))
    aft = after[ex]
    exp_found = p_any[ex] * det_p + (1 - p_any[ex]) * FALSE_POSITIVE
    cells = {}
    for g, gname in [(0, "treated"), (1, "comparison")]:
        for a_, aname in [(False, "before"), (True, "after")]:
            m = (grp == g) & (aft == a_)
            n_m = int(m.sum())
            cells[f"{gname}_{aname}"] = {
                "examined_lines": n_m,
                "observed_rate": float(found[m].mean()) if n_m else None,
                "expected_rate": float(exp_found[m].mean()) if n_m else None,
                "operators": int(len(np.unique(op[ex][m]))) if n_m else 0,
            }
    def _did(key):
        try:
            return ((cells["treated_after"][key] - cells["treated_before"][key])
                    - (cells["comparison_after"][key] - cells["comparison_before"][key]))
        except TypeError:
            return None
    # operator-period version (mean of per-operator rates)
    def _op_period_did():
        key = (op[ex].astype(np.int64) * 2 + aft.astype(np.int64))
        m = grp >= 0
        if not m.any():
            return None
        uk, inv = np.unique(key[m], return_inverse=True)
        rate = np.bincount(inv, weights=found[m]) / np.bincount(inv)
        ok, oa = uk // 2, uk % 2
        vals = {}
        for g, gname in [(0, "treated"), (1, "comparison")]:
            for a_ in (0, 1):
                s = (np.where(treated[ok], 0, 1) == g) & (oa == a_)
                vals[(gname, a_)] = float(rate[s].mean()) if s.any() else float("nan")
        r = (vals[("treated", 1)] - vals[("treated", 0)]) - (vals[("comparison", 1)] - vals[("comparison", 0)])
        return None if math.isnan(r) else r
    treatment_truth = {
        "treatment_code": TREATMENT_CODE, "start_date": str(treat_date),
        "planted_relative_reduction": TREATMENT_REDUCTION,
        "treated_operators": int(treated.sum()), "comparison_operators": int(comparison.sum()),
        "cells": cells,
        "expected_did_observed_rate": _did("expected_rate"),
        "empirical_did_observed_rate": _did("observed_rate"),
        "empirical_did_operator_period_mean": _op_period_did(),
        "definition": "share of examined lines with an irregularity found; (treated after - before) - (comparison after - before); pooled over lines",
    }
    state.put(treatment_truth=treatment_truth)


def write_operator_truth(state: State) -> None:
    """_truth/operators.parquet: per operator its planted risk types, group, size and irregular lines."""
    (M, comparison, is_aeo_any, isic_off, nc, op, op_isic, out_dir, pattern, ref, registered, risk, size_hint,
        size_val_usd, tin_nums, tins, treated) = (
        state.M, state.comparison, state.is_aeo_any, state.isic_off, state.nc, state.op,
        state.op_isic, state.out_dir, state.pattern, state.ref, state.registered, state.risk, state.size_hint,
        state.size_val_usd, state.tin_nums, state.tins, state.treated)
    risk_str = risk_strings(risk)
    size_names = np.array(["small", "medium", "large"], dtype=object)
    ops_truth = pa.table({
        "tin": tins,
        "size_hint": pa.array(size_names[size_hint], type=pa.string()),
        "value_usd": pa.array(np.round(size_val_usd, 2)),
        "risk_types": pa.array(risk_str, type=pa.string(), mask=~nc),
        "is_noncompliant": pa.array(nc),
        "treatment_group": pa.array(np.where(treated, "treated", "comparison").astype(object), type=pa.string(),
                                    mask=~(treated | comparison)),
        "isic_code": pa.array(np.array(ref["isic_codes"], dtype=object)[op_isic], type=pa.string()),
        "isic_inconsistent": pa.array(isic_off),
        "is_aeo": pa.array(is_aeo_any),
        "registered": pa.array(registered),
        "lines": pa.array(np.bincount(op, minlength=M).astype(np.int64)),
        "irregular_lines": pa.array(np.bincount(op, weights=flag(pattern, "irr"), minlength=M).astype(np.int64)),
    }).take(pa.array(np.argsort(tin_nums[:M], kind="stable")))
    pq.write_table(ops_truth, out_dir / "_truth" / "operators.parquet")


def write_lines_truth_file(state: State) -> None:
    """_truth/declaration_lines_truth.parquet, written as soon as the evaded amounts have been read by
    the examinations (no random draw here), so that they are not held to the end."""
    N, evaded, hidx, hs, line_true, out_dir, pattern = (
        state.N, state.evaded, state.hidx, state.hs, state.line_true, state.out_dir, state.pattern)
    hs_codes_arr = pa.array(list(hs["hs_code"]), type=pa.string())
    rt_names = pa.array([None] + CUSTOMS_RISKS + ["other_offence"], type=pa.string())
    pat_names = pa.array([None] + ["|".join(LINE_PATTERNS[j] for j in range(len(LINE_PATTERNS)) if c >> j & 1)
                                   for c in range(1, 1 << len(LINE_PATTERNS))], type=pa.string())
    lt_schema = pa.schema([("declaration_id", pa.string()), ("item_no", pa.int32()), ("is_irregular", pa.bool_()),
                           ("risk_type", pa.string()), ("pattern", pa.string()), ("true_hs_code", pa.string()),
                           ("evaded_lcu", pa.float64())])

    def lt_chunk(a: int, b: int) -> pa.Table:
        pat = pattern[a:b]
        rt_code = np.where(flag(pat, "undervalued"), 1, np.where(flag(pat, "misclassified"), 2, np.where(
            flag(pat, "irr_o"), 3, np.where(flag(pat, "irr_s"), 4, np.where(flag(pat, "irr_x"), 5, 0)))))
        return pa.Table.from_arrays([
            decl_ids(state, hidx[a:b]), pa.array(item_numbers(state, slice(a, b))), pa.array(flag(pat, "irr")),
            rt_names.take(pa.array(rt_code)), pat_names.take(pa.array(pat.astype(np.int64))),
            hs_codes_arr.take(pa.array(line_true[a:b])), pa.array(np.round(evaded[a:b], 2))], schema=lt_schema)

    write_chunked(out_dir / "_truth" / "declaration_lines_truth.parquet", lt_schema, "parquet", N, lt_chunk)


def write_line_truth(state: State) -> None:
    """_truth/line_patterns.parquet, _truth/corruptions.parquet and the line-pattern summaries."""
    (all_brok_ids, b_scope, combos_a, combos_d, corr_keys, ex, found, h_broker, hidx, imp, l_a, l_c, l_d,
        line_decl, line_true, lp, n_ctry, nc, op, op_damp, out_dir, pattern, pays, ref, scheme_ids, sel_ex,
        size_exp) = (
        state.all_brok_ids, state.b_scope, state.combos_a, state.combos_d, state.corr_keys, state.ex, state.found,
        state.h_broker, state.hidx, state.imp, state.l_a, state.l_c, state.l_d, state.line_decl, state.line_true,
        state.lp, state.n_ctry, state.nc, state.op, state.op_damp, state.out_dir, state.pattern, state.pays,
        state.ref, state.scheme_ids, state.sel_ex, state.size_exp)
    line_truth = line_pattern_truth(
        out_dir, ref, brok_ids=all_brok_ids, scheme_ids=scheme_ids, combos_a=combos_a, combos_d=combos_d,
        n_ctry=n_ctry, l_a=l_a, l_d=l_d, l_c=l_c, h_broker=h_broker, hidx=hidx, op=op, pattern=pattern,
        irr=flag(pattern, "irr"), imp=imp, pays=pays, line_true=line_true, line_decl=line_decl, b_scope=b_scope, ex=ex,
        found=found, sel_ex=sel_ex,
        size_exp=size_exp, nc=nc, op_damp=op_damp, lp=lp)
    if corr_keys:
        pq.write_table(pa.concat_tables(corr_keys), out_dir / "_truth" / "corruptions.parquet")

    state.put(line_truth=line_truth)


def write_truth_json(state: State) -> None:
    """_truth/truth.json: parameters, counts and the planted and realised shares."""
    (M, N, R, T, after, brok_ids, compl, corr_keys, corrupt_rate, corruption, counts, ex, exempt, filed, fmt,
        found, h_broker, h_broker_null, hidx, hs, imp, irr, irr_u, is_aeo_any, isic_off, l_channel, l_month,
        line_decl, line_patterns, line_truth, n_brok, n_ex, n_pca, n_v2, nc, op, origin, out_dir, r_op,
        random_inspection_rate, rate_null, ref, registered, risk, seed, size_hint, size_val_usd, start,
        tax_code, treated, treatment_truth) = (
        state.M, state.N, state.R, state.T, state.after, state.brok_ids, state.compl, state.corr_keys,
        state.corrupt_rate, state.corruption, state.counts, state.ex, state.exempt, state.filed, state.fmt,
        state.found, state.h_broker, state.h_broker_null, state.hidx, state.hs, state.imp,
        flag(state.pattern, "irr"), flag(state.pattern, "irr_u"), state.is_aeo_any, state.isic_off, state.l_channel,
        state.l_month, state.line_decl,
        state.line_patterns, state.line_truth, state.n_brok, state.n_ex, state.n_pca, state.n_v2, state.nc,
        state.op, state.origin, state.out_dir, state.r_op, state.random_inspection_rate, state.rate_null,
        state.ref, state.registered, state.risk, state.seed, state.size_hint, state.size_val_usd, state.start,
        state.tax_code, state.treated, state.treatment_truth)
    # complicit broker shares (realised)
    compl_ids = set(brok_ids[compl].tolist())
    l_compl = np.isin(h_broker, brok_ids[compl]) & ~h_broker_null
    l_compl = l_compl[hidx]
    planted = {}
    for i, rname in enumerate(RISK_TYPES):
        planted[rname] = {"operators": int(risk[:, i].sum()), "share_of_operators": float(risk[:, i].mean())}
    untreated = ~(treated[op] & after)
    planted["undervaluation"]["import_line_irregular_share"] = safe_mean(irr_u[R["undervaluation"][op] & imp & untreated])
    planted["undervaluation"]["import_line_irregular_share_incl_treated"] = safe_mean(irr_u[R["undervaluation"][op] & imp])
    planted["undervaluation"]["valuation_sensitive_share_of_irregular"] = safe_mean(hs["val_sensitive"][line_decl[irr_u]])
    ym = l_month < T // 2
    for rname, fl, nm in [("misclassification", hs["is_residual"][line_decl], "residual_share"),
                          ("special_regime_abuse", exempt, "exempt_share")]:
        sel = R[rname][op] & imp & ~treated[op]  # treated operators change behaviour mid-window
        planted[rname][f"{nm}_first_year"] = safe_mean(fl[sel & ym])
        planted[rname][f"{nm}_second_year"] = safe_mean(fl[sel & ~ym])
        planted[rname][f"{nm}_normal_operators"] = safe_mean(fl[~nc[op] & imp])
    hi_c = np.isin(origin, ref["high_idx"])
    planted["origin"]["high_risk_origin_share"] = safe_mean(hi_c[R["origin"][op] & imp])
    planted["origin"]["high_risk_origin_share_normal"] = safe_mean(hi_c[~nc[op] & imp])
    planted["non_filer"]["not_filed_share"] = safe_mean(~filed[R["non_filer"][r_op]])
    planted["non_filer"]["not_filed_share_normal"] = safe_mean(~filed[~R["non_filer"][r_op]])
    val_share_large = float(size_val_usd[size_hint == 2].sum() / max(size_val_usd.sum(), 1e-9))
    truth = {
        "generator": "cip.generate", "seed": seed,
        "parameters": {"declarations": N, "operators": M, "corrupt_rate": corrupt_rate,
                       "start": start.isoformat(), "months": T, "format": fmt,
                       "large_usd": LARGE_USD, "medium_usd": MEDIUM_USD,
                       "detection": DETECT, "false_positive_rate": FALSE_POSITIVE,
                       "other_offence_rate": OTHER_OFFENCE_RATE,
                       "random_inspection_rate": random_inspection_rate, "line_patterns": bool(line_patterns)},
        "row_counts": counts,
        "operators": {"total": M, "noncompliant": int(nc.sum()), "noncompliant_share": float(nc.mean()),
                      "large": int((size_hint == 2).sum()), "medium": int((size_hint == 1).sum()),
                      "small": int((size_hint == 0).sum()), "large_value_share": val_share_large,
                      "aeo": int(is_aeo_any.sum()), "isic_inconsistent": int(isic_off.sum()),
                      "registered": int(registered.sum())},
        "planted": planted,
        "lines": {"total": N, "irregular": int(irr.sum()), "examined": n_ex,
                  "irregularities_found_at_examination": int(found.sum()),
                  "import_share": float(imp.mean()),
                  "import_irregular_share": safe_mean(irr[imp]),
                  "examined_import_irregular_share": safe_mean(irr[ex][imp[ex]]),
                  "channel_share": {c: float((l_channel == i).mean()) for i, c in enumerate(["red", "yellow", "green"])},
                  "version2_rows": n_v2},
        "brokers": {"total": n_brok, "complicit": sorted("B" + str(b) for b in compl_ids),
                    "complicit_line_share_noncompliant": safe_mean(l_compl[nc[op]]),
                    "complicit_line_share_normal": safe_mean(l_compl[~nc[op]])},
        "pca": {"rows": int(n_pca)},
        "line_patterns": line_truth["patterns"],
        "selection": line_truth["selection"],
        "duty_treatment": {t_: int((tax_code[imp & ~rate_null] == i).sum()) for i, t_ in enumerate(TAX_TYPES[:4])}
        | {"import_lines_rate_not_recorded": int(rate_null.sum())},
        "treatment": treatment_truth,
        "corruption": corruption,
        "corruption_keys_file": "_truth/corruptions.parquet" if corr_keys else None,
    }
    (out_dir / "_truth" / "truth.json").write_text(json.dumps(jsonable(truth), indent=2, sort_keys=True))


def line_pattern_truth(out_dir: Path, ref: dict, *, brok_ids, scheme_ids, combos_a, combos_d, n_ctry, l_a, l_d,
                        l_c, h_broker, hidx, op, pattern, irr, imp, pays, line_true, line_decl, b_scope, ex, found, sel_ex,
                        size_exp, nc, op_damp, lp) -> dict:
    """Writes _truth/line_patterns.parquet (one row per planted risky combination) and returns
    the truth.json summaries of the line-level patterns and of the selection streams."""
    hs, cc = ref["hs"], ref["country_codes"]
    n, m_ops = len(irr), len(nc)
    bit = {name: np.int16(1 << i) for i, name in enumerate(LINE_PATTERNS)}
    exm = np.zeros(n, dtype=bool)
    exm[ex] = True
    fnd = np.zeros(n, dtype=bool)
    fnd[ex[found]] = True

    def per_group(group: np.ndarray, k: int, name: str, p_line: np.ndarray) -> dict:
        m = group >= 0
        g = group[m].astype(np.int64)
        h = (pattern[m] & bit[name]) != 0
        imps = np.unique(g[h] * m_ops + op[m][h])
        lines = np.bincount(g, minlength=k)
        return {"lines": lines, "irregular_lines": np.bincount(g, weights=h, minlength=k).astype(np.int64),
                "examined_lines": np.bincount(g, weights=exm[m], minlength=k).astype(np.int64),
                "irregularities_found": np.bincount(g, weights=fnd[m], minlength=k).astype(np.int64),
                "irregular_importers": np.bincount(imps // m_ops, minlength=k),
                "irregular_probability": np.round(np.bincount(g, weights=p_line[m], minlength=k)
                                                  / np.maximum(lines, 1), 4),
                "_importers_total": int(len(np.unique(op[m][h])))}

    cols = ["pattern", "hs_code", "declared_hs_code", "origin_country", "departure_country", "declarant_id",
            "true_duty_rate", "declared_duty_rate", "irregular_probability", "lines", "irregular_lines",
            "examined_lines", "irregularities_found", "irregular_importers"]
    parts, summary = [], {}
    size_p = lp * np.array([ROUTE_P[0], ROUTE_P[1], ROUTE_P[2]])
    b_p = lp * misclass_p(hs)
    # (name, group per line, groups, irregular probability per line, description); the per-line arrays
    # are built when their pattern's turn comes (lambdas), so that one pattern's are alive at a time
    specs = [
        ("goods_route_undervaluation", lambda: l_a, len(combos_a), lambda: size_p[size_exp[op]] * op_damp[op],
         "(HS6, departure country) combinations undervalued (declared 0.3-0.6 of true value), mostly by "
         f"small importers: irregular probability {ROUTE_P[0]} small, {ROUTE_P[1]} medium, {ROUTE_P[2]} large"),
        ("duty_misclassification", lambda: np.where(b_scope & (b_p[line_true] > 0), line_true, -1),
         len(hs["hs_code"]), lambda: b_p[line_true],
         "true tariff line declared as its neighbouring lower-duty line (same HS6, else same heading); probability "
         f"min({MISCLASS_K} x (duty gap x true duty rate - {MISCLASS_FLOOR}), {MISCLASS_CAP})"),
        ("broker_scheme", lambda: np.where(l_c, np.searchsorted(scheme_ids, h_broker[hidx]), -1), len(scheme_ids),
         lambda: lp * SCHEME_P * op_damp[op],
         f"scheme brokers: their duty-paying lines irregular with probability {SCHEME_P}, "
         "undervalued 0.3-0.6, whoever the importer"),
        ("unit_price_manipulation", lambda: l_d, len(combos_d),
         lambda: np.where(nc[op], 0.0, lp * PRICE_P * op_damp[op]),
         "(tariff line, origin) combinations declared at 0.25-0.5 of the line's usual unit value by "
         f"importers that are otherwise compliant (probability {PRICE_P}); seen only against the norm"),
    ]
    for name, group_of, k, p_line_of, desc in specs:
        group = group_of()
        c = per_group(group, k, name, p_line_of())
        tbl = {key: c[key] for key in cols[8:]}
        none = [None] * k
        tbl.update({"pattern": [name] * k, "hs_code": none, "declared_hs_code": none, "origin_country": none,
                    "departure_country": none, "declarant_id": none, "true_duty_rate": none,
                    "declared_duty_rate": none})
        if name == "goods_route_undervaluation":
            tbl["hs_code"] = list(hs["hs6_codes"][combos_a // n_ctry])
            tbl["departure_country"] = list(cc[combos_a % n_ctry])
            label = [f"{h} from {d}" for h, d in zip(tbl["hs_code"], tbl["departure_country"])]
        elif name == "duty_misclassification":
            tbl["hs_code"] = list(hs["hs_code"])
            tbl["declared_hs_code"] = list(hs["hs_code"][hs["neighbour"]])
            tbl["true_duty_rate"] = hs["duty_rate"]
            tbl["declared_duty_rate"] = hs["duty_rate"][hs["neighbour"]]
            tbl["irregular_probability"] = np.round(b_p, 4)
            label = None
        elif name == "broker_scheme":
            tbl["declarant_id"] = ["B" + str(b) for b in scheme_ids]
            label = tbl["declarant_id"]
        else:
            tbl["hs_code"] = list(hs["hs_code"][combos_d // n_ctry])
            tbl["origin_country"] = list(cc[combos_d % n_ctry])
            label = [f"{h} of origin {o}" for h, o in zip(tbl["hs_code"], tbl["origin_country"])]
        t = pa.table({col: (pa.array(tbl[col], type=pa.string()) if col in cols[:6] else
                            pa.array(np.asarray(tbl[col], dtype=float)) if col in cols[6:9] else
                            pa.array(np.asarray(tbl[col], dtype=np.int64))) for col in cols})
        if name == "duty_misclassification":  # only the lines the scheme can reach
            t = t.filter(pc.and_(pc.greater(t["irregular_probability"], 0), pc.greater(t["lines"], 0)))
        parts.append(t)
        in_scope = group >= 0
        ex_in = in_scope[ex]
        summary[name] = {
            "description": desc, "combinations": t.num_rows if label is None else label,
            "lines_in_scope": int(in_scope.sum()), "irregular_lines": int(c["irregular_lines"].sum()),
            "irregular_importers": c["_importers_total"],
            "examined_lines_in_scope": int(ex_in.sum()),
            "hit_rate_examined_in_scope": safe_mean(found[ex_in]),
            "hit_rate_examined_imports_outside": safe_mean(found[~ex_in & imp[ex]]),
        }
        if name == "duty_misclassification":  # its signal is on the declared (cheaper) code
            target = np.zeros(len(hs["hs_code"]), dtype=bool)
            target[hs["neighbour"][b_p > 0]] = True
            ex_t = target[line_decl[ex]] & imp[ex]
            summary[name]["examined_lines_declared_in_target_codes"] = int(ex_t.sum())
            summary[name]["hit_rate_examined_declared_in_target_codes"] = safe_mean(found[ex_t])
    pq.write_table(pa.concat_tables(parts), out_dir / "_truth" / "line_patterns.parquet")
    summary["irregular_lines_by_pattern"] = {name: int(((pattern & bit[name]) != 0).sum()) for name in LINE_PATTERNS}
    summary["line_truth_file"] = "_truth/declaration_lines_truth.parquet (column pattern)"
    summary["combinations_file"] = "_truth/line_patterns.parquet"
    # selection streams: the random one estimates the irregularity of all import lines
    n_imp = max(int(imp.sum()), 1)
    imp_ex = imp[ex]
    selection = {"import_irregular_share": safe_mean(irr[imp])}
    for i, name in enumerate(SELECTION):
        s = (sel_ex == i) & imp_ex
        selection[name] = {"examined_import_lines": int(s.sum()), "share_of_import_lines": float(s.sum() / n_imp),
                           "irregular_share": safe_mean(irr[ex[s]]), "hit_rate": safe_mean(found[s])}
    return {"patterns": summary, "selection": selection}

def risk_strings(risk: np.ndarray) -> np.ndarray:
    """'|'-joined risk type names per operator (vectorised over the 2^7 combinations)."""
    code = (risk * (1 << np.arange(risk.shape[1]))).sum(axis=1)
    names = np.array(["|".join(RISK_TYPES[j] for j in range(len(RISK_TYPES)) if c >> j & 1)
                      for c in range(1 << len(RISK_TYPES))], dtype=object)
    return names[code]
