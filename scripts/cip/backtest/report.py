"""Readable tables of a backtest result (the dict that --json writes)."""

from __future__ import annotations

import math

from cip.backtest.metrics import BUDGETS, LEVELS

VIEW_TITLES = {"all": "every control", "random": "randomly selected controls only"}


def _pct(value, digits: int = 1) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{100 * value:.{digits}f}%"


def _num(value, digits: int = 2) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _budget_head(budgets) -> str:
    return "".join(f"{format(b, '.0%'):>7}" for b in budgets)


def score_table(scores: dict, budgets=BUDGETS) -> list[str]:
    """One row per score: AUC, precision (lift), recall and share of revenue recovered per budget."""
    width = max([10] + [len(name) for name in scores]) + 2
    out = [f"  {'':<{width}}{'':>6}  {'precision (lift over random) at budget':<56}  "
           f"{'recall at budget':<28}  {'revenue recovered':<28}",
           f"  {'score':<{width}}{'AUC':>6}  " + "".join(f"{format(b, '.0%'):>14}" for b in budgets)
           + "  " + _budget_head(budgets) + "  " + _budget_head(budgets)]
    for name, summary in scores.items():
        cells = "".join(f"{_pct(m['precision']):>7}{'(' + _num(m['lift'], 1) + ')':>7}" for m in summary["budgets"])
        recall = "".join(f"{_pct(m['recall']):>7}" for m in summary["budgets"])
        recovered = "".join(f"{_pct(m.get('recovered_share')):>7}" for m in summary["budgets"])
        out.append(f"  {name:<{width}}{_num(summary['auc']['auc'], 3):>6}  {cells}  {recall}  {recovered}")
    return out


def calibration_table(scores: dict, skip=()) -> list[str]:
    """Deciles of score (1 = lowest) among controlled units: mean score, observed hit rate, units."""
    names = [n for n in scores if n != "random" and n not in skip]
    if not names:
        return []
    width = 25
    out = [f"  {'decile':<7}" + "".join(f"{name[:width - 2]:>{width}}" for name in names),
           f"  {'':<7}" + "".join(f"{'score':>8}{'hit':>7}{'n':>{width - 15}}" for _ in names)]
    bins = {name: {row["bin"]: row for row in scores[name]["calibration"]["bins"]} for name in names}
    for decile in range(1, 11):
        cells = []
        for name in names:
            row = bins[name].get(decile)
            cells.append(" " * width if row is None else
                         f"{row['mean_score']:>8.3f}{_pct(row['hit_rate']):>7}{format(row['units'], ','):>{width - 15}}")
        out.append(f"  {decile:<7}" + "".join(cells))
    out.append(f"  {'error':<7}" + "".join(f"{_num(scores[n]['calibration']['error'], 3):>8}{'':>{width - 8}}"
                                           for n in names))
    return out


def format_declarations(dec: dict) -> list[str]:
    out = ["", f"DECLARATION LEVEL: {dec['lines']:,} lines dated in the horizon, "
               f"{dec['examinations_in_horizon']:,} examinations in the horizon "
               f"(by selection method: {', '.join(f'{k} {v:,}' for k, v in dec['examinations_by_selection_method'].items()) or 'none'})"]
    if dec["missing_scores"]:
        out.append(f"  not in marts.declaration_risk (skipped): {', '.join(dec['missing_scores'])}")
    for name, why in dec["unavailable_scores"].items():
        out.append(f"  {name}: {why} (skipped)")
    for name, count in dec["null_scores"].items():
        out.append(f"  {name}: {count:,} lines without a score, ranked last")
    for name, other in dec["same_as"].items():
        out.append(f"  {name} is {other} (var declaration_scorer)")
    if "random" not in dec["views"]:
        out.append("  no examination in the horizon is marked selection_method = 'random': one view only")
    for view, figures in dec["views"].items():
        out.append("")
        out.append(f"Lines ranked by score, budget = share of the lines; outcomes from {VIEW_TITLES[view]}: "
                   f"{figures['examined']:,} lines examined, {figures['detected']:,} irregular "
                   f"(base rate {_pct(figures['base_rate'])}), {figures['recovered_total']:,.0f} LCU reassessed")
        out += score_table(figures["scores"])
        out.append("")
        # printed for the mart's own scores; the GRI techniques' and the channel's are in the JSON
        skip = [n for n in figures["scores"] if n.startswith("gri_") or n == "recommended_channel"
                or n in dec["same_as"]]
        out.append(f"Calibration ({VIEW_TITLES[view]}): examined lines by decile of score (1 = lowest), "
                   "mean score, observed hit rate, lines; error = mean |score - hit rate| (scores in 0-1)")
        out += calibration_table(figures["scores"], skip)
    return out


