"""Sections: the data at a glance and what changed since the last quarter (M1, M6, M7, M17-M18)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from cip.report.blocks import Block, cell, heading, para, risk_cell, table
from cip.report.formatting import KPI_TITLES, fmt_int, fmt_pct, fmt_points, fmt_usd, format_cell, label
from cip.report.sections_kpi import period_label
from cip.report.warehouse import Warehouse, as_of_facts


def section_summary(warehouse: Warehouse) -> list[Block]:
    warehouse.require("marts.dim_operators")
    totals = warehouse.rows(
        """
        select
            count(*) as operators,
            sum(declarations) as declarations,
            sum(declaration_lines) as declaration_lines,
            sum(trade_value_usd) as trade_value_usd,
            sum(import_value_usd) as import_value_usd,
            sum(export_value_usd) as export_value_usd,
            sum(duty_paid_usd) + sum(vat_paid_usd) + sum(excise_paid_usd) as taxes_paid_usd,
            sum(case when risk_level = 'high' then 1 else 0 end) as high_risk,
            sum(case when risk_level = 'high' then trade_value_usd else 0 end) as high_risk_value_usd,
            sum(case when is_without_control then 1 else 0 end) as without_control,
            sum(case when is_repeat_offender then 1 else 0 end) as repeat_offenders
        from marts.dim_operators
        """)[0]
    facts = as_of_facts(warehouse)
    technique = warehouse.scalar("select max(weighting_technique) from marts.operator_gri") \
        if warehouse.has("marts.operator_gri") else None
    operators = totals["operators"] or 0
    items = [
        ("Operators active in the window", fmt_int(operators)),
        ("Declarations / lines", f"{fmt_int(totals['declarations'])} / {fmt_int(totals['declaration_lines'])}"),
        ("Trade value (imports CIF + exports FOB)", fmt_usd(totals["trade_value_usd"], compact=True)),
        ("Imports / exports", f"{fmt_usd(totals['import_value_usd'], compact=True)} / "
                              f"{fmt_usd(totals['export_value_usd'], compact=True)}"),
        ("Duty, VAT and excise paid", fmt_usd(totals["taxes_paid_usd"], compact=True)),
        ("High-risk operators", f"{fmt_int(totals['high_risk'])} "
                                f"({fmt_pct((totals['high_risk'] or 0) / operators if operators else 0)}), "
                                f"{fmt_usd(totals['high_risk_value_usd'], compact=True)} of trade"),
        ("Repeat offenders", fmt_int(totals["repeat_offenders"])),
        ("Operators never controlled in the window", fmt_int(totals["without_control"])),
    ]
    if facts.get("window_start"):
        items.insert(0, ("Evaluation window", f"{format_cell('d', facts['window_start'])} to "
                                              f"{format_cell('d', facts.get('as_of_date'))} "
                                              f"({fmt_int(facts.get('window_months'))} months)"))
    if technique:
        items.append(("Weighting technique of the GRI", str(technique).capitalize()))
    return [{"kind": "cards", "items": items}]


def _kpi_change_rows(warehouse: Warehouse) -> tuple[list[dict[str, Any]], str | None, str | None]:
    """The headline KPIs of the last complete quarter against the quarter before."""
    wanted = [("marts.kpi_strategic", "trade_value_usd", "all"), ("marts.kpi_strategic", "collection_usd", "all"),
              ("marts.kpi_strategic", "collection_to_cif_ratio", "all"),
              ("marts.kpi_strategic", "release_hours_median", "all"),
              ("marts.kpi_tactical", "declarations_count", "all"), ("marts.kpi_tactical", "selectivity_hit_rate", "all"),
              ("marts.kpi_tactical", "pca_hit_rate", "all"), ("marts.kpi_tactical", "repeat_offenders_detected", "all")]
    rows, current, previous = [], None, None
    for relation, code, value in wanted:
        if not warehouse.has(relation):
            continue
        found = warehouse.rows(
            f"select period_start, unit, kpi_value, previous_value, variation_rate from {relation} "
            f"where period_grain = 'quarter' and is_complete_period and kpi_code = ? and dimension_value = ? "
            f"order by period_start desc limit 1", [code, value])
        if not found:
            continue
        row = found[0]
        current = current or period_label(row["period_start"], "quarter")
        unit = str(row["unit"])
        formatter = {"usd": lambda v: fmt_usd(v, compact=True), "share": fmt_pct, "ratio": lambda v: fmt_pct(v, 2),
                     "hours": lambda v: f"{float(v):,.1f} h"}.get(unit, fmt_int)
        if unit in ("share", "ratio") and row["kpi_value"] is not None and row["previous_value"] is not None:
            change = fmt_points(float(row["kpi_value"]) - float(row["previous_value"]))
        else:
            change = fmt_pct(row["variation_rate"]) if row["variation_rate"] is not None else "–"
            if change not in ("–",) and not change.startswith("-"):
                change = "+" + change
        rows.append({"kpi": KPI_TITLES.get(code, label(code)),
                     "value": formatter(row["kpi_value"]) if row["kpi_value"] is not None else "–",
                     "previous": formatter(row["previous_value"]) if row["previous_value"] is not None else "–",
                     "change": change})
        previous = previous or period_label(_previous_quarter(row["period_start"]), "quarter")
    return rows, current, previous


def _previous_quarter(start: dt.date) -> dt.date:
    month = start.month - 3
    return dt.date(start.year - (1 if month < 1 else 0), month + 12 if month < 1 else month, 1)


def section_changes(warehouse: Warehouse) -> list[Block]:
    warehouse.require("marts.risk_level_history")
    blocks: list[Block] = []
    kpis, current, previous = _kpi_change_rows(warehouse)
    if kpis:
        blocks.append(heading(f"Headline indicators: {current} against {previous}"))
        blocks.append(table(kpis, ["kpi", "value", "previous", "change"],
                            headers={"kpi": "Indicator", "value": current or "Last quarter",
                                     "previous": previous or "Quarter before", "change": "Change"},
                            numeric=["value", "previous", "change"]))
    ends = [row["period_end"] for row in warehouse.rows(
        "select distinct period_end from marts.risk_level_history order by period_end desc limit 2")]
    if len(ends) < 2:
        blocks.append(para("The risk level history has a single quarter end: nothing to compare yet.", "note"))
        return blocks
    now, before = ends
    moves = warehouse.rows(
        """
        select
            coalesce(b.risk_level, 'inactive') as level_from,
            coalesce(a.risk_level, 'inactive') as level_to,
            count(*) as operators
        from (select * from marts.risk_level_history where period_end = ?) as a
        full outer join (select * from marts.risk_level_history where period_end = ?) as b
            on a.tin = b.tin
        group by all
        """, [now, before])
    rank = {"inactive": -1, "low": 0, "medium": 1, "high": 2}
    up = sum(row["operators"] for row in moves if rank.get(row["level_to"], 0) > rank.get(row["level_from"], 0)
             and row["level_from"] != "inactive")
    down = sum(row["operators"] for row in moves if rank.get(row["level_to"], 0) < rank.get(row["level_from"], 0)
               and row["level_to"] != "inactive")
    new = sum(row["operators"] for row in moves if row["level_from"] == "inactive")
    blocks.append(para(f"Between the quarter ends {before.isoformat()} and {now.isoformat()}: "
                       f"{fmt_int(up)} operators moved to a higher risk level, {fmt_int(down)} to a lower one, "
                       f"and {fmt_int(new)} were scored for the first time."))
    movers = warehouse.rows(
        """
        select
            a.tin,
            d.size_segment,
            b.gri as gri_before,
            a.gri as gri_now,
            a.gri - b.gri as gri_change,
            b.risk_level as level_before,
            a.risk_level as level_now,
            d.top_indicators
        from (select * from marts.risk_level_history where period_end = ?) as a
        inner join (select * from marts.risk_level_history where period_end = ?) as b
            on a.tin = b.tin
        left join marts.dim_operators as d
            on a.tin = d.tin
        where a.gri > b.gri
        order by gri_change desc, a.tin
        limit 10
        """ if warehouse.has("marts.dim_operators") else
        """
        select a.tin, null as size_segment, b.gri as gri_before, a.gri as gri_now, a.gri - b.gri as gri_change,
            b.risk_level as level_before, a.risk_level as level_now, null as top_indicators
        from (select * from marts.risk_level_history where period_end = ?) as a
        inner join (select * from marts.risk_level_history where period_end = ?) as b on a.tin = b.tin
        where a.gri > b.gri order by gri_change desc, a.tin limit 10
        """, [now, before])
    blocks.append(heading("The 10 operators whose risk rose most"))
    if not movers:
        blocks.append(para("No operator's GRI rose between the last two quarter ends.", "note"))
        return blocks
    blocks.append(table(
        movers, ["tin", "size_segment", "gri_before", "gri_now", "gri_change", "level_before", "level_now",
                 "top_indicators"],
        headers={"gri_before": f"GRI {before.isoformat()}", "gri_now": f"GRI {now.isoformat()}",
                 "gri_change": "Rise", "level_before": "Level before", "level_now": "Level now",
                 "top_indicators": "Main indicators today"},
        cells={"size_segment": lambda row: cell(str(row["size_segment"] or "–").capitalize()),
               "gri_change": lambda row: cell(f"+{float(row['gri_change']):.3f}"),
               "level_before": lambda row: risk_cell(row["level_before"]),
               "level_now": lambda row: risk_cell(row["level_now"]),
               "top_indicators": lambda row: cell(warehouse.name_indicators(row["top_indicators"]), small=True)}))
    return blocks
