"""The CIP report (`cip report`): one self-contained HTML file for the head of customs.

Everything is read from the warehouse through a read-only DuckDB connection and
written into a single file: inline CSS, charts drawn here as inline SVG, no script,
no web font, no image or style sheet fetched from anywhere. Opening the file makes
no network request (tests/python/test_report.py checks it in headless Chromium).

Each section names the marts it reads. A mart that is not built yet (other parts of
the warehouse land at different times) does not stop the report: its section says
which mart is missing and the rest is drawn.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import duckdb

from cip.paths import db_path, project_root

HELP = "Write the CIP report: one self-contained HTML file (inline SVG charts, no network)."

# Colours: risk levels and size segments are always drawn with the same colour.
RISK_COLOURS = {"low": "#3a7d44", "medium": "#e0a526", "high": "#b8332a"}
SIZE_ORDER = ["large", "medium", "small"]
RISK_ORDER = ["low", "medium", "high"]
SERIES_COLOURS = ["#1f5f8b", "#e07b24", "#5b8c3a", "#8e44ad", "#b8332a", "#16a085", "#7f8c8d"]
INK = "#1d2733"
MUTED = "#6b7785"
GRID = "#dfe4ea"


# ----------------------------------------------------------------------------- formatting

def fmt_int(value: Any) -> str:
    if value is None:
        return "–"
    return f"{int(round(float(value))):,}"


def fmt_usd(value: Any, compact: bool = False) -> str:
    """USD with thousands separators; compact=True gives 'USD 6.15 bn' for prose."""
    if value is None:
        return "–"
    number = float(value)
    if compact:
        for size, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
            if abs(number) >= size:
                return f"USD {number / size:,.2f} {suffix}"
    return f"USD {number:,.0f}"


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
    "operators_without_control": "Without any control",
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
    text = re.sub(r"\bpca\b", "PCA", text, flags=re.IGNORECASE)
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


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def is_numeric_column(column: str, values: Iterable[Any]) -> bool:
    seen = [value for value in values if value is not None]
    return bool(seen) and all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in seen)


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
        rows = connection.execute(
            "select table_schema, table_name from information_schema.tables").fetchall()
        self.relations = {f"{schema}.{name}".lower() for schema, name in rows}
        self._columns: dict[str, list[str]] = {}

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
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, name]).fetchall()
            self._columns[relation] = [row[0] for row in rows]
        return self._columns[relation]

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        cursor = self.connection.execute(sql, list(params or []))
        names = [description[0] for description in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        row = self.connection.execute(sql, list(params or [])).fetchone()
        return row[0] if row else None


def connect_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    if not Path(path).exists():
        raise FileNotFoundError(f"no warehouse at {path}: run `cip build` first")
    return duckdb.connect(str(path), read_only=True)


# ----------------------------------------------------------------------------- HTML pieces

def html_table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None,
               headers: dict[str, str] | None = None, row_class: Callable[[dict], str] | None = None,
               cell_html: dict[str, Callable[[dict], str]] | None = None) -> str:
    if not rows:
        return '<p class="note">No rows.</p>'
    columns = list(columns or rows[0].keys())
    headers = headers or {}
    cell_html = cell_html or {}
    numeric = {column: is_numeric_column(column, (row.get(column) for row in rows)) for column in columns}
    head = "".join(
        f'<th class="{"num" if numeric[column] else ""}">{esc(headers.get(column, label(column)))}</th>'
        for column in columns)
    body = []
    for row in rows:
        css = row_class(row) if row_class else ""
        cells = []
        for column in columns:
            if column in cell_html:
                content = cell_html[column](row)
            else:
                content = esc(format_cell(column, row.get(column)))
            cells.append(f'<td class="{"num" if numeric[column] else ""}">{content}</td>')
        body.append(f'<tr class="{css}">{"".join(cells)}</tr>')
    return (f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def risk_badge(level: Any) -> str:
    colour = RISK_COLOURS.get(str(level), MUTED)
    return f'<span class="badge" style="background:{colour}">{esc(level)}</span>'


def inline_bar(fraction: float, colour: str = SERIES_COLOURS[0], width: int = 120) -> str:
    """A small inline SVG bar for a share in [0, 1] inside a table cell."""
    fraction = max(0.0, min(1.0, float(fraction or 0)))
    return (f'<svg class="cellbar" width="{width}" height="12" role="img" '
            f'aria-label="{fraction * 100:.1f}%">'
            f'<rect x="0" y="1" width="{width}" height="10" fill="{GRID}"/>'
            f'<rect x="0" y="1" width="{fraction * width:.1f}" height="10" fill="{colour}"/></svg>')


# ----------------------------------------------------------------------------- SVG charts

def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * 10 ** exponent
        if candidate >= value:
            return candidate
    return 10 ** (exponent + 1)


def _svg_open(width: int, height: int, title: str) -> str:
    return (f'<svg class="chart" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" aria-label="{esc(title)}">'
            f'<title>{esc(title)}</title>')


def _short(value: float) -> str:
    number = float(value)
    for size, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(number) >= size:
            return f"{number / size:,.1f}{suffix}"
    if number.is_integer():
        return f"{int(number):,}"
    return f"{number:,.2f}"


def histogram_svg(bins: Sequence[dict[str, Any]], cutoffs: dict[str, float], title: str) -> str:
    """Vertical bars per GRI bin coloured by risk level, with the cut-offs as dashed lines."""
    width, height = 760, 300
    left, right, top, bottom = 56, 16, 24, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    lower = min(float(bin_["bin_lower"]) for bin_ in bins)
    upper = max(float(bin_["bin_upper"]) for bin_ in bins)
    y_max = _nice_max(max(int(bin_["operators"]) for bin_ in bins))

    def x_of(gri: float) -> float:
        return left + (gri - lower) / (upper - lower) * plot_w

    def y_of(count: float) -> float:
        return top + plot_h - count / y_max * plot_h

    parts = [_svg_open(width, height, title)]
    for tick in range(5):
        value = y_max * tick / 4
        y = y_of(value)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{_short(value)}</text>')
    for bin_ in bins:
        x0, x1 = x_of(float(bin_["bin_lower"])), x_of(float(bin_["bin_upper"]))
        count = int(bin_["operators"])
        y = y_of(count)
        colour = RISK_COLOURS.get(str(bin_.get("risk_level_at_bin_start")), SERIES_COLOURS[0])
        parts.append(
            f'<rect class="bar" x="{x0 + 1:.1f}" y="{y:.1f}" width="{max(x1 - x0 - 2, 1):.1f}" '
            f'height="{top + plot_h - y:.1f}" fill="{colour}">'
            f'<title>GRI {float(bin_["bin_lower"]):.2f}–{float(bin_["bin_upper"]):.2f}: '
            f'{count:,} operators</title></rect>')
    for step in range(0, 11):
        gri = lower + (upper - lower) * step / 10
        x = x_of(gri)
        parts.append(f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle" class="tick">{gri:.1f}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" class="axis">'
                 f'Global risk index (GRI)</text>')
    parts.append(f'<text x="14" y="{top + plot_h / 2:.1f}" text-anchor="middle" class="axis" '
                 f'transform="rotate(-90 14 {top + plot_h / 2:.1f})">Operators</text>')
    for name, value in cutoffs.items():
        if value is None:
            continue
        x = x_of(float(value))
        parts.append(f'<line class="cutoff" x1="{x:.1f}" x2="{x:.1f}" y1="{top - 6}" y2="{top + plot_h}" '
                     f'stroke="{INK}" stroke-width="1.5" stroke-dasharray="5 3"/>')
        parts.append(f'<text x="{x + 4:.1f}" y="{top + 4}" class="tick">{esc(name)} cut-off {float(value):.2f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def heatmap_svg(cells: dict[tuple[str, str], dict[str, Any]], title: str) -> str:
    """Size (rows) x risk level (columns); the shade follows the share of operators."""
    width, height = 560, 250
    left, top, cell_w, cell_h = 110, 34, 145, 66
    shares = [float(cell.get("pct_operators") or 0) for cell in cells.values()]
    max_share = max(shares) if shares and max(shares) > 0 else 1.0
    parts = [_svg_open(width, height, title)]
    for column, risk in enumerate(RISK_ORDER):
        x = left + column * cell_w + cell_w / 2
        parts.append(f'<text x="{x:.1f}" y="{top - 12}" text-anchor="middle" class="axis" '
                     f'fill="{RISK_COLOURS[risk]}">{risk} risk</text>')
    for row, size in enumerate(SIZE_ORDER):
        y = top + row * cell_h
        parts.append(f'<text x="{left - 10}" y="{y + cell_h / 2 + 4:.1f}" text-anchor="end" class="axis">{size}</text>')
        for column, risk in enumerate(RISK_ORDER):
            cell = cells.get((size, risk), {})
            share = float(cell.get("pct_operators") or 0)
            intensity = share / max_share
            # mix white with the risk colour
            base = RISK_COLOURS[risk].lstrip("#")
            rgb = [int(base[index:index + 2], 16) for index in (0, 2, 4)]
            mixed = [round(255 - (255 - channel) * (0.12 + 0.88 * intensity)) for channel in rgb]
            fill = "#" + "".join(f"{channel:02x}" for channel in mixed)
            text_colour = "#ffffff" if intensity > 0.55 else INK
            x = left + column * cell_w
            parts.append(
                f'<rect class="cell" x="{x + 2}" y="{y + 2}" width="{cell_w - 4}" height="{cell_h - 4}" '
                f'fill="{fill}" rx="3"><title>{size} / {risk}: {fmt_int(cell.get("operators", 0))} operators, '
                f'{fmt_pct(cell.get("pct_trade_value", 0))} of value</title></rect>')
            parts.append(f'<text x="{x + cell_w / 2:.1f}" y="{y + 30}" text-anchor="middle" class="cellnum" '
                         f'fill="{text_colour}">{fmt_int(cell.get("operators", 0))} ({fmt_pct(share)})</text>')
            parts.append(f'<text x="{x + cell_w / 2:.1f}" y="{y + 48}" text-anchor="middle" class="tick" '
                         f'fill="{text_colour}">{fmt_pct(cell.get("pct_trade_value", 0))} of value</text>')
    parts.append(f'<text x="{left}" y="{height - 8}" class="tick">Cells: operators (% of operators) and '
                 f'% of trade value; darker = more operators.</text>')
    parts.append("</svg>")
    return "".join(parts)


def grouped_hbar_svg(categories: Sequence[str], series: dict[str, Sequence[float]], title: str,
                     value_format: Callable[[float], str] = lambda value: f"{value:.2f}") -> str:
    """Horizontal bars: one group per category, one bar per series (e.g. weighting technique)."""
    names = list(series)
    bar_h, gap = 9, 10
    group_h = bar_h * len(names) + gap
    left, right, top = 210, 70, 30
    width = 760
    height = top + group_h * len(categories) + 20
    plot_w = width - left - right
    x_max = _nice_max(max([value for values in series.values() for value in values] + [0.0001]))
    parts = [_svg_open(width, height, title)]
    for index, name in enumerate(names):
        x = left + index * 120
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{SERIES_COLOURS[index % len(SERIES_COLOURS)]}"/>'
                     f'<text x="{x + 16}" y="16" class="tick">{esc(name)}</text>')
    for tick in range(5):
        x = left + plot_w * tick / 4
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 4}" y2="{height - 18}" stroke="{GRID}"/>'
                     f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle" class="tick">'
                     f'{value_format(x_max * tick / 4)}</text>')
    for group, category in enumerate(categories):
        y0 = top + group * group_h
        parts.append(f'<text x="{left - 8}" y="{y0 + group_h / 2:.1f}" text-anchor="end" class="tick">'
                     f'{esc(category)}</text>')
        for index, name in enumerate(names):
            value = float(series[name][group] or 0)
            y = y0 + index * bar_h
            bar_w = value / x_max * plot_w
            parts.append(f'<rect class="bar" x="{left}" y="{y:.1f}" width="{bar_w:.1f}" height="{bar_h - 1}" '
                         f'fill="{SERIES_COLOURS[index % len(SERIES_COLOURS)]}">'
                         f'<title>{esc(category)} / {esc(name)}: {value_format(value)}</title></rect>')
    parts.append("</svg>")
    return "".join(parts)


def period_label(period: Any, grain: str | None = None) -> str:
    if isinstance(period, (dt.date, dt.datetime)):
        if grain == "quarter":
            return f"{period.year} Q{(period.month - 1) // 3 + 1}"
        if grain == "year":
            return str(period.year)
        return period.isoformat()[:7]
    return str(period)


def line_chart_svg(periods: Sequence[Any], series: dict[str, Sequence[float | None]], title: str,
                   value_format: Callable[[float], str] = _short, width: int = 360, height: int = 200,
                   grain: str | None = None) -> str:
    """A small line chart (a KPI over periods); gaps where a value is missing; legend below."""
    left, right, top, bottom = 64, 14, 26, 26
    # legend rows: items laid out left to right, wrapping at the chart width
    legend: list[tuple[float, int, str, str]] = []
    if len(series) > 1:
        x, row = float(left), 0
        for number, name in enumerate(series):
            item_w = 16 + 6.2 * len(str(name)) + 12
            if x + item_w > width - right and x > left:
                x, row = float(left), row + 1
            legend.append((x, row, SERIES_COLOURS[number % len(SERIES_COLOURS)], str(name)))
            x += item_w
    legend_h = (max(row for _, row, _, _ in legend) + 1) * 15 + 4 if legend else 0
    total_h = height + legend_h
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [value for values in series.values() for value in values if value is not None]
    low = min(values + [0.0])
    high = max(values + [0.0])
    high = _nice_max(high) if high > 0 else 0.0
    low = -_nice_max(-low) if low < 0 else 0.0
    if high == low:
        high = low + 1
    count = len(periods)

    def x_of(index: int) -> float:
        return left + (index / (count - 1) * plot_w if count > 1 else plot_w / 2)

    def y_of(value: float) -> float:
        return top + plot_h - (value - low) / (high - low) * plot_h

    parts = [_svg_open(width, total_h, title)]
    parts.append(f'<text x="{left}" y="14" class="charttitle">{esc(title)}</text>')
    for tick in range(3):
        value = low + (high - low) * tick / 2
        y = y_of(value)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" class="tick">{value_format(value)}</text>')
    label_every = max(1, math.ceil(count / 5))
    for index, period in enumerate(periods):
        if index % label_every == 0:
            parts.append(f'<text x="{x_of(index):.1f}" y="{height - bottom + 14}" text-anchor="middle" '
                         f'class="tick">{esc(period_label(period, grain))}</text>')
    for number, (name, values) in enumerate(series.items()):
        colour = SERIES_COLOURS[number % len(SERIES_COLOURS)]
        segments: list[list[str]] = [[]]
        for index, value in enumerate(values):
            if value is None:
                segments.append([])
                continue
            segments[-1].append(f"{x_of(index):.1f},{y_of(float(value)):.1f}")
            parts.append(f'<circle cx="{x_of(index):.1f}" cy="{y_of(float(value)):.1f}" r="2.5" fill="{colour}">'
                         f'<title>{esc(name)} {esc(period_label(periods[index], grain))}: '
                         f'{value_format(float(value))}</title></circle>')
        for segment in segments:
            if len(segment) > 1:
                parts.append(f'<polyline class="line" fill="none" stroke="{colour}" stroke-width="2" '
                             f'points="{" ".join(segment)}"/>')
    for x, row, colour, name in legend:
        y = height + 4 + row * 15
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{x + 14:.1f}" y="{y + 9:.1f}" class="tick">{esc(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


# ----------------------------------------------------------------------------- sections

@dataclass
class Section:
    key: str
    title: str
    methods: str
    marts: tuple[str, ...]
    render: Callable[[Warehouse], str]
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


def section_summary(warehouse: Warehouse) -> str:
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
    technique = None
    if warehouse.has("marts.operator_gri"):
        technique = warehouse.scalar("select max(weighting_technique) from marts.operator_gri")
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
        items.append(("Weighting technique of the GRI", str(technique)))
    cards = "".join(f'<div class="card"><div class="k">{esc(key)}</div><div class="v">{esc(value)}</div></div>'
                    for key, value in items)
    return f'<div class="cards">{cards}</div>'


def section_size_distribution(warehouse: Warehouse) -> str:
    warehouse.require("marts.size_distribution")
    rows = warehouse.rows("select * from marts.size_distribution order by sort_order")
    table = html_table(
        rows, ["size_segment", "operators", "pct_operators", "trade_value_usd", "pct_trade_value"],
        row_class=lambda row: "total" if row["size_segment"] == "total" else "",
        cell_html={
            "pct_operators": lambda row: f'{inline_bar(row["pct_operators"], SERIES_COLOURS[0], 80)} '
                                         f'{esc(fmt_pct(row["pct_operators"]))}',
            "pct_trade_value": lambda row: f'{inline_bar(row["pct_trade_value"], SERIES_COLOURS[1], 80)} '
                                           f'{esc(fmt_pct(row["pct_trade_value"]))}',
        })
    return table


def section_segment_summary(warehouse: Warehouse) -> str:
    warehouse.require("marts.segment_summary")
    rows = warehouse.rows("select * from marts.segment_summary order by sort_order")
    columns = [column for column in [
        "size_segment", "risk_level", "operators", "pct_operators", "trade_value_usd", "pct_trade_value",
        "vat_paid_usd", "duty_paid_usd", "excise_paid_usd", "repeat_offenders", "operators_without_control",
    ] if column in warehouse.columns("marts.segment_summary")]
    return html_table(
        rows, columns,
        row_class=lambda row: {"size_total": "subtotal", "total": "total"}.get(row.get("row_type"), ""),
        cell_html={"risk_level": lambda row: risk_badge(row["risk_level"]) if row["risk_level"] in RISK_COLOURS
                   else esc(row["risk_level"])})


def section_heatmap(warehouse: Warehouse) -> str:
    warehouse.require("marts.segment_summary")
    rows = warehouse.rows("select * from marts.segment_summary where row_type = 'segment'")
    cells = {(row["size_segment"], row["risk_level"]): row for row in rows}
    return heatmap_svg(cells, "Operators by size and risk level")


def section_sensitive_hs(warehouse: Warehouse) -> str:
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
    parts = [f'<p>{fmt_int(total)} sensitive tariff lines had imports in the window; the 15 largest by value:</p>',
             html_table(codes)]
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
        parts.append("<h3>Riskiest importers of the three largest sensitive lines</h3>")
        parts.append(html_table(importers, cell_html={"risk_level": lambda row: risk_badge(row["risk_level"])}))
    return "".join(parts)


def section_gri_distribution(warehouse: Warehouse) -> str:
    warehouse.require("marts.gri_distribution", "marts.gri_quantiles")
    bins = warehouse.rows("select * from marts.gri_distribution where gri_type = 'global' order by bin_no")
    quantiles = warehouse.rows("select * from marts.gri_quantiles where gri_type = 'global'")
    if not bins or not quantiles:
        return '<p class="missing">The global GRI has no rows in marts.gri_distribution / gri_quantiles.</p>'
    quantile = quantiles[0]
    chart = histogram_svg(bins, {"medium": quantile.get("cutoff_medium"), "high": quantile.get("cutoff_high")},
                          "Distribution of the global GRI with the risk cut-offs")
    columns = [column for column in ["operators", "mean_gri", "p50", "p75", "p90", "p95", "p99", "max_gri",
                                     "operators_low", "operators_medium", "operators_high",
                                     "cutoff_medium", "cutoff_high"] if column in quantile]
    headers = {"p50": "Median", "p75": "P75", "p90": "P90", "p95": "P95", "p99": "P99",
               "max_gri": "Max", "mean_gri": "Mean"}
    formatted = [{column: quantile[column] for column in columns}]
    table = html_table(formatted, columns, headers=headers,
                       cell_html={column: (lambda row, column=column: esc(fmt_num(row[column], 3)))
                                  for column in columns if column.startswith(("p", "mean", "max", "cutoff"))})
    return chart + table


def section_indicator_weights(warehouse: Warehouse) -> str:
    warehouse.require("marts.indicator_weights")
    rows = warehouse.rows(
        "select * from marts.indicator_weights where gri_type = 'global' order by indicator_code, technique")
    techniques = sorted({row["technique"] for row in rows},
                        key=lambda name: ["equal", "expert", "frequency", "learned"].index(name)
                        if name in ["equal", "expert", "frequency", "learned"] else 9)
    selected = sorted({row["technique"] for row in rows if row.get("is_selected_technique")})
    indicators = sorted({row["indicator_code"] for row in rows})
    weight = {(row["indicator_code"], row["technique"]): float(row["final_weight"] or 0) for row in rows}
    series = {technique: [weight.get((code, technique), 0.0) for code in indicators] for technique in techniques}
    chart = grouped_hbar_svg(indicators, series, "Final weight of each indicator per weighting technique",
                             value_format=lambda value: f"{value * 100:.0f}%")
    table_rows = []
    for code in indicators:
        row: dict[str, Any] = {"indicator_code": code}
        for technique in techniques:
            row[technique] = weight.get((code, technique), 0.0)
        table_rows.append(row)
    table = html_table(table_rows, ["indicator_code", *techniques],
                       headers={technique: technique + (" (selected)" if technique in selected else "")
                                for technique in techniques},
                       cell_html={technique: (lambda row, technique=technique: esc(fmt_pct(row[technique])))
                                  for technique in techniques})
    note = (f'<p>The GRI uses the <strong>{esc(", ".join(selected) or "?")}</strong> technique. '
            f'Weights below the tolerance are set to zero and the rest renormalised to 100%.</p>')
    return note + chart + table


def _rank_column(columns: Sequence[str]) -> str | None:
    for candidate in columns:
        if candidate.endswith("rank") or candidate in ("priority_rank", "plan_rank", "audit_rank"):
            return candidate
    return None


def generic_top_table(warehouse: Warehouse, relation: str, limit: int = 20,
                      prefer: Sequence[str] = (), max_columns: int = 11,
                      order_by: str | None = None) -> str:
    """The first rows of a mart whose columns may still change: rank order when there is one."""
    columns = warehouse.columns(relation)
    rank = order_by or _rank_column(columns)
    ordering = f' order by "{rank}" nulls last' if rank and rank in columns else (
        f" order by {order_by}" if order_by else "")
    total = warehouse.scalar(f"select count(*) from {relation}")
    chosen = [column for column in prefer if column in columns]
    for column in columns:
        if len(chosen) >= max_columns:
            break
        if column not in chosen and column not in ("as_of_date",):
            chosen.append(column)
    select_list = ", ".join(f'"{column}"' for column in chosen)
    rows = warehouse.rows(f"select {select_list} from {relation}{ordering} limit {int(limit)}")
    risk_cells = {"risk_level": lambda row: risk_badge(row["risk_level"])} if "risk_level" in chosen else {}
    shown = min(limit, total or 0)
    return (f'<p>{fmt_int(total)} rows in {esc(relation)}; the first {fmt_int(shown)}'
            f'{" by " + esc(label(rank)) if rank and rank in columns else ""}:</p>'
            + html_table(rows, chosen, cell_html=risk_cells))


def section_pca_plan(warehouse: Warehouse) -> str:
    warehouse.require("marts.pca_plan")
    columns = set(warehouse.columns("marts.pca_plan"))
    if not {"audit_type", "rank_in_type", "is_selected", "tin"} <= columns:
        return generic_top_table(warehouse, "marts.pca_plan", limit=25,
                                 prefer=("tin", "size_segment", "risk_level", "gri", "trade_value_usd"))
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
                                   "revenue_at_stake_usd", "last_pca_date", "contributing_indicators",
                                   "plan_status"] if column in columns]
    select_list = ", ".join(shown)
    top = warehouse.rows(
        f"""
        select {select_list}
        from (
            select *, row_number() over (partition by audit_type order by rank_in_type) as shown_rank
            from marts.pca_plan
            where is_selected
        ) as selected
        where shown_rank <= 12
        order by audit_type, rank_in_type
        """)
    return ("<p>Operators selected for post-clearance audit, by audit type, against the configured capacity:</p>"
            + html_table(summary)
            + "<h3>Top of the plan (first 12 per audit type)</h3>"
            + html_table(top, shown, headers={"rank_in_type": "Rank"},
                         cell_html={"risk_level": lambda row: risk_badge(row["risk_level"]),
                                    "contributing_indicators": lambda row: (
                                        f'<span class="codes">{esc(row["contributing_indicators"] or "–")}</span>')}))


def section_vulnerabilities(warehouse: Warehouse) -> str:
    warehouse.require("marts.vulnerability_priorities")
    rows = warehouse.rows("select * from marts.vulnerability_priorities order by priority_rank limit 15")
    total = warehouse.scalar("select count(*) from marts.vulnerability_priorities")
    columns = [column for column in ["priority_rank", "process_code", "vulnerability", "institutional_risk",
                                     "expected_effect", "probability", "priority", "priority_band"]
               if column in warehouse.columns("marts.vulnerability_priorities")]
    max_priority = max([row.get("priority") or 0 for row in rows] + [1])
    return (f"<p>{fmt_int(total)} vulnerabilities in the register; "
            f"{'the ' + fmt_int(len(rows)) + ' with the highest priority' if total > len(rows) else 'all of them'}, "
            f"ranked by priority (expected effect x probability):</p>"
            + html_table(rows, columns, headers={"priority_rank": "Rank"},
                         cell_html={"priority": lambda row: f'{inline_bar((row["priority"] or 0) / max_priority, SERIES_COLOURS[4], 70)} '
                                                            f'{esc(fmt_int(row["priority"]))}'}))


_PERIOD_NAMES = ("period", "period_start", "month", "kpi_month", "quarter", "year", "period_month",
                 "period_quarter", "period_year", "declaration_month", "control_month")


def _period_column(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str | None:
    for name in _PERIOD_NAMES:
        if name in columns:
            return name
    for column in columns:
        if "period" in column or column.endswith(("_month", "_quarter", "_year", "_date")):
            return column
    for column in columns:
        if rows and isinstance(rows[0].get(column), (dt.date, dt.datetime)):
            return column
    return None


def kpi_trend_section(warehouse: Warehouse, relation: str, max_charts: int = 9) -> str:
    """Charts of every numeric KPI over its periods; long marts (kpi name + value) are pivoted."""
    warehouse.require(relation)
    columns = warehouse.columns(relation)
    rows = warehouse.rows(f"select * from {relation}")
    if not rows:
        return f'<p class="note">{esc(relation)} is empty.</p>'
    period = _period_column(columns, rows)
    if period is None:
        return (f'<p class="note">{esc(relation)} has no period column; its rows:</p>'
                + generic_top_table(warehouse, relation, limit=30))
    key_names = [column for column in columns if column in ("kpi_code", "kpi", "kpi_name", "indicator", "metric")]
    value_names = [column for column in columns if column in ("value", "kpi_value", "metric_value")]
    dimension_names = [column for column in columns
                       if column != period and column not in key_names and column not in value_names
                       and not is_numeric_column(column, (row.get(column) for row in rows))
                       and column not in ("as_of_date",) and not column.endswith(("_id", "_label", "_description",
                                                                                     "_definition", "_note"))]
    periods = sorted({row[period] for row in rows if row[period] is not None}, key=str)
    charts: list[str] = []
    if key_names and value_names:
        key, value = key_names[0], value_names[0]
        names = sorted({str(row[key]) for row in rows})
        for name in names[:max_charts]:
            by_period: dict[tuple, dict[Any, float]] = {}
            for row in rows:
                if str(row[key]) != name:
                    continue
                group = tuple(str(row[column]) for column in dimension_names[:1]) or ("",)
                by_period.setdefault(group, {})[row[period]] = row[value]
            series = {" ".join(group) or name: [values.get(each) for each in periods]
                      for group, values in list(by_period.items())[:6]}
            charts.append(line_chart_svg(periods, series, name, _value_formatter(name)))
    else:
        metrics = [column for column in columns if column != period
                   and is_numeric_column(column, (row.get(column) for row in rows))
                   and not column.endswith(("_order", "sort_order", "_no"))]
        dimension = dimension_names[0] if dimension_names else None
        groups = sorted({str(row[dimension]) for row in rows}) if dimension else [""]
        if dimension and len(groups) > 6:
            # too many series to read: chart the total over the dimension
            groups, dimension = [""], None
        for metric in metrics[:max_charts]:
            series: dict[str, list[float | None]] = {}
            for group in groups:
                values: dict[Any, float] = {}
                for row in rows:
                    if dimension and str(row[dimension]) != group:
                        continue
                    if row[metric] is None:
                        continue
                    if _PCT_NAME.search(metric) or not dimension and len(groups) == 1 and dimension_names:
                        values.setdefault(row[period], row[metric])
                    else:
                        values[row[period]] = values.get(row[period], 0) + row[metric]
                series[group or label(metric)] = [values.get(each) for each in periods]
            charts.append(line_chart_svg(periods, series, label(metric), _value_formatter(metric)))
    latest = [row for row in rows if row[period] == periods[-1]] if periods else rows
    shown_columns = [column for column in columns if column != "as_of_date"][:10]
    return (f'<div class="smallmultiples">{"".join(charts)}</div>'
            f'<details><summary>Latest period ({esc(format_cell(period, periods[-1]) if periods else "–")}) '
            f'in figures</summary>{html_table(latest[:40], shown_columns)}</details>')


def _value_formatter(name: str) -> Callable[[float], str]:
    lowered = name.lower()
    if _PCT_NAME.search(lowered):
        return lambda value: fmt_pct(value, 0)
    return _short


UNIT_FORMATS: dict[str, Callable[[float], str]] = {
    "usd": _short,
    "lcu": _short,
    "share": lambda value: fmt_pct(value, 1),
    "ratio": lambda value: fmt_pct(value, 1),
    "rate": lambda value: fmt_pct(value, 1),
    "rate_difference": lambda value: f"{value * 100:+.1f} pts",
    "hours": lambda value: f"{value:,.1f} h",
    "count": _short,
}


def _unit_format(unit: Any) -> Callable[[float], str]:
    unit = str(unit or "")
    if unit in UNIT_FORMATS:
        return UNIT_FORMATS[unit]
    if unit.startswith("score"):
        return lambda value: f"{value:,.2f}"
    return _short


def _preferred_grain(warehouse: Warehouse, relation: str) -> str | None:
    grains = {row["period_grain"] for row in warehouse.rows(f"select distinct period_grain from {relation}")}
    for grain in ("quarter", "month", "year"):
        if grain in grains:
            return grain
    return sorted(grains)[0] if grains else None


def long_kpi_section(warehouse: Warehouse, relation: str, max_series: int = 5) -> str:
    """KPI marts in long form (kpi_code, dimension_name, dimension_value, kpi_value per period):
    one small chart per KPI over the complete periods of the preferred grain."""
    grain = _preferred_grain(warehouse, relation)
    rows = warehouse.rows(
        f"select * from {relation} where period_grain = ? and coalesce(is_complete_period, true) "
        f"order by kpi_code, period_start", [grain])
    if not rows:
        return f'<p class="note">{esc(relation)} has no complete {esc(grain)} periods yet.</p>'
    periods = sorted({row["period_start"] for row in rows})
    charts, latest_rows = [], []
    for kpi_code in sorted({row["kpi_code"] for row in rows}):
        kpi_rows = [row for row in rows if row["kpi_code"] == kpi_code]
        unit = kpi_rows[0].get("unit")
        dimensions: dict[str, set] = {}
        for row in kpi_rows:
            dimensions.setdefault(row["dimension_name"], set()).add(row["dimension_value"])
        # the total if there is one, else the dimension with the fewest values
        dimension = "total" if "total" in dimensions else min(dimensions, key=lambda name: (len(dimensions[name]), name))
        chosen = [row for row in kpi_rows if row["dimension_name"] == dimension]
        totals: dict[str, float] = {}
        for row in chosen:
            totals[str(row["dimension_value"])] = totals.get(str(row["dimension_value"]), 0) + abs(row["kpi_value"] or 0)
        keep = sorted(totals, key=lambda value: -totals[value])[:max_series]
        series = {value: [next((row["kpi_value"] for row in chosen if str(row["dimension_value"]) == value
                                and row["period_start"] == period), None) for period in periods]
                  for value in sorted(keep)}
        title = label(kpi_code) + ("" if dimension == "total" else f" by {label(dimension).lower()}")
        if str(unit) in ("usd", "lcu") and str(unit).upper() not in title:
            title += f" ({str(unit).upper()})"
        if len(totals) > max_series:
            title += f" (top {max_series})"
        charts.append(line_chart_svg(periods, series, title, _unit_format(unit), grain=grain))
        last = max(row["period_start"] for row in chosen)
        for row in chosen:
            if row["period_start"] == last and str(row["dimension_value"]) in keep:
                formatter = {"usd": fmt_usd, "lcu": lambda value: f"LCU {float(value):,.0f}"}.get(
                    str(unit), _unit_format(unit))
                latest_rows.append({
                    "kpi": label(kpi_code),
                    "period": period_label(row["period_start"], grain),
                    "breakdown": "total" if dimension == "total" else f"{dimension} = {row['dimension_value']}",
                    "value": formatter(row["kpi_value"]) if row["kpi_value"] is not None else "–",
                    "previous": formatter(row["previous_value"]) if row.get("previous_value") is not None else "–",
                    "change": fmt_pct(row.get("variation_rate")) if row.get("variation_rate") is not None else "–",
                })
    return (f'<p class="intro">Per {esc(grain)}, complete periods only ({fmt_int(len(periods))} periods).</p>'
            f'<div class="smallmultiples">{"".join(charts)}</div>'
            f'<details><summary>Last complete period in figures</summary>'
            f'{html_table(latest_rows, ["kpi", "breakdown", "period", "value", "previous", "change"])}</details>')


def kpi_section(warehouse: Warehouse, relation: str) -> str:
    warehouse.require(relation)
    columns = set(warehouse.columns(relation))
    if {"period_grain", "period_start", "kpi_code", "dimension_name", "dimension_value", "kpi_value"} <= columns:
        return long_kpi_section(warehouse, relation)
    return kpi_trend_section(warehouse, relation)


def section_kpi_strategic(warehouse: Warehouse) -> str:
    return kpi_section(warehouse, "marts.kpi_strategic")


def section_kpi_tactical(warehouse: Warehouse) -> str:
    return kpi_section(warehouse, "marts.kpi_tactical")


def section_kpi_operational(warehouse: Warehouse) -> str:
    relation = "marts.kpi_operational"
    warehouse.require(relation)
    columns = set(warehouse.columns(relation))
    if not {"period_grain", "period_start", "compliance_risk", "cases_detected"} <= columns:
        return kpi_trend_section(warehouse, relation)
    grain = _preferred_grain(warehouse, relation)
    control_filter = "and control_type = 'all'" if "control_type" in columns else ""
    rows = warehouse.rows(
        f"select * from {relation} where period_grain = ? and coalesce(is_complete_period, true) "
        f"{control_filter} order by period_start", [grain])
    if not rows:
        return f'<p class="note">{esc(relation)} has no complete {esc(grain)} periods yet.</p>'
    periods = sorted({row["period_start"] for row in rows})
    risks = sorted({row["compliance_risk"] for row in rows})
    measures = [(name, title, formatter) for name, title, formatter in (
        ("cases_detected", "Cases detected", _short),
        ("amount_reassessed_usd", "Amount reassessed (USD)", _short),
        ("amount_collected_usd", "Amount collected (USD)", _short),
    ) if name in columns]
    charts = []
    for name, title, formatter in measures:
        series = {risk: [next((row[name] for row in rows if row["compliance_risk"] == risk
                               and row["period_start"] == period), None) for period in periods]
                  for risk in risks}
        charts.append(line_chart_svg(periods, series, f"{title} per compliance risk", formatter,
                                     width=540, height=230, grain=grain))
    last = periods[-1]
    latest = [row for row in rows if row["period_start"] == last]
    table_columns = [column for column in ["compliance_risk", "cases_detected", "cases_detected_variation_rate",
                                           "amount_reassessed_usd", "amount_reassessed_usd_variation_rate",
                                           "amount_collected_usd", "amount_collected_usd_variation_rate"]
                     if column in columns]
    headers = {f"{name}_variation_rate": "change" for name, _, _ in measures}
    return (f'<p class="intro">Per {esc(grain)}, examinations and post-clearance audits together, '
            f'complete periods only.</p><div class="smallmultiples wide">{"".join(charts)}</div>'
            f'<h3>{esc(period_label(last, grain))} against the period before</h3>'
            f'{html_table(latest, table_columns, headers=headers)}')


def forest_plot_svg(rows: Sequence[dict[str, Any]], title: str) -> str:
    """One line per treatment: the difference-in-differences estimate with its confidence
    interval, in percentage points, against the zero line (no effect)."""
    width, row_h, left, right, top = 760, 34, 190, 30, 30
    height = top + row_h * len(rows) + 34
    bounds = [abs(float(row[key])) for row in rows for key in ("did_ci_lower", "did_ci_upper", "did_irregularity_rate")
              if row.get(key) is not None]
    extent = _nice_max(max(bounds + [0.01]))
    plot_w = width - left - right

    def x_of(value: float) -> float:
        return left + (value + extent) / (2 * extent) * plot_w

    parts = [_svg_open(width, height, title)]
    for tick in range(-2, 3):
        value = extent * tick / 2
        x = x_of(value)
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 6}" y2="{height - 26}" '
                     f'stroke="{INK if tick == 0 else GRID}" stroke-width="{1.5 if tick == 0 else 1}"/>'
                     f'<text x="{x:.1f}" y="{height - 12}" text-anchor="middle" class="tick">{value * 100:+.1f} pts</text>')
    parts.append(f'<text x="{x_of(-extent):.1f}" y="16" class="tick">irregularity rate fell more '
                 f'for the treated</text><text x="{x_of(extent):.1f}" y="16" text-anchor="end" class="tick">'
                 f'rose more for the treated</text>')
    for index, row in enumerate(rows):
        y = top + index * row_h + row_h / 2
        estimate = row.get("did_irregularity_rate")
        parts.append(f'<text x="{left - 10}" y="{y + 4:.1f}" text-anchor="end" class="axis">'
                     f'{esc(row.get("treatment_code"))}</text>')
        if estimate is None:
            parts.append(f'<text x="{x_of(0) + 6:.1f}" y="{y + 4:.1f}" class="tick">no estimate</text>')
            continue
        colour = SERIES_COLOURS[0] if row.get("is_significant") else MUTED
        low, high = row.get("did_ci_lower"), row.get("did_ci_upper")
        if low is not None and high is not None:
            parts.append(f'<line class="ci" x1="{x_of(float(low)):.1f}" x2="{x_of(float(high)):.1f}" '
                         f'y1="{y:.1f}" y2="{y:.1f}" stroke="{colour}" stroke-width="3"/>')
        parts.append(f'<circle class="estimate" cx="{x_of(float(estimate)):.1f}" cy="{y:.1f}" r="6" fill="{colour}">'
                     f'<title>{esc(row.get("treatment_code"))}: {float(estimate) * 100:+.2f} pts</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


def _points(value: Any) -> str:
    return "–" if value is None else f"{float(value) * 100:+.1f} pts"


def section_treatment_effect(warehouse: Warehouse) -> str:
    warehouse.require("marts.treatment_effect")
    columns = set(warehouse.columns("marts.treatment_effect"))
    needed = {"treatment_code", "did_irregularity_rate", "treated_rate_change", "comparison_rate_change"}
    if not needed <= columns:
        return generic_top_table(warehouse, "marts.treatment_effect", limit=30, max_columns=12)
    rows = warehouse.rows("select * from marts.treatment_effect order by treatment_code")
    if not rows:
        return '<p class="note">No treatment is recorded in the data (marts.treatment_effect is empty).</p>'
    shown = [column for column in ["treatment_code", "treatment_start_date", "treated_operators_examined",
                                   "comparison_operators_examined", "treated_rate_change", "comparison_rate_change",
                                   "did_irregularity_rate", "did_ci_lower", "did_ci_upper", "is_significant"]
             if column in columns]
    point_columns = ["treated_rate_change", "comparison_rate_change", "did_irregularity_rate",
                     "did_ci_lower", "did_ci_upper"]
    headers = {"treated_operators_examined": "Treated operators", "comparison_operators_examined":
               "Comparison operators", "treated_rate_change": "Treated: after - before", "comparison_rate_change": "Comparison: after - before",
               "did_irregularity_rate": "Effect (DiD)", "did_ci_lower": "CI low", "did_ci_upper": "CI high",
               "is_significant": "Significant"}
    return ("<p>Change of the irregularity rate of examined lines, after minus before the treatment started, "
            "for treated operators and for comparable operators under regular control; the effect is the "
            "difference of the two changes (difference in differences). A negative effect means compliance "
            "improved more under the treatment. Blue estimates are significant, grey ones are not.</p>"
            + forest_plot_svg(rows, "Treatment effect on the irregularity rate (difference in differences)")
            + html_table(rows, shown, headers=headers,
                         cell_html={column: (lambda row, column=column: esc(_points(row.get(column))))
                                    for column in point_columns if column in columns}))


SECTIONS: list[Section] = [
    Section("summary", "The data at a glance", "M1, M6, M7", ("marts.dim_operators",), section_summary),
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
    Section("vulnerabilities", "Institutional vulnerabilities by priority", "M12-M14",
            ("marts.vulnerability_priorities",), section_vulnerabilities),
    Section("kpi_strategic", "Strategic KPIs", "M17", ("marts.kpi_strategic",), section_kpi_strategic),
    Section("kpi_tactical", "Tactical KPIs", "M18", ("marts.kpi_tactical",), section_kpi_tactical),
    Section("kpi_operational", "Operational KPIs", "M19", ("marts.kpi_operational",), section_kpi_operational),
    Section("treatment_effect", "Treatment effect", "M20", ("marts.treatment_effect",), section_treatment_effect),
]


STYLE = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #1d2733; margin: 0; background: #f4f6f8; line-height: 1.4; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 28px 60px; background: #fff; }
header h1 { margin: 0 0 4px; font-size: 26px; }
header .sub { color: #6b7785; margin: 0 0 16px; }
nav { font-size: 13px; margin: 12px 0 8px; columns: 3; }
nav a { color: #1f5f8b; text-decoration: none; }
section { border-top: 1px solid #dfe4ea; padding-top: 8px; margin-top: 24px; }
h2 { font-size: 19px; margin: 10px 0 4px; }
h2 .m { font-size: 12px; color: #6b7785; font-weight: normal; margin-left: 8px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
p.intro { color: #44505c; margin: 4px 0 10px; font-size: 14px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0 12px; width: 100%; }
th, td { padding: 4px 8px; border-bottom: 1px solid #e7ebef; text-align: left; vertical-align: top; }
th { background: #eef2f6; font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.subtotal td { background: #f6f8fa; font-weight: 600; }
tr.total td { background: #e9eef3; font-weight: 700; }
.badge { color: #fff; border-radius: 3px; padding: 0 6px; font-size: 12px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 10px; }
.card { border: 1px solid #dfe4ea; border-radius: 6px; padding: 8px 10px; }
.card .k { font-size: 12px; color: #6b7785; }
.card .v { font-size: 17px; font-weight: 600; }
.missing { background: #fff6e5; border-left: 4px solid #e0a526; padding: 8px 12px; font-size: 14px; }
.error { background: #fdecea; border-left: 4px solid #b8332a; padding: 8px 12px; font-size: 14px; }
.note { color: #6b7785; font-size: 13px; }
svg.chart { max-width: 100%; height: auto; display: block; margin: 6px 0; }
svg.chart text { font-family: inherit; }
svg .tick { font-size: 11px; fill: #44505c; }
svg .axis { font-size: 12px; fill: #1d2733; font-weight: 600; }
svg .cellnum { font-size: 15px; font-weight: 700; }
svg .charttitle { font-size: 12px; font-weight: 600; fill: #1d2733; }
svg.cellbar { vertical-align: middle; }
.smallmultiples { display: flex; flex-wrap: wrap; gap: 8px; }
.smallmultiples svg.chart { width: 360px; }
.smallmultiples.wide svg.chart { width: 540px; }
.scroll { overflow-x: auto; }
.codes { font-size: 11px; color: #44505c; }
details { font-size: 13px; margin: 6px 0; }
footer { color: #6b7785; font-size: 12px; margin-top: 32px; }
@media print { body { background: #fff; } main { padding: 0; } section { break-inside: avoid; } }
"""


