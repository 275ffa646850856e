"""The CIP report (`cip report`): one self-contained HTML file for the head of customs.

Everything is read from the warehouse through a read-only DuckDB connection. Each section
returns a list of blocks (paragraphs, tables, charts); the page is drawn by the Jinja2
templates in templates/, the charts by Altair and vl-convert as static inline SVG
(charts.py). No script, no web font, no image or style sheet fetched from anywhere: opening
the file makes no network request (tests/python/test_report.py checks it in Chromium).

Modules: warehouse (read-only connection, marts present, as-of facts), formatting (numbers and
labels), blocks (what a section returns), sections_* (one module per group of sections), layout
(the sections in page order), render (sections to blocks, blocks to HTML), charts.

Each section names the marts it reads. A mart that is not built yet does not stop the
report: its section says which mart is missing and the rest is drawn.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cip.paths import db_path, project_root
from cip.report import charts
from cip.report.charts import RISK_COLOURS, SERIES_COLOURS
from cip.report.formatting import (KPI_TITLES, feature_label, fmt_int, fmt_num, fmt_pct, fmt_points, fmt_usd,
                                   format_cell, label, value_label)
from cip.report.layout import SECTIONS, Section
from cip.report.render import ReportState, build_html, render_section, write_report
from cip.report.warehouse import MissingMart, Warehouse, connect_read_only

__all__ = ["HELP", "KPI_TITLES", "RISK_COLOURS", "SECTIONS", "SERIES_COLOURS", "MissingMart", "ReportState",
           "Section", "Warehouse", "add_arguments", "build_html", "charts", "connect_read_only",
           "feature_label", "fmt_int", "fmt_num", "fmt_pct", "fmt_points", "fmt_usd", "format_cell", "label",
           "render_section", "run", "value_label", "write_report"]

HELP = "Write the CIP report: one self-contained HTML file (inline SVG charts, no network)."


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
