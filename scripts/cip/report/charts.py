"""The report's charts: Vega-Lite specifications built with Altair, rendered to static SVG by
vl-convert (a Rust build of Vega, no browser, no network) and inlined in the HTML.

Every chart gets full titles and labels (no label limit), nice tick values (Vega's `nice`
scales and formats such as `.0%`), legends with readable labels, and colours shared with the
tables (risk levels, techniques). Charts whose series differ by orders of magnitude are drawn
as small multiples with independent scales.
"""

from __future__ import annotations

import math
import re
from typing import Any, Sequence

import altair as alt
import pandas as pd
import vl_convert

RISK_COLOURS = {"low": "#3a7d44", "medium": "#e0a526", "high": "#b8332a"}
RISK_LABELS = {"low": "Low risk", "medium": "Medium risk", "high": "High risk"}
SERIES_COLOURS = ["#1f5f8b", "#e07b24", "#5b8c3a", "#8e44ad", "#b8332a", "#16a085", "#7f8c8d"]
INK = "#1d2733"
MUTED = "#44505c"
GRID = "#dfe4ea"
# one concrete family first, so vl-convert measures labels as the browser draws them (DejaVu ships
# with most Linux systems; elsewhere the fallbacks are narrower, never wider)
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"

_XMLNS = re.compile(r'\s+xmlns(:xlink)?="[^"]*"')

CONFIG = {
    "font": FONT,
    "background": "#ffffff",
    "padding": {"left": 8, "right": 16, "top": 6, "bottom": 6},
    "view": {"stroke": None},
    "title": {"fontSize": 13, "fontWeight": 600, "anchor": "start", "color": INK, "limit": 0, "offset": 8},
    "axis": {"labelFontSize": 11, "titleFontSize": 11, "labelColor": MUTED, "titleColor": INK,
             "gridColor": GRID, "domainColor": "#aab4bf", "tickColor": "#aab4bf", "labelLimit": 0,
             "titleFontWeight": 600, "labelOverlap": True, "labelPadding": 4},
    "legend": {"labelFontSize": 11, "titleFontSize": 11, "labelColor": INK, "titleColor": INK,
               "labelLimit": 0, "orient": "bottom", "direction": "horizontal", "columns": 4,
               "symbolType": "square"},
    "header": {"labelFontSize": 12, "labelFontWeight": 600, "labelColor": INK, "labelLimit": 0,
               "title": None},
    "axisY": {"minExtent": 48},
}


def to_svg(chart: alt.TopLevelMixin, css_class: str = "chart", label: str = "") -> str:
    """The chart as an inline <svg> element (no xmlns: the HTML parser puts it in the SVG namespace)."""
    spec = chart.to_dict()
    spec["config"] = {**CONFIG, **spec.get("config", {})}
    svg = vl_convert.vegalite_to_svg(spec)
    svg = _XMLNS.sub("", svg, count=2)
    aria = f' role="img" aria-label="{_attr(label)}"' if label else ""
    return svg.replace("<svg", f'<svg class="{css_class}"{aria}', 1)


def _attr(text: str) -> str:
    return str(text).replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _title(text: str, subtitle: str | None = None) -> alt.TitleParams:
    return alt.TitleParams(text=text, subtitle=subtitle or "", subtitleColor=MUTED, subtitleFontSize=11)


# ----------------------------------------------------------------------------- GRI histogram

