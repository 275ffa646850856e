"""Synthetic data generator for customs-cip (`cip generate`).

One module per thing generated, run in a fixed order on one random stream (see generate()):
reference (nomenclature, countries, rates), operators (and their planted behaviour),
declarations (headers, lines, values), line_patterns (line-level schemes), controls, tax,
other_tables, corruption, writing, truth; params holds the planted-behaviour parameters.

Writes one file per source table of the contract (models/staging/*/_*__sources.yml)
into ``<out>/<table>.parquet`` (or ``.csv``), plus the ground truth in
``<out>/_truth/`` (never read by dbt).

Design
------
* Fully vectorised with numpy (``np.random.default_rng(seed)``); the only Python
  loops run over tables, months, chapters, years or a handful of categories.
* ``declarations`` (N) is the number of declaration *lines* (version 1 rows); lines
  are grouped into declarations of ~2.2 items on average.
* Deterministic: one RNG stream consumed in a fixed order, rows built in a fixed
  order (date, declaration, item, version), files written with
  ``pyarrow.parquet.write_table`` / ``pyarrow.csv.write_csv`` (single writer).
* Memory (~115-125 B per line at the peak; 100M lines: 12.3 GB, measured): every random
  draw is still made over all N lines at once (that is what keeps the stream, and so the
  bytes, the same), but only what was drawn is kept per line, in the narrowest type that holds
  it (int16 tariff lines and countries, int32 headers, one int16 ``pattern`` whose bits give
  every irregularity flag). What follows from it is derived per slice of lines when needed
  (``helpers.slices``; elementwise arithmetic gives the same bits whatever the slice):
  taxes and local-currency values from the customs value (``declarations.line_taxes``),
  item numbers, declaration ids, the file's row map (``declarations.rows``). Arrays are
  dropped after their last stage, tables no breach touches are written as soon as drawn, and
  the declarations are written before the control_results columns are made.
* Planted noncompliance is operator-level (seven compliance risk types), with a
  per-line irregularity flag, controls that detect it imperfectly, and a treatment
  (PCA campaign) with a planted 60% relative reduction measured by a
  difference-in-differences of the observed irregularity rate.
* Line-level patterns that belong to no single operator, on duty-paying import lines
  (home use, no exemption); ``--no-line-patterns`` turns them off:

  - goods_route_undervaluation: a dozen (HS6, departure country) routes, a third via
    hubs, chosen where many small importers trade; lines declared at 0.3-0.6 of their
    value with probability 0.75 / 0.60 / 0.45 for small / medium / large importers;
  - duty_misclassification: a line declared as its lowest-duty neighbour (same HS6,
    else same heading) with probability 3.5 x (duty gap x true duty rate - 0.015),
    capped at 0.25: the signal sits on the cheaper declared codes;
  - broker_scheme: three brokers that get ~3% of small and medium importers' brokered
    import declarations; their lines are undervalued with probability 0.30;
  - unit_price_manipulation: ten (tariff line, origin) combinations declared at
    0.25-0.5 of the line's usual unit value (probability 0.35) by importers that are
    otherwise compliant: weak on hit rates, plain against the unit-value norm.

  The busiest 2% of traders join these on fewer of their lines, so that no single
  trader makes a pattern. Irregular import lines: ~9% of all, ~14% of examined ones
  (1M lines). Truth: ``_truth/declaration_lines_truth.parquet`` (``pattern``: the
  '|'-joined patterns that made the line irregular, ``true_hs_code``),
  ``_truth/line_patterns.parquet`` (one row per planted combination) and the
  ``line_patterns`` and ``selection`` sections of ``truth.json``.
* Selection (``control_results.selection_method``): the rule channel comes from
  operator propensities, and rules also send declarations on half the risky routes from
  green to yellow (25%); officers pick ~1.2% of green import declarations, four times
  as often when a line sits in a scheme's visible scope (route, broker, price
  combination, or a code misclassified goods are declared under); a random stream (``--random-inspection-rate``, 1%) examines import declarations
  physically (red) whatever the rules say, and is the only unbiased sample. PCAs are
  rule (70%) or officer (30%).
* Declarations carry ``duty_rate`` (the rate behind duty_paid) and ``tax_type``
  (general, preferential for claimed preferences on partner origins, exempt with an
  exemption code, suspended in suspensive regimes, export); both null on 0.5% of
  import lines.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date
from pathlib import Path

import numpy as np

from .controls import control_results, examine, link_controls, post_clearance_audits, select_for_examination
from .corruption import corrupt, plan_corruption
from .declarations import (draw_headers, draw_late_corrections, draw_lines, draw_origin_and_reliefs,
                           number_declarations, row_space, value_lines)
from .helpers import Progress, State, month_starts
from .line_patterns import plant_line_patterns
from .operators import plant_operators
from .other_tables import draw_other_customs_tables
from .params import LINE_PATTERNS, PREFERENCE, RANDOM_INSPECTION_RATE, TABLES
from .reference import build_reference, reference_tables
from .tax import draw_tax_audits, draw_tax_returns, register_taxpayers
from .truth import (treatment_effect_truth, write_line_truth, write_lines_truth_file, write_operator_truth,
                    write_truth_json)
from .writing import write_declarations, write_small_tables

__all__ = ["HELP", "LINE_PATTERNS", "PREFERENCE", "RANDOM_INSPECTION_RATE", "add_arguments", "generate", "run"]

HELP = "Generate a realistic synthetic data set (all source tables + ground truth) for the demo."


def generate(out_dir: Path, declarations: int, seed: int = 42, operators: int | None = None,
             corrupt_rate: float = 0.0, start: date = date(2024, 1, 1), months: int = 24,
             fmt: str = "parquet", progress: bool = True,
             random_inspection_rate: float = RANDOM_INSPECTION_RATE, line_patterns: bool = True) -> dict:
    """Writes the source tables and the truth into out_dir; returns a short summary.

    The stages draw from one random stream in the order below: reordering them changes every
    byte of the output (the tests compare a fixed seed's output).
    """
    t_start = time.perf_counter()
    out_dir = Path(out_dir)
    if fmt not in ("parquet", "csv"):
        raise ValueError("fmt must be 'parquet' or 'csv'")
    if declarations < 1:
        raise ValueError("declarations must be >= 1")
    if not 0.0 <= corrupt_rate < 0.5:
        raise ValueError("corrupt_rate must be in [0, 0.5)")
    if not 0.0 <= random_inspection_rate <= 0.5:
        raise ValueError("random_inspection_rate must be in [0, 0.5]")
    lp = 1.0 if line_patterns else 0.0  # scales every line-level pattern (0: operator-level only)
    if isinstance(start, str):
        start = date.fromisoformat(start)
    start = date(start.year, start.month, 1)
    N = int(declarations)
    M = int(operators) if operators else max(300, N // 120)
    T = int(months)
    prog = Progress(progress, {"reference": 0.5, "operators": 1, "declaration headers": 5,
                                "declaration lines": 10, "controls": 2, "tax": 1.5,
                                "other tables": 0.2, "write": 22, "truth": 3})
    rng = np.random.default_rng(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "_truth").mkdir(exist_ok=True)
    # remove outputs of an earlier run (other format, stale corruption keys) so dbt sees one file per table
    for name in TABLES:
        for ext in ("parquet", "csv"):
            (out_dir / f"{name}.{ext}").unlink(missing_ok=True)
    for name in ("operators.parquet", "declaration_lines_truth.parquet", "line_patterns.parquet",
                 "corruptions.parquet", "truth.json"):
        (out_dir / "_truth" / name).unlink(missing_ok=True)

    state = State(N=N, M=M, T=T, start=start, lp=lp, line_patterns=line_patterns, seed=seed, fmt=fmt,
              corrupt_rate=corrupt_rate, random_inspection_rate=random_inspection_rate, out_dir=out_dir)
    ref = build_reference(rng, start, T)
    ms = ref["month_starts"]
    treat_month = T // 2 if T >= 2 else 0
    treat_day = int(ms[treat_month])
    state.put(ref=ref, hs=ref["hs"], ms=ms, month_bounds=month_starts(start, T), treat_day=treat_day,
          treat_date=(np.datetime64(int(treat_day), "D")).astype(object))
    prog.step("reference")
    plant_operators(state, rng)
    prog.step("operators", f"{M:,} operators")
    draw_headers(state, rng)
    prog.step("declaration headers", f"{state.D:,} declarations")
    draw_lines(state, rng)
    state.drop("items")
    draw_origin_and_reliefs(state, rng)
    plant_line_patterns(state, rng)
    state.drop("h_scheme", "irr_u", "irr_m", "irr_o", "irr_s", "irr_x")
    value_lines(state, rng)
    prog.step("declaration lines", f"{N:,} lines")
    select_for_examination(state, rng)
    state.drop("h_tfrac", "h_exp", "scheme_line")
    examine(state, rng)
    treatment_effect_truth(state)  # reads no random draw: here, so that p_any is freed early
    state.drop("p_any", "det_p")
    number_declarations(state)
    write_lines_truth_file(state)  # the evaded amounts are read by nothing after the examinations
    state.drop("evaded")
    post_clearance_audits(state, rng)
    control_results(state)
    state.drop("amt", "collected", "ex_date", "off_t", "serious", "P", "h_channel", "h_sel")
    prog.step("controls", f"{state.n_ctrl:,} controls")
    register_taxpayers(state, rng)
    draw_late_corrections(state, rng)
    draw_tax_returns(state, rng)
    draw_tax_audits(state, rng)
    write_small_tables(state, "tax_returns", "tax_audits")
    prog.step("tax")
    draw_other_customs_tables(state, rng)
    reference_tables(state)
    write_small_tables(state, "advance_rulings", "treatments_applied", "trader_survey", "hs_nomenclature",
                       "country_risk", "sensitive_goods", "exchange_rates", "isic_hs_concordance")
    prog.step("other tables")
    row_space(state)
    plan_corruption(state, rng)
    # the declarations first: their values are freed before the control_results columns are made
    write_declarations(state)
    state.drop("customs_value", "qty", "mass", "h_release", "h_supplier", "h_aeo", "h_evd", "h_man", "h_office",
               "h_mode", "h_cur", "h_regime", "h_date", "exempt_code", "departure", "pref", "pref_share", "regime",
               "cplan")
    link_controls(state)
    corrupt(state, rng)
    write_small_tables(state, "control_results", "taxpayers")  # the tables corrupt() may breach
    prog.step("write", f"{state.counts['declarations']:,} declaration rows")
    write_operator_truth(state)
    write_line_truth(state)
    write_truth_json(state)
    seconds = round(time.perf_counter() - t_start, 3)  # not in truth.json: keep it byte-identical
    prog.step("truth")
    return {"out_dir": str(out_dir), "row_counts": state.counts, "seconds": seconds,
            "treatment": {k: state.treatment_truth[k] for k in ("planted_relative_reduction",
                                                           "expected_did_observed_rate",
                                                           "empirical_did_observed_rate")}}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--declarations", type=int, default=200_000,
                        help="number of declaration lines (item rows, version 1) to generate [200000]")
    parser.add_argument("--seed", type=int, default=42, help="random seed [42]")
    parser.add_argument("--out", type=Path, default=Path("data/demo"), help="output directory [data/demo]")
    parser.add_argument("--operators", type=int, default=None,
                        help="number of operators [declarations/120, min 300]")
    parser.add_argument("--corrupt-rate", type=float, default=0.0,
                        help="fraction of declaration/control/taxpayer rows replaced by contract breaches [0]")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2024, 1, 1),
                        help="first month of the window, YYYY-MM-DD [2024-01-01]")
    parser.add_argument("--months", type=int, default=24, help="months in the window [24]")
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet", help="output format [parquet]")
    parser.add_argument("--random-inspection-rate", type=float, default=RANDOM_INSPECTION_RATE,
                        help="share of import declarations examined at random (selection_method random) [0.01]")
    parser.add_argument("--no-line-patterns", dest="line_patterns", action="store_false",
                        help="plant operator-level noncompliance only (no goods/route/broker/price patterns)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def run(args: argparse.Namespace) -> int:
    summary = generate(out_dir=Path(args.out), declarations=args.declarations, seed=args.seed,
                       operators=args.operators, corrupt_rate=args.corrupt_rate, start=args.start,
                       months=args.months, fmt=args.format, progress=not getattr(args, "quiet", False),
                       random_inspection_rate=getattr(args, "random_inspection_rate", RANDOM_INSPECTION_RATE),
                       line_patterns=getattr(args, "line_patterns", True))
    print(json.dumps(summary, indent=2))
    return 0
