"""The CIP report (`cip report`): one self-contained HTML file for the head of customs.

Everything is read from the warehouse through a read-only DuckDB connection. Each section
returns a list of blocks (paragraphs, tables, charts); the page is drawn by the Jinja2
templates in templates/, the charts by Altair and vl-convert as static inline SVG
(charts.py). No script, no web font, no image or style sheet fetched from anywhere: opening
the file makes no network request (tests/python/test_report.py checks it in Chromium).

Each section names the marts it reads. A mart that is not built yet does not stop the
report: its section says which mart is missing and the rest is drawn.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import duckdb
import jinja2
import pandas as pd

from cip.paths import db_path, project_root
from cip.report import charts
from cip.report.charts import RISK_COLOURS, RISK_LABELS, SERIES_COLOURS

HELP = "Write the CIP report: one self-contained HTML file (inline SVG charts, no network)."

SIZE_ORDER = ["large", "medium", "small"]
RISK_ORDER = ["low", "medium", "high"]
TECHNIQUE_ORDER = ["equal", "expert", "frequency", "learned"]
TEMPLATES = Path(__file__).resolve().parent / "templates"


# ----------------------------------------------------------------------------- formatting

def fmt_int(value: Any) -> str:
    if value is None:
        return "–"
    return f"{int(round(float(value))):,}"


def fmt_usd(value: Any, compact: bool = False, currency: str = "USD") -> str:
    """USD with thousands separators; compact=True gives 'USD 6.16 bn' for prose and tight tables."""
    if value is None:
        return "–"
    number = float(value)
    if compact:
        for size, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
            if abs(number) >= size:
                return f"{currency} {number / size:,.2f} {suffix}"
    return f"{currency} {number:,.0f}"


def fmt_pct(value: Any, digits: int = 1) -> str:
    """A share stored as a fraction (0.123) shown as a percentage (12.3%)."""
    if value is None:
        return "–"
    number = float(value)
    if math.isnan(number):
        return "–"
    return f"{number * 100:,.{digits}f}%"


def fmt_num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    number = float(value)
    if math.isnan(number):
        return "–"
    return f"{number:,.{digits}f}"


def fmt_points(value: Any) -> str:
    """A difference of two rates (fractions) in percentage points."""
    return "–" if value is None else f"{float(value) * 100:+.1f} pts"


_PCT_NAME = re.compile(r"(^pct_|_pct$|_pct_|share|_rate$|^rate_|hit_rate|ratio_pct|percent|variation)")
_MONEY_USD = re.compile(r"(_usd$|_usd_)")
_MONEY_LCU = re.compile(r"(_lcu$|_lcu_)")
_SCORE_NAME = re.compile(r"(gri|weight|score|effect$|did$|estimate|coefficient|diff|delta)")

LABELS = {
    "size_segment": "Size",
    "risk_level": "Risk level",
    "operators": "Operators",
    "pct_operators": "% of operators",
    "trade_value_usd": "Trade value",
    "pct_trade_value": "% of value",
    "vat_paid_usd": "VAT paid",
    "duty_paid_usd": "Duty paid",
    "excise_paid_usd": "Excise paid",
    "repeat_offenders": "Repeat offenders",
    "operators_without_control": "Never controlled",
    "hs_code": "HS code",
    "tin": "TIN",
    "gri": "GRI",
    "import_value_usd": "Import value",
}


def label(column: str) -> str:
    """A readable header for a column name."""
    if column in LABELS:
        return LABELS[column]
    text = column
    text = re.sub(r"^pct_", "% ", text)
    text = re.sub(r"_usd$", " (USD)", text)
    text = re.sub(r"_lcu$", " (LCU)", text)
    text = text.replace("_", " ")
    text = re.sub(r"\bgri\b", "GRI", text)
    text = re.sub(r"\bpcas?\b", lambda m: m.group(0).upper().replace("PCAS", "PCAs"), text, flags=re.IGNORECASE)
    text = re.sub(r"\bhs\b", "HS", text)
    text = re.sub(r"\btin\b", "TIN", text)
    text = re.sub(r"\baeo\b", "AEO", text)
    text = re.sub(r"\bkpi\b", "KPI", text)
    return text[:1].upper() + text[1:]


def format_cell(column: str, value: Any) -> str:
    """Format one value for a human from its column name and Python type."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    if isinstance(value, (int, float)):
        name = column.lower()
        if isinstance(value, float) and math.isnan(value):
            return "–"
        if _PCT_NAME.search(name):
            return fmt_pct(value)
        if _MONEY_USD.search(name):
            return fmt_usd(value)
        if _MONEY_LCU.search(name):
            return f"LCU {float(value):,.0f}"
        if isinstance(value, int):
            return fmt_int(value)
        if _SCORE_NAME.search(name):
            return fmt_num(value, 3)
        if float(value).is_integer() and abs(value) >= 1:
            return fmt_int(value)
        return fmt_num(value, 2)
    return str(value)