def gri_histogram(bins: Sequence[dict[str, Any]], cutoffs: dict[str, float | None], width: int = 860) -> str:
    """Operators per GRI bin coloured by risk level, with the cut-offs as dashed rules."""
    frame = pd.DataFrame([{
        "lower": float(b["bin_lower"]), "upper": float(b["bin_upper"]), "operators": int(b["operators"]),
        "risk": RISK_LABELS.get(str(b.get("risk_level_at_bin_start")), str(b.get("risk_level_at_bin_start"))),
    } for b in bins])
    levels = [RISK_LABELS[key] for key in RISK_COLOURS]
    bars = alt.Chart(frame).mark_bar(stroke="#ffffff", strokeWidth=1).encode(
        x=alt.X("lower:Q", title="Global risk index (GRI)", scale=alt.Scale(nice=False, domain=[
            float(frame["lower"].min()), float(frame["upper"].max())]), axis=alt.Axis(format=".2f", tickCount=10)),
        x2="upper:Q",
        y2=alt.datum(0),
        y=alt.Y("operators:Q", title="Operators", axis=alt.Axis(format=",d", tickMinStep=1)),
        color=alt.Color("risk:N", title="Risk level of the bin", scale=alt.Scale(
            domain=levels, range=[RISK_COLOURS[key] for key in RISK_COLOURS])),
        tooltip=["lower", "upper", "operators"],
    )
    rules = pd.DataFrame([{"gri": float(value), "label": f"{name} cut-off {float(value):.2f}"}
                          for name, value in cutoffs.items() if value is not None])
    layers = [bars]
    if not rules.empty:
        layers.append(alt.Chart(rules).mark_rule(color=INK, strokeDash=[5, 3], strokeWidth=1.5).encode(x="gri:Q"))
        layers.append(alt.Chart(rules).mark_text(align="left", dx=4, dy=-4, fontSize=11, color=INK).encode(
            x="gri:Q", y=alt.value(0), text="label:N"))
    chart = alt.layer(*layers).properties(
        width=width - 120, height=260, title=_title("Operators by global GRI, with the risk cut-offs"))
    return to_svg(chart, "chart histogram", "Distribution of the global GRI with the risk cut-offs")


# ----------------------------------------------------------------------------- heat map

def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour.lstrip("#")[index:index + 2], 16) / 255 for index in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def text_colour_on(fill: str) -> str:
    """Black or white text, whichever contrasts more with the fill (WCAG relative luminance)."""
    light = _luminance(fill)
    return INK if (light + 0.05) / (_luminance(INK) + 0.05) >= 1.05 / (light + 0.05) else "#ffffff"


def _mix(colour: str, intensity: float) -> str:
    rgb = [int(colour.lstrip("#")[index:index + 2], 16) for index in (0, 2, 4)]
    mixed = [round(255 - (255 - channel) * (0.12 + 0.88 * intensity)) for channel in rgb]
    return "#" + "".join(f"{channel:02x}" for channel in mixed)


def size_risk_heatmap(cells: dict[tuple[str, str], dict[str, Any]], sizes: Sequence[str],
                      risks: Sequence[str]) -> str:
    """Size (rows) x risk (columns): the shade follows the share of operators; the text colour
    is chosen per cell for contrast with its fill."""
    shares = [float(cell.get("pct_operators") or 0) for cell in cells.values()] or [1.0]
    top = max(shares) or 1.0
    rows = []
    for size in sizes:
        for risk in risks:
            cell = cells.get((size, risk), {})
            share = float(cell.get("pct_operators") or 0)
            fill = _mix(RISK_COLOURS[risk], share / top)
            rows.append({
                "size": size.capitalize(), "risk": RISK_LABELS[risk], "fill": fill, "ink": text_colour_on(fill),
                "line1": f"{int(cell.get('operators') or 0):,} operators ({share * 100:.1f}%)",
                "line2": f"{float(cell.get('pct_trade_value') or 0) * 100:.1f}% of trade value",
            })
    frame = pd.DataFrame(rows)
    x = alt.X("risk:N", title=None, sort=[RISK_LABELS[r] for r in risks], axis=alt.Axis(
        orient="top", labelFontSize=12, labelAngle=0, labelColor=INK, ticks=False, domain=False))
    y = alt.Y("size:N", title=None, sort=[s.capitalize() for s in sizes],
              axis=alt.Axis(labelFontSize=12, labelColor=INK, ticks=False, domain=False))
    base = alt.Chart(frame).encode(x=x, y=y)
    rects = base.mark_rect(cornerRadius=3, stroke="#ffffff", strokeWidth=3).encode(color=alt.Color("fill:N", scale=None))
    text1 = base.mark_text(dy=-8, fontSize=13, fontWeight=700).encode(text="line1:N", color=alt.Color("ink:N", scale=None))
    text2 = base.mark_text(dy=10, fontSize=11).encode(text="line2:N", color=alt.Color("ink:N", scale=None))
    chart = alt.layer(rects, text1, text2).properties(
        width=600, height=210, title=_title("Operators by size and risk level",
                                            "Darker cells hold a larger share of the operators"))
    return to_svg(chart, "chart heatmap", "Operators by size and risk level")


