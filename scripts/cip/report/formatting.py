"""Formatting of numbers, labels and cells for reading (thousands separators, shares, money)."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, Iterable


from cip.report.charts import RISK_LABELS


SIZE_ORDER = ["large", "medium", "small"]
RISK_ORDER = ["low", "medium", "high"]
TECHNIQUE_ORDER = ["equal", "expert", "frequency", "learned"]


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