def is_numeric_column(column: str, values: Iterable[Any]) -> bool:
    seen = [value for value in values if value is not None]
    return bool(seen) and all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in seen)


# readable names for codes that reach the page
KPI_TITLES = {
    "cif_imports_consumption_usd": "CIF value of imports for consumption",
    "collection_usd": "Revenue collected at import",
    "collection_to_cif_ratio": "Revenue collected per USD of CIF imports",
    "trade_value_usd": "Trade value (imports CIF + exports FOB)",
    "collection_vs_trade_growth_gap": "Collection growth minus trade growth",
    "release_hours_mean": "Mean release time",
    "release_hours_median": "Median release time",
    "trader_perception_score": "Trader perception (survey score)",
    "aeo_declaration_share": "Share of declarations lodged by AEOs",
    "aeo_value_share": "Share of value declared by AEOs",
    "declarations_count": "Declarations lodged",
    "declarations_share": "Share of declarations per channel",
    "examinations_count": "Examinations",
    "selectivity_hit_rate": "Hit rate of examinations (selectivity)",
    "pcas_count": "Post-clearance audits",
    "pca_hit_rate": "Hit rate of post-clearance audits",
    "repeat_offenders_detected": "Repeat offenders detected",
    "repeat_offender_reassessed_lcu": "Reassessed on repeat offenders",
    "repeat_offenders_became_compliant": "Repeat offenders found compliant",
    "advance_rulings_issued": "Advance rulings issued",
    "advance_rulings_share_of_declarations": "Advance rulings per declaration",
    "operators_by_risk_level": "Operators by risk level (quarter end)",
}
DIMENSION_TITLES = {"tax": "tax", "flow": "flow", "channel": "channel", "transport_mode": "transport mode",
                    "audit_scope": "audit scope", "ruling_type": "ruling type", "risk_level": "risk level",
                    "question_code": "survey question", "hs_chapter": "HS chapter"}
VALUE_LABELS = {
    "flow": {"I": "Imports", "E": "Exports", "all": "All flows"},
    "tax": {"duty": "Customs duty", "vat": "VAT", "excise": "Excise", "all": "All taxes"},
    "channel": {"red": "Red", "yellow": "Yellow", "green": "Green", "none": "No channel (PCA)",
                "unknown": "Unknown", "all": "All channels"},
    "risk_level": {**RISK_LABELS, "inactive": "Inactive"},
}
UNIT_SUFFIX = {"usd": "USD", "lcu": "LCU, national currency", "hours": "hours"}
FEATURE_WORDS = {"hs": "HS", "hs4": "HS4", "hs6": "HS6", "uv": "unit value", "lift": "hit-rate lift",
                 "support": "examined lines", "log": "log", "is": "", "aeo": "AEO", "z": "z-score"}
GROUP_LABELS = {"goods": "Goods (HS code)", "route": "Route (origin, departure)", "goods_route": "Goods x route",
                "value": "Declared value", "parties": "Parties (importer, declarant, supplier)",
                "procedure": "Procedure (regime, office, transport)", "none": "No single group"}


def value_label(dimension: str, value: Any) -> str:
    text = str(value)
    mapped = VALUE_LABELS.get(dimension, {}).get(text)
    if mapped:
        return mapped
    if text == "all":
        return "All"
    return text.replace("_", " ").capitalize()


def feature_label(feature: str) -> str:
    words = [FEATURE_WORDS.get(word, word) for word in re.sub(r"^f_", "", feature).split("_")]
    text = " ".join(word for word in words if word)
    return text[:1].upper() + text[1:]


# ----------------------------------------------------------------------------- warehouse

class MissingMart(Exception):
    """A section needs a relation that is not in the warehouse yet."""

    def __init__(self, relations: Sequence[str]):
        super().__init__(", ".join(relations))
        self.relations = list(relations)


