"""Sections: size and risk segments, sensitive HS codes, the GRI distribution, indicator weights
(M1, M4-M8)."""

from __future__ import annotations


import pandas as pd

from cip.report import charts
from cip.report.charts import RISK_COLOURS, SERIES_COLOURS
from cip.report.blocks import Block, cell, chart, heading, para, risk_cell, table
from cip.report.formatting import RISK_ORDER, SIZE_ORDER, TECHNIQUE_ORDER, fmt_int, fmt_num, fmt_pct
from cip.report.warehouse import Warehouse


def section_size_distribution(warehouse: Warehouse) -> list[Block]:
    warehouse.require("marts.size_distribution")
    rows = warehouse.rows("select * from marts.size_distribution order by sort_order")
    return [table(
        rows, ["size_segment", "operators", "pct_operators", "trade_value_usd", "pct_trade_value"],
        row_class=lambda row: "total" if row["size_segment"] == "total" else "",
        cells={"size_segment": lambda row: cell(str(row["size_segment"]).capitalize()),
               "pct_operators": lambda row: cell(fmt_pct(row["pct_operators"]), bar=row["pct_operators"]),
               "pct_trade_value": lambda row: cell(fmt_pct(row["pct_trade_value"]), bar=row["pct_trade_value"],
                                                   colour=SERIES_COLOURS[1])})]


def section_segment_summary(warehouse: Warehouse) -> list[Block]:
    warehouse.require("marts.segment_summary")
    rows = warehouse.rows("select * from marts.segment_summary order by sort_order")
    columns = [column for column in [
        "size_segment", "risk_level", "operators", "pct_operators", "trade_value_usd", "pct_trade_value",
        "vat_paid_usd", "duty_paid_usd", "excise_paid_usd", "repeat_offenders", "operators_without_control",
    ] if column in warehouse.columns("marts.segment_summary")]
    return [para("Amounts in USD over the window (k = thousand, m = million, bn = billion).", "note"),
            table(rows, columns, compact_money=True,
                  headers={"trade_value_usd": "Trade value", "vat_paid_usd": "VAT", "duty_paid_usd": "Duty",
                           "excise_paid_usd": "Excise", "pct_operators": "% of oper­ators"},
                  row_class=lambda row: {"size_total": "subtotal", "total": "total"}.get(row.get("row_type"), ""),
                  cells={"size_segment": lambda row: cell(str(row["size_segment"]).capitalize()),
                         "risk_level": lambda row: risk_cell(row["risk_level"]) if row["risk_level"] in RISK_COLOURS
                         else cell(str(row["risk_level"]).capitalize())})]


def section_heatmap(warehouse: Warehouse) -> list[Block]:
    warehouse.require("marts.segment_summary")
    rows = warehouse.rows("select * from marts.segment_summary where row_type = 'segment'")
    cells = {(row["size_segment"], row["risk_level"]): row for row in rows}
    return [chart(charts.size_risk_heatmap(cells, SIZE_ORDER, RISK_ORDER))]


def section_sensitive_hs(warehouse: Warehouse) -> list[Block]:
    warehouse.require("marts.sensitive_hs_segments")
    codes = warehouse.rows(
        """
        select
            hs_code,
            max(sensitivity_reasons) as sensitivity_reasons,
            count(distinct tin) as importers,
            count(distinct case when risk_level = 'high' then tin end) as high_risk_importers,
            count(distinct case when size_segment = 'large' then tin end) as large_importers,
            sum(import_lines) as import_lines,
            sum(import_value_usd) as import_value_usd,
            sum(case when risk_level = 'high' then import_value_usd else 0 end)
                / nullif(sum(import_value_usd), 0) as pct_value_high_risk
        from marts.sensitive_hs_segments
        group by hs_code
        order by import_value_usd desc, hs_code
        limit 15
        """)
    total = warehouse.scalar("select count(distinct hs_code) from marts.sensitive_hs_segments")
    blocks = [para(f"{fmt_int(total)} sensitive tariff lines had imports in the window; the 15 largest by value:"),
              table(codes, ["hs_code", "sensitivity_reasons", "importers", "high_risk_importers", "large_importers",
                            "import_lines", "import_value_usd", "pct_value_high_risk"],
                    headers={"sensitivity_reasons": "Why sensitive", "pct_value_high_risk": "% value high risk"},
                    cells={"sensitivity_reasons": lambda row: cell(
                        str(row["sensitivity_reasons"] or "–").replace("_", " ").replace(",", ", "), small=True)})]
    top = [row["hs_code"] for row in codes[:3]]
    if top:
        importers = warehouse.rows(
            """
            select hs_code, tin, size_segment, risk_level, gri, import_lines, import_value_usd
            from (
                select
                    *,
                    row_number() over (partition by hs_code order by gri desc, import_value_usd desc) as rank_in_code
                from marts.sensitive_hs_segments
                where hs_code in (select unnest(?))
            ) as ranked
            where rank_in_code <= 5
            order by hs_code, rank_in_code
            """, [top])
        blocks.append(heading("Riskiest importers of the three largest sensitive lines"))
        blocks.append(table(importers, ["hs_code", "tin", "size_segment", "risk_level", "gri", "import_lines",
                                        "import_value_usd"],
                            cells={"risk_level": lambda row: risk_cell(row["risk_level"]),
                                   "size_segment": lambda row: cell(str(row["size_segment"]).capitalize())}))
    return blocks