# ----------------------------------------------------------------------------- bars

def grouped_bars(frame: pd.DataFrame, category: str, series: str, value: str, title: str,
                 series_order: Sequence[str], value_title: str, value_format: str = ".0%",
                 colours: Sequence[str] = SERIES_COLOURS, width: int = 600) -> str:
    """Horizontal bars, one group per category, one bar per series (full category names)."""
    categories = list(dict.fromkeys(frame[category]))
    chart = alt.Chart(frame).mark_bar().encode(
        y=alt.Y(f"{category}:N", title=None, sort=categories),
        yOffset=alt.YOffset(f"{series}:N", sort=list(series_order)),
        x=alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(format=value_format)),
        color=alt.Color(f"{series}:N", title=None, sort=list(series_order),
                        scale=alt.Scale(domain=list(series_order), range=list(colours)[:len(series_order)])),
        tooltip=[category, series, alt.Tooltip(value, format=value_format)],
    ).properties(width=width, height=alt.Step(7 if len(series_order) > 2 else 10), title=_title(title))
    return to_svg(chart, "chart bars", title)


def hbars(frame: pd.DataFrame, category: str, value: str, title: str, value_title: str,
          value_format: str = ",.0f", colour: str = SERIES_COLOURS[0], width: int = 520,
          colour_field: str | None = None, colour_domain: Sequence[str] = (),
          colour_range: Sequence[str] = ()) -> str:
    encode: dict[str, Any] = {
        "y": alt.Y(f"{category}:N", title=None, sort=list(frame[category])),
        "x": alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(format=value_format)),
    }
    mark: dict[str, Any] = {}
    if colour_field:
        encode["color"] = alt.Color(f"{colour_field}:N", title=None, scale=alt.Scale(
            domain=list(colour_domain), range=list(colour_range)))
    else:
        mark["color"] = colour
    chart = alt.Chart(frame).mark_bar(**mark).encode(**encode).properties(
        width=width, height=alt.Step(18), title=_title(title))
    return to_svg(chart, "chart bars", title)


# ----------------------------------------------------------------------------- KPI lines

UNIT_AXIS = {
    "usd": ("USD", "~s"), "lcu": ("LCU (national currency)", "~s"), "share": ("", ".0%"), "ratio": ("", ".1%"),
    "rate": ("", ".0%"), "rate_difference": ("percentage points", "+.0f"), "hours": ("hours", ",.0f"),
    "count": ("", ",~s"), "operators": ("operators", ",d"), "score_1_5": ("score (1-5)", ".1f"),
}


def kpi_lines(frame: pd.DataFrame, title: str, unit: str, series_title: str | None = None,
              series_order: Sequence[str] | None = None, width: int = 330, height: int = 150) -> str:
    """One KPI over periods (column period, label), one line per series (column series)."""
    axis_title, fmt = UNIT_AXIS.get(unit, ("", ",~s"))
    values = frame.copy()
    if unit == "rate_difference":
        values["value"] = values["value"] * 100
    multi = values["series"].nunique() > 1
    order = list(series_order or dict.fromkeys(values["series"]))
    encode: dict[str, Any] = {
        "x": alt.X("period:T", title=None, axis=alt.Axis(format=_period_format(values), labelAngle=0,
                                                         tickCount=min(6, max(2, values["period"].nunique())))),
        "y": alt.Y("value:Q", title=axis_title or None, axis=alt.Axis(format=fmt, tickCount=4),
                   scale=alt.Scale(nice=True, zero=unit not in ("hours", "score_1_5"))),
        "tooltip": ["label:N", "series:N", alt.Tooltip("value:Q", format=fmt)],
    }
    if multi:
        encode["color"] = alt.Color("series:N", title=series_title, sort=order,
                                    scale=alt.Scale(domain=order, range=SERIES_COLOURS[:len(order)]))
    mark = alt.MarkDef(type="line", point=alt.OverlayMarkDef(size=18), strokeWidth=2,
                       **({} if multi else {"color": SERIES_COLOURS[0]}))
    chart = alt.Chart(values).mark_line(**{k: v for k, v in mark.to_dict().items() if k != "type"}).encode(
        **encode).properties(width=width, height=height, title=_title(title))
    return to_svg(chart, "chart kpi", title)