class Warehouse:
    """A read-only view of the DuckDB warehouse with the few helpers the report needs."""

    def __init__(self, connection: duckdb.DuckDBPyConnection):
        self.connection = connection
        rows = connection.execute("select table_schema, table_name from information_schema.tables").fetchall()
        self.relations = {f"{schema}.{name}".lower() for schema, name in rows}
        self._columns: dict[str, list[str]] = {}
        self._indicator_names: dict[str, str] | None = None

    def has(self, relation: str) -> bool:
        return relation.lower() in self.relations

    def require(self, *relations: str) -> None:
        missing = [relation for relation in relations if not self.has(relation)]
        if missing:
            raise MissingMart(missing)

    def columns(self, relation: str) -> list[str]:
        if relation not in self._columns:
            schema, name = relation.split(".", 1)
            rows = self.connection.execute(
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position", [schema, name]).fetchall()
            self._columns[relation] = [row[0] for row in rows]
        return self._columns[relation]

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        cursor = self.connection.execute(sql, list(params or []))
        names = [description[0] for description in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        row = self.connection.execute(sql, list(params or [])).fetchone()
        return row[0] if row else None

    def indicator_names(self) -> dict[str, str]:
        """indicator_code -> indicator_name from the catalogue seed (empty when absent)."""
        if self._indicator_names is None:
            self._indicator_names = {}
            if self.has("config.indicator_catalogue"):
                self._indicator_names = {row["indicator_code"]: row["indicator_name"] for row in self.rows(
                    "select indicator_code, indicator_name from config.indicator_catalogue")}
        return self._indicator_names

    def name_indicators(self, text: Any) -> str:
        """Every indicator code in text replaced by its name ('CR_REPEAT_OFFENDER (0.12)' -> name (0.12))."""
        if text is None:
            return "–"
        names = self.indicator_names()
        return re.sub(r"\b[A-Z]{2}_[A-Z0-9_]+\b", lambda match: names.get(match.group(0), match.group(0)), str(text))


def connect_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    if not Path(path).exists():
        raise FileNotFoundError(f"no warehouse at {path}: run `cip build` first")
    return duckdb.connect(str(path), read_only=True)


# ----------------------------------------------------------------------------- blocks

Block = dict[str, Any]


def para(text: str, css: str = "") -> Block:
    return {"kind": "p", "text": text, "class": css}


def heading(text: str) -> Block:
    return {"kind": "h3", "text": text}


def chart(svg: str) -> Block:
    return {"kind": "chart", "svg": svg}


def charts_grid(svgs: Sequence[str]) -> Block:
    return {"kind": "grid", "svgs": list(svgs)}


def cell(text: Any, badge: str | None = None, bar: float | None = None, colour: str | None = None,
         small: bool = False) -> dict[str, Any]:
    return {"text": "–" if text is None else str(text), "badge": badge, "colour": colour or SERIES_COLOURS[0],
            "bar": None if bar is None else max(0.0, min(1.0, float(bar or 0))), "small": small}


def risk_cell(level: Any) -> dict[str, Any]:
    level = str(level)
    if level in RISK_COLOURS:
        return cell(RISK_LABELS[level].replace(" risk", ""), badge=RISK_COLOURS[level])
    return cell(level)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str], headers: dict[str, str] | None = None,
          cells: dict[str, Callable[[dict], dict]] | None = None, row_class: Callable[[dict], str] | None = None,
          numeric: Sequence[str] | None = None, compact_money: bool = False) -> Block:
    """A table block: the template draws it; values are formatted here for humans."""
    headers = headers or {}
    cells = cells or {}
    if numeric is None:
        numeric = [column for column in columns if is_numeric_column(column, (row.get(column) for row in rows))]
    body = []
    for row in rows:
        values = []
        for column in columns:
            if column in cells:
                values.append(cells[column](row))
            elif compact_money and _MONEY_USD.search(column) and row.get(column) is not None:
                values.append(cell(fmt_usd(row[column], compact=True)))
            else:
                values.append(cell(format_cell(column, row.get(column))))
        body.append({"class": row_class(row) if row_class else "", "cells": values})
    return {"kind": "table", "rows": body,
            "columns": [{"title": headers.get(column, label(column)), "num": column in numeric} for column in columns]}


# ----------------------------------------------------------------------------- sections

@dataclass
class Section:
    key: str
    title: str
    methods: str
    marts: tuple[str, ...]
    render: Callable[["Warehouse"], list[Block]]
    intro: str = ""


@dataclass
class ReportState:
    problems: list[str] = field(default_factory=list)
    missing: dict[str, list[str]] = field(default_factory=dict)


def _as_of(warehouse: Warehouse) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    if warehouse.has("intermediate.int_evaluation_window"):
        rows = warehouse.rows("select * from intermediate.int_evaluation_window")
        if rows:
            facts.update(rows[0])
    if "as_of_date" not in facts and warehouse.has("marts.operator_gri"):
        facts["as_of_date"] = warehouse.scalar("select max(as_of_date) from marts.operator_gri")
    return facts


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
    facts = _as_of(warehouse)
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


