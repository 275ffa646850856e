"""Sections: strategic, tactical and operational KPIs and the treatment effect (M17-M20)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from cip.report import charts
from cip.report.blocks import Block, cell, chart, charts_grid, heading, para, table
from cip.report.formatting import (DIMENSION_TITLES, KPI_TITLES, UNIT_SUFFIX, fmt_int, fmt_pct, fmt_points,
                                   fmt_usd, label, value_label)
from cip.report.warehouse import Warehouse


def period_label(period: Any, grain: str | None = None) -> str:
    if isinstance(period, (dt.date, dt.datetime)):
        if grain == "quarter":
            return f"{period.year} Q{(period.month - 1) // 3 + 1}"
        if grain == "year":
            return str(period.year)
        return period.strftime("%b %Y")
    return str(period)


def _preferred_grain(warehouse: Warehouse, relation: str) -> str | None:
    grains = {row["period_grain"] for row in warehouse.rows(f"select distinct period_grain from {relation}")}
    for grain in ("quarter", "month", "year"):
        if grain in grains:
            return grain
    return sorted(grains)[0] if grains else None


ADDITIVE_UNITS = {"usd", "lcu", "count", "operators"}


def kpi_section(warehouse: Warehouse, relation: str) -> list[Block]:
    """One small chart per KPI over the complete periods of the preferred grain, with readable
    titles and legend labels; for amounts and counts split by a dimension, the parts are drawn
    without their total (which would flatten them)."""
    warehouse.require(relation)
    grain = _preferred_grain(warehouse, relation)
    rows = warehouse.rows(
        f"select * from {relation} where period_grain = ? and coalesce(is_complete_period, true) "
        f"order by kpi_code, period_start", [grain])
    if not rows:
        return [para(f"{relation} has no complete {grain} periods yet.", "note")]
    periods = sorted({row["period_start"] for row in rows})
    svgs, latest = [], []
    codes = sorted({row["kpi_code"] for row in rows},
                   key=lambda code: list(KPI_TITLES).index(code) if code in KPI_TITLES else 99)
    for code in codes:
        kpi_rows = [row for row in rows if row["kpi_code"] == code]
        unit = str(kpi_rows[0].get("unit"))
        dimensions = sorted({row["dimension_name"] for row in kpi_rows})
        dimension = "total" if "total" in dimensions else next(
            (name for name in dimensions if name != "hs_chapter"), dimensions[0])
        chosen = [row for row in kpi_rows if row["dimension_name"] == dimension and row["kpi_value"] is not None]
        values = {str(row["dimension_value"]) for row in chosen}
        if unit in ADDITIVE_UNITS and len(values) > 1 and "all" in values:
            chosen = [row for row in chosen if row["dimension_value"] != "all"]
        sizes: dict[str, float] = {}
        for row in chosen:
            sizes[str(row["dimension_value"])] = sizes.get(str(row["dimension_value"]), 0) + abs(row["kpi_value"] or 0)
        keep = sorted(sizes, key=lambda value: -sizes[value])[:6]
        frame = pd.DataFrame([{"period": pd.Timestamp(row["period_start"]),
                               "label": period_label(row["period_start"], grain),
                               "series": value_label(dimension, row["dimension_value"]),
                               "value": float(row["kpi_value"])} for row in chosen
                              if str(row["dimension_value"]) in keep])
        if frame.empty:
            continue
        title = KPI_TITLES.get(code, label(code))
        if dimension != "total":
            title += f" by {DIMENSION_TITLES.get(dimension, dimension.replace('_', ' '))}"
        if unit in UNIT_SUFFIX:
            title += f" ({UNIT_SUFFIX[unit]})"
        order = [value_label(dimension, value) for value in sorted(keep, key=lambda value: (value == "all", value))]
        svgs.append(charts.kpi_lines(frame, title, unit, series_order=order))
        last = max(row["period_start"] for row in chosen)
        for row in chosen:
            if row["period_start"] == last and str(row["dimension_value"]) in keep:
                latest.append({"kpi": KPI_TITLES.get(code, label(code)),
                               "breakdown": "total" if dimension == "total"
                               else value_label(dimension, row["dimension_value"]),
                               "period": period_label(last, grain),
                               "value": _unit_text(unit, row["kpi_value"]),
                               "previous": _unit_text(unit, row.get("previous_value")),
                               "change": fmt_pct(row.get("variation_rate"))})
    return [para(f"Per {grain}, complete periods only ({fmt_int(len(periods))} periods).", "intro"),
            charts_grid(svgs),
            {"kind": "details", "summary": "Last complete period in figures",
             "block": table(latest, ["kpi", "breakdown", "period", "value", "previous", "change"],
                            headers={"kpi": "Indicator"}, numeric=["value", "previous", "change"])}]


def _unit_text(unit: str, value: Any) -> str:
    if value is None:
        return "–"
    number = float(value)
    return {"usd": lambda: fmt_usd(number, compact=True), "lcu": lambda: fmt_usd(number, compact=True, currency="LCU"),
            "share": lambda: fmt_pct(number), "ratio": lambda: fmt_pct(number, 2),
            "rate_difference": lambda: fmt_points(number), "hours": lambda: f"{number:,.1f} h",
            "score_1_5": lambda: f"{number:.2f} / 5"}.get(unit, lambda: fmt_int(number))()


def section_kpi_strategic(warehouse: Warehouse) -> list[Block]:
    return kpi_section(warehouse, "marts.kpi_strategic")


def section_kpi_tactical(warehouse: Warehouse) -> list[Block]:
    return kpi_section(warehouse, "marts.kpi_tactical")


def section_kpi_operational(warehouse: Warehouse) -> list[Block]:
    relation = "marts.kpi_operational"
    warehouse.require(relation)
    grain = _preferred_grain(warehouse, relation)
    rows = warehouse.rows(
        f"select * from {relation} where period_grain = ? and coalesce(is_complete_period, true) "
        f"and control_type = 'all' order by period_start", [grain])
    if not rows:
        return [para(f"{relation} has no complete {grain} periods yet.", "note")]
    periods = sorted({row["period_start"] for row in rows})
    blocks = [para(f"Per {grain}, examinations and post-clearance audits together, complete periods only. "
                   f"Each compliance risk has its own panel and scale, so a large risk does not flatten "
                   f"the small ones.", "intro")]
    for name, title, unit in (("cases_detected", "Cases detected per compliance risk", "count"),
                              ("amount_reassessed_usd", "Amount reassessed per compliance risk (USD)", "usd"),
                              ("amount_collected_usd", "Amount collected per compliance risk (USD)", "usd")):
        frame = pd.DataFrame([{"period": pd.Timestamp(row["period_start"]), "risk": row["compliance_risk"],
                               "value": float(row[name] or 0)} for row in rows])
        blocks.append(chart(charts.small_multiples(frame, "risk", title, unit)))
    last = periods[-1]
    latest = [row for row in rows if row["period_start"] == last]
    blocks.append(heading(f"{period_label(last, grain)} against the period before"))
    blocks.append(table(latest, ["compliance_risk", "cases_detected", "cases_detected_variation_rate",
                                 "amount_reassessed_usd", "amount_reassessed_usd_variation_rate",
                                 "amount_collected_usd", "amount_collected_usd_variation_rate"],
                        headers={"compliance_risk": "Compliance risk", "cases_detected_variation_rate": "Change",
                                 "amount_reassessed_usd_variation_rate": "Change",
                                 "amount_collected_usd_variation_rate": "Change",
                                 "amount_reassessed_usd": "Reassessed", "amount_collected_usd": "Collected"},
                        compact_money=True))
    return blocks


def section_treatment_effect(warehouse: Warehouse) -> list[Block]:
    warehouse.require("marts.treatment_effect")
    rows = warehouse.rows("select * from marts.treatment_effect order by treatment_code")
    if not rows:
        return [para("No treatment is recorded in the data (marts.treatment_effect is empty).", "note")]
    for row in rows:
        row["treatment_label"] = str(row["treatment_code"]).replace("_", " ").capitalize().replace("Pca", "PCA")
    points = ["treated_rate_change", "comparison_rate_change", "did_irregularity_rate"]
    return [para("Change of the irregularity rate of examined lines, after minus before the treatment started, "
                 "for treated operators and for comparable operators under regular control; the effect is the "
                 "difference of the two changes (difference in differences). A negative effect means compliance "
                 "improved more under the treatment."),
            chart(charts.forest_plot(rows, "Treatment effect on the irregularity rate (difference in differences)")),
            table(rows, ["treatment_label", "treatment_start_date", "treated_operators_examined",
                         "comparison_operators_examined", *points, "ci", "is_significant"],
                  headers={"treatment_label": "Treatment", "treatment_start_date": "Started",
                           "treated_operators_examined": "Treated operators",
                           "comparison_operators_examined": "Comparison operators",
                           "treated_rate_change": "Change, treated", "comparison_rate_change": "Change, comparison",
                           "did_irregularity_rate": "Effect (DiD)", "ci": "95% interval",
                           "is_significant": "Significant"},
                  cells={**{column: (lambda row, column=column: cell(fmt_points(row.get(column)))) for column in points},
                         "ci": lambda row: cell(f"{fmt_points(row.get('did_ci_lower'))} to "
                                                f"{fmt_points(row.get('did_ci_upper'))}")},
                  numeric=["treated_operators_examined", "comparison_operators_examined", *points, "ci"])]
