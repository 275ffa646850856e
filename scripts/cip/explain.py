"""Trace one operator's global GRI back to its inputs (`cip explain TIN`), for auditors.

The trace reads the marts and staging models a reviewer would open by hand, through a
read-only connection: the flags with their raw values (marts.operator_indicator_flags),
the weights of the selected technique (marts.indicator_weights), the sum that gives the
GRI (recomputed here and compared with marts.operator_gri), the size segment and values
(marts.dim_operators), and the declarations and controls behind it in the evaluation
window (marts.evaluation_window, staging.stg_customs__declarations,
staging.stg_customs__control_results). The staged rows are read on purpose: the trace ends
at the evidence an auditor checks against the source files, one operator's rows, which no
mart holds (tests/python/test_code_shape.py lists this exception).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from cip.paths import db_path
from cip.report import fmt_int, fmt_pct, fmt_usd, format_cell

HELP = "Trace one operator's GRI: flags and raw values, weights, the sum, size, declarations and controls."

# operator_gri rounds the GRI to 6 decimals: the exact sum lies within half a unit of the
# 6th decimal of the published value (either way on a tie), plus float noise
TOLERANCE = 0.5e-6 + 1e-12


@dataclass
class Explanation:
    tin: str
    operator: dict[str, Any]
    window: dict[str, Any]
    technique: str
    indicators: list[dict[str, Any]]
    gri_recomputed: float
    gri_published: float | None
    declarations: dict[str, Any] = field(default_factory=dict)
    top_lines: list[dict[str, Any]] = field(default_factory=list)
    controls_by_outcome: list[dict[str, Any]] = field(default_factory=list)
    controls: list[dict[str, Any]] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return self.gri_published is not None and abs(self.gri_recomputed - self.gri_published) <= TOLERANCE


class UnknownOperator(LookupError):
    pass


def _rows(connection: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cursor = connection.execute(sql, params or [])
    names = [description[0] for description in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def explain(connection: duckdb.DuckDBPyConnection, tin: str, top_lines: int = 10,
            max_controls: int = 20) -> Explanation:
    operators = _rows(connection, "select * from marts.dim_operators where tin = ?", [tin])
    if not operators:
        raise UnknownOperator(f"operator {tin} is not in marts.dim_operators (no declaration in the window?)")
    operator = operators[0]
    window = _rows(connection, "select * from marts.evaluation_window")[0]
    published = _rows(connection, "select gri, risk_level, weighting_technique from marts.operator_gri "
                                  "where tin = ? and gri_type = 'global'", [tin])
    technique = published[0]["weighting_technique"] if published else _rows(
        connection, "select distinct technique from marts.indicator_weights where is_selected_technique")[0]["technique"]
    indicators = _rows(connection, """
        select
            flags.indicator_code,
            flags.category,
            flags.raw_value,
            flags.flag,
            coalesce(weights.final_weight, 0) as final_weight,
            coalesce(weights.is_significant, false) as is_significant,
            flags.flag * coalesce(weights.final_weight, 0) as contribution
        from marts.operator_indicator_flags as flags
        left join marts.indicator_weights as weights
            on flags.indicator_code = weights.indicator_code
                and weights.technique = ?
                and weights.gri_type = 'global'
        where flags.tin = ?
        order by contribution desc, final_weight desc, flags.indicator_code
        """, [technique, tin])
    recomputed = sum(float(row["contribution"] or 0) for row in indicators)
    # the rule that turns each raw value into a flag (the catalogue seed: comparison and threshold)
    rules = {}
    if _rows(connection, "select 1 from information_schema.tables "
                         "where table_schema = 'config' and table_name = 'indicator_catalogue'"):
        rules = {row["indicator_code"]: row for row in _rows(
            connection, "select indicator_code, indicator_name, comparison, threshold, raw_value_definition "
                        "from config.indicator_catalogue")}
    for row in indicators:
        rule = rules.get(row["indicator_code"], {})
        row["indicator_name"] = rule.get("indicator_name") or row["indicator_code"]
        row["rule"] = (f"{rule['comparison']} {float(rule['threshold']):g}"
                       if rule.get("comparison") and rule.get("threshold") is not None else "?")
        row["raw_value_definition"] = rule.get("raw_value_definition")

    window_params = [tin, window["window_start"], window["as_of_date"]]
    in_window = ("from staging.stg_customs__declarations where tin = ? "
                 "and declaration_date between ? and ?")
    declarations = _rows(connection, f"""
        select
            count(distinct declaration_id) as declarations,
            count(*) as lines,
            sum(customs_value_usd) as customs_value_usd,
            sum(case when flow = 'I' then customs_value_usd else 0 end) as import_value_usd,
            sum(case when flow = 'E' then customs_value_usd else 0 end) as export_value_usd,
            sum(duty_paid_usd + vat_paid_usd + excise_paid_usd) as taxes_paid_usd,
            count(distinct hs_code) as hs_codes,
            min(declaration_date) as first_date,
            max(declaration_date) as last_date
        {in_window}
        """, window_params)[0]
    lines = _rows(connection, f"""
        select declaration_id, item_no, declaration_date, flow, hs_code, origin_country, channel,
            declarant_id, customs_value_usd, duty_paid_usd + vat_paid_usd + excise_paid_usd as taxes_paid_usd
        {in_window}
        order by customs_value_usd desc, declaration_id, item_no
        limit {int(top_lines)}
        """, window_params)
    controls_where = "from staging.stg_customs__control_results where tin = ? and control_date between ? and ?"
    by_outcome = _rows(connection, f"""
        select
            control_type,
            outcome,
            count(*) as controls,
            sum(case when is_serious then 1 else 0 end) as serious,
            sum(amount_reassessed_lcu) as amount_reassessed_lcu,
            sum(amount_collected_lcu) as amount_collected_lcu
        {controls_where}
        group by control_type, outcome
        order by control_type, outcome
        """, window_params)
    controls = _rows(connection, f"""
        select control_date, control_type, declaration_id, item_no, outcome, offence_type, seriousness,
            amount_reassessed_lcu
        {controls_where}
        order by control_date desc, control_id
        limit {int(max_controls)}
        """, window_params)
    return Explanation(
        tin=tin, operator=operator, window=window, technique=technique, indicators=indicators,
        gri_recomputed=recomputed, gri_published=float(published[0]["gri"]) if published else None,
        declarations=declarations, top_lines=lines, controls_by_outcome=by_outcome, controls=controls)


def _table(rows: list[dict[str, Any]], columns: list[str], headers: list[str] | None = None) -> list[str]:
    headers = headers or columns
    cells = [[format_cell(column, row.get(column)) for column in columns] for row in rows]
    widths = [max([len(header)] + [len(row[index]) for row in cells]) for index, header in enumerate(headers)]
    numeric = [all((isinstance(row.get(column), (int, float)) and not isinstance(row.get(column), bool))
                   or str(row.get(column)).replace(",", "").replace(".", "").isdigit()
                   for row in rows if row.get(column) is not None) for column in columns]

    def line(values: list[str]) -> str:
        return "  ".join(value.rjust(width) if is_number else value.ljust(width)
                         for value, width, is_number in zip(values, widths, numeric)).rstrip()

    return ["  " + line(headers), "  " + "  ".join("-" * width for width in widths)] + ["  " + line(row) for row in cells]


def format_explanation(explanation: Explanation) -> str:
    operator, window = explanation.operator, explanation.window
    out = [
        f"Operator {explanation.tin}: global GRI as of {format_cell('d', window['as_of_date'])} "
        f"(window {format_cell('d', window['window_start'])} to {format_cell('d', window['as_of_date'])})",
        "",
        f"Size segment: {operator['size_segment']} - trade value {fmt_usd(operator['trade_value_usd'])} "
        f"(imports {fmt_usd(operator['import_value_usd'])}, exports {fmt_usd(operator['export_value_usd'])}); "
        f"duty {fmt_usd(operator['duty_paid_usd'])}, VAT {fmt_usd(operator['vat_paid_usd'])}, "
        f"excise {fmt_usd(operator['excise_paid_usd'])}  [marts.dim_operators]",
        f"Risk level: {operator['risk_level']} (GRI {operator['gri']:.6f}); AEO: {'yes' if operator.get('is_aeo') else 'no'}; "
        f"repeat offender: {'yes' if operator.get('is_repeat_offender') else 'no'}",
        "",
        f"1. Indicators, flags and weights (technique '{explanation.technique}', GRI type global)",
        "   [marts.operator_indicator_flags x marts.indicator_weights]",
    ]
    rows = [dict(row, raw_value="no value" if row["raw_value"] is None else f"{row['raw_value']:,.4f}",
                 flag_rule=f"{row['flag']} ({'raw ' + row['rule'] if row.get('rule', '?') != '?' else 'rule ?'})",
                 final_weight=f"{float(row['final_weight'] or 0):.6f}",
                 contribution=f"{float(row['contribution'] or 0):.6f}") for row in explanation.indicators]
    out += _table(rows, ["indicator_code", "raw_value", "flag_rule", "final_weight", "contribution", "indicator_name"],
                  ["indicator", "raw value", "flag (rule)", "weight", "weight x flag", "name"])
    out.append("   The flag is 1 when the raw value meets the rule (catalogue seed config.indicator_catalogue, "
               "comparison and threshold), 0 otherwise; no value gives 0.")
    terms = [row for row in explanation.indicators if row["flag"] == 1 and row["final_weight"]]
    arithmetic = " + ".join(f"{row['final_weight']:.6f} x 1" for row in terms) or "0 (no weighted flag raised)"
    out += [
        "",
        "2. GRI = sum over indicators of weight x flag",
        f"   = {arithmetic}",
        f"   = {explanation.gri_recomputed:.6f}",
        "   published in marts.operator_gri: "
        + (f"{explanation.gri_published:.6f} -> {'MATCH' if explanation.matches else 'MISMATCH'}"
           if explanation.gri_published is not None else "missing"),
    ]
    flags_without_weight = [row["indicator_code"] for row in explanation.indicators
                            if row["flag"] == 1 and not row["final_weight"]]
    if flags_without_weight:
        out.append(f"   flags raised but weighted 0 (below the tolerance): {', '.join(flags_without_weight)}")
    declarations = explanation.declarations
    out += [
        "",
        "3. Declarations in the window  [staging.stg_customs__declarations]",
        f"   {fmt_int(declarations['declarations'])} declarations, {fmt_int(declarations['lines'])} lines, "
        f"{fmt_int(declarations['hs_codes'])} HS codes; value {fmt_usd(declarations['customs_value_usd'])} "
        f"(imports {fmt_usd(declarations['import_value_usd'])}, exports {fmt_usd(declarations['export_value_usd'])}); "
        f"taxes paid {fmt_usd(declarations['taxes_paid_usd'])}",
        f"   top {len(explanation.top_lines)} lines by customs value:",
    ]
    if explanation.top_lines:
        out += ["   " + line for line in _table(
            explanation.top_lines,
            ["declaration_id", "item_no", "declaration_date", "flow", "hs_code", "origin_country", "channel",
             "customs_value_usd", "taxes_paid_usd"],
            ["declaration", "item", "date", "flow", "HS code", "origin", "channel", "value (USD)", "taxes (USD)"])]
    total_controls = sum(row["controls"] for row in explanation.controls_by_outcome)
    out += ["", f"4. Examinations and audits in the window: {fmt_int(total_controls)}  "
                "[staging.stg_customs__control_results]",
            "   Amounts of controls are in LCU, the national currency, as recorded; everything else is in USD."]
    if explanation.controls_by_outcome:
        out += ["   " + line for line in _table(
            explanation.controls_by_outcome,
            ["control_type", "outcome", "controls", "serious", "amount_reassessed_lcu", "amount_collected_lcu"],
            ["control", "outcome", "count", "serious", "reassessed (LCU)", "collected (LCU)"])]
        out += ["", f"   latest {len(explanation.controls)}:"]
        out += ["   " + line for line in _table(
            explanation.controls,
            ["control_date", "control_type", "declaration_id", "item_no", "outcome", "offence_type", "seriousness",
             "amount_reassessed_lcu"],
            ["date", "control", "declaration", "item", "outcome", "offence", "seriousness", "reassessed (LCU)"])]
    hit_rate = None
    if total_controls:
        irregular = sum(row["controls"] for row in explanation.controls_by_outcome if row["outcome"] == "irregularity")
        hit_rate = irregular / total_controls
        out.append(f"   share of controls with an irregularity: {fmt_pct(hit_rate)}")
    return "\n".join(out) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("tin", help="the operator's TIN")
    parser.add_argument("--db", type=Path, default=None,
                        help="DuckDB file (default: CIP_DB_PATH or warehouse/customs_cip.duckdb)")
    parser.add_argument("--lines", type=int, default=10, help="top declaration lines to list (default 10)")


def run(args: argparse.Namespace) -> int:
    database = Path(args.db or db_path())
    if not database.exists():
        print(f"cip explain: no warehouse at {database}: run `cip build` first")
        return 1
    connection = duckdb.connect(str(database), read_only=True)
    try:
        explanation = explain(connection, args.tin, top_lines=args.lines)
    except UnknownOperator as error:
        print(f"cip explain: {error}")
        return 1
    except duckdb.CatalogException as error:
        print(f"cip explain: the warehouse lacks a model the trace reads ({error}); run `cip build`")
        return 1
    finally:
        connection.close()
    print(format_explanation(explanation), end="")
    return 0 if explanation.matches else 2