SECTIONS: list[Section] = [
    Section("summary", "The data at a glance", "M1, M6, M7", ("marts.dim_operators",), section_summary),
    Section("changes", "What changed since the last quarter", "M6, M17-M18",
            ("marts.risk_level_history", "marts.kpi_strategic", "marts.kpi_tactical"), section_changes,
            "The headline indicators of the last complete quarter, risk level moves between the last two "
            "quarter ends, and the operators whose global GRI rose most."),
    Section("table1", "Table 1 — Operators by size", "M1", ("marts.size_distribution",), section_size_distribution,
            "Size segments follow the operator's total customs value (imports CIF, exports FOB) over the window."),
    Section("table4", "Table 4 (extended) — Size and risk segments", "M7", ("marts.segment_summary",),
            section_segment_summary,
            "Operators, trade value and taxes paid per size and risk level, with repeat offenders and operators "
            "that had no control in the window."),
    Section("heatmap", "Size x risk heat map", "M7", ("marts.segment_summary",), section_heatmap),
    Section("table5", "Table 5 — Sensitive HS codes", "M8", ("marts.sensitive_hs_segments",), section_sensitive_hs),
    Section("gri", "GRI distribution and risk cut-offs", "M5, M6", ("marts.gri_distribution", "marts.gri_quantiles"),
            section_gri_distribution,
            "Bars are coloured by the risk level their lower edge falls in; dashed lines mark the configured cut-offs."),
    Section("weights", "Table 3 — Indicator weights per technique", "M4", ("marts.indicator_weights",),
            section_indicator_weights),
    Section("pca", "Post-clearance audit plan (top)", "M10", ("marts.pca_plan",), section_pca_plan),
    Section("targeting", "Learned targeting of declaration lines", "M4, M10",
            ("marts.line_risk_model_card", "marts.declaration_risk", "marts.line_risk_weights"), section_targeting),
    Section("vulnerabilities", "Institutional vulnerabilities by priority", "M12-M14",
            ("marts.vulnerability_priorities",), section_vulnerabilities),
    Section("kpi_strategic", "Strategic KPIs", "M17", ("marts.kpi_strategic",), section_kpi_strategic),
    Section("kpi_tactical", "Tactical KPIs", "M18", ("marts.kpi_tactical",), section_kpi_tactical),
    Section("kpi_operational", "Operational KPIs", "M19", ("marts.kpi_operational",), section_kpi_operational),
    Section("treatment_effect", "Treatment effect", "M20", ("marts.treatment_effect",), section_treatment_effect),
]


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                              autoescape=jinja2.select_autoescape(["html", "j2"]),
                              trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)


def render_section(section: Section, warehouse: Warehouse, state: ReportState, strict: bool) -> dict[str, Any]:
    view: dict[str, Any] = {"key": section.key, "title": section.title, "methods": section.methods,
                            "marts": ", ".join(section.marts), "intro": section.intro, "blocks": [],
                            "missing": None, "error": None}
    try:
        view["blocks"] = section.render(warehouse)
    except MissingMart as missing:
        state.missing[section.key] = missing.relations
        view["missing"] = missing.relations
    except Exception as error:  # a section must never take the whole report down
        if strict:
            raise
        state.problems.append(f"{section.key}: {error}")
        view["error"] = f"{type(error).__name__}: {error}"
    for block in view["blocks"]:
        if block["kind"] in ("chart",):
            block["svg"] = jinja2.utils.markupsafe.Markup(block["svg"])
        if block["kind"] == "grid":
            block["svgs"] = [jinja2.utils.markupsafe.Markup(svg) for svg in block["svgs"]]
        if block["kind"] == "p" and block.get("html"):
            block["text"] = jinja2.utils.markupsafe.Markup(block["text"])
    return view


def build_html(warehouse: Warehouse, strict: bool = False, state: ReportState | None = None) -> str:
    state = state if state is not None else ReportState()
    facts = _as_of(warehouse)
    as_of = format_cell("as_of_date", facts.get("as_of_date")) if facts.get("as_of_date") else "unknown date"
    sections = [render_section(section, warehouse, state, strict) for section in SECTIONS]
    missing = sorted({relation for relations in state.missing.values() for relation in relations})
    generated = dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")
    return _environment().get_template("report.html.j2").render(
        as_of=as_of, sections=sections, missing=missing, generated=generated)


def write_report(db_path: Path, out_path: Path, strict: bool = False) -> Path:
    """Write the report for the warehouse at db_path to out_path and return the path.

    strict=True re-raises a section's error instead of drawing it in the report
    (tests use it); missing marts never raise.
    """
    out_path = Path(out_path)
    connection = connect_read_only(Path(db_path))
    try:
        document = build_html(Warehouse(connection), strict=strict)
    finally:
        connection.close()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(document, encoding="utf-8")
    return out_path.resolve()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None,
                        help="DuckDB file (default: CIP_DB_PATH or warehouse/customs_cip.duckdb)")
    parser.add_argument("--out", type=Path, default=None, help="HTML file (default: reports/cip_report.html)")


def run(args: argparse.Namespace) -> int:
    out = args.out or project_root() / "reports" / "cip_report.html"
    try:
        path = write_report(args.db or db_path(), out)
    except FileNotFoundError as error:
        print(f"cip report: {error}")
        return 1
    print(path)
    return 0
