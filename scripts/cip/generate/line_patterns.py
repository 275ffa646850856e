"""Line-level patterns that belong to no single operator (goods x route undervaluation, duty
misclassification, broker scheme, unit price manipulation); see the package docstring."""

from __future__ import annotations

import numpy as np

from .helpers import State, pick_combos
from .params import (LINE_PATTERNS, MISCLASS_CAP, MISCLASS_FLOOR, MISCLASS_K, PRICE_COMBOS, PRICE_P, ROUTE_COMBOS,
                     ROUTE_P, SCHEME_P)


# line flags as masks over the bits of `pattern` (bit i = LINE_PATTERNS[i]): one int16 per line instead
# of a bool array per flag
_BIT = {name: 1 << i for i, name in enumerate(LINE_PATTERNS)}
FLAGS = {"irr": (1 << len(LINE_PATTERNS)) - 1,
         "irr_u": _BIT["operator_undervaluation"], "irr_o": _BIT["operator_origin"],
         "irr_s": _BIT["operator_special_regime"], "irr_x": _BIT["other_offence"],
         "irr_d": _BIT["unit_price_manipulation"],
         "undervalued": (_BIT["operator_undervaluation"] | _BIT["goods_route_undervaluation"]
                         | _BIT["broker_scheme"] | _BIT["unit_price_manipulation"]),
         "misclassified": _BIT["operator_misclassification"] | _BIT["duty_misclassification"]}


def flag(pattern: np.ndarray, name: str) -> np.ndarray:
    """A line flag (irregular, undervalued, misclassified, or one planted draw) from the pattern bits."""
    return (pattern & FLAGS[name]) != 0


def misclass_p(hs: dict) -> np.ndarray:
    """Per true tariff line, the probability of being declared as its lower-duty neighbour."""
    stake = hs["duty_gap"] * hs["duty_rate"]
    return np.clip(MISCLASS_K * (stake - MISCLASS_FLOOR), 0.0, MISCLASS_CAP)