def section_gri_distribution(warehouse: Warehouse) -> list[Block]:
    warehouse.require("marts.gri_distribution", "marts.gri_quantiles")
    bins = warehouse.rows("select * from marts.gri_distribution where gri_type = 'global' order by bin_no")
    quantiles = warehouse.rows("select * from marts.gri_quantiles where gri_type = 'global'")
    if not bins or not quantiles:
        return [para("The global GRI has no rows in marts.gri_distribution / gri_quantiles.", "missing")]
    quantile = quantiles[0]
    svg = charts.gri_histogram(bins, {"Medium": quantile.get("cutoff_medium"), "High": quantile.get("cutoff_high")})
    columns = [column for column in ["operators", "mean_gri", "p50", "p75", "p90", "p95", "p99", "max_gri",
                                     "operators_low", "operators_medium", "operators_high",
                                     "cutoff_medium", "cutoff_high"] if column in quantile]
    headers = {"p50": "Median", "p75": "P75", "p90": "P90", "p95": "P95", "p99": "P99", "max_gri": "Max",
               "mean_gri": "Mean", "operators_low": "Low risk", "operators_medium": "Medium risk",
               "operators_high": "High risk", "cutoff_medium": "Medium cut-off", "cutoff_high": "High cut-off"}
    three = {column: (lambda row, column=column: cell(fmt_num(row[column], 3)))
             for column in columns if column.startswith(("p", "mean", "max", "cutoff"))}
    return [chart(svg), table([quantile], columns, headers=headers, cells=three, numeric=columns)]


def section_indicator_weights(warehouse: Warehouse) -> list[Block]:
    warehouse.require("marts.indicator_weights")
    rows = warehouse.rows(
        "select * from marts.indicator_weights where gri_type = 'global' order by indicator_code, technique")
    techniques = sorted({row["technique"] for row in rows},
                        key=lambda name: TECHNIQUE_ORDER.index(name) if name in TECHNIQUE_ORDER else 9)
    selected = sorted({row["technique"] for row in rows if row.get("is_selected_technique")})
    names = warehouse.indicator_names()
    indicators = sorted({row["indicator_code"] for row in rows}, key=lambda code: names.get(code, code))
    weight = {(row["indicator_code"], row["technique"]): float(row["final_weight"] or 0) for row in rows}
    frame = pd.DataFrame([{"indicator": names.get(code, code), "technique": technique.capitalize(),
                           "weight": weight.get((code, technique), 0.0)}
                          for code in indicators for technique in techniques])
    svg = charts.grouped_bars(frame, "indicator", "technique", "weight",
                              "Final weight of each indicator per weighting technique",
                              [technique.capitalize() for technique in techniques], "Final weight")
    table_rows = [{"indicator": names.get(code, code), "code": code,
                   **{technique: weight.get((code, technique), 0.0) for technique in techniques}}
                  for code in indicators]
    note = para(f"The GRI uses the <strong>{', '.join(selected) or '?'}</strong> technique. Weights below the "
                f"tolerance are set to zero and the rest renormalised to 100%.")
    note["html"] = True
    return [note, chart(svg), table(
        table_rows, ["indicator", "code", *techniques],
        headers={"indicator": "Indicator", "code": "Code",
                 **{t: t.capitalize() + (" (selected)" if t in selected else "") for t in techniques}},
        cells={"code": lambda row: cell(row["code"], small=True),
               **{t: (lambda row, t=t: cell(fmt_pct(row[t]))) for t in techniques}},
        numeric=techniques)]
