"""A second, independent synthetic administration for the targeting tests (issue 11).

`cip generate` plants fraud its own way; a scorer tuned on it alone could learn that
generator rather than customs fraud. This one is shaped like another administration's
export instead: imports only, one line per declaration, every line examined on the day
it was declared (labelled data), no tax sources, party identifiers that carry no
signal, and fraud that lives in goods x route x value and in the duty rate, with risky
combinations that drift over time. It writes only what the source contract requires.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

START = np.datetime64("2023-01-01")
DAYS = 730


def write_foreign_admin(out: Path, lines: int = 30_000, seed: int = 1) -> dict:
    """Write the raw files into `out`; returns the planted settings (for the tests' messages)."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    n_codes, n_countries = 300, 30
    codes = np.array([f"{c:02d}{h:02d}{s:02d}{n:04d}" for c, h, s, n in zip(
        rng.integers(1, 97, n_codes), rng.integers(1, 99, n_codes), rng.integers(10, 99, n_codes),
        rng.integers(0, 9999, n_codes))])
    codes = np.unique(codes)
    n_codes = len(codes)
    countries = np.array([chr(65 + i // 26) + chr(65 + i % 26) for i in range(n_countries)])
    duty = rng.choice([0.0, 0.03, 0.08, 0.13, 0.2, 0.3], n_codes, p=[0.2, 0.2, 0.25, 0.15, 0.12, 0.08])
    base_price = np.exp(rng.normal(3.0, 1.5, n_codes))
    popularity = rng.zipf(1.6, n_codes).astype(float)
    popularity /= popularity.sum()

    code = rng.choice(n_codes, lines, p=popularity)
    day = np.sort(rng.integers(0, DAYS, lines))
    origin = rng.integers(0, n_countries, lines)
    hubs = np.array([1, 5, 9, 17])
    departure = np.where(rng.random(lines) < 0.6, origin, hubs[rng.integers(0, len(hubs), lines)])
    office = rng.integers(0, 12, lines)
    # risky goods, and goods x departure routes; a fifth of the routes change every half year
    risky_code = rng.random(n_codes) < 0.12
    half = day // 182
    route_hash = (code * 31 + departure * 7 + np.where(rng.random(lines) < 0.2, half, 0)) % 97
    risky_route = route_hash < 9
    logit = (-2.3 + 1.5 * risky_code[code] + 1.8 * risky_route + 4.0 * duty[code]
             + 0.5 * np.isin(office, [3, 7]) + rng.normal(0, 0.5, lines))
    fraud = rng.random(lines) < 1 / (1 + np.exp(-logit))
    # fraud shows in value: most frauds undervalue against the goods' usual price
    quantity = np.round(np.exp(rng.normal(3, 1.2, lines)), 0) + 1
    price = base_price[code] * np.exp(rng.normal(0, 0.3, lines))
    price = np.where(fraud & (rng.random(lines) < 0.7), price * rng.uniform(0.3, 0.7, lines), price)
    value = np.round(price * quantity, 2)
    # party identifiers drawn independently of fraud
    importer = rng.integers(0, 4000, lines)
    broker = rng.integers(0, 150, lines)
    seller = rng.integers(0, 6000, lines)

    dates = (START + day).astype("datetime64[D]")
    ids = np.array([f"F{i:08d}" for i in range(lines)])
    declarations = pa.table({
        "declaration_id": ids, "item_no": np.ones(lines, dtype=np.int32),
        "declaration_date": pa.array(dates), "flow": np.full(lines, "I"), "regime": np.full(lines, "40"),
        "office_code": np.array([f"OF{o:02d}" for o in office]),
        "tin": np.array([f"IMP{i:07d}" for i in importer]),
        "declarant_id": np.array([f"BR{b:04d}" for b in broker]),
        "supplier_id": np.array([f"SE{s:05d}" for s in seller]),
        "hs_code": codes[code], "origin_country": countries[origin], "departure_country": countries[departure],
        "transport_mode": rng.choice(["sea", "air", "road"], lines, p=[0.5, 0.3, 0.2]),
        "currency": np.full(lines, "USD"), "customs_value": value,
        "net_mass_kg": np.round(quantity * rng.uniform(0.5, 2.0, lines), 1), "quantity": quantity,
        "quantity_unit": np.full(lines, "U"), "duty_rate": duty[code],
        "duty_paid": np.round(value * duty[code], 2), "vat_paid": np.round(value * 1.0 * 0.1, 2),
        "channel": np.full(lines, "red"), "tax_type": rng.choice(["general", "preferential"], lines, p=[0.7, 0.3]),
    })
    pq.write_table(declarations, out / "declarations.parquet")
    controls = pa.table({
        "control_id": np.array([f"K{i:08d}" for i in range(lines)]), "control_type": np.full(lines, "examination"),
        "declaration_id": ids, "item_no": np.ones(lines, dtype=np.int32),
        "tin": declarations["tin"], "control_date": pa.array(dates),
        "outcome": np.where(fraud, "irregularity", "compliant"),
        "offence_type": pa.array(np.where(fraud, "valuation", None), type=pa.string()),
        "amount_reassessed": np.where(fraud, np.round(value * 0.2, 2), 0.0),
    })
    pq.write_table(controls, out / "control_results.parquet")
    pq.write_table(pa.table({
        "hs_code": codes, "description": np.array([f"goods {c}" for c in codes]),
        "is_residual": np.zeros(n_codes, dtype=bool), "duty_rate": duty, "vat_rate": np.full(n_codes, 0.1),
        "excise_rate": np.zeros(n_codes), "is_restricted": np.zeros(n_codes, dtype=bool),
        "supplementary_unit": np.full(n_codes, "U"),
    }), out / "hs_nomenclature.parquet")
    pq.write_table(pa.table({"country_code": countries, "country_name": countries,
                             "risk_rating": np.full(n_countries, "low")}), out / "country_risk.parquet")
    months = np.arange(np.datetime64("2023-01"), np.datetime64("2025-02")).astype("datetime64[D]")
    pq.write_table(pa.table({"currency": np.repeat(["USD", "LCU"], len(months)),
                             "month_start": pa.array(np.tile(months, 2)),
                             "usd_per_unit": np.repeat([1.0, 0.5], len(months))}), out / "exchange_rates.parquet")
    return {"lines": lines, "irregular_share": float(fraud.mean())}