def render_section(section: Section, warehouse: Warehouse, state: ReportState, strict: bool) -> str:
    try:
        body = section.render(warehouse)
    except MissingMart as missing:
        state.missing[section.key] = missing.relations
        names = ", ".join(missing.relations)
        body = (f'<p class="missing">Not available yet: this section reads {esc(names)}, '
                f'which {"is" if len(missing.relations) == 1 else "are"} not in this warehouse. '
                f'Build {"it" if len(missing.relations) == 1 else "them"} with <code>cip build</code> '
                f'and write the report again.</p>')
    except Exception as error:  # a section must never take the whole report down
        if strict:
            raise
        state.problems.append(f"{section.key}: {error}")
        body = (f'<p class="error">This section could not be drawn from {esc(", ".join(section.marts))}: '
                f'{esc(type(error).__name__)}: {esc(error)}</p>')
    intro = f'<p class="intro">{esc(section.intro)}</p>' if section.intro else ""
    return (f'<section id="{section.key}"><h2>{esc(section.title)}<span class="m">{esc(section.methods)} · '
            f'{esc(", ".join(section.marts))}</span></h2>{intro}{body}</section>')


def build_html(warehouse: Warehouse, strict: bool = False, state: ReportState | None = None) -> str:
    state = state if state is not None else ReportState()
    facts = _as_of(warehouse)
    as_of = format_cell("as_of_date", facts.get("as_of_date")) if facts.get("as_of_date") else "unknown date"
    sections = "".join(render_section(section, warehouse, state, strict) for section in SECTIONS)
    navigation = "".join(f'<a href="#{section.key}">{esc(section.title)}</a><br>' for section in SECTIONS)
    missing = sorted({relation for relations in state.missing.values() for relation in relations})
    missing_note = (f'<p class="missing">Sections waiting for marts not built yet: {esc(", ".join(missing))}.</p>'
                    if missing else "")
    generated = dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # nothing may be fetched: the policy blocks any request that slips into the file
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>Compliance improvement plan — as of {esc(as_of)}</title>"
        f"<style>{STYLE}</style></head><body><main>"
        f"<header><h1>Compliance improvement plan — as of {esc(as_of)}</h1>"
        f'<p class="sub">Risk-based segmentation of operators, institutional vulnerabilities and progress '
        f"indicators, read from the customs-cip warehouse. Figures in USD unless stated.</p>"
        f"{missing_note}<nav>{navigation}</nav></header>"
        f"{sections}"
        f"<footer>Generated {esc(generated)} by <code>cip report</code> from the warehouse marts named in each "
        f"section (requirement ids M1..M22 refer to docs of the method). Trace any operator's GRI with "
        f"<code>cip explain TIN</code>.</footer>"
        "</main></body></html>\n")


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
