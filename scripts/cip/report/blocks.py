"""Blocks a section returns (paragraphs, headings, charts, tables); templates/blocks.html.j2 draws them."""

from __future__ import annotations

from typing import Any, Callable, Sequence


from cip.report.charts import RISK_COLOURS, RISK_LABELS, SERIES_COLOURS
from cip.report.formatting import _MONEY_USD, fmt_usd, format_cell, is_numeric_column, label


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