def plant_line_patterns(state: State, rng: np.random.Generator) -> None:
    """The line-level patterns (see the package docstring), on duty-paying import lines only."""
    (M, N, departure, h_scheme, hidx, hs, hub_idx, irr_m, irr_o, irr_s, irr_u, irr_x, line_decl,
        line_patterns, line_true, lines_exp, lp, n_ctry, n_pays, nc, op, origin, p_any, pays, size_exp) = (
        state.M, state.N, state.departure, state.h_scheme, state.hidx, state.hs, state.hub_idx, state.irr_m,
        state.irr_o, state.irr_s, state.irr_u, state.irr_x, state.line_decl, state.line_patterns,
        state.line_true, state.lines_exp, state.lp, state.n_ctry, state.n_pays, state.nc, state.op,
        state.origin, state.p_any, state.pays, state.size_exp)
    # line-level patterns (duty-paying imports only), independent of the operator's own risk
    # busy importers join line-level schemes on a smaller share of their lines, so that no single
    # trader makes a pattern (the busiest 2% come down towards the 98th-percentile trader's rate)
    op_damp = np.clip(np.quantile(lines_exp, 0.98) / np.maximum(lines_exp, 1e-9), 0.25, 1.0)
    # (a) goods x route: (HS6, departure) combinations undervalued mostly by small importers
    n6 = len(hs["hs6_codes"])
    key = hs["hs6_idx"][line_decl].astype(np.int64) * n_ctry + departure
    # routes traded by many small importers (distinct importers, not lines, so one busy trader can't make one)
    small = pays & (size_exp[op] == 0)
    small_imps = np.bincount(np.unique(key[small] * M + op[small]) // M, minlength=n6 * n_ctry)
    cnt = np.bincount(key[pays], minlength=n6 * n_ctry)
    small_share = np.bincount(key[small], minlength=n6 * n_ctry) / np.maximum(cnt, 1)
    w_a = (small_imps * small_share).astype(float) ** 2
    via_hub = np.isin(np.arange(n6 * n_ctry) % n_ctry, hub_idx)  # a third of the routes are transshipments
    combos_a = np.sort(np.r_[
        pick_combos(rng, cnt, n_pays, ROUTE_COMBOS // 3, 0.0005, 0.012, ~via_hub, weights=w_a),
        pick_combos(rng, cnt, n_pays, ROUTE_COMBOS - ROUTE_COMBOS // 3, 0.0015, 0.012, via_hub, weights=w_a)])
    del small, small_imps, small_share, cnt, w_a, via_hub
    lut = np.full(n6 * n_ctry, -1, dtype=np.int16)
    lut[combos_a] = np.arange(len(combos_a))
    l_a = np.where(pays, lut[key], -1).astype(np.int16)  # combination index per line, -1 outside
    p_a = np.where(l_a >= 0, lp * np.array([ROUTE_P[0], ROUTE_P[1], ROUTE_P[2]])[size_exp[op]] * op_damp[op], 0.0)
    irr_a = rng.random(N) < p_a
    # (d) unit price: (tariff line, origin) combinations outside the routes' HS6, by compliant importers
    n_hs = len(hs["hs_code"])
    key = line_decl.astype(np.int64) * n_ctry + origin
    excl = np.isin(hs["hs6_idx"][np.arange(n_hs * n_ctry) // n_ctry], combos_a // n_ctry)
    cmp_ = pays & ~nc[op]
    imps = np.bincount(np.unique(key[cmp_] * M + op[cmp_]) // M, minlength=n_hs * n_ctry)
    combos_d = pick_combos(rng, np.bincount(key[pays], minlength=n_hs * n_ctry), n_pays, PRICE_COMBOS,
                            0.001, 0.008, excl, weights=imps.astype(float) ** 2)
    del cmp_, imps
    lut = np.full(n_hs * n_ctry, -1, dtype=np.int16)
    lut[combos_d] = np.arange(len(combos_d))
    l_d = np.where(pays, lut[key], -1).astype(np.int16)
    del key, lut, excl
    p_d = np.where((l_d >= 0) & ~nc[op], lp * PRICE_P * op_damp[op], 0.0)
    irr_d = rng.random(N) < p_d
    # (c) broker scheme: every duty-paying line sent to a scheme broker, whoever the importer
    l_c = h_scheme[hidx] & pays
    p_c = np.where(l_c, lp * SCHEME_P * op_damp[op], 0.0)
    irr_c = rng.random(N) < p_c
    # (b) declared as the neighbouring lower-duty line; the more duty at stake, the likelier
    # outside the value combinations, so that those stay on their own codes; operator-level
    # misclassification takes precedence (p_b is not conditioned on it, so p_any stays exact)
    p_b = np.where(pays & (l_a < 0) & (l_d < 0), lp * misclass_p(hs)[line_true], 0.0)
    irr_b = (rng.random(N) < p_b) & ~irr_m
    b_scope = (p_b > 0) & ~irr_m
    line_decl = np.where(irr_b, hs["neighbour"][line_true], line_decl).astype(line_true.dtype)
    p_any = 1 - (1 - p_any) * (1 - p_a) * (1 - p_b) * (1 - p_c) * (1 - p_d)
    del p_a, p_b, p_c, p_d
    # which patterns made each line irregular (bit i = LINE_PATTERNS[i])
    pattern = np.zeros(N, dtype=np.int16)
    for i, f_ in enumerate((irr_u, irr_m, irr_o, irr_s, irr_x, irr_a, irr_b, irr_c, irr_d)):
        pattern |= f_.astype(np.int16) << i
    del irr_u, irr_m, irr_o, irr_s, irr_x, irr_b, irr_d
    # declarations officers watch: lines in a scheme's visible scope (route, broker, price
    # combination, or declared under a code that misclassified goods go to)
    b_target = np.zeros(n_hs, dtype=bool)
    b_target[hs["neighbour"][misclass_p(hs) > 0]] = line_patterns
    scheme_line = (l_a >= 0) | l_c | (l_d >= 0) | (pays & b_target[line_decl])
    del irr_a, irr_c, b_target
    state.put(b_scope=b_scope, combos_a=combos_a, combos_d=combos_d, l_a=l_a, l_c=l_c, l_d=l_d,
        line_decl=line_decl, op_damp=op_damp, p_any=p_any, pattern=pattern, scheme_line=scheme_line)