def _period_format(frame: pd.DataFrame) -> str:
    periods = sorted(frame["period"].unique())
    if len(periods) > 1 and (pd.Timestamp(periods[1]) - pd.Timestamp(periods[0])).days > 300:
        return "%Y"
    return "%b %Y"


def small_multiples(frame: pd.DataFrame, facet: str, title: str, unit: str, columns: int = 4,
                    width: int = 200, height: int = 110) -> str:
    """One small chart per value of `facet`, each on its own y scale, so one large series
    cannot flatten the others."""
    axis_title, fmt = UNIT_AXIS.get(unit, ("", ",~s"))
    chart = alt.Chart(frame).mark_line(point=alt.OverlayMarkDef(size=14), strokeWidth=2, color=SERIES_COLOURS[0]).encode(
        x=alt.X("period:T", title=None, axis=alt.Axis(format=_period_format(frame), labelAngle=0, tickCount=4)),
        y=alt.Y("value:Q", title=axis_title or None, axis=alt.Axis(format=fmt, tickCount=3),
                scale=alt.Scale(nice=True, zero=True)),
    ).properties(width=width, height=height).facet(
        facet=alt.Facet(f"{facet}:N", title=None, header=alt.Header(labelLimit=0, labelAnchor="start")),
        columns=columns, title=_title(title, "each panel on its own scale")
    ).resolve_scale(y="independent")
    return to_svg(chart, "chart multiples", title)


# ----------------------------------------------------------------------------- forest plot

def forest_plot(rows: Sequence[dict[str, Any]], title: str) -> str:
    """Difference-in-differences estimate per treatment with its confidence interval, in
    percentage points, against the zero line."""
    frame = pd.DataFrame([{
        "treatment": str(row.get("treatment_label") or row.get("treatment_code")),
        "estimate": None if row.get("did_irregularity_rate") is None else float(row["did_irregularity_rate"]) * 100,
        "low": None if row.get("did_ci_lower") is None else float(row["did_ci_lower"]) * 100,
        "high": None if row.get("did_ci_upper") is None else float(row["did_ci_upper"]) * 100,
        "significance": "significant at 95%" if row.get("is_significant") else "not significant",
    } for row in rows])
    bound = max([abs(v) for v in frame[["estimate", "low", "high"]].to_numpy().ravel()
                 if v is not None and not (isinstance(v, float) and math.isnan(v))] + [1.0])
    domain = [-bound * 1.1, bound * 1.1]
    x = alt.X("estimate:Q", title="Effect on the irregularity rate (percentage points; below 0 = improved)",
              scale=alt.Scale(domain=domain, nice=True), axis=alt.Axis(format="+.0f"))
    colour = alt.Color("significance:N", title=None, scale=alt.Scale(
        domain=["significant at 95%", "not significant"], range=[SERIES_COLOURS[0], "#8a949e"]))
    base = alt.Chart(frame).encode(y=alt.Y("treatment:N", title=None))
    chart = alt.layer(
        alt.Chart(pd.DataFrame({"zero": [0]})).mark_rule(color=INK, strokeWidth=1.5).encode(x="zero:Q"),
        base.mark_rule(strokeWidth=3).encode(x=alt.X("low:Q", scale=alt.Scale(domain=domain, nice=True)),
                                             x2="high:Q", color=colour),
        base.mark_point(filled=True, size=90).encode(x=x, color=colour),
    ).properties(width=640, height=alt.Step(34), title=_title(title))
    return to_svg(chart, "chart forest", title)
