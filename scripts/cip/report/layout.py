"""The report's sections in page order: title, requirement ids, the marts each reads, its builder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable
from cip.report.blocks import Block
from cip.report.sections_kpi import (section_kpi_operational, section_kpi_strategic, section_kpi_tactical,
                                     section_treatment_effect)
from cip.report.sections_overview import section_changes, section_summary
from cip.report.sections_plans import section_pca_plan, section_targeting, section_vulnerabilities
from cip.report.sections_segments import (section_gri_distribution, section_heatmap,
                                          section_indicator_weights, section_segment_summary,
                                          section_sensitive_hs, section_size_distribution)
from cip.report.warehouse import Warehouse


@dataclass
class Section:
    key: str
    title: str
    methods: str
    marts: tuple[str, ...]
    render: Callable[["Warehouse"], list[Block]]
    intro: str = ""


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