def format_operators(ops: dict) -> list[str]:
    out = ["", f"OPERATOR LEVEL: {ops['scored']:,} operators scored on the as-of date, "
               f"{ops['controls_in_horizon']:,} controls in the horizon "
               f"({ops['controls_on_operators_not_scored']:,} on operators not scored)"]
    for missing in ops.get("missing_scores", []):
        out.append(f"  not in the warehouse (skipped): {missing}")
    out.append("")
    out.append(f"Hit rate by risk level (detected / controlled operators of the level; cut-offs "
               f"{ops['risk_cutoffs']['high']} / {ops['risk_cutoffs']['medium']})")
    out.append(f"  {'technique':<10}" + "".join(f"{level:>26}" for level in LEVELS))
    for technique, row in ops["hit_rate_by_level"].items():
        cells = "".join(f"{_pct(c['hit_rate']):>8} ({c['detected']:>5}/{c['controlled']:>5} of {c['operators']:>5})"
                        for c in (row[level] for level in LEVELS))
        out.append(f"  {technique:<10}{cells}")
    if "random" not in ops["views"]:
        out.append("")
        out.append("  no control in the horizon is marked selection_method = 'random': one view only")
    for view, figures in ops["views"].items():
        out.append("")
        out.append(f"Operators ranked by score, budget = share of the operators; outcomes from {VIEW_TITLES[view]}: "
                   f"{figures['controlled']:,} controlled, {figures['detected']:,} with an irregularity "
                   f"(base rate {_pct(figures['base_rate'])}), {figures['recovered_total']:,.0f} LCU reassessed")
        out += score_table(figures["scores"])
        out.append("")
        out.append(f"Calibration ({VIEW_TITLES[view]}): controlled operators by decile of score (1 = lowest)")
        out += calibration_table(figures["scores"])
    if "truth" in ops:
        truth = ops["truth"]
        out.append("")
        out.append(f"Against the planted ground truth ({_pct(truth['noncompliant_share'])} of scored operators noncompliant)")
        out.append(f"  {'score':<25}{'high: n':>9}{'precision':>11}{'recall':>9}"
                   + "".join(f"{'top ' + format(b, '.0%') + ' prec':>15}" for b in BUDGETS))
        for name, row in truth["by_score"].items():
            high = row.get("high_segment")
            head = (f"{high['flagged']:>9,}{_pct(high['precision']):>11}{_pct(high['recall']):>9}" if high
                    else f"{'':>29}")
            out.append(f"  {name:<25}{head}" + "".join(f"{_pct(m['precision']):>15}" for m in row["budgets"]))
    return out


def format_report(result: dict) -> str:
    out = [f"Backtest as of {result['as_of_date']}, outcomes closed in ({result['as_of_date']}, "
           f"{result['horizon_end']}] ({result['horizon_months']} months)"]
    build = result.get("build", {})
    for table, copied in build.get("filtered_copy", {}).items():
        out.append(f"  raw {table}: {copied['rows']:,} rows, {copied['left_out']:,} dated after "
                   f"{copied['cutoff']} left out of the backtest's warehouse")
    leak = build.get("leak_audit")
    if leak:
        controls = sum(leak["controls_after_as_of"].values())
        lines = sum(leak["declarations_after_end"].values())
        out.append(f"  leak audit of the warehouse: {controls} controls after {result['as_of_date']}, {lines} lines "
                   f"after {result['horizon_end']} in {leak['tables_checked']} tables and views"
                   + ("" if leak["leaks"] == 0 else "  <-- LEAK"))
    if "declarations" in result:
        out += format_declarations(result["declarations"])
    if "operators" in result:
        out += format_operators(result["operators"])
    return "\n".join(out)
