"""Reference data: the tariff nomenclature, sensitive goods, ISIC classes, countries, currencies,
offices and exchange rates, and the reference source tables written from them."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa

from .helpers import State, dates, lowest_other, month_starts

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


def build_reference(rng: np.random.Generator, start: date, months: int) -> dict:
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
    nb6, nb4 = lowest_other(hs["hs6_idx"], dr), lowest_other(hs4_idx, dr)
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
    ms = month_starts(start, months)[:-1]
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



def reference_tables(state: State) -> None:
    """The reference source tables (nomenclature, country risk, sensitive goods, rates, concordance)."""
    T, hs, ms, ref = state.T, state.hs, state.ms, state.ref
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
        "month_start": dates(np.tile(ms, nc_cur)),
        "usd_per_unit": pa.array(ref["rates"].reshape(-1)),
    }
    conc_i, conc_c = [], []
    for k_, chs in ISIC.items():
        for c_ in chs:
            conc_i.append(k_); conc_c.append(c_)
    conc_tbl = {"isic_code": pa.array(conc_i, type=pa.string()), "hs_chapter": pa.array(conc_c, type=pa.string())}
    state.put(conc_tbl=conc_tbl, country_tbl=country_tbl, fx_tbl=fx_tbl, hs_tbl=hs_tbl, sens_tbl=sens_tbl)
