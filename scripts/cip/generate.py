"""Synthetic data generator for customs-cip (`cip generate`).

Writes one file per source table of the contract (models/staging/*/_*__sources.yml)
into ``<out>/<table>.parquet`` (or ``.csv``), plus the ground truth in
``<out>/_truth/`` (never read by dbt).

Design
------
* Fully vectorised with numpy (``np.random.default_rng(seed)``); the only Python
  loops run over tables, months, chapters, years or a handful of categories.
* ``declarations`` (N) is the number of declaration *lines* (version 1 rows); lines
  are grouped into declarations of ~2.2 items on average.
* Deterministic: one RNG stream consumed in a fixed order, rows built in a fixed
  order (date, declaration, item, version), files written with
  ``pyarrow.parquet.write_table`` / ``pyarrow.csv.write_csv`` (single writer).
* Planted noncompliance is operator-level (seven compliance risk types), with a
  per-line irregularity flag, controls that detect it imperfectly, and a treatment
  (PCA campaign) with a planted 60% relative reduction measured by a
  difference-in-differences of the observed irregularity rate.
* Line-level patterns that belong to no single operator, on duty-paying import lines
  (home use, no exemption); ``--no-line-patterns`` turns them off:

  - goods_route_undervaluation: a dozen (HS6, departure country) routes, a third via
    hubs, chosen where many small importers trade; lines declared at 0.3-0.6 of their
    value with probability 0.75 / 0.60 / 0.45 for small / medium / large importers;
  - duty_misclassification: a line declared as its lowest-duty neighbour (same HS6,
    else same heading) with probability 3.5 x (duty gap x true duty rate - 0.015),
    capped at 0.25: the signal sits on the cheaper declared codes;
  - broker_scheme: three brokers that get ~3% of small and medium importers' brokered
    import declarations; their lines are undervalued with probability 0.30;
  - unit_price_manipulation: ten (tariff line, origin) combinations declared at
    0.25-0.5 of the line's usual unit value (probability 0.35) by importers that are
    otherwise compliant: weak on hit rates, plain against the unit-value norm.

  The busiest 2% of traders join these on fewer of their lines, so that no single
  trader makes a pattern. Irregular import lines: ~9% of all, ~14% of examined ones
  (1M lines). Truth: ``_truth/declaration_lines_truth.parquet`` (``pattern``: the
  '|'-joined patterns that made the line irregular, ``true_hs_code``),
  ``_truth/line_patterns.parquet`` (one row per planted combination) and the
  ``line_patterns`` and ``selection`` sections of ``truth.json``.
* Selection (``control_results.selection_method``): the rule channel comes from
  operator propensities, and rules also send declarations on half the risky routes from
  green to yellow (25%); officers pick ~1.2% of green import declarations, four times
  as often when a line sits in a scheme's visible scope (route, broker, price
  combination, or a code misclassified goods are declared under); a random stream (``--random-inspection-rate``, 1%) examines import declarations
  physically (red) whatever the rules say, and is the only unbiased sample. PCAs are
  rule (70%) or officer (30%).
* Declarations carry ``duty_rate`` (the rate behind duty_paid) and ``tax_type``
  (general, preferential for claimed preferences on partner origins, exempt with an
  exemption code, suspended in suspensive regimes, export); both null on 0.5% of
  import lines.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

HELP = "Generate a realistic synthetic data set (all source tables + ground truth) for the demo."

RISK_TYPES = [
    "undervaluation",
    "misclassification",
    "origin",
    "special_regime_abuse",
    "tax_mismatch",
    "non_filer",
    "transfer_pricing",
]
CUSTOMS_RISKS = ["undervaluation", "misclassification", "origin", "special_regime_abuse"]
TAX_RISKS = ["tax_mismatch", "non_filer", "transfer_pricing"]
OFFENCE_OF = {
    "undervaluation": "valuation",
    "misclassification": "misclassification",
    "origin": "origin",
    "special_regime_abuse": "special_regime_abuse",
}
OFFENCES = ["misclassification", "valuation", "origin", "undeclared_goods",
            "special_regime_abuse", "smuggling", "counterfeit"]

TABLES = ["declarations", "control_results", "advance_rulings", "treatments_applied", "trader_survey",
          "taxpayers", "tax_returns", "tax_audits", "hs_nomenclature", "country_risk", "sensitive_goods",
          "exchange_rates", "isic_hs_concordance"]

LARGE_USD = 500_000.0
MEDIUM_USD = 100_000.0
TREATMENT_CODE = "PCA_CAMPAIGN"
TREATMENT_REDUCTION = 0.60  # planted relative reduction of the irregularity probability
DETECT = {"red": 0.80, "yellow": 0.50}
FALSE_POSITIVE = 0.005
OTHER_OFFENCE_RATE = 0.002  # undeclared goods / smuggling / counterfeit on any line

# line-level patterns (not tied to one operator); see the module docstring
ROUTE_COMBOS = 12             # (HS6, departure country) combinations undervalued by many small importers
ROUTE_P = {0: 0.75, 1: 0.60, 2: 0.45}  # irregular probability by importer size (small, medium, large)
MISCLASS_K = 3.5              # p = K * (duty gap x true duty rate - MISCLASS_FLOOR), capped
MISCLASS_FLOOR = 0.015        # below this much duty at stake nobody bothers
MISCLASS_CAP = 0.25
SCHEME_BROKERS = 3            # brokers running a scheme for many importers
SCHEME_ROUTE = 0.03           # share of small/medium importers' brokered import declarations sent to them
SCHEME_P = 0.30
PRICE_COMBOS = 10             # (tariff line, origin) combinations declared far below the line's norm
PRICE_P = 0.35
# selection of examinations
RANDOM_INSPECTION_RATE = 0.01  # share of import declarations examined at random (selection_method random)
RULE_KNOWN_UPGRADE = 0.25      # rules already target half the risky routes: green -> yellow
OFFICER_BASE = 0.012           # officers' own picks among green import declarations ...
OFFICER_TIP = 4.0              # ... more often when a line-level scheme is in it (tip-offs, experience)
PCA_OFFICER_SHARE = 0.30
# preferential tariff: origin -> share of the general rate paid when preference is claimed
PREFERENCE = {c: 0.0 for c in ["ZA", "KE", "TZ", "UG", "EG", "ET"]}
PREFERENCE.update({c: 0.5 for c in ["DE", "FR", "IT", "NL", "ES", "BE", "SE", "PL", "CZ", "AT", "PT", "DK", "IE"]})
PREFERENCE_USE = 0.70
LINE_PATTERNS = ["operator_undervaluation", "operator_misclassification", "operator_origin",
                 "operator_special_regime", "other_offence", "goods_route_undervaluation",
                 "duty_misclassification", "broker_scheme", "unit_price_manipulation"]
SELECTION = ["random", "rule", "officer"]
TAX_TYPES = ["general", "preferential", "exempt", "suspended", "export"]

SEASON = np.array([0.82, 0.80, 0.95, 0.97, 1.00, 0.98, 0.95, 0.92, 1.02, 1.10, 1.22, 1.27])
ANNUAL_GROWTH = 0.04

# ----------------------------------------------------------------------------- reference
# chapter: (duty base, excise range, supplementary unit, kg per unit, base price USD/unit)
CHAPTERS = {
    "02": (0.20, None, "KG", 1.0, 4.0), "03": (0.15, None, "KG", 1.0, 6.0),
    "04": (0.25, None, "KG", 1.0, 3.5), "08": (0.20, None, "KG", 1.0, 2.0),
    "09": (0.10, None, "KG", 1.0, 5.0), "10": (0.05, None, "KG", 1.0, 0.4),
    "15": (0.10, None, "KG", 1.0, 1.2), "17": (0.25, None, "KG", 1.0, 0.6),
    "19": (0.20, None, "KG", 1.0, 2.5), "20": (0.20, None, "KG", 1.0, 2.2),
    "21": (0.20, None, "KG", 1.0, 3.0), "22": (0.25, (0.30, 0.60), "L", 1.0, 3.0),
    "24": (0.25, (0.50, 0.90), "KG", 1.0, 12.0), "25": (0.05, None, "KG", 1.0, 0.1),
    "27": (0.05, (0.15, 0.35), "L", 0.85, 0.8), "28": (0.05, None, "KG", 1.0, 1.0),
    "29": (0.05, None, "KG", 1.0, 3.0), "30": (0.05, None, "KG", 1.0, 40.0),
    "33": (0.20, None, "KG", 1.0, 15.0), "34": (0.15, None, "KG", 1.0, 2.0),
    "38": (0.10, None, "KG", 1.0, 2.5), "39": (0.10, None, "KG", 1.0, 2.0),
    "40": (0.10, None, "KG", 1.0, 3.0), "44": (0.10, None, "KG", 1.0, 0.6),
    "48": (0.10, None, "KG", 1.0, 1.2), "52": (0.15, None, "KG", 1.0, 3.0),
    "61": (0.25, None, "U", 0.3, 6.0), "62": (0.25, None, "U", 0.5, 9.0),
    "64": (0.25, None, "PR", 0.8, 12.0), "69": (0.20, None, "M2", 18.0, 8.0),
    "70": (0.15, None, "KG", 1.0, 1.5), "72": (0.10, None, "KG", 1.0, 0.8),
    "73": (0.15, None, "KG", 1.0, 2.5), "76": (0.10, None, "KG", 1.0, 3.5),
    "82": (0.15, None, "U", 0.4, 7.0), "84": (0.05, None, "U", 35.0, 450.0),
    "85": (0.10, None, "U", 4.0, 120.0), "87": (0.25, (0.10, 0.30), "U", 1300.0, 14000.0),
    "90": (0.05, None, "U", 2.0, 250.0), "94": (0.20, None, "U", 15.0, 90.0),
    "95": (0.20, None, "U", 0.6, 10.0),
}
CHAPTER_NAMES = {
    "02": "Meat", "03": "Fish", "04": "Dairy produce", "08": "Fruit", "09": "Coffee, tea, spices",
    "10": "Cereals", "15": "Fats and oils", "17": "Sugars", "19": "Cereal preparations",
    "20": "Vegetable preparations", "21": "Food preparations", "22": "Beverages",
    "24": "Tobacco", "25": "Salt, stone, cement", "27": "Mineral fuels", "28": "Inorganic chemicals",
    "29": "Organic chemicals", "30": "Pharmaceuticals", "33": "Cosmetics", "34": "Soap",
    "38": "Chemical products", "39": "Plastics", "40": "Rubber", "44": "Wood", "48": "Paper",
    "52": "Cotton", "61": "Knitted apparel", "62": "Woven apparel", "64": "Footwear",
    "69": "Ceramic products", "70": "Glass", "72": "Iron and steel", "73": "Articles of steel",
    "76": "Aluminium", "82": "Tools", "84": "Machinery", "85": "Electrical equipment",
    "87": "Vehicles", "90": "Instruments", "94": "Furniture", "95": "Toys",
}
VAT_ZERO_CHAPTERS = {"10", "30"}
RESTRICTED_CHAPTERS = {"28", "29", "30", "38"}

# ISIC rev.4 classes and the HS chapters consistent with them
ISIC = {
    "1010": ["02", "03", "15"], "1050": ["04", "17", "19"], "1079": ["09", "17", "21"],
    "1104": ["22", "17", "39", "70"], "1200": ["24", "48"], "1410": ["52", "61", "62"],
    "1520": ["64", "40", "39"], "1709": ["48", "39"], "1920": ["27"],
    "2023": ["33", "34", "29", "39"], "2100": ["30", "29", "28", "38"],
    "2220": ["39", "40", "38"], "2392": ["69", "25", "70"], "2511": ["72", "73", "76"],
    "2593": ["82", "73", "72"], "2710": ["85", "84", "39", "76"], "2819": ["84", "73", "85", "40"],
    "2910": ["87", "84", "85", "40", "73"], "3100": ["94", "44", "73"], "3240": ["95", "39", "48"],
    "4530": ["87", "40", "85"], "4630": ["02", "03", "04", "08", "20"],
    "4641": ["52", "61", "62", "64"], "4649": ["33", "34", "95", "94", "69"],
    "4651": ["85", "84", "90"], "4659": ["84", "85", "90", "73"], "4661": ["27"],
    "4663": ["44", "25", "72", "73", "70"], "4669": ["28", "29", "38", "39"],
    "4772": ["30", "33", "90"],
}

# code, name, risk, sampling weight (imports)
COUNTRIES = [
    ("CN", "China", "medium", 22), ("US", "United States", "low", 8), ("DE", "Germany", "low", 6),
    ("IN", "India", "medium", 7), ("JP", "Japan", "low", 4), ("GB", "United Kingdom", "low", 3),
    ("FR", "France", "low", 3), ("IT", "Italy", "low", 3), ("NL", "Netherlands", "low", 2.5),
    ("ES", "Spain", "low", 2), ("KR", "Korea, Republic of", "low", 3), ("TR", "Turkiye", "medium", 3),
    ("AE", "United Arab Emirates", "medium", 4), ("SA", "Saudi Arabia", "low", 2),
    ("ZA", "South Africa", "low", 3), ("BR", "Brazil", "low", 2), ("TH", "Thailand", "low", 2),
    ("VN", "Viet Nam", "medium", 2.5), ("MY", "Malaysia", "low", 2), ("ID", "Indonesia", "low", 2),
    ("SG", "Singapore", "low", 2), ("PK", "Pakistan", "medium", 1), ("BD", "Bangladesh", "medium", 1),
    ("EG", "Egypt", "medium", 1), ("KE", "Kenya", "low", 1.5), ("TZ", "Tanzania", "low", 1),
    ("UG", "Uganda", "low", 0.6), ("NG", "Nigeria", "medium", 0.8), ("GH", "Ghana", "low", 0.5),
    ("ET", "Ethiopia", "low", 0.4), ("MA", "Morocco", "low", 0.5), ("BE", "Belgium", "low", 1.5),
    ("CH", "Switzerland", "low", 1), ("SE", "Sweden", "low", 0.7), ("PL", "Poland", "low", 0.8),
    ("CZ", "Czechia", "low", 0.5), ("AT", "Austria", "low", 0.5), ("PT", "Portugal", "low", 0.4),
    ("DK", "Denmark", "low", 0.4), ("IE", "Ireland", "low", 0.4), ("CA", "Canada", "low", 1),
    ("MX", "Mexico", "low", 0.8), ("AR", "Argentina", "low", 0.5), ("CL", "Chile", "low", 0.4),
    ("AU", "Australia", "low", 1), ("NZ", "New Zealand", "low", 0.5), ("RU", "Russian Federation", "medium", 1),
    ("UA", "Ukraine", "medium", 0.4), ("IL", "Israel", "low", 0.3), ("PH", "Philippines", "low", 0.8),
    ("LK", "Sri Lanka", "medium", 0.4), ("HK", "Hong Kong, China", "medium", 2),
    ("TW", "Taiwan Province of China", "low", 1.5), ("MM", "Myanmar", "high", 0.25),
    ("KP", "Korea, Dem. People's Rep.", "high", 0.05), ("IR", "Iran", "high", 0.2),
    ("SY", "Syrian Arab Republic", "high", 0.1), ("AF", "Afghanistan", "high", 0.1),
    ("YE", "Yemen", "high", 0.1), ("VE", "Venezuela", "high", 0.2), ("MU", "Mauritius", "low", 0.3),
]
HOME_COUNTRY = "MU"  # fictional administration's home (exports originate here)
HUBS = ["AE", "SG", "NL", "HK", "BE"]

# currency, usd_per_unit at start, monthly volatility, import weight
CURRENCIES = [
    ("USD", 1.0, 0.0, 0.48), ("EUR", 1.08, 0.015, 0.20), ("CNY", 0.14, 0.008, 0.10),
    ("GBP", 1.27, 0.015, 0.05), ("JPY", 0.0068, 0.02, 0.04), ("INR", 0.012, 0.01, 0.05),
    ("AED", 0.2723, 0.0, 0.04), ("ZAR", 0.054, 0.025, 0.04),
]
LCU_START = 0.0077
LCU_DRIFT = -0.004  # mild depreciation per month

TRANSPORT = ["sea", "air", "road", "rail", "post"]
TRANSPORT_P = np.array([0.45, 0.20, 0.28, 0.04, 0.03])
OFFICES = {
    "sea": ["PRT01", "PRT02", "ICD01"], "air": ["AIR01", "AIR02"],
    "road": ["BRD01", "BRD02", "BRD03", "ICD01"], "rail": ["RLW01"], "post": ["PST01"],
}
# release hours (green median) per mode, multipliers per channel
RELEASE_BASE = {"sea": 20.0, "air": 4.0, "road": 6.0, "rail": 14.0, "post": 10.0}
RELEASE_CH = {"green": 1.0, "yellow": 2.5, "red": 5.0}
EXEMPTION_CODES = ["EXD01", "EXI02", "EXA03", "EXP04", "EXN05"]
IMPORT_REGIMES = ["40", "51", "71", "53"]
IMPORT_REGIME_P = np.array([0.88, 0.05, 0.04, 0.03])
SURVEY_QUESTIONS = ["overall_satisfaction", "clearance_predictability", "ease_of_compliance",
                    "information_availability", "integrity_perception"]


# ----------------------------------------------------------------------------- helpers
class _Progress:
    """Per-stage progress lines on stderr with an ETA from stage weights."""

    def __init__(self, enabled: bool, weights: dict[str, float]):
        self.enabled = enabled
        self.weights = weights
        self.total = sum(weights.values())
        self.done = 0.0
        self.t0 = time.perf_counter()

    def step(self, stage: str, note: str = "") -> None:
        self.done += self.weights.get(stage, 0.0)
        if not self.enabled:
            return
        el = time.perf_counter() - self.t0
        frac = min(self.done / self.total, 1.0) if self.total else 1.0
        eta = el / frac * (1 - frac) if frac > 0 else float("nan")
        print(f"[generate] {stage:<22} {frac*100:5.1f}%  elapsed {el:6.1f}s  ~{eta:5.1f}s left"
              + (f"  {note}" if note else ""), file=sys.stderr, flush=True)


def _ids(prefix: str, nums: np.ndarray, width: int) -> pa.Array:
    s = pc.utf8_lpad(pc.cast(pa.array(np.asarray(nums, dtype=np.int64)), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, s, "")


def _take(values, idx: np.ndarray) -> pa.Array:
    """Strings from a small dictionary by index (vectorised)."""
    return pa.array(values, type=pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64)))


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(days, dtype=np.int32)).view(pa.date32())


def _nullable(arr: np.ndarray, mask: np.ndarray | None, typ) -> pa.Array:
    if mask is None or not mask.any():
        return pa.array(arr, type=typ)
    return pa.array(arr, type=typ, mask=mask)


def _unique_draw(rng: np.random.Generator, lo: int, hi: int, n: int) -> np.ndarray:
    """n distinct integers in [lo, hi], in draw order (deterministic, vectorised)."""
    k = int(n * 1.05) + 16
    while True:
        x = rng.integers(lo, hi + 1, k)
        _, first = np.unique(x, return_index=True)
        if len(first) >= n:
            return x[np.sort(first)[:n]]
        k *= 2


def _month_starts(start: date, months: int) -> np.ndarray:
    base = np.datetime64(f"{start.year:04d}-{start.month:02d}", "M")
    ms = (base + np.arange(months + 1)).astype("datetime64[D]").astype(np.int64)
    return ms  # months+1 entries (last = end bound)


def _day(d: date) -> int:
    return int((np.datetime64(d.isoformat(), "D") - np.datetime64("1970-01-01", "D")).astype(int))


def _replace(arr: pa.Array, pos: np.ndarray, value, n: int) -> pa.Array:
    if len(pos) == 0:
        return arr
    mask = np.zeros(n, dtype=bool)
    mask[pos] = True
    if isinstance(value, pa.Array):
        repl = value
    else:
        repl = pa.array([value] * int(mask.sum()), type=arr.type)
    # replacement values must be in mask order (ascending positions)
    return pc.replace_with_mask(arr, pa.array(mask), repl)


def _lowest_other(group: np.ndarray, val: np.ndarray) -> np.ndarray:
    """Per element, the lowest-val other element of its group (itself when alone)."""
    n = len(group)
    o = np.lexsort((np.arange(n), val, group))
    gs = group[o]
    first = np.r_[True, gs[1:] != gs[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    size = np.diff(np.r_[np.flatnonzero(first), n])
    size = np.repeat(size, size)
    f1 = o[start]
    f2 = np.where(size > 1, o[np.minimum(start + 1, n - 1)], f1)
    out = np.empty(n, dtype=np.int64)
    out[o] = np.where(o == f1, f2, f1)
    return out


def _misclass_p(hs: dict) -> np.ndarray:
    """Per true tariff line, the probability of being declared as its lower-duty neighbour."""
    stake = hs["duty_gap"] * hs["duty_rate"]
    return np.clip(MISCLASS_K * (stake - MISCLASS_FLOOR), 0.0, MISCLASS_CAP)


def _pick_combos(rng: np.random.Generator, counts: np.ndarray, total: int, k: int,
                 lo: float, hi: float, exclude: np.ndarray | None = None,
                 weights: np.ndarray | None = None) -> np.ndarray:
    """k combination keys drawn (weight = traffic, or weights) among those carrying lo..hi of the lines."""
    ok = (counts >= max(lo * total, 15)) & (counts <= hi * total)
    if exclude is not None:
        ok &= ~exclude
    cand = np.flatnonzero(ok)
    if len(cand) < k:  # small data: fall back to the busiest combinations under the cap
        cand = np.flatnonzero((counts > 0) & (counts <= max(hi * total, 1)) & (True if exclude is None else ~exclude))
        cand = cand[np.argsort(-counts[cand], kind="stable")][:max(k, 1) * 3]
    if len(cand) == 0:
        return np.zeros(0, dtype=np.int64)
    w = (counts if weights is None else weights)[cand].astype(float) + 1e-9
    return np.sort(rng.choice(cand, min(k, len(cand)), replace=False, p=w / w.sum()))


# ----------------------------------------------------------------------------- reference tables
def _build_reference(rng: np.random.Generator, start: date, months: int) -> dict:
    codes, desc, resid, duty, vat, exc, restr, unit, kgpu, price, chap = ([] for _ in range(11))
    for ch, (dbase, exr, u, kg, p) in CHAPTERS.items():
        n_head = int(rng.integers(2, 5))
        heads = np.sort(rng.choice(np.arange(1, 30), n_head, replace=False))
        for h in heads:
            n_sub = int(rng.integers(1, 4))
            subs = np.sort(rng.choice(np.arange(1, 9), n_sub, replace=False)) * 10
            for s in subs:
                n_nat = int(rng.integers(1, 3))
                for k in range(n_nat):
                    codes.append(f"{ch}{h:02d}{s:02d}{(k + 1) * 10:02d}"); resid.append(False)
                codes.append(f"{ch}{h:02d}{s:02d}90"); resid.append(True)
            codes.append(f"{ch}{h:02d}9099"); resid.append(True)
        n_new = len(codes) - len(chap)
        chap.extend([ch] * n_new)
        r = np.array(resid[-n_new:])
        d_line = np.round(np.clip(dbase + rng.choice([-0.05, 0.0, 0.0, 0.05, 0.10], n_new), 0.05, 0.40), 2)
        d_line[r] = np.round(max(dbase - 0.10, 0.0) if dbase > 0.05 else 0.0, 2)
        duty.extend(d_line.tolist())
        vat.extend([0.0 if ch in VAT_ZERO_CHAPTERS else 0.16] * n_new)
        if exr:
            e = np.round(rng.uniform(exr[0], exr[1], n_new), 2)
        else:
            e = np.zeros(n_new)
        exc.extend(e.tolist())
        rs = rng.random(n_new) < (0.5 if ch in RESTRICTED_CHAPTERS else 0.04)
        restr.extend(rs.tolist())
        unit.extend([u] * n_new)
        kgpu.extend((kg * rng.lognormal(0, 0.3, n_new) if u != "KG" else np.ones(n_new)).tolist())
        price.extend((p * rng.lognormal(0, 0.6, n_new)).tolist())
        name = CHAPTER_NAMES[ch]
        for i in range(n_new):
            desc.append(f"{name} - other" if r[i] else f"{name} - line {codes[len(codes) - n_new + i][2:]}")
    hs = {
        "hs_code": np.array(codes), "description": desc, "is_residual": np.array(resid),
        "duty_rate": np.array(duty), "vat_rate": np.array(vat), "excise_rate": np.array(exc),
        "is_restricted": np.array(restr), "supplementary_unit": np.array(unit),
        "kg_per_unit": np.array(kgpu), "base_price": np.array(price), "chapter": np.array(chap),
    }
    chapters = list(CHAPTERS)
    ch_index = {c: i for i, c in enumerate(chapters)}
    hs["ch_idx"] = np.array([ch_index[c] for c in chap])

    # sensitive goods: ~20 prefixes
    sens_prefix, sens_reason = [], []
    val_chapters = ["61", "62", "64", "85", "87", "22", "24", "33"]
    for ch in val_chapters:
        lines = [c for c, cc, rr in zip(codes, chap, resid) if cc == ch and not rr]
        pick = lines[int(rng.integers(0, len(lines)))]
        sens_prefix.append(pick[:4]); sens_reason.append("valuation")
    for ch, reason in [("10", "exemption"), ("30", "exemption"), ("84", "exemption"), ("15", "exemption"),
                       ("93" if "93" in CHAPTERS else "28", "restriction"), ("38", "restriction"),
                       ("29", "restriction"), ("21", "laboratory"), ("04", "laboratory"),
                       ("27", "laboratory"), ("90", "expert"), ("72", "expert")]:
        lines = [c for c, cc in zip(codes, chap) if cc == ch]
        pick = lines[int(rng.integers(0, len(lines)))]
        plen = [4, 6, 8][int(rng.integers(0, 3))]
        if pick[:plen] in sens_prefix:
            plen = 8
        sens_prefix.append(pick[:plen]); sens_reason.append(reason)
    # dedupe keep first
    seen, sp, sr = set(), [], []
    for p_, r_ in zip(sens_prefix, sens_reason):
        if p_ not in seen:
            seen.add(p_); sp.append(p_); sr.append(r_)
    sens = {"hs_prefix": sp, "reason": sr}
    code_arr = hs["hs_code"]
    val_sens = np.zeros(len(code_arr), dtype=bool)
    any_sens = np.zeros(len(code_arr), dtype=bool)
    for p_, r_ in zip(sp, sr):
        m = np.char.startswith(code_arr, p_)
        any_sens |= m
        if r_ == "valuation":
            val_sens |= m
    hs["val_sensitive"] = val_sens
    hs["sensitive"] = any_sens
    # neighbouring lower-duty line (misclassification target): lowest-duty other line of the
    # same HS6 when it is cheaper, else of the same heading
    hs["hs6_codes"], hs["hs6_idx"] = np.unique(np.array([c[:6] for c in codes]), return_inverse=True)
    _, hs4_idx = np.unique(np.array([c[:4] for c in codes]), return_inverse=True)
    dr = hs["duty_rate"]
    nb6, nb4 = _lowest_other(hs["hs6_idx"], dr), _lowest_other(hs4_idx, dr)
    hs["neighbour"] = np.where(dr[nb6] < dr, nb6, nb4)
    hs["duty_gap"] = np.maximum(dr - dr[hs["neighbour"]], 0.0)

    # per-chapter line matrices (non-residual / residual) and lowest-duty residual
    n_ch = len(chapters)
    nr = [np.flatnonzero((hs["ch_idx"] == i) & ~hs["is_residual"]) for i in range(n_ch)]
    rs = [np.flatnonzero((hs["ch_idx"] == i) & hs["is_residual"]) for i in range(n_ch)]
    def _mat(lists):
        w = max(len(x) for x in lists)
        m = np.zeros((len(lists), w), dtype=np.int32)
        for i, x in enumerate(lists):
            m[i, :len(x)] = x
        return m, np.array([len(x) for x in lists])
    hs["nr_mat"], hs["nr_cnt"] = _mat(nr)
    hs["r_mat"], hs["r_cnt"] = _mat(rs)
    hs["low_resid"] = np.array([r[np.argmin(hs["duty_rate"][r])] for r in rs])

    # ISIC classes
    isic_codes = list(ISIC)
    cls_ch = [[ch_index[c] for c in ISIC[k]] for k in isic_codes]
    cls_mat, cls_cnt = _mat(cls_ch)
    # valuation-sensitive lines per class
    cls_val = [np.flatnonzero(val_sens & np.isin(hs["ch_idx"], chs)) for chs in cls_ch]
    cls_val_mat, cls_val_cnt = _mat([x if len(x) else np.array([0]) for x in cls_val])
    cls_val_cnt = np.array([len(x) for x in cls_val])

    # countries
    cc = np.array([c[0] for c in COUNTRIES])
    crisk = np.array([c[2] for c in COUNTRIES])
    cw = np.array([c[3] for c in COUNTRIES], dtype=float)
    cw[cc == HOME_COUNTRY] = 0.0
    high = np.flatnonzero(crisk == "high")

    # exchange rates
    ms = _month_starts(start, months)[:-1]
    cur_codes = [c[0] for c in CURRENCIES] + ["LCU"]
    rates = np.zeros((len(cur_codes), months))
    for i, (code, base, vol, _w) in enumerate(CURRENCIES):
        steps = rng.normal(0, vol, months)
        steps[0] = 0
        rates[i] = base * np.exp(np.cumsum(steps))
    lsteps = rng.normal(LCU_DRIFT, 0.01, months)
    lsteps[0] = 0
    rates[-1] = LCU_START * np.exp(np.cumsum(lsteps))
    rates = np.round(rates, 10)  # the published table is the one used for every conversion
    return {
        "hs": hs, "sens": sens, "chapters": chapters, "isic_codes": isic_codes,
        "cls_mat": cls_mat, "cls_cnt": cls_cnt, "cls_val_mat": cls_val_mat, "cls_val_cnt": cls_val_cnt,
        "country_codes": cc, "country_names": [c[1] for c in COUNTRIES], "country_risk": crisk,
        "country_w": cw / cw.sum(), "high_idx": high, "cur_codes": cur_codes, "rates": rates,
        "cur_w": np.array([c[3] for c in CURRENCIES]) / sum(c[3] for c in CURRENCIES),
        "month_starts": ms,
    }


# ----------------------------------------------------------------------------- main generator
def generate(out_dir: Path, declarations: int, seed: int = 42, operators: int | None = None,
             corrupt_rate: float = 0.0, start: date = date(2024, 1, 1), months: int = 24,
             fmt: str = "parquet", progress: bool = True,
             random_inspection_rate: float = RANDOM_INSPECTION_RATE, line_patterns: bool = True) -> dict:
    t_start = time.perf_counter()
    out_dir = Path(out_dir)
    if fmt not in ("parquet", "csv"):
        raise ValueError("fmt must be 'parquet' or 'csv'")
    if declarations < 1:
        raise ValueError("declarations must be >= 1")
    if not 0.0 <= corrupt_rate < 0.5:
        raise ValueError("corrupt_rate must be in [0, 0.5)")
    if not 0.0 <= random_inspection_rate <= 0.5:
        raise ValueError("random_inspection_rate must be in [0, 0.5]")
    lp = 1.0 if line_patterns else 0.0  # scales every line-level pattern (0: operator-level only)
    if isinstance(start, str):
        start = date.fromisoformat(start)
    start = date(start.year, start.month, 1)
    N = int(declarations)
    M = int(operators) if operators else max(300, N // 120)
    T = int(months)
    prog = _Progress(progress, {"reference": 0.5, "operators": 1, "declaration headers": 5,
                                "declaration lines": 10, "controls": 2, "tax": 1.5,
                                "other tables": 0.2, "write": 22, "truth": 3})
    rng = np.random.default_rng(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "_truth").mkdir(exist_ok=True)
    # remove outputs of an earlier run (other format, stale corruption keys) so dbt sees one file per table
    for name in TABLES:
        for ext in ("parquet", "csv"):
            (out_dir / f"{name}.{ext}").unlink(missing_ok=True)
    for name in ("operators.parquet", "declaration_lines_truth.parquet", "line_patterns.parquet",
                 "corruptions.parquet", "truth.json"):
        (out_dir / "_truth" / name).unlink(missing_ok=True)

    ref = _build_reference(rng, start, T)
    hs = ref["hs"]
    ms = ref["month_starts"]
    month_bounds = _month_starts(start, T)
    treat_month = T // 2 if T >= 2 else 0
    treat_day = int(ms[treat_month])
    treat_date = (np.datetime64(int(treat_day), "D")).astype(object)
    prog.step("reference")

    # ------------------------------------------------------------------ operators
    n_cls = len(ref["isic_codes"])
    w_act = rng.pareto(1.15, M) + 1.0
    op_isic = rng.integers(0, n_cls, M)
    # noncompliance: 20% of operators, one primary type + 30% a second type
    nc = rng.random(M) < 0.20
    risk = np.zeros((M, len(RISK_TYPES)), dtype=bool)
    nc_idx = np.flatnonzero(nc)
    prim = rng.integers(0, len(RISK_TYPES), len(nc_idx))
    risk[nc_idx, prim] = True
    sec_pick = rng.random(len(nc_idx)) < 0.30
    sec = (prim + rng.integers(1, len(RISK_TYPES), len(nc_idx))) % len(RISK_TYPES)
    risk[nc_idx[sec_pick], sec[sec_pick]] = True
    R = {k: risk[:, i] for i, k in enumerate(RISK_TYPES)}
    customs_nc = R["undervaluation"] | R["misclassification"] | R["origin"] | R["special_regime_abuse"]
    # undervaluation operators sit in classes that trade valuation-sensitive goods
    val_classes = np.flatnonzero(ref["cls_val_cnt"] > 0)
    uv = R["undervaluation"]
    op_isic[uv] = val_classes[rng.integers(0, len(val_classes), int(uv.sum()))]
    # ISIC-inconsistent trade for ~30% of noncompliers
    isic_off = nc & (rng.random(M) < 0.30)
    off_cls = (op_isic + rng.integers(1, n_cls, M)) % n_cls
    # activity and line size
    lines_exp = N * w_act / w_act.sum()
    line_mean_rel = (w_act / np.median(w_act)) ** 0.40 * rng.lognormal(-0.5, 1.0, M)
    exp_val = np.maximum(lines_exp, 0.5) * line_mean_rel
    v0 = LARGE_USD / np.quantile(exp_val, 0.915)
    op_line_mean = v0 * line_mean_rel  # USD per line (mean)
    size_exp = np.where(exp_val * v0 >= LARGE_USD, 2, np.where(exp_val * v0 >= MEDIUM_USD, 1, 0))
    # export propensity: ~15% of lines are exports
    pe = np.where(rng.random(M) < 0.25, rng.beta(2.0, 2.5, M), rng.beta(0.5, 12.0, M))
    pe = np.clip(pe * (0.15 / max(np.average(pe, weights=w_act), 1e-9)), 0, 0.95)
    op_mode = rng.choice(len(TRANSPORT), M, p=TRANSPORT_P)
    op_cur = rng.choice(len(CURRENCIES), M, p=ref["cur_w"])
    # brokers
    n_brok = max(10, M // 40)
    b_draw = rng.choice(np.arange(10000, 100000), n_brok + SCHEME_BROKERS, replace=False)
    brok_ids = np.sort(b_draw[:n_brok])
    scheme_ids = np.sort(b_draw[n_brok:])  # brokers of the line-level scheme: clients only via routing
    all_brok_ids = np.sort(b_draw)
    del b_draw
    n_compl = max(1, round(0.05 * n_brok))
    compl = rng.choice(n_brok, n_compl, replace=False)
    normal_b = np.setdiff1d(np.arange(n_brok), compl)
    op_broker = normal_b[rng.integers(0, len(normal_b), M)]
    self_decl = rng.random(M) < 0.17
    p_compl = np.where(nc, 0.50, 0.05)
    # suppliers
    n_sup_op = np.minimum(1 + np.floor(np.sqrt(lines_exp / 2.2) / 1.5).astype(np.int64), 40)
    sup_off = np.concatenate([[0], np.cumsum(n_sup_op)[:-1]])
    sup_perm_base = int(rng.integers(100000, 200000))
    op_line_seed = rng.integers(0, 1 << 20, M)  # each operator concentrates on a few lines per chapter
    # AEO: ~3% of operators, mostly large and compliant
    n_aeo = max(1, round(0.03 * M))
    w_aeo = np.where(nc, 0.0, np.where(size_exp == 2, 30.0, np.where(size_exp == 1, 2.0, 0.05)))
    aeo_idx = rng.choice(M, min(n_aeo, int((w_aeo > 0).sum())), replace=False, p=w_aeo / w_aeo.sum())
    aeo_since = np.full(M, np.iinfo(np.int32).max, dtype=np.int64)
    aeo_since[aeo_idx] = np.where(rng.random(len(aeo_idx)) < 0.6, ms[0] - 365,
                                  ms[rng.integers(0, T, len(aeo_idx))])
    # channel propensities (operator-level, imperfect, independent of treatment)
    noise = rng.lognormal(0.0, 0.35, M)
    is_aeo_any = aeo_since < np.iinfo(np.int32).max
    p_red_op = np.where(customs_nc, 0.11, 0.046) * noise
    p_yel_op = np.where(customs_nc, 0.20, 0.108) * rng.lognormal(0.0, 0.4, M)
    p_red_op = np.clip(np.where(is_aeo_any, p_red_op * 0.3, p_red_op), 0.002, 0.6)
    p_yel_op = np.clip(np.where(is_aeo_any, p_yel_op * 0.4, p_yel_op), 0.005, 0.35)
    # treatment: 40% of underval/misclass operators
    tm_elig = np.flatnonzero(R["undervaluation"] | R["misclassification"])
    treated = np.zeros(M, dtype=bool)
    comparison = np.zeros(M, dtype=bool)
    if len(tm_elig):
        tsel = rng.random(len(tm_elig)) < 0.40
        treated[tm_elig[tsel]] = True
        comparison[tm_elig[~tsel]] = True
    # TINs for operators + non-trading taxpayers
    n_extra_tp = M // 4
    tin_nums = _unique_draw(rng, 100_000_000, 999_999_999, M + n_extra_tp)
    tins_all = _ids("T", tin_nums, 9)
    tins = tins_all.slice(0, M)
    prog.step("operators", f"{M:,} operators")

    # ------------------------------------------------------------------ headers
    items_mean = 2.2
    D_est = int(N / items_mean * 1.15) + 64
    items = np.minimum(rng.geometric(1.0 / items_mean, D_est), 40)
    cum = np.cumsum(items)
    D = int(np.searchsorted(cum, N) + 1)
    items = items[:D]
    items[-1] -= int(cum[D - 1] - N)
    # operator per header (every operator at least one declaration)
    h_op = np.empty(D, dtype=np.int64)
    k0 = min(M, D)
    h_op[:k0] = rng.permutation(M)[:k0]
    if D > k0:
        cw = np.cumsum(w_act / w_act.sum())
        h_op[k0:] = np.minimum(np.searchsorted(cw, rng.random(D - k0)), M - 1)
    # month with seasonality and growth, uniform day
    mi = np.arange(T)
    mw = SEASON[(start.month - 1 + mi) % 12] * (1 + ANNUAL_GROWTH) ** (mi / 12.0)
    h_month = np.minimum(np.searchsorted(np.cumsum(mw / mw.sum()), rng.random(D)), T - 1)
    dim = (month_bounds[1:] - month_bounds[:-1])
    h_date = ms[h_month] + np.floor(rng.random(D) * dim[h_month]).astype(np.int64)
    order = np.argsort(h_date, kind="stable")
    h_op, h_month, h_date, items = h_op[order], h_month[order], h_date[order], items[order]
    del order
    h_tfrac = h_month / max(T - 1, 1)
    h_exp = rng.random(D) < pe[h_op]
    h_regime = np.where(h_exp, 4, np.minimum(np.searchsorted(np.cumsum(IMPORT_REGIME_P), rng.random(D)), 3))
    h_mode = np.where(rng.random(D) < 0.7, op_mode[h_op],
                      np.minimum(np.searchsorted(np.cumsum(TRANSPORT_P), rng.random(D)), 4))
    # office by mode
    all_offices = sorted({o for v in OFFICES.values() for o in v})
    off_idx_mat = np.zeros((len(TRANSPORT), 4), dtype=np.int64)
    off_cnt = np.zeros(len(TRANSPORT), dtype=np.int64)
    for i, mname in enumerate(TRANSPORT):
        lst = [all_offices.index(o) for o in OFFICES[mname]]
        off_idx_mat[i, :len(lst)] = lst
        off_cnt[i] = len(lst)
    h_office = off_idx_mat[h_mode, np.floor(rng.random(D) * off_cnt[h_mode]).astype(np.int64)]
    h_cur = np.where(rng.random(D) < 0.75, op_cur[h_op],
                     np.minimum(np.searchsorted(np.cumsum(ref["cur_w"]), rng.random(D)), len(CURRENCIES) - 1))
    # broker
    u = rng.random(D)
    use_compl = u < p_compl[h_op]
    b_idx = np.where(use_compl, compl[rng.integers(0, n_compl, D)], op_broker[h_op])
    other_b = (rng.random(D) < 0.08) & ~self_decl[h_op]
    b_idx = np.where(other_b & ~use_compl, normal_b[rng.integers(0, len(normal_b), D)], b_idx)
    h_broker_null = self_decl[h_op] & ~use_compl & ~other_b
    h_broker = brok_ids[b_idx]
    # broker scheme: some brokered import declarations of small/medium importers go to a scheme broker
    h_scheme = (~h_broker_null & ~h_exp
                & (rng.random(D) < lp * np.where(size_exp[h_op] == 2, SCHEME_ROUTE / 5, SCHEME_ROUTE)))
    h_broker = np.where(h_scheme, scheme_ids[rng.integers(0, SCHEME_BROKERS, D)], h_broker)
    h_supplier = (sup_off[h_op] + np.floor(rng.random(D) ** 2 * n_sup_op[h_op]).astype(np.int64)
                  + sup_perm_base) % 900_000 + 100_000
    # e-value declaration (imports), manifest in advance (sea only)
    h_evd = rng.random(D) < (0.30 + 0.40 * h_tfrac)
    h_man = rng.random(D) < (0.30 + 0.30 * h_tfrac)
    # channel (operator propensity only: independent of line irregularity and treatment)
    h_aeo = h_date >= aeo_since[h_op]
    # calibrate the operator propensities so that the line-weighted shares hit the targets
    hc = np.bincount(h_op, weights=items, minlength=M)
    aeo_frac = np.bincount(h_op, weights=items * h_aeo, minlength=M) / np.maximum(hc, 1)
    # targets a little below 6% / 12%: random, officer and rule upgrades add the rest
    for arr_, mult, target, cap in ((p_red_op, 0.3, 0.052, 0.6), (p_yel_op, 0.4, 0.112, 0.35)):
        for _ in range(3):
            eff = np.where(is_aeo_any, arr_ * (aeo_frac + (1 - aeo_frac) / mult), arr_)
            cur_share = float((hc * eff).sum() / hc.sum())
            arr_ *= target / max(cur_share, 1e-9)
            np.clip(arr_, 0.002, cap, out=arr_)
    pr = np.where(h_aeo, p_red_op[h_op], np.where(is_aeo_any[h_op], p_red_op[h_op] / 0.3, p_red_op[h_op]))
    py = np.where(h_aeo, p_yel_op[h_op], np.where(is_aeo_any[h_op], p_yel_op[h_op] / 0.4, p_yel_op[h_op]))
    u = rng.random(D)
    # rule channel; random and officer selections are added once the lines are known
    h_channel = np.where(u < pr, 0, np.where(u < pr + py, 1, 2))  # 0 red 1 yellow 2 green
    h_start = np.concatenate([[0], np.cumsum(items)[:-1]])
    # compact dtypes for the header attributes that are broadcast to lines
    h_op = h_op.astype(np.int32); h_month = h_month.astype(np.int16); h_regime = h_regime.astype(np.int8)
    h_mode = h_mode.astype(np.int8); h_office = h_office.astype(np.int8); h_cur = h_cur.astype(np.int8)
    h_channel = h_channel.astype(np.int8); h_tfrac = h_tfrac.astype(np.float32)
    del u, pr, py
    prog.step("declaration headers", f"{D:,} declarations")

    # ------------------------------------------------------------------ lines
    hidx = np.repeat(np.arange(D, dtype=np.int32), items)
    item_no = (np.arange(N, dtype=np.int64) - h_start[hidx] + 1).astype(np.int32)
    op = h_op[hidx]
    l_month = h_month[hidx]
    tfrac = h_tfrac[hidx]
    imp = ~h_exp[hidx]
    after = h_date[hidx] >= treat_day
    # chapter: own class (95%), off-class for ISIC-inconsistent noncompliers, random otherwise
    cls = op_isic[op]
    u = rng.random(N)
    off = isic_off[op] & (u < 0.60)
    cls = np.where(off, off_cls[op], cls)
    chosen = ref["cls_mat"][cls, np.floor(rng.random(N) * ref["cls_cnt"][cls]).astype(np.int64)]
    rand_ch = np.where(isic_off[op], (u >= 0.60) & (u < 0.65), u < 0.04)
    ch = np.where(rand_ch, rng.integers(0, len(ref["chapters"]), N), chosen)
    del chosen, cls, off, rand_ch
    # line within chapter: residual with 10% probability
    u = rng.random(N)
    res_pick = rng.random(N) < 0.10
    focus = op_line_seed[op] + np.floor(u ** 2.5 * hs["nr_cnt"][ch]).astype(np.int64)
    nr_line = hs["nr_mat"][ch, focus % hs["nr_cnt"][ch]]
    r_line = hs["r_mat"][ch, (op_line_seed[op] + np.floor(u ** 2.5 * hs["r_cnt"][ch]).astype(np.int64)) % hs["r_cnt"][ch]]
    del focus
    line_true = np.where(res_pick, r_line, nr_line)
    line_decl = line_true.copy()
    del r_line, res_pick

    # planted irregularities (imports only): operator-level first
    regime = h_regime[hidx]
    treat_factor = np.where(treated[op] & after, 1.0 - TREATMENT_REDUCTION, 1.0)
    p_u = np.where(R["undervaluation"][op] & imp, 0.60 * treat_factor, 0.0)
    p_m = np.where(R["misclassification"][op] & imp, (0.08 + 0.55 * tfrac) * treat_factor, 0.0)
    p_o = np.where(R["origin"][op] & imp, 0.50, 0.0)
    p_s = np.where(R["special_regime_abuse"][op] & imp, 0.05 + 0.35 * tfrac, 0.0)
    del treat_factor
    irr_u = rng.random(N) < p_u
    irr_m = rng.random(N) < p_m
    irr_o = rng.random(N) < p_o
    irr_s = rng.random(N) < p_s
    irr_x = imp & (rng.random(N) < OTHER_OFFENCE_RATE)  # undeclared goods / smuggling / counterfeit
    p_any = 1 - (1 - p_u) * (1 - p_m) * (1 - p_o) * (1 - p_s) * (1 - np.where(imp, OTHER_OFFENCE_RATE, 0))
    del p_u, p_m, p_o, p_s
    # undervaluation concentrated in valuation-sensitive lines of the operator's class
    k = np.flatnonzero(irr_u & (rng.random(N) < 0.75) & (ref["cls_val_cnt"][op_isic[op]] > 0))
    kc = op_isic[op[k]]
    line_true[k] = ref["cls_val_mat"][kc, np.floor(rng.random(len(k)) * ref["cls_val_cnt"][kc]).astype(np.int64)]
    line_decl[k] = line_true[k]
    # misclassification: true line is a regular line, declared as the chapter's low-duty residual line
    k = np.flatnonzero(irr_m)
    line_true[k] = nr_line[k]
    cm = hs["ch_idx"][line_true[k]]
    line_decl[k] = hs["low_resid"][cm]
    del nr_line, k, kc, cm

    # origin: mostly the supplier's country (one country per supplier), sometimes mixed consignments
    n_ctry = len(ref["country_codes"])
    cw_cum = np.cumsum(ref["country_w"])
    sup_country = np.minimum(np.searchsorted(cw_cum, rng.random(900_000)), len(cw_cum) - 1).astype(np.int16)
    origin = np.where(rng.random(N) < 0.85, sup_country[h_supplier[hidx] - 100_000],
                      np.minimum(np.searchsorted(cw_cum, rng.random(N)), len(cw_cum) - 1)).astype(np.int16)
    del sup_country
    hi = ref["high_idx"]
    origin = np.where(irr_o, hi[rng.integers(0, len(hi), N)], origin)
    home = int(np.flatnonzero(ref["country_codes"] == HOME_COUNTRY)[0])
    # exports: origin home, departure = destination
    dest = np.minimum(np.searchsorted(cw_cum, rng.random(N)), n_ctry - 1)
    hub_idx = np.array([int(np.flatnonzero(ref["country_codes"] == h)[0]) for h in HUBS])
    departure = np.where(rng.random(N) < 0.78, origin, hub_idx[rng.integers(0, len(hub_idx), N)])
    departure = np.where(imp, departure, dest).astype(np.int16)
    origin = np.where(imp, origin, home).astype(np.int16)
    del dest
    # exemption and tariff preference (claimed on most eligible lines)
    exempt = imp & ((irr_s) | ((regime == 0) & (rng.random(N) < 0.03)))
    exempt_code = rng.integers(0, len(EXEMPTION_CODES), N, dtype=np.int8)
    pref_share = np.full(n_ctry, np.nan)
    for c_, f_ in PREFERENCE.items():
        pref_share[ref["country_codes"] == c_] = f_
    pays = imp & (regime == 0) & ~exempt  # lines that pay duty at entry: where line-level schemes pay off
    pref = pays & ~np.isnan(pref_share[origin]) & (rng.random(N) < PREFERENCE_USE)
    pf = np.where(pref, pref_share[origin], 1.0).astype(np.float32)  # share of the general rate paid
    n_pays = int(pays.sum())

    # line-level patterns (duty-paying imports only), independent of the operator's own risk
    # busy importers join line-level schemes on a smaller share of their lines, so that no single
    # trader makes a pattern (the busiest 2% come down towards the 98th-percentile trader's rate)
    op_damp = np.clip(np.quantile(lines_exp, 0.98) / np.maximum(lines_exp, 1e-9), 0.25, 1.0)
    # (a) goods x route: (HS6, departure) combinations undervalued mostly by small importers
    n6 = len(hs["hs6_codes"])
    key = hs["hs6_idx"][line_decl].astype(np.int64) * n_ctry + departure
    # routes traded by many small importers (distinct importers, not lines, so one busy trader can't make one)
    small = pays & (size_exp[op] == 0)
    small_imps = np.bincount(np.unique(key[small] * M + op[small]) // M, minlength=n6 * n_ctry)
    cnt = np.bincount(key[pays], minlength=n6 * n_ctry)
    small_share = np.bincount(key[small], minlength=n6 * n_ctry) / np.maximum(cnt, 1)
    w_a = (small_imps * small_share).astype(float) ** 2
    via_hub = np.isin(np.arange(n6 * n_ctry) % n_ctry, hub_idx)  # a third of the routes are transshipments
    combos_a = np.sort(np.r_[
        _pick_combos(rng, cnt, n_pays, ROUTE_COMBOS // 3, 0.0005, 0.012, ~via_hub, weights=w_a),
        _pick_combos(rng, cnt, n_pays, ROUTE_COMBOS - ROUTE_COMBOS // 3, 0.0015, 0.012, via_hub, weights=w_a)])
    del small, small_imps, small_share, cnt, w_a, via_hub
    lut = np.full(n6 * n_ctry, -1, dtype=np.int16)
    lut[combos_a] = np.arange(len(combos_a))
    l_a = np.where(pays, lut[key], -1).astype(np.int16)  # combination index per line, -1 outside
    p_a = np.where(l_a >= 0, lp * np.array([ROUTE_P[0], ROUTE_P[1], ROUTE_P[2]])[size_exp[op]] * op_damp[op], 0.0)
    irr_a = rng.random(N) < p_a
    # (d) unit price: (tariff line, origin) combinations outside the routes' HS6, by compliant importers
    n_hs = len(hs["hs_code"])
    key = line_decl.astype(np.int64) * n_ctry + origin
    excl = np.isin(hs["hs6_idx"][np.arange(n_hs * n_ctry) // n_ctry], combos_a // n_ctry)
    cmp_ = pays & ~nc[op]
    imps = np.bincount(np.unique(key[cmp_] * M + op[cmp_]) // M, minlength=n_hs * n_ctry)
    combos_d = _pick_combos(rng, np.bincount(key[pays], minlength=n_hs * n_ctry), n_pays, PRICE_COMBOS,
                            0.001, 0.008, excl, weights=imps.astype(float) ** 2)
    del cmp_, imps
    lut = np.full(n_hs * n_ctry, -1, dtype=np.int16)
    lut[combos_d] = np.arange(len(combos_d))
    l_d = np.where(pays, lut[key], -1).astype(np.int16)
    del key, lut, excl
    p_d = np.where((l_d >= 0) & ~nc[op], lp * PRICE_P * op_damp[op], 0.0)
    irr_d = rng.random(N) < p_d
    # (c) broker scheme: every duty-paying line sent to a scheme broker, whoever the importer
    l_c = h_scheme[hidx] & pays
    p_c = np.where(l_c, lp * SCHEME_P * op_damp[op], 0.0)
    irr_c = rng.random(N) < p_c
    # (b) declared as the neighbouring lower-duty line; the more duty at stake, the likelier
    # outside the value combinations, so that those stay on their own codes; operator-level
    # misclassification takes precedence (p_b is not conditioned on it, so p_any stays exact)
    p_b = np.where(pays & (l_a < 0) & (l_d < 0), lp * _misclass_p(hs)[line_true], 0.0)
    irr_b = (rng.random(N) < p_b) & ~irr_m
    b_scope = (p_b > 0) & ~irr_m
    line_decl = np.where(irr_b, hs["neighbour"][line_true], line_decl).astype(line_true.dtype)
    p_any = 1 - (1 - p_any) * (1 - p_a) * (1 - p_b) * (1 - p_c) * (1 - p_d)
    del p_a, p_b, p_c, p_d
    undervalued = irr_u | irr_a | irr_c | irr_d
    misclassified = irr_m | irr_b
    irr = undervalued | misclassified | irr_o | irr_s | irr_x
    # which patterns made each line irregular (bit i = LINE_PATTERNS[i])
    pattern = np.zeros(N, dtype=np.int16)
    for i, f_ in enumerate((irr_u, irr_m, irr_o, irr_s, irr_x, irr_a, irr_b, irr_c, irr_d)):
        pattern |= f_.astype(np.int16) << i
    # declarations officers watch: lines in a scheme's visible scope (route, broker, price
    # combination, or declared under a code that misclassified goods go to)
    b_target = np.zeros(n_hs, dtype=bool)
    b_target[hs["neighbour"][_misclass_p(hs) > 0]] = line_patterns
    scheme_line = (l_a >= 0) | l_c | (l_d >= 0) | (pays & b_target[line_decl])
    del irr_a, irr_c, b_target

    # values (the declared unit value is the true one times the undervaluation factor)
    uv_true = hs["base_price"][line_true] * rng.lognormal(-0.06, 0.35, N) * (1.02 ** (l_month / 12.0))
    v_true_usd = op_line_mean[op] * rng.lognormal(-0.5, 1.0, N)
    qty = v_true_usd / uv_true
    uv_factor = np.where(irr_d, rng.uniform(0.25, 0.5, N), np.where(undervalued, rng.uniform(0.3, 0.6, N), 1.0))
    v_decl_usd = v_true_usd * uv_factor
    del uv_true, uv_factor, irr_d
    mass = np.where(hs["supplementary_unit"][line_decl] == "KG", qty,
                    qty * hs["kg_per_unit"][line_true] * rng.lognormal(0, 0.15, N))
    cur = h_cur[hidx]
    fx = ref["rates"][cur, l_month]
    lcu = ref["rates"][-1, l_month]
    customs_value = np.round(v_decl_usd / fx, 2)
    customs_value = np.maximum(customs_value, 0.01)
    v_lcu = customs_value * fx / lcu
    del fx
    # taxes (imports only); suspensive regimes and exemptions pay no duty at entry
    d_rate = np.where(pays, np.round(hs["duty_rate"][line_decl] * pf, 4), 0.0)
    e_rate = np.where(imp & (regime == 0), hs["excise_rate"][line_decl], 0.0)
    vrate = np.where(imp & (regime == 0), hs["vat_rate"][line_decl], 0.0)
    duty = np.round(v_lcu * d_rate, 2)
    excise = np.round(v_lcu * e_rate, 2)
    vat = np.round((v_lcu + duty + excise) * vrate, 2)
    duty = np.where(imp, duty, 0.0); excise = np.where(imp, excise, 0.0); vat = np.where(imp, vat, 0.0)
    del e_rate, vrate
    # duty treatment as coded: 0 general 1 preferential 2 exempt 3 suspended 4 export; a few not recorded
    tax_code = np.where(~imp, 4, np.where(exempt, 2, np.where(regime != 0, 3, np.where(pref, 1, 0)))).astype(np.int8)
    rate_null = imp & (rng.random(N) < 0.005)
    # true taxes and evaded amount (only for irregular lines); legitimate reliefs stay
    v_lcu_true = v_true_usd / lcu
    t_home = imp & (regime == 0) | irr_s
    td = np.where(t_home & ~(exempt & ~irr_s), hs["duty_rate"][line_true] * pf, 0.0) * v_lcu_true
    te = np.where(t_home, hs["excise_rate"][line_true], 0.0) * v_lcu_true
    tv = np.where(t_home, hs["vat_rate"][line_true], 0.0) * (v_lcu_true + td + te)
    evaded = np.where(irr, np.maximum(td + te + tv - duty - excise - vat, 0.0), 0.0)
    evaded = evaded + np.where(irr_o, 0.10 * v_lcu_true, 0.0)
    evaded = evaded + np.where(irr_x & ~(undervalued | misclassified | irr_o | irr_s), 0.20 * v_lcu_true, 0.0)
    del td, te, tv, v_lcu_true, t_home, pf, lcu
    prog.step("declaration lines", f"{N:,} lines")

    # ------------------------------------------------------------------ selection for examination
    # The rule channel (operator propensities) was drawn with the headers. Selection bias as in
    # real life: rules already know half the risky routes, officers' own picks lean towards
    # declarations in the schemes' visible scope, and only the random stream is blind. Selection
    # depends on what is declared, never on the hidden outcome, so p_any stays the expectation.
    h_imp = ~h_exp
    known = np.zeros(D, dtype=bool)
    if len(combos_a):
        known[hidx[(l_a >= 0) & (l_a < (len(combos_a) + 1) // 2)]] = True
    h_channel = np.where(known & (h_channel == 2) & (rng.random(D) < RULE_KNOWN_UPGRADE), 1, h_channel)
    tip = np.zeros(D, dtype=bool)
    tip[hidx[scheme_line]] = True
    officer = h_imp & (h_channel == 2) & (rng.random(D) < OFFICER_BASE * np.where(tip, OFFICER_TIP, 1.0))
    off_channel = np.where(rng.random(D) < 0.5, 0, 1)
    h_random = h_imp & (rng.random(D) < random_inspection_rate)  # physical examination, like red
    h_sel = np.where(h_random, 0, np.where(h_channel <= 1, 1, np.where(officer, 2, 3))).astype(np.int8)
    h_channel = np.where(h_random, 0, np.where(officer, off_channel, h_channel)).astype(np.int8)
    del known, tip, officer, off_channel, scheme_line
    ch_mult = np.array([RELEASE_CH["red"], RELEASE_CH["yellow"], RELEASE_CH["green"]])
    mode_base = np.array([RELEASE_BASE[m] for m in TRANSPORT])
    h_release = np.round(mode_base[h_mode] * ch_mult[h_channel] * (1 - 0.15 * h_tfrac.astype(np.float64))
                         * rng.lognormal(-0.08, 0.4, D), 1)

    # ------------------------------------------------------------------ controls (examinations)
    l_channel = h_channel[hidx]
    examined = l_channel <= 1
    ex = np.flatnonzero(examined)
    n_ex = len(ex)
    sel_ex = h_sel[hidx[ex]]
    det_p = np.where(l_channel[ex] == 0, DETECT["red"], DETECT["yellow"])
    u = rng.random(n_ex)
    found = np.where(irr[ex], u < det_p, u < FALSE_POSITIVE)
    # offence type: priority valuation > misclassification > origin > special regime > other
    off_t = np.full(n_ex, -1, dtype=np.int64)
    other = np.array([OFFENCES.index(o) for o in ["undeclared_goods", "smuggling", "counterfeit"]])
    fp_types = np.array([OFFENCES.index(o) for o in ["valuation", "misclassification", "origin", "undeclared_goods"]])
    off_t = np.where(irr_x[ex], other[rng.choice(3, n_ex, p=[0.6, 0.2, 0.2])], off_t)
    for rname in ["special_regime_abuse", "origin", "misclassification", "undervaluation"]:
        flag = {"undervaluation": undervalued, "misclassification": misclassified, "origin": irr_o,
                "special_regime_abuse": irr_s}[rname][ex]
        off_t = np.where(flag, OFFENCES.index(OFFENCE_OF[rname]), off_t)
    off_t = np.where(~irr[ex], fp_types[rng.integers(0, len(fp_types), n_ex)], off_t)
    off_t = np.where(found, off_t, -1)
    amt = np.where(irr[ex], evaded[ex], v_lcu[ex] * rng.uniform(0.02, 0.10, n_ex))
    amt = np.round(np.where(found, amt, 0.0), 2)
    big = amt > np.quantile(amt[found], 0.85) if found.any() else np.zeros(n_ex, dtype=bool)
    p_ser = np.where((off_t == OFFENCES.index("valuation")) & big, 0.70,
                     np.where(np.isin(off_t, [OFFENCES.index("smuggling"), OFFENCES.index("counterfeit")]), 0.8, 0.24))
    serious = rng.random(n_ex) < p_ser
    collected = np.round(amt * rng.uniform(0.5, 1.0, n_ex), 2)
    ex_date = h_date[hidx[ex]] + np.where(l_channel[ex] == 0, rng.integers(1, 11, n_ex), rng.integers(0, 5, n_ex))
    # PCAs: ~3% of operators per year, partly targeted
    years = sorted({int(str(np.datetime64(int(d), "D"))[:4]) for d in ms})
    imp_lcu_op_year = {}
    l_year = (np.datetime64("1970", "Y") + (h_date[hidx].astype("datetime64[D]").astype("datetime64[Y]")
              - np.datetime64("1970", "Y"))).astype(int) + 1970
    pca_rows = {k: [] for k in ["op", "date", "scope", "outcome", "off", "ser", "amt", "col", "sel"]}
    size_val_usd = np.bincount(op, weights=v_decl_usd, minlength=M)
    size_hint = np.where(size_val_usd >= LARGE_USD, 2, np.where(size_val_usd >= MEDIUM_USD, 1, 0))
    for y in years:
        sel_y = l_year == y
        imp_y = np.bincount(op[sel_y & imp], weights=v_lcu[sel_y & imp], minlength=M)
        imp_lcu_op_year[y] = imp_y
        k_y = max(1, round(0.03 * M))
        w = (0.3 + 1.2 * customs_nc + 0.3 * (size_hint == 2) + 0.1 * (size_hint == 1)) * (imp_y > 0)
        if w.sum() == 0:
            continue
        k_y = min(k_y, int((w > 0).sum()))
        sel = np.sort(rng.choice(M, k_y, replace=False, p=w / w.sum()))
        y_lo = max(_day(date(y, 1, 1)), int(ms[0]))
        y_hi = min(_day(date(y, 12, 31)), int(month_bounds[-1]) - 1)
        d_ = rng.integers(y_lo, y_hi + 1, k_y)
        p_irr = np.where(customs_nc[sel], 0.70, 0.05)
        oc = rng.random(k_y) < p_irr
        # offence: operator's first customs risk type, else random
        first = np.full(k_y, -1)
        for rname in reversed(CUSTOMS_RISKS):
            first = np.where(R[rname][sel], OFFENCES.index(OFFENCE_OF[rname]), first)
        rnd_off = np.array([OFFENCES.index(o) for o in ["valuation", "misclassification", "origin",
                                                         "undeclared_goods", "special_regime_abuse"]])
        first = np.where(first < 0, rnd_off[rng.integers(0, len(rnd_off), k_y)], first)
        a = np.round(np.where(oc, imp_y[sel] * rng.uniform(0.01, 0.06, k_y), 0.0), 2)
        pca_rows["op"].append(sel); pca_rows["date"].append(d_)
        pca_rows["scope"].append(size_hint[sel]); pca_rows["outcome"].append(oc)
        pca_rows["off"].append(np.where(oc, first, -1))
        pca_rows["ser"].append(rng.random(k_y) < np.where(customs_nc[sel], 0.5, 0.2))
        pca_rows["amt"].append(a); pca_rows["col"].append(np.round(a * rng.uniform(0.5, 1.0, k_y), 2))
        pca_rows["sel"].append(np.where(rng.random(k_y) < PCA_OFFICER_SHARE, 2, 1))  # no random audits
    P = {k: (np.concatenate(v) if v else np.zeros(0)) for k, v in pca_rows.items()}
    n_pca = len(P["op"])
    # assemble control_results
    n_ctrl = n_ex + n_pca
    scope_names = np.array(["desk", "narrowed", "comprehensive"])
    c_type = _take(["examination", "pca"], np.r_[np.zeros(n_ex, np.int64), np.ones(n_pca, np.int64)])
    c_scope = pa.concat_arrays([pa.nulls(n_ex, pa.string()),
                                _take(list(scope_names), P["scope"].astype(np.int64))]) if n_pca else pa.nulls(n_ex, pa.string())
    c_op = np.r_[op[ex], P["op"].astype(np.int64)]
    c_date = np.r_[ex_date, P["date"].astype(np.int64)]
    c_found = np.r_[found, P["outcome"].astype(bool)]
    c_off = np.r_[off_t, P["off"].astype(np.int64)]
    c_ser = np.r_[serious, P["ser"].astype(bool)]
    c_amt = np.r_[amt, P["amt"].astype(float)]
    c_col = np.r_[collected, P["col"].astype(float)]
    c_sel = np.r_[sel_ex.astype(np.int64), P["sel"].astype(np.int64)]
    # order by control date (stable), ids sequential in that order
    c_ord = np.argsort(c_date, kind="stable")
    c_src_ex = np.r_[ex, np.full(n_pca, -1)][c_ord]
    c_type = c_type.take(pa.array(c_ord)); c_scope = c_scope.take(pa.array(c_ord))
    c_op, c_date, c_found, c_off, c_ser, c_amt, c_col, c_sel = (
        x[c_ord] for x in (c_op, c_date, c_found, c_off, c_ser, c_amt, c_col, c_sel))
    ctrl_cols = {
        "control_id": _ids("C", np.arange(1, n_ctrl + 1), 9),
        "control_type": c_type,
        "audit_scope": c_scope,
        "_decl_src": c_src_ex,
        "tin": tins.take(pa.array(c_op)),
        "control_date": _dates(c_date),
        "outcome": _take(["compliant", "irregularity"], c_found.astype(np.int64)),
        "offence_type": pa.array(np.array(OFFENCES, dtype=object)[np.maximum(c_off, 0)], type=pa.string(),
                                 mask=~c_found),
        "seriousness": pa.array(np.where(c_ser, "serious", "minor").astype(object), type=pa.string(), mask=~c_found),
        "amount_reassessed": pa.array(c_amt),
        "amount_collected": pa.array(c_col),
        "selection_method": _take(SELECTION, c_sel),
    }
    prog.step("controls", f"{n_ctrl:,} controls")

    # treatment effect (DiD of observed irregularity rate among examined lines)
    grp = np.where(treated[op[ex]], 0, np.where(comparison[op[ex]], 1, -1))
    aft = after[ex]
    exp_found = p_any[ex] * det_p + (1 - p_any[ex]) * FALSE_POSITIVE
    cells = {}
    for g, gname in [(0, "treated"), (1, "comparison")]:
        for a_, aname in [(False, "before"), (True, "after")]:
            m = (grp == g) & (aft == a_)
            n_m = int(m.sum())
            cells[f"{gname}_{aname}"] = {
                "examined_lines": n_m,
                "observed_rate": float(found[m].mean()) if n_m else None,
                "expected_rate": float(exp_found[m].mean()) if n_m else None,
                "operators": int(len(np.unique(op[ex][m]))) if n_m else 0,
            }
    def _did(key):
        try:
            return ((cells["treated_after"][key] - cells["treated_before"][key])
                    - (cells["comparison_after"][key] - cells["comparison_before"][key]))
        except TypeError:
            return None
    # operator-period version (mean of per-operator rates)
    def _op_period_did():
        key = (op[ex].astype(np.int64) * 2 + aft.astype(np.int64))
        m = grp >= 0
        if not m.any():
            return None
        uk, inv = np.unique(key[m], return_inverse=True)
        rate = np.bincount(inv, weights=found[m]) / np.bincount(inv)
        ok, oa = uk // 2, uk % 2
        vals = {}
        for g, gname in [(0, "treated"), (1, "comparison")]:
            for a_ in (0, 1):
                s = (np.where(treated[ok], 0, 1) == g) & (oa == a_)
                vals[(gname, a_)] = float(rate[s].mean()) if s.any() else float("nan")
        r = (vals[("treated", 1)] - vals[("treated", 0)]) - (vals[("comparison", 1)] - vals[("comparison", 0)])
        return None if math.isnan(r) else r
    treatment_truth = {
        "treatment_code": TREATMENT_CODE, "start_date": str(treat_date),
        "planted_relative_reduction": TREATMENT_REDUCTION,
        "treated_operators": int(treated.sum()), "comparison_operators": int(comparison.sum()),
        "cells": cells,
        "expected_did_observed_rate": _did("expected_rate"),
        "empirical_did_observed_rate": _did("observed_rate"),
        "empirical_did_operator_period_mean": _op_period_did(),
        "definition": "share of examined lines with an irregularity found; (treated after - before) - (comparison after - before); pooled over lines",
    }
    del grp, aft, exp_found, det_p

    # ------------------------------------------------------------------ tax side
    registered = rng.random(M) < 0.95
    n_tp = int(registered.sum()) + n_extra_tp
    tp_ops = np.flatnonzero(registered)
    tp_tin_idx = np.r_[tp_ops, np.arange(M, M + n_extra_tp)]
    tp_isic = np.r_[op_isic[tp_ops], rng.integers(0, n_cls, n_extra_tp)]
    st = rng.random(n_tp)
    is_nf = np.r_[R["non_filer"][tp_ops], np.zeros(n_extra_tp, bool)]
    tp_status = np.where(st < np.where(is_nf, 0.75, 0.93), 0, np.where(st < np.where(is_nf, 0.92, 0.98), 1, 2))
    reg_date = rng.integers(_day(date(1995, 1, 1)), int(ms[0]) - 30, n_tp)
    tp_order = np.argsort(tin_nums[tp_tin_idx], kind="stable")
    taxpayers = {
        "tin": tins_all.take(pa.array(tp_tin_idx[tp_order])),
        "isic_code": pa.array(np.array(ref["isic_codes"], dtype=object)[tp_isic[tp_order]], type=pa.string(),
                              mask=(rng.random(n_tp) < 0.01)),
        "status": _take(["active", "inactive", "deregistered"], tp_status[tp_order]),
        "registration_date": _dates(reg_date[tp_order]),
    }
    # monthly returns for registered trading operators
    # late corrections (version 2) are drawn here so the returns match the corrected customs values
    n_v2 = int(round(0.003 * N))
    v2_lines = np.sort(rng.choice(N, n_v2, replace=False)) if n_v2 else np.zeros(0, np.int64)
    v2_factor = rng.uniform(1.05, 1.6, n_v2)
    line_fac = np.ones(N)
    line_fac[v2_lines] = v2_factor
    key = op.astype(np.int64) * T + l_month
    agg = lambda w: np.bincount(key, weights=w * line_fac, minlength=M * T).reshape(M, T)
    vat_m = agg(np.where(imp, vat, 0.0))
    cif_m = agg(np.where(imp, v_lcu, 0.0))
    fob_m = agg(np.where(imp, 0.0, v_lcu))
    exc_m = agg(excise)
    del key, line_fac
    rt_ops = tp_ops[np.argsort(tin_nums[tp_ops], kind="stable")]
    nR = len(rt_ops) * T
    r_op = np.repeat(rt_ops, T)
    r_m = np.tile(np.arange(T), len(rt_ops))
    nf_rate = np.where(R["non_filer"], rng.uniform(0.4, 0.8, M), 0.02)
    filed = rng.random(nR) >= nf_rate[r_op]
    tm = R["tax_mismatch"][r_op]
    noise3 = lambda: 1.0 + rng.uniform(-0.03, 0.03, nR)
    vat_claim = vat_m[r_op, r_m] * np.where(tm, rng.uniform(1.3, 2.0, nR), noise3())
    sign = np.where(rng.random(nR) < 0.5, -1.0, 1.0)
    imp_decl = cif_m[r_op, r_m] * np.where(tm, 1.0 + sign * rng.uniform(0.26, 0.6, nR), noise3())
    exp_decl = fob_m[r_op, r_m] * noise3()
    exc_decl = exc_m[r_op, r_m] * np.where(tm, np.where(sign > 0, rng.uniform(0.3, 0.6, nR), rng.uniform(1.4, 1.8, nR)), noise3())
    nf_mask = ~filed
    tax_returns = {
        "tin": tins.take(pa.array(r_op)),
        "period_start": _dates(ms[r_m]),
        "filed": pa.array(filed),
        "vat_on_imports_claimed": pa.array(np.round(vat_claim, 2), mask=nf_mask),
        "imports_declared": pa.array(np.round(imp_decl, 2), mask=nf_mask),
        "exports_declared": pa.array(np.round(exp_decl, 2), mask=nf_mask),
        "excise_declared": pa.array(np.round(exc_decl, 2), mask=nf_mask),
    }
    # tax audits: ~4% of operators a year, more for tax-risk types
    tax_nc = R["tax_mismatch"] | R["non_filer"] | R["transfer_pricing"]
    a_ops, a_dates, a_irr, a_tp, a_amt = [], [], [], [], []
    for y in years:
        k_y = max(1, round(0.04 * M))
        w = 1.0 + 5.0 * tax_nc + 4.0 * R["transfer_pricing"] + 0.5 * (size_hint == 2)
        sel = np.sort(rng.choice(M, k_y, replace=False, p=w / w.sum()))
        y_lo = max(_day(date(y, 1, 1)), int(ms[0]))
        y_hi = min(_day(date(y, 12, 31)), int(month_bounds[-1]) - 1)
        a_ops.append(sel); a_dates.append(rng.integers(y_lo, y_hi + 1, k_y))
        irr_a = rng.random(k_y) < np.where(tax_nc[sel], 0.75, np.where(nc[sel], 0.3, 0.10))
        tpadj = irr_a & (rng.random(k_y) < np.where(R["transfer_pricing"][sel], 0.85, 0.02))
        irr_a |= tpadj
        a_irr.append(irr_a); a_tp.append(tpadj)
        yearly = imp_lcu_op_year.get(y, np.zeros(M))[sel] + 1e5
        a_amt.append(np.round(np.where(irr_a, yearly * rng.uniform(0.005, 0.05, k_y) * np.where(tpadj, 3.0, 1.0), 0.0), 2))
    a_ops = np.concatenate(a_ops); a_dates = np.concatenate(a_dates)
    ao = np.argsort(a_dates, kind="stable")
    tax_audits = {
        "audit_id": _ids("A", np.arange(1, len(ao) + 1), 8),
        "tin": tins.take(pa.array(a_ops[ao])),
        "audit_date": _dates(a_dates[ao]),
        "irregularity_found": pa.array(np.concatenate(a_irr)[ao]),
        "transfer_pricing_adjustment": pa.array(np.concatenate(a_tp)[ao]),
        "amount_assessed": pa.array(np.concatenate(a_amt)[ao]),
    }
    del vat_m, cif_m, fob_m, exc_m, vat_claim, imp_decl, exp_decl, exc_decl
    prog.step("tax")

    # ------------------------------------------------------------------ other customs + reference tables
    n_ar_ops = max(1, round(0.02 * M))
    w = np.where(size_hint == 2, 20.0, np.where(size_hint == 1, 3.0, 0.3))
    ar_ops = np.sort(rng.choice(M, n_ar_ops, replace=False, p=w / w.sum()))
    n_per = rng.integers(1, 6, n_ar_ops)
    ar_op = np.repeat(ar_ops, n_per)
    n_ar = len(ar_op)
    ar_date = np.sort(rng.integers(int(ms[0]) - 365, int(month_bounds[-1]), n_ar))
    ar_type = rng.choice(3, n_ar, p=[0.65, 0.2, 0.15])
    ar_hs = hs["nr_mat"][ref["cls_mat"][op_isic[ar_op], 0], 0]
    advance_rulings = {
        "ruling_id": _ids("R", np.arange(1, n_ar + 1), 8),
        "tin": tins.take(pa.array(ar_op)),
        "ruling_date": _dates(ar_date),
        "ruling_type": _take(["classification", "origin", "valuation"], ar_type),
        "hs_code": pa.array(hs["hs_code"][ar_hs].astype(object), type=pa.string(), mask=(ar_type == 1)),
    }
    tr_ops = np.flatnonzero(treated)
    tr_ops = tr_ops[np.argsort(tin_nums[tr_ops], kind="stable")]
    treatments_applied = {
        "treatment_code": pa.array([TREATMENT_CODE] * len(tr_ops), type=pa.string()),
        "tin": tins.take(pa.array(tr_ops, type=pa.int64())),
        "start_date": _dates(np.full(len(tr_ops), treat_day)),
    }
    q_ends = month_bounds[np.arange(3, T + 1, 3)] - 1
    nq, nqs = len(q_ends), len(SURVEY_QUESTIONS)
    base_score = rng.uniform(2.8, 3.4, nqs)
    trader_survey = {
        "survey_date": _dates(np.repeat(q_ends, nqs)),
        "question_code": pa.array(SURVEY_QUESTIONS * nq, type=pa.string()),
        "respondents": pa.array(rng.integers(80, 320, nq * nqs).astype(np.int32)),
        "mean_score": pa.array(np.round(np.clip(np.tile(base_score, nq) + 0.04 * np.repeat(np.arange(nq), nqs)
                                                + rng.normal(0, 0.05, nq * nqs), 1, 5), 2)),
    }
    hs_tbl = {
        "hs_code": pa.array(hs["hs_code"].astype(object), type=pa.string()),
        "description": pa.array(hs["description"], type=pa.string()),
        "is_residual": pa.array(hs["is_residual"]),
        "duty_rate": pa.array(hs["duty_rate"].astype(float)),
        "vat_rate": pa.array(hs["vat_rate"].astype(float)),
        "excise_rate": pa.array(hs["excise_rate"].astype(float)),
        "is_restricted": pa.array(hs["is_restricted"]),
        "supplementary_unit": pa.array(hs["supplementary_unit"].astype(object), type=pa.string()),
    }
    country_tbl = {
        "country_code": pa.array(list(ref["country_codes"]), type=pa.string()),
        "country_name": pa.array(ref["country_names"], type=pa.string()),
        "risk_rating": pa.array(list(ref["country_risk"]), type=pa.string()),
    }
    sens_tbl = {"hs_prefix": pa.array(ref["sens"]["hs_prefix"], type=pa.string()),
                "reason": pa.array(ref["sens"]["reason"], type=pa.string())}
    nc_cur = len(ref["cur_codes"])
    fx_tbl = {
        "currency": pa.array(np.repeat(np.array(ref["cur_codes"], dtype=object), T).tolist(), type=pa.string()),
        "month_start": _dates(np.tile(ms, nc_cur)),
        "usd_per_unit": pa.array(ref["rates"].reshape(-1)),
    }
    conc_i, conc_c = [], []
    for k_, chs in ISIC.items():
        for c_ in chs:
            conc_i.append(k_); conc_c.append(c_)
    conc_tbl = {"isic_code": pa.array(conc_i, type=pa.string()), "hs_chapter": pa.array(conc_c, type=pa.string())}
    prog.step("other tables")

    # ------------------------------------------------------------------ assemble declarations
    # row space: version-1 lines in order, each corrected line followed by its version 2
    src = np.sort(np.r_[np.arange(N), v2_lines], kind="stable")
    is_v2 = np.r_[False, src[1:] == src[:-1]]
    fac = np.ones(len(src))
    fac[is_v2] = v2_factor  # v2 rows come in ascending line order, like v2_lines
    n_rows = len(src)
    # ids: 'D' + YY + 8-digit sequence per year
    h_year = (h_date.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970)
    first_of_year = np.r_[True, h_year[1:] != h_year[:-1]]
    grp_start = np.maximum.accumulate(np.where(first_of_year, np.arange(D), 0))
    decl_num = (h_year % 100) * 100_000_000 + (np.arange(D) - grp_start + 1)
    del h_year, first_of_year, grp_start
    decl_ids_h = _ids("D", decl_num, 10)
    # map examined lines -> declaration id / item no for control results
    ctrl_decl = ctrl_cols.pop("_decl_src")
    ex_mask_c = ctrl_decl < 0
    ctrl_cols_final = {
        "control_id": ctrl_cols["control_id"], "control_type": ctrl_cols["control_type"],
        "audit_scope": ctrl_cols["audit_scope"],
        "declaration_id": decl_ids_h.take(pa.array(np.where(ex_mask_c, 0, hidx[np.maximum(ctrl_decl, 0)]), mask=ex_mask_c)),
        "item_no": pa.array(np.where(ex_mask_c, 0, item_no[np.maximum(ctrl_decl, 0)]).astype(np.int32), mask=ex_mask_c),
        "tin": ctrl_cols["tin"], "control_date": ctrl_cols["control_date"], "outcome": ctrl_cols["outcome"],
        "offence_type": ctrl_cols["offence_type"], "seriousness": ctrl_cols["seriousness"],
        "amount_reassessed": ctrl_cols["amount_reassessed"], "amount_collected": ctrl_cols["amount_collected"],
        "selection_method": ctrl_cols["selection_method"],
    }
    del ctrl_cols, ctrl_decl, ex_mask_c

    # ------------------------------------------------------------------ corruption plan
    corruption = {"declarations": {}, "control_results": {}, "taxpayers": {}}
    corr_keys: list[pa.Table] = []
    cplan = None
    if corrupt_rate > 0:
        cplan, corruption["declarations"], keys_d = _plan_decl_corruption(
            rng, is_v2, corrupt_rate, decl_ids_h, hidx, src, item_no)
        ctrl_cols_final, corruption["control_results"], keys_c = _corrupt_simple(
            rng, ctrl_cols_final, corrupt_rate, "control_results", "control_id", "control_date",
            {"null_tin": None, "malformed_tin": "T12", "unparseable_date": "2024-13-45", "unknown_outcome": "maybe"})
        taxpayers, corruption["taxpayers"], keys_t = _corrupt_simple(
            rng, taxpayers, corrupt_rate, "taxpayers", "tin", None,
            {"null_tin": None, "malformed_tin": "T12", "unknown_status": "suspended"})
        corr_keys = [keys_d, keys_c, keys_t]

    # ------------------------------------------------------------------ write
    tables = {
        "control_results": ctrl_cols_final,
        "advance_rulings": advance_rulings, "treatments_applied": treatments_applied,
        "trader_survey": trader_survey, "taxpayers": taxpayers,
        "tax_returns": tax_returns, "tax_audits": tax_audits,
        "hs_nomenclature": hs_tbl, "country_risk": country_tbl,
        "sensitive_goods": sens_tbl, "exchange_rates": fx_tbl,
        "isic_hs_concordance": conc_tbl,
    }
    del ctrl_cols_final, advance_rulings, treatments_applied, trader_survey, taxpayers, tax_returns, tax_audits
    counts = {"declarations": 0}
    for name in list(tables):
        t = pa.table(tables.pop(name))
        counts[name] = t.num_rows
        _write(t, out_dir, name, fmt)
        del t

    # declarations: built and written in fixed chunks of rows (bounded memory, same bytes every run)
    hs_codes_arr = pa.array(list(hs["hs_code"]), type=pa.string())
    unit_arr = pa.array(list(hs["supplementary_unit"]), type=pa.string())
    ctry_arr = pa.array(list(ref["country_codes"]), type=pa.string())
    b_str = _ids("B", all_brok_ids, 5)
    ex_codes = pa.array(EXEMPTION_CODES, type=pa.string())
    tax_types = pa.array(TAX_TYPES, type=pa.string())
    date_type = pa.string() if cplan is not None else pa.date32()
    schema = pa.schema([
        ("declaration_id", pa.string()), ("item_no", pa.int32()), ("version", pa.int32()),
        ("declaration_date", date_type), ("flow", pa.string()), ("regime", pa.string()),
        ("office_code", pa.string()), ("tin", pa.string()), ("declarant_id", pa.string()),
        ("supplier_id", pa.string()), ("hs_code", pa.string()), ("origin_country", pa.string()),
        ("departure_country", pa.string()), ("transport_mode", pa.string()), ("currency", pa.string()),
        ("customs_value", pa.float64()), ("net_mass_kg", pa.float64()), ("quantity", pa.float64()),
        ("quantity_unit", pa.string()), ("duty_paid", pa.float64()), ("vat_paid", pa.float64()),
        ("excise_paid", pa.float64()), ("duty_rate", pa.float64()), ("tax_type", pa.string()),
        ("exemption_code", pa.string()), ("channel", pa.string()),
        ("release_hours", pa.float64()), ("is_aeo", pa.bool_()), ("has_e_value_declaration", pa.bool_()),
        ("manifest_filed_in_advance", pa.bool_()),
    ])

    def build_chunk(a: int, b: int) -> pa.Table:
        s = src[a:b]
        f = fac[a:b]
        hs_ = hidx[s]
        imp_r = imp[s]
        mode_l = h_mode[hs_]
        ld = line_decl[s]
        cols = {
            "declaration_id": decl_ids_h.take(pa.array(hs_)),
            "item_no": pa.array(item_no[s]),
            "version": pa.array(np.where(is_v2[a:b], 2, 1).astype(np.int32)),
            "declaration_date": _dates(h_date[hs_]),
            "flow": _take(["I", "E"], (~imp_r).astype(np.int64)),
            "regime": _take(IMPORT_REGIMES + ["10"], h_regime[hs_]),
            "office_code": _take(all_offices, h_office[hs_]),
            "tin": tins.take(pa.array(op[s])),
            "declarant_id": b_str.take(pa.array(np.searchsorted(all_brok_ids, h_broker[hs_]), mask=h_broker_null[hs_])),
            "supplier_id": _ids("S", h_supplier[hs_], 6),
            "hs_code": hs_codes_arr.take(pa.array(ld)),
            "origin_country": ctry_arr.take(pa.array(origin[s])),
            "departure_country": ctry_arr.take(pa.array(departure[s])),
            "transport_mode": _take(TRANSPORT, mode_l),
            "currency": _take(ref["cur_codes"], cur[s]),
            "customs_value": pa.array(np.round(customs_value[s] * f, 2)),
            "net_mass_kg": pa.array(np.round(mass[s], 3)),
            "quantity": pa.array(np.round(qty[s], 3)),
            "quantity_unit": unit_arr.take(pa.array(ld)),
            "duty_paid": pa.array(np.round(duty[s] * f, 2)),
            "vat_paid": pa.array(np.round(vat[s] * f, 2)),
            "excise_paid": pa.array(np.round(excise[s] * f, 2)),
            "duty_rate": pa.array(d_rate[s], mask=rate_null[s]),
            "tax_type": tax_types.take(pa.array(tax_code[s].astype(np.int64), mask=rate_null[s])),
            "exemption_code": ex_codes.take(pa.array(exempt_code[s], mask=~exempt[s])),
            "channel": _take(["red", "yellow", "green"], l_channel[s]),
            "release_hours": pa.array(h_release[hs_]),
            "is_aeo": pa.array(h_aeo[hs_]),
            "has_e_value_declaration": pa.array(h_evd[hs_], mask=~imp_r),
            "manifest_filed_in_advance": pa.array(h_man[hs_], mask=mode_l != 0),
        }
        if cplan is not None:
            cols["declaration_date"] = pc.cast(cols["declaration_date"], pa.string())
            cols = _apply_decl_corruption(cols, cplan, a, b)
        return pa.Table.from_arrays([cols[f_.name] for f_ in schema], schema=schema)

    counts["declarations"] = _write_chunked(out_dir / f"declarations.{fmt}", schema, fmt, n_rows, build_chunk)
    prog.step("write", f"{counts['declarations']:,} declaration rows")
    del fac, is_v2

    # ------------------------------------------------------------------ truth
    risk_str = _risk_strings(risk)
    size_names = np.array(["small", "medium", "large"], dtype=object)
    ops_truth = pa.table({
        "tin": tins,
        "size_hint": pa.array(size_names[size_hint], type=pa.string()),
        "value_usd": pa.array(np.round(size_val_usd, 2)),
        "risk_types": pa.array(risk_str, type=pa.string(), mask=~nc),
        "is_noncompliant": pa.array(nc),
        "treatment_group": pa.array(np.where(treated, "treated", "comparison").astype(object), type=pa.string(),
                                    mask=~(treated | comparison)),
        "isic_code": pa.array(np.array(ref["isic_codes"], dtype=object)[op_isic], type=pa.string()),
        "isic_inconsistent": pa.array(isic_off),
        "is_aeo": pa.array(is_aeo_any),
        "registered": pa.array(registered),
        "lines": pa.array(np.bincount(op, minlength=M).astype(np.int64)),
        "irregular_lines": pa.array(np.bincount(op, weights=irr, minlength=M).astype(np.int64)),
    }).take(pa.array(np.argsort(tin_nums[:M], kind="stable")))
    pq.write_table(ops_truth, out_dir / "_truth" / "operators.parquet")
    rt_code = np.where(undervalued, 1, np.where(misclassified, 2, np.where(irr_o, 3, np.where(
        irr_s, 4, np.where(irr_x, 5, 0))))).astype(np.int8)
    rt_names = pa.array([None] + CUSTOMS_RISKS + ["other_offence"], type=pa.string())
    pat_names = pa.array([None] + ["|".join(LINE_PATTERNS[j] for j in range(len(LINE_PATTERNS)) if c >> j & 1)
                                   for c in range(1, 1 << len(LINE_PATTERNS))], type=pa.string())
    lt_schema = pa.schema([("declaration_id", pa.string()), ("item_no", pa.int32()), ("is_irregular", pa.bool_()),
                           ("risk_type", pa.string()), ("pattern", pa.string()), ("true_hs_code", pa.string()),
                           ("evaded_lcu", pa.float64())])

    def lt_chunk(a: int, b: int) -> pa.Table:
        return pa.Table.from_arrays([
            decl_ids_h.take(pa.array(hidx[a:b])), pa.array(item_no[a:b]), pa.array(irr[a:b]),
            rt_names.take(pa.array(rt_code[a:b])), pat_names.take(pa.array(pattern[a:b].astype(np.int64))),
            hs_codes_arr.take(pa.array(line_true[a:b])), pa.array(np.round(evaded[a:b], 2))], schema=lt_schema)

    _write_chunked(out_dir / "_truth" / "declaration_lines_truth.parquet", lt_schema, "parquet", N, lt_chunk)
    del rt_code
    line_truth = _line_pattern_truth(
        out_dir, ref, brok_ids=all_brok_ids, scheme_ids=scheme_ids, combos_a=combos_a, combos_d=combos_d,
        n_ctry=n_ctry, l_a=l_a, l_d=l_d, l_c=l_c, h_broker=h_broker, hidx=hidx, op=op, pattern=pattern,
        irr=irr, imp=imp, pays=pays, line_true=line_true, line_decl=line_decl, b_scope=b_scope, ex=ex, found=found, sel_ex=sel_ex,
        size_exp=size_exp, nc=nc, op_damp=op_damp, lp=lp)
    if corr_keys:
        pq.write_table(pa.concat_tables(corr_keys), out_dir / "_truth" / "corruptions.parquet")

    # complicit broker shares (realised)
    compl_ids = set(brok_ids[compl].tolist())
    l_compl = np.isin(h_broker, brok_ids[compl]) & ~h_broker_null
    l_compl = l_compl[hidx]
    planted = {}
    for i, rname in enumerate(RISK_TYPES):
        planted[rname] = {"operators": int(risk[:, i].sum()), "share_of_operators": float(risk[:, i].mean())}
    untreated = ~(treated[op] & after)
    planted["undervaluation"]["import_line_irregular_share"] = _safe_mean(irr_u[R["undervaluation"][op] & imp & untreated])
    planted["undervaluation"]["import_line_irregular_share_incl_treated"] = _safe_mean(irr_u[R["undervaluation"][op] & imp])
    planted["undervaluation"]["valuation_sensitive_share_of_irregular"] = _safe_mean(hs["val_sensitive"][line_decl[irr_u]])
    ym = l_month < T // 2
    for rname, fl, nm in [("misclassification", hs["is_residual"][line_decl], "residual_share"),
                          ("special_regime_abuse", exempt, "exempt_share")]:
        sel = R[rname][op] & imp & ~treated[op]  # treated operators change behaviour mid-window
        planted[rname][f"{nm}_first_year"] = _safe_mean(fl[sel & ym])
        planted[rname][f"{nm}_second_year"] = _safe_mean(fl[sel & ~ym])
        planted[rname][f"{nm}_normal_operators"] = _safe_mean(fl[~nc[op] & imp])
    hi_c = np.isin(origin, ref["high_idx"])
    planted["origin"]["high_risk_origin_share"] = _safe_mean(hi_c[R["origin"][op] & imp])
    planted["origin"]["high_risk_origin_share_normal"] = _safe_mean(hi_c[~nc[op] & imp])
    planted["non_filer"]["not_filed_share"] = _safe_mean(~filed[R["non_filer"][r_op]])
    planted["non_filer"]["not_filed_share_normal"] = _safe_mean(~filed[~R["non_filer"][r_op]])
    val_share_large = float(size_val_usd[size_hint == 2].sum() / max(size_val_usd.sum(), 1e-9))
    truth = {
        "generator": "cip.generate", "seed": seed,
        "parameters": {"declarations": N, "operators": M, "corrupt_rate": corrupt_rate,
                       "start": start.isoformat(), "months": T, "format": fmt,
                       "large_usd": LARGE_USD, "medium_usd": MEDIUM_USD,
                       "detection": DETECT, "false_positive_rate": FALSE_POSITIVE,
                       "other_offence_rate": OTHER_OFFENCE_RATE,
                       "random_inspection_rate": random_inspection_rate, "line_patterns": bool(line_patterns)},
        "row_counts": counts,
        "operators": {"total": M, "noncompliant": int(nc.sum()), "noncompliant_share": float(nc.mean()),
                      "large": int((size_hint == 2).sum()), "medium": int((size_hint == 1).sum()),
                      "small": int((size_hint == 0).sum()), "large_value_share": val_share_large,
                      "aeo": int(is_aeo_any.sum()), "isic_inconsistent": int(isic_off.sum()),
                      "registered": int(registered.sum())},
        "planted": planted,
        "lines": {"total": N, "irregular": int(irr.sum()), "examined": n_ex,
                  "irregularities_found_at_examination": int(found.sum()),
                  "import_share": float(imp.mean()),
                  "import_irregular_share": _safe_mean(irr[imp]),
                  "examined_import_irregular_share": _safe_mean(irr[ex][imp[ex]]),
                  "channel_share": {c: float((l_channel == i).mean()) for i, c in enumerate(["red", "yellow", "green"])},
                  "version2_rows": n_v2},
        "brokers": {"total": n_brok, "complicit": sorted("B" + str(b) for b in compl_ids),
                    "complicit_line_share_noncompliant": _safe_mean(l_compl[nc[op]]),
                    "complicit_line_share_normal": _safe_mean(l_compl[~nc[op]])},
        "pca": {"rows": int(n_pca)},
        "line_patterns": line_truth["patterns"],
        "selection": line_truth["selection"],
        "duty_treatment": {t_: int((tax_code[imp & ~rate_null] == i).sum()) for i, t_ in enumerate(TAX_TYPES[:4])}
        | {"import_lines_rate_not_recorded": int(rate_null.sum())},
        "treatment": treatment_truth,
        "corruption": corruption,
        "corruption_keys_file": "_truth/corruptions.parquet" if corr_keys else None,
    }
    seconds = round(time.perf_counter() - t_start, 3)  # not in truth.json: keep it byte-identical
    (out_dir / "_truth" / "truth.json").write_text(json.dumps(_jsonable(truth), indent=2, sort_keys=True))
    prog.step("truth")
    summary = {"out_dir": str(out_dir), "row_counts": counts, "seconds": seconds,
               "treatment": {k: treatment_truth[k] for k in ("planted_relative_reduction",
                                                             "expected_did_observed_rate",
                                                             "empirical_did_observed_rate")}}
    return summary


def _line_pattern_truth(out_dir: Path, ref: dict, *, brok_ids, scheme_ids, combos_a, combos_d, n_ctry, l_a, l_d,
                        l_c, h_broker, hidx, op, pattern, irr, imp, pays, line_true, line_decl, b_scope, ex, found, sel_ex,
                        size_exp, nc, op_damp, lp) -> dict:
    """Writes _truth/line_patterns.parquet (one row per planted risky combination) and returns
    the truth.json summaries of the line-level patterns and of the selection streams."""
    hs, cc = ref["hs"], ref["country_codes"]
    n, m_ops = len(irr), len(nc)
    bit = {name: np.int16(1 << i) for i, name in enumerate(LINE_PATTERNS)}
    exm = np.zeros(n, dtype=bool)
    exm[ex] = True
    fnd = np.zeros(n, dtype=bool)
    fnd[ex[found]] = True

    def per_group(group: np.ndarray, k: int, name: str, p_line: np.ndarray) -> dict:
        m = group >= 0
        g = group[m].astype(np.int64)
        h = (pattern[m] & bit[name]) != 0
        imps = np.unique(g[h] * m_ops + op[m][h])
        lines = np.bincount(g, minlength=k)
        return {"lines": lines, "irregular_lines": np.bincount(g, weights=h, minlength=k).astype(np.int64),
                "examined_lines": np.bincount(g, weights=exm[m], minlength=k).astype(np.int64),
                "irregularities_found": np.bincount(g, weights=fnd[m], minlength=k).astype(np.int64),
                "irregular_importers": np.bincount(imps // m_ops, minlength=k),
                "irregular_probability": np.round(np.bincount(g, weights=p_line[m], minlength=k)
                                                  / np.maximum(lines, 1), 4),
                "_importers_total": int(len(np.unique(op[m][h])))}

    cols = ["pattern", "hs_code", "declared_hs_code", "origin_country", "departure_country", "declarant_id",
            "true_duty_rate", "declared_duty_rate", "irregular_probability", "lines", "irregular_lines",
            "examined_lines", "irregularities_found", "irregular_importers"]
    parts, summary = [], {}
    size_p = lp * np.array([ROUTE_P[0], ROUTE_P[1], ROUTE_P[2]])
    b_p = lp * _misclass_p(hs)
    specs = [
        ("goods_route_undervaluation", l_a, len(combos_a), size_p[size_exp[op]] * op_damp[op],
         "(HS6, departure country) combinations undervalued (declared 0.3-0.6 of true value), mostly by "
         f"small importers: irregular probability {ROUTE_P[0]} small, {ROUTE_P[1]} medium, {ROUTE_P[2]} large"),
        ("duty_misclassification", np.where(b_scope & (b_p[line_true] > 0), line_true, -1), len(hs["hs_code"]), b_p[line_true],
         "true tariff line declared as its neighbouring lower-duty line (same HS6, else same heading); probability "
         f"min({MISCLASS_K} x (duty gap x true duty rate - {MISCLASS_FLOOR}), {MISCLASS_CAP})"),
        ("broker_scheme", np.where(l_c, np.searchsorted(scheme_ids, h_broker[hidx]), -1), len(scheme_ids),
         lp * SCHEME_P * op_damp[op], f"scheme brokers: their duty-paying lines irregular with probability {SCHEME_P}, "
         "undervalued 0.3-0.6, whoever the importer"),
        ("unit_price_manipulation", l_d, len(combos_d), np.where(nc[op], 0.0, lp * PRICE_P * op_damp[op]),
         "(tariff line, origin) combinations declared at 0.25-0.5 of the line's usual unit value by "
         f"importers that are otherwise compliant (probability {PRICE_P}); seen only against the norm"),
    ]
    for name, group, k, p_line, desc in specs:
        c = per_group(group, k, name, p_line)
        tbl = {key: c[key] for key in cols[8:]}
        none = [None] * k
        tbl.update({"pattern": [name] * k, "hs_code": none, "declared_hs_code": none, "origin_country": none,
                    "departure_country": none, "declarant_id": none, "true_duty_rate": none,
                    "declared_duty_rate": none})
        if name == "goods_route_undervaluation":
            tbl["hs_code"] = list(hs["hs6_codes"][combos_a // n_ctry])
            tbl["departure_country"] = list(cc[combos_a % n_ctry])
            label = [f"{h} from {d}" for h, d in zip(tbl["hs_code"], tbl["departure_country"])]
        elif name == "duty_misclassification":
            tbl["hs_code"] = list(hs["hs_code"])
            tbl["declared_hs_code"] = list(hs["hs_code"][hs["neighbour"]])
            tbl["true_duty_rate"] = hs["duty_rate"]
            tbl["declared_duty_rate"] = hs["duty_rate"][hs["neighbour"]]
            tbl["irregular_probability"] = np.round(b_p, 4)
            label = None
        elif name == "broker_scheme":
            tbl["declarant_id"] = ["B" + str(b) for b in scheme_ids]
            label = tbl["declarant_id"]
        else:
            tbl["hs_code"] = list(hs["hs_code"][combos_d // n_ctry])
            tbl["origin_country"] = list(cc[combos_d % n_ctry])
            label = [f"{h} of origin {o}" for h, o in zip(tbl["hs_code"], tbl["origin_country"])]
        t = pa.table({col: (pa.array(tbl[col], type=pa.string()) if col in cols[:6] else
                            pa.array(np.asarray(tbl[col], dtype=float)) if col in cols[6:9] else
                            pa.array(np.asarray(tbl[col], dtype=np.int64))) for col in cols})
        if name == "duty_misclassification":  # only the lines the scheme can reach
            t = t.filter(pc.and_(pc.greater(t["irregular_probability"], 0), pc.greater(t["lines"], 0)))
        parts.append(t)
        in_scope = group >= 0
        ex_in = in_scope[ex]
        summary[name] = {
            "description": desc, "combinations": t.num_rows if label is None else label,
            "lines_in_scope": int(in_scope.sum()), "irregular_lines": int(c["irregular_lines"].sum()),
            "irregular_importers": c["_importers_total"],
            "examined_lines_in_scope": int(ex_in.sum()),
            "hit_rate_examined_in_scope": _safe_mean(found[ex_in]),
            "hit_rate_examined_imports_outside": _safe_mean(found[~ex_in & imp[ex]]),
        }
        if name == "duty_misclassification":  # its signal is on the declared (cheaper) code
            target = np.zeros(len(hs["hs_code"]), dtype=bool)
            target[hs["neighbour"][b_p > 0]] = True
            ex_t = target[line_decl[ex]] & imp[ex]
            summary[name]["examined_lines_declared_in_target_codes"] = int(ex_t.sum())
            summary[name]["hit_rate_examined_declared_in_target_codes"] = _safe_mean(found[ex_t])
    pq.write_table(pa.concat_tables(parts), out_dir / "_truth" / "line_patterns.parquet")
    summary["irregular_lines_by_pattern"] = {name: int(((pattern & bit[name]) != 0).sum()) for name in LINE_PATTERNS}
    summary["line_truth_file"] = "_truth/declaration_lines_truth.parquet (column pattern)"
    summary["combinations_file"] = "_truth/line_patterns.parquet"
    # selection streams: the random one estimates the irregularity of all import lines
    n_imp = max(int(imp.sum()), 1)
    imp_ex = imp[ex]
    selection = {"import_irregular_share": _safe_mean(irr[imp])}
    for i, name in enumerate(SELECTION):
        s = (sel_ex == i) & imp_ex
        selection[name] = {"examined_import_lines": int(s.sum()), "share_of_import_lines": float(s.sum() / n_imp),
                           "irregular_share": _safe_mean(irr[ex[s]]), "hit_rate": _safe_mean(found[s])}
    return {"patterns": summary, "selection": selection}

def _risk_strings(risk: np.ndarray) -> np.ndarray:
    """'|'-joined risk type names per operator (vectorised over the 2^7 combinations)."""
    code = (risk * (1 << np.arange(risk.shape[1]))).sum(axis=1)
    names = np.array(["|".join(RISK_TYPES[j] for j in range(len(RISK_TYPES)) if c >> j & 1)
                      for c in range(1 << len(RISK_TYPES))], dtype=object)
    return names[code]


def _safe_mean(x) -> float | None:
    x = np.asarray(x)
    return float(x.mean()) if x.size else None


def _jsonable(o):
    if isinstance(o, dict):
        return {str(k): _jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_jsonable(v) for v in o]
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating, float)):
        return None if (o != o) else float(o)
    return o


# ----------------------------------------------------------------------------- corruption
DECL_KINDS = ["null_tin", "malformed_tin", "unparseable_date", "nonpositive_value", "hs_letters",
              "hs_4_digits", "unknown_origin", "unknown_currency", "unknown_channel", "duplicate_line"]
KEY_SCHEMA = pa.schema([("table", pa.string()), ("kind", pa.string()), ("key", pa.string()),
                        ("declaration_id", pa.string()), ("item_no", pa.int32()), ("version", pa.int32())])


def _plan_decl_corruption(rng, is_v2: np.ndarray, rate: float, decl_ids_h: pa.Array, hidx: np.ndarray,
                          src: np.ndarray, item_no: np.ndarray):
    """Choose the corrupted declaration rows (version-1 rows only) and their breach kind.

    Returns the plan (sorted row positions and kind codes in the un-duplicated row space),
    the counts for truth.json and the row keys as a table.
    """
    n = len(is_v2)
    cand = np.flatnonzero(~is_v2)
    k = min(int(round(rate * len(cand))), len(cand))
    pos = np.sort(rng.choice(cand, k, replace=False)) if k else np.zeros(0, np.int64)
    kind = rng.integers(0, len(DECL_KINDS), k).astype(np.int64)
    counts = {kname: int((kind == i).sum()) for i, kname in enumerate(DECL_KINDS)}
    n_dup = counts["duplicate_line"]
    did = decl_ids_h.take(pa.array(hidx[src[pos]]))
    ino = item_no[src[pos]].astype(np.int32)
    ver = np.ones(k, dtype=np.int32)
    key = pc.binary_join_element_wise(did, pc.cast(pa.array(ino), pa.string()),
                                      pc.cast(pa.array(ver), pa.string()), "#")
    keys = pa.Table.from_arrays([
        pa.array(["declarations"] * k, type=pa.string()), pa.array(DECL_KINDS, type=pa.string()).take(pa.array(kind)),
        key, did, pa.array(ino), pa.array(ver)], schema=KEY_SCHEMA)
    info = {"rows_in_file": n + n_dup, "rows_clean": n - k, "rows_corrupted_in_place": k - n_dup,
            "rows_duplicated_source": n_dup, "rows_added": n_dup, "by_kind": counts,
            "note": "rows_in_file = rows_clean + rows_corrupted_in_place + 2 * rows_duplicated_source "
                    "(each duplicated source row is written twice, the copy right after the original)"}
    return {"pos": pos, "kind": kind}, info, keys


def _apply_decl_corruption(cols: dict, plan: dict, a: int, b: int) -> dict:
    """Apply the planned breaches that fall in rows [a, b) of one chunk."""
    lo, hi = np.searchsorted(plan["pos"], [a, b])
    pos, kind = plan["pos"][lo:hi] - a, plan["kind"][lo:hi]
    n = b - a
    for ki, kname in enumerate(DECL_KINDS):
        p = pos[kind == ki]
        if len(p) == 0 or kname == "duplicate_line":
            continue
        if kname == "null_tin":
            cols["tin"] = _replace(cols["tin"], p, None, n)
        elif kname == "malformed_tin":
            cols["tin"] = _replace(cols["tin"], p, "T12", n)
        elif kname == "unparseable_date":
            cols["declaration_date"] = _replace(cols["declaration_date"], p, "2024-13-45", n)
        elif kname == "nonpositive_value":
            old = cols["customs_value"].take(pa.array(p)).to_numpy()
            newv = np.where(np.arange(len(p)) % 2 == 0, 0.0, -old)
            cols["customs_value"] = _replace(cols["customs_value"], p, pa.array(newv), n)
        elif kname == "hs_letters":
            sub = pc.utf8_replace_slice(cols["hs_code"].take(pa.array(p)), 4, 6, "AB")
            cols["hs_code"] = _replace(cols["hs_code"], p, sub, n)
        elif kname == "hs_4_digits":
            sub = pc.utf8_slice_codeunits(cols["hs_code"].take(pa.array(p)), 0, 4)
            cols["hs_code"] = _replace(cols["hs_code"], p, sub, n)
        elif kname == "unknown_origin":
            cols["origin_country"] = _replace(cols["origin_country"], p, "ZZ", n)
        elif kname == "unknown_currency":
            cols["currency"] = _replace(cols["currency"], p, "XXX", n)
        elif kname == "unknown_channel":
            cols["channel"] = _replace(cols["channel"], p, "blue", n)
    dup = pos[kind == DECL_KINDS.index("duplicate_line")]
    if len(dup):
        idx = pa.array(np.sort(np.r_[np.arange(n), dup], kind="stable"))
        cols = {c: arr.take(idx) for c, arr in cols.items()}
    return cols


def _corrupt_simple(rng, cols: dict, rate: float, table: str, key_col: str, date_col: str | None,
                    kinds: dict):
    n = len(cols[key_col])
    k = min(int(round(rate * n)), n)
    pos = np.sort(rng.choice(n, k, replace=False)) if k else np.zeros(0, np.int64)
    names = list(kinds)
    kind = rng.integers(0, len(names), k).astype(np.int64)
    key_vals = cols[key_col].take(pa.array(pos, type=pa.int64()))
    if date_col:
        cols[date_col] = pc.cast(cols[date_col], pa.string())
    counts = {}
    for ki, kname in enumerate(names):
        p = pos[kind == ki]
        counts[kname] = int(len(p))
        if not len(p):
            continue
        col = {"null_tin": "tin", "malformed_tin": "tin", "unparseable_date": date_col,
               "unknown_outcome": "outcome", "unknown_status": "status"}[kname]
        cols[col] = _replace(cols[col], p, kinds[kname], n)
    keys = pa.Table.from_arrays([
        pa.array([table] * k, type=pa.string()), pa.array(names, type=pa.string()).take(pa.array(kind)),
        key_vals, pa.nulls(k, pa.string()), pa.nulls(k, pa.int32()), pa.nulls(k, pa.int32())], schema=KEY_SCHEMA)
    info = {"rows_in_file": n, "rows_clean": n - k, "rows_corrupted_in_place": k, "rows_added": 0,
            "key_column": key_col, "by_kind": counts}
    return cols, info, keys


# ----------------------------------------------------------------------------- writing
CHUNK_ROWS = 1 << 20  # fixed (not machine-dependent) so that the bytes never change


def _write_chunked(path: Path, schema: pa.Schema, fmt: str, n_rows: int, build) -> int:
    """Write build(a, b) for consecutive row ranges with a single writer; returns rows written."""
    written = 0
    if fmt == "csv":
        writer = pacsv.CSVWriter(str(path), schema, write_options=pacsv.WriteOptions(include_header=True))
    else:
        writer = pq.ParquetWriter(str(path), schema, compression="snappy", store_schema=False)
    try:
        for a in range(0, max(n_rows, 1), CHUNK_ROWS):
            t = build(a, min(a + CHUNK_ROWS, n_rows))
            if fmt == "csv":
                writer.write_table(t)
            else:
                writer.write_table(t, row_group_size=max(t.num_rows, 1))
            written += t.num_rows
            del t
    finally:
        writer.close()
    return written


def _write(table: pa.Table, out_dir: Path, name: str, fmt: str) -> None:
    if fmt == "csv":
        path = out_dir / f"{name}.csv"
        pacsv.write_csv(table, path, pacsv.WriteOptions(include_header=True, quoting_style="needed"))
    else:
        path = out_dir / f"{name}.parquet"
        pq.write_table(table, path, compression="snappy", row_group_size=CHUNK_ROWS, store_schema=False)


# ----------------------------------------------------------------------------- CLI glue
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--declarations", type=int, default=200_000,
                        help="number of declaration lines (item rows, version 1) to generate [200000]")
    parser.add_argument("--seed", type=int, default=42, help="random seed [42]")
    parser.add_argument("--out", type=Path, default=Path("data/demo"), help="output directory [data/demo]")
    parser.add_argument("--operators", type=int, default=None,
                        help="number of operators [declarations/120, min 300]")
    parser.add_argument("--corrupt-rate", type=float, default=0.0,
                        help="fraction of declaration/control/taxpayer rows replaced by contract breaches [0]")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2024, 1, 1),
                        help="first month of the window, YYYY-MM-DD [2024-01-01]")
    parser.add_argument("--months", type=int, default=24, help="months in the window [24]")
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet", help="output format [parquet]")
    parser.add_argument("--random-inspection-rate", type=float, default=RANDOM_INSPECTION_RATE,
                        help="share of import declarations examined at random (selection_method random) [0.01]")
    parser.add_argument("--no-line-patterns", dest="line_patterns", action="store_false",
                        help="plant operator-level noncompliance only (no goods/route/broker/price patterns)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def run(args: argparse.Namespace) -> int:
    summary = generate(out_dir=Path(args.out), declarations=args.declarations, seed=args.seed,
                       operators=args.operators, corrupt_rate=args.corrupt_rate, start=args.start,
                       months=args.months, fmt=args.format, progress=not getattr(args, "quiet", False),
                       random_inspection_rate=getattr(args, "random_inspection_rate", RANDOM_INSPECTION_RATE),
                       line_patterns=getattr(args, "line_patterns", True))
    print(json.dumps(summary, indent=2))
    return 0


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


if __name__ == "__main__":  # pragma: no cover
    p = argparse.ArgumentParser(prog="cip generate")
    add_arguments(p)
    raise SystemExit(run(p.parse_args()))
