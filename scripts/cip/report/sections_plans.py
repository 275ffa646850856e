"""Sections: the post-clearance audit plan, learned targeting and vulnerabilities (M4, M10, M12-M14)."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from cip.report import charts
from cip.report.charts import RISK_COLOURS, SERIES_COLOURS
from cip.report.blocks import Block, cell, chart, heading, para, risk_cell, table
from cip.report.formatting import GROUP_LABELS, feature_label, fmt_int, fmt_num, fmt_pct
from cip.report.warehouse import Warehouse


def section_pca_plan(warehouse: Warehouse) -> list[Block]:
    warehouse.require("marts.pca_plan")
    columns = set(warehouse.columns("marts.pca_plan"))
    at_stake = "revenue_at_stake_usd" if "revenue_at_stake_usd" in columns else "gri"
    summary = warehouse.rows(
        f"""
        select
            audit_type,
            max(type_capacity) as capacity,
            sum(case when is_selected then 1 else 0 end) as selected,
            sum(case when is_selected and risk_level = 'high' then 1 else 0 end) as selected_high_risk,
            sum(case when is_selected then {at_stake} else 0 end) as selected_{at_stake},
            sum(case when not is_selected and rank_in_type is not null then 1 else 0 end) as reserve
        from marts.pca_plan
        group by audit_type
        order by audit_type
        """)
    shown = [column for column in ["audit_type", "rank_in_type", "tin", "size_segment", "risk_level", "gri",
                                   "revenue_at_stake_usd", "last_pca_date", "contributing_indicators"]
             if column in columns]
    top = warehouse.rows(
        f"""
        select {", ".join(shown)}
        from (
            select *, row_number() over (partition by audit_type order by rank_in_type) as shown_rank
            from marts.pca_plan
            where is_selected
        ) as selected
        where shown_rank <= 12
        order by audit_type, rank_in_type
        """)
    capitalised = {"audit_type": lambda row: cell(str(row["audit_type"]).capitalize())}
    return [para("Operators selected for post-clearance audit, by audit type, against the configured capacity:"),
            table(summary, list(summary[0]) if summary else ["audit_type"], cells=capitalised,
                  headers={"selected_revenue_at_stake_usd": "Revenue at stake of the selected (USD)"}),
            heading("Top of the plan (first 12 per audit type)"),
            table(top, shown, headers={"rank_in_type": "Rank", "contributing_indicators": "Main indicators (weight)",
                                       "revenue_at_stake_usd": "Revenue at stake"},
                  compact_money=True,
                  cells={**capitalised, "risk_level": lambda row: risk_cell(row["risk_level"]),
                         "size_segment": lambda row: cell(str(row["size_segment"]).capitalize()),
                         "contributing_indicators": lambda row: cell(
                             warehouse.name_indicators(row["contributing_indicators"]), small=True)})]


def section_targeting(warehouse: Warehouse) -> list[Block]:
    warehouse.require("marts.line_risk_model_card", "marts.declaration_risk", "marts.line_risk_weights")
    card = warehouse.rows("select scorer, field, field_value from marts.line_risk_model_card")
    by_scorer: dict[str, dict[str, Any]] = {}
    for row in card:
        by_scorer.setdefault(row["scorer"], {})[row["field"]] = row["field_value"]
    scorer_names = {"gbm": "Boosted trees (LightGBM)", "sql": "Logistic regression", "rule": "Rule score"}
    selected = warehouse.scalar("select max(scorer) from marts.declaration_risk")
    card_rows = []
    for scorer, fields in sorted(by_scorer.items()):
        try:
            validation = json.loads(fields.get("validation") or "{}")
        except ValueError:
            validation = {}
        card_rows.append({
            "scorer": scorer_names.get(scorer, scorer) + (" (ranks the lines)" if scorer == selected else ""),
            "training": f"{fields.get('training_from', '?')} to {fields.get('training_to', '?')}",
            "training_lines": int(fields["training_lines"]) if fields.get("training_lines") else None,
            "validation": f"from {fields.get('validation_from', '?')}",
            "validation_lines": int(fields["validation_lines"]) if fields.get("validation_lines") else None,
            "auc": validation.get("auc"), "base_rate": validation.get("base_rate"),
            "p5": validation.get("precision_at_5pct"), "p10": validation.get("precision_at_10pct"),
        })
    blocks = [para("Declaration lines are scored by models learned from past examinations (docs/targeting.md), "
                   "validated on the last months before the as-of date, which they never saw in training."),
              table(card_rows, ["scorer", "training", "training_lines", "validation", "validation_lines", "auc",
                                "base_rate", "p5", "p10"],
                    headers={"scorer": "Scorer", "training": "Trained on", "training_lines": "Lines",
                             "validation": "Validated", "validation_lines": "Lines ", "auc": "AUC",
                             "base_rate": "Irregular (base rate)", "p5": "Precision, top 5%",
                             "p10": "Precision, top 10%"},
                    cells={"auc": lambda row: cell(fmt_num(row["auc"], 3)),
                           "base_rate": lambda row: cell(fmt_pct(row["base_rate"])),
                           "p5": lambda row: cell(fmt_pct(row["p5"])), "p10": lambda row: cell(fmt_pct(row["p10"]))},
                    numeric=["training_lines", "validation_lines", "auc", "base_rate", "p5", "p10"])]
    groups = warehouse.rows(
        """
        select
            main_risk_group,
            count(*) as lines,
            sum(customs_value_usd) as customs_value_usd,
            sum(case when recommended_channel = 'red' then 1 else 0 end) as red_lines,
            sum(case when recommended_channel = 'yellow' then 1 else 0 end) as yellow_lines
        from marts.declaration_risk
        group by main_risk_group
        order by red_lines desc, lines desc
        """)
    if groups:
        total_red = sum(row["red_lines"] or 0 for row in groups) or 1
        frame = pd.DataFrame([{"group": GROUP_LABELS.get(row["main_risk_group"], str(row["main_risk_group"])),
                               "red": int(row["red_lines"] or 0)} for row in groups])
        blocks.append(heading("Where the risk lives: lines by their main risk group"))
        blocks.append(chart(charts.hbars(frame, "group", "red", "Lines sent to red, by main risk group",
                                         "Lines recommended for the red channel", ",d", RISK_COLOURS["high"])))
        blocks.append(table(groups, ["main_risk_group", "lines", "customs_value_usd", "red_lines", "yellow_lines",
                                     "share"],
                            headers={"main_risk_group": "Main risk group", "customs_value_usd": "Customs value",
                                     "red_lines": "Red", "yellow_lines": "Yellow", "share": "% of red lines"},
                            compact_money=True,
                            cells={"main_risk_group": lambda row: cell(GROUP_LABELS.get(row["main_risk_group"],
                                                                                       row["main_risk_group"])),
                                   "share": lambda row: cell(fmt_pct((row["red_lines"] or 0) / total_red),
                                                             bar=(row["red_lines"] or 0) / total_red,
                                                             colour=RISK_COLOURS["high"])},
                            numeric=["lines", "customs_value_usd", "red_lines", "yellow_lines", "share"]))
    weights = warehouse.rows(
        """
        select scorer, feature, feature_group, gain_share, coefficient, odds_ratio_per_sd
        from marts.line_risk_weights
        where not coalesce(is_intercept, false)
        """)
    gbm = sorted([row for row in weights if row["scorer"] == "gbm" and row["gain_share"] is not None],
                 key=lambda row: -row["gain_share"])[:10]
    logistic = sorted([row for row in weights if row["scorer"] == "sql" and row["coefficient"] is not None],
                      key=lambda row: -abs(row["coefficient"]))[:10]
    if gbm:
        frame = pd.DataFrame([{"feature": feature_label(row["feature"]), "gain": float(row["gain_share"]),
                               "group": GROUP_LABELS.get(row["feature_group"], str(row["feature_group"]))}
                              for row in gbm])
        domain = list(dict.fromkeys(frame["group"]))
        blocks.append(heading("What the boosted model learned from: the 10 features with the largest gain"))
        blocks.append(chart(charts.hbars(frame, "feature", "gain", "Share of the boosted model's gain",
                                         "Share of total gain", ".0%", colour_field="group", colour_domain=domain,
                                         colour_range=SERIES_COLOURS[:len(domain)])))
    if logistic:
        blocks.append(table(logistic, ["feature", "feature_group", "coefficient", "odds_ratio_per_sd"],
                            headers={"feature": "Logistic regression: feature", "feature_group": "Group",
                                     "odds_ratio_per_sd": "Odds ratio per s.d."},
                            cells={"feature": lambda row: cell(feature_label(row["feature"])),
                                   "feature_group": lambda row: cell(GROUP_LABELS.get(row["feature_group"],
                                                                                     row["feature_group"]))}))
    return blocks


def section_vulnerabilities(warehouse: Warehouse) -> list[Block]:
    warehouse.require("marts.vulnerability_priorities")
    rows = warehouse.rows("select * from marts.vulnerability_priorities order by priority_rank limit 15")
    total = warehouse.scalar("select count(*) from marts.vulnerability_priorities")
    columns = [column for column in ["priority_rank", "process_code", "vulnerability", "institutional_risk",
                                     "expected_effect", "probability", "priority", "priority_band"]
               if column in warehouse.columns("marts.vulnerability_priorities")]
    top = max([row.get("priority") or 0 for row in rows] + [1])
    return [para(f"{fmt_int(total)} vulnerabilities in the register; "
                 f"{'the ' + fmt_int(len(rows)) + ' with the highest priority' if total > len(rows) else 'all of them'}, "
                 f"ranked by priority (expected effect x probability):"),
            table(rows, columns, headers={"priority_rank": "Rank", "priority_band": "Band"},
                  cells={"priority": lambda row: cell(fmt_int(row["priority"]), bar=(row["priority"] or 0) / top,
                                                      colour=SERIES_COLOURS[4]),
                         "institutional_risk": lambda row: cell(str(row["institutional_risk"]).replace("_", " ")),
                         "priority_band": lambda row: risk_cell(row["priority_band"])})]
