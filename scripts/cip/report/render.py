"""Rendering: each section to its blocks (a missing mart or an error stays in its section), then
the page through the Jinja2 templates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from cip.report.formatting import format_cell
from cip.report.layout import SECTIONS, Section
from cip.report.warehouse import MissingMart, Warehouse, as_of_facts, connect_read_only


TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass
class ReportState:
    problems: list[str] = field(default_factory=list)
    missing: dict[str, list[str]] = field(default_factory=dict)


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
    facts = as_of_facts(warehouse)
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
