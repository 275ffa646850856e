"""The benchmark's peer: the floor's computation written the way an analyst would in pandas.

Same inputs (the raw Parquet files), same rules and the same parameters as
scripts/cip/bench_floor.sql: window (M1), size segments (M1), five indicator flags
(risky origin share, unit-price deviation, exempt growth, repeat offender, VAT
mismatch; M2/M3), frequency weights (M4), global GRI and risk level (M5/M6), Table 4
counts (M7). Plain pandas: read the columns needed, merge, groupby; no tricks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

DECLARATION_COLUMNS = [
    "declaration_id", "item_no", "version", "declaration_date", "flow", "tin", "hs_code",
    "origin_country", "currency", "customs_value", "quantity", "quantity_unit", "net_mass_kg",
    "duty_paid", "vat_paid", "excise_paid", "exemption_code",
]

FLAG_INDICATORS = {
    "flag_risky_origin": ("risky_origin_share", "TX_RISKY_ORIGIN"),
    "flag_unit_price": ("below_norm_share", "TX_UNIT_PRICE_DEVIATION"),
    "flag_exempt_growth": ("exempt_growth", "CR_EXEMPT_GROWTH"),
    "flag_repeat_offender": ("quarters_with_irregularity", "CR_REPEAT_OFFENDER"),
    "flag_vat_mismatch": ("vat_mismatch", "XC_VAT_MISMATCH"),
}


def _files(data_dir: Path, table: str) -> list[Path]:
    files = sorted(data_dir.glob(f"{table}.parquet")) + sorted(data_dir.glob(f"{table}/*.parquet"))
    if not files:
        raise FileNotFoundError(f"no {table}.parquet or {table}/*.parquet in {data_dir}")
    return files


def _read(data_dir: Path, table: str, columns: list[str] | None = None) -> pd.DataFrame:
    frames = [pd.read_parquet(path, columns=columns) for path in _files(data_dir, table)]
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _share(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return numerator / denominator.where(denominator != 0)


def _flag(values: pd.Series, comparison: str, threshold: float) -> pd.Series:
    hit = values >= threshold if comparison == ">=" else values > threshold
    return (hit & values.notna()).astype(int)


def peer_operators(data_dir: Path, params: dict) -> pd.DataFrame:
    """One row per operator of the window with the floor's columns."""
    data_dir = Path(data_dir)
    lines = _read(data_dir, "declarations", DECLARATION_COLUMNS)
    lines["version"] = lines["version"].fillna(1)
    lines["declaration_date"] = pd.to_datetime(lines["declaration_date"], errors="coerce", format="%Y-%m-%d")
    lines = lines[lines["declaration_date"].notna()]
    # latest version of every line
    lines = lines.sort_values("version").drop_duplicates(["declaration_id", "item_no"], keep="last")

    # evaluation window (M1)
    as_of = lines["declaration_date"].max()
    window_start = as_of - pd.DateOffset(months=params["window_months"]) + pd.Timedelta(days=1)
    recent_half_start = as_of - pd.DateOffset(months=params["half_months"]) + pd.Timedelta(days=1)
    lines = lines[(lines["declaration_date"] >= window_start) & (lines["declaration_date"] <= as_of)].copy()
    lines["is_recent_half"] = lines["declaration_date"] >= recent_half_start

    # USD amounts: invoice currency and national currency rates of the month
    rates = _read(data_dir, "exchange_rates")
    rates["month_start"] = pd.to_datetime(rates["month_start"])
    lines["month_start"] = lines["declaration_date"].dt.to_period("M").dt.to_timestamp()
    lines = lines.merge(rates.rename(columns={"usd_per_unit": "invoice_rate"}), on=["currency", "month_start"])
    lcu = rates[rates["currency"] == params["national_currency"]][["month_start", "usd_per_unit"]]
    lines = lines.merge(lcu.rename(columns={"usd_per_unit": "lcu_rate"}), on="month_start")
    lines["excise_paid"] = lines["excise_paid"].fillna(0)
    lines["customs_value_usd"] = lines["customs_value"] * lines["invoice_rate"]
    lines["duty_paid_usd"] = lines["duty_paid"] * lines["lcu_rate"]
    lines["vat_paid_usd"] = lines["vat_paid"] * lines["lcu_rate"]
    lines["excise_paid_usd"] = lines["excise_paid"] * lines["lcu_rate"]
    lines["is_exempt"] = lines["exemption_code"].notna()
    lines["is_import"] = lines["flow"] == "I"
    has_quantity = lines["quantity"] > 0
    lines["value_unit"] = np.where(has_quantity, lines["quantity_unit"].fillna("U"), "KG")
    divisor = lines["quantity"].where(has_quantity, lines["net_mass_kg"].where(lines["net_mass_kg"] > 0))
    lines["unit_value_usd"] = lines["customs_value_usd"] / divisor

    # controls in the window
    controls = _read(data_dir, "control_results",
                     ["declaration_id", "item_no", "tin", "control_type", "outcome", "control_date"])
    controls["control_date"] = pd.to_datetime(controls["control_date"], errors="coerce", format="%Y-%m-%d")
    controls = controls[(controls["control_date"] >= window_start) & (controls["control_date"] <= as_of)].copy()
    controls["is_irregular"] = controls["outcome"] == "irregularity"

    # examined lines: an examination without item_no covers every line of its declaration
    examinations = controls[controls["control_type"] == "examination"]
    line_keys = lines[["declaration_id", "item_no", "origin_country"]]
    by_item = examinations[examinations["item_no"].notna()].astype({"item_no": lines["item_no"].dtype})
    by_item = by_item.merge(line_keys, on=["declaration_id", "item_no"])
    whole = examinations[examinations["item_no"].isna()].drop(columns="item_no").merge(line_keys, on="declaration_id")
    examined = pd.concat([by_item, whole], ignore_index=True)
    examined = examined.groupby(["declaration_id", "item_no"], as_index=False).agg(
        origin_country=("origin_country", "first"), is_irregular=("is_irregular", "max"))
    examined = examined[examined["origin_country"].notna()]

    # risky countries: listed high risk, or a hit rate well above the overall one
    overall_hit_rate = examined["is_irregular"].mean()
    by_country = examined.groupby("origin_country")["is_irregular"].agg(["count", "mean"])
    derived = by_country[(by_country["count"] >= params["risky_min_examined_lines"])
                         & (by_country["mean"] >= params["risky_min_lift"] * overall_hit_rate)].index
    country_risk = _read(data_dir, "country_risk")
    listed = country_risk.loc[country_risk["risk_rating"] == "high", "country_code"]
    risky_countries = set(listed) | set(derived)
    lines["is_risky_origin"] = lines["origin_country"].isin(risky_countries)

    # unit-value norms of import lines
    imports = lines[lines["is_import"] & lines["unit_value_usd"].notna()]
    norms = imports.groupby(["hs_code", "value_unit"])["unit_value_usd"].agg(["count", "median"]).reset_index()
    norms = norms[norms["count"] >= params["unit_value_min_lines"]]
    norms["lower_bound"] = params["unit_value_lower_bound_ratio"] * norms["median"]
    lines = lines.merge(norms[["hs_code", "value_unit", "lower_bound"]], on=["hs_code", "value_unit"], how="left")
    lines["has_norm"] = lines["is_import"] & lines["lower_bound"].notna()
    lines["below_norm"] = lines["is_import"] & (lines["unit_value_usd"] < lines["lower_bound"])

    # per-operator sums
    lines["import_risky_origin"] = lines["is_import"] & lines["is_risky_origin"]
    lines["import_recent"] = lines["is_import"] & lines["is_recent_half"]
    lines["import_earlier"] = lines["is_import"] & ~lines["is_recent_half"]
    lines["exempt_recent"] = lines["import_recent"] & lines["is_exempt"]
    lines["exempt_earlier"] = lines["import_earlier"] & lines["is_exempt"]
    operators = lines.groupby("tin").agg(
        trade_value_usd=("customs_value_usd", "sum"),
        duty_paid_usd=("duty_paid_usd", "sum"),
        vat_paid_usd=("vat_paid_usd", "sum"),
        excise_paid_usd=("excise_paid_usd", "sum"),
        vat_paid_lcu=("vat_paid", "sum"),
        import_lines=("is_import", "sum"),
        import_lines_risky_origin=("import_risky_origin", "sum"),
        import_lines_with_norm=("has_norm", "sum"),
        import_lines_below_norm=("below_norm", "sum"),
        import_lines_recent=("import_recent", "sum"),
        exempt_lines_recent=("exempt_recent", "sum"),
        import_lines_earlier=("import_earlier", "sum"),
        exempt_lines_earlier=("exempt_earlier", "sum"),
    )

    # controls, returns and audits per operator
    controls["quarter"] = controls["control_date"].dt.to_period("Q")
    per_control = controls.groupby("tin").agg(controls=("control_type", "size"),
                                              has_customs_irregularity=("is_irregular", "max"))
    quarters = controls[controls["is_irregular"]].groupby("tin")["quarter"].nunique().rename("quarters_with_irregularity")
    returns = _read(data_dir, "tax_returns")
    returns["period_start"] = pd.to_datetime(returns["period_start"])
    returns = returns[(returns["period_start"] >= window_start.to_period("M").to_timestamp())
                      & (returns["period_start"] <= as_of)]
    filed = returns[returns["filed"].fillna(False).astype(bool)]
    per_return = filed.groupby("tin").agg(returns_filed=("filed", "size"),
                                          vat_on_imports_claimed=("vat_on_imports_claimed", "sum"))
    audits = _read(data_dir, "tax_audits")
    audits["audit_date"] = pd.to_datetime(audits["audit_date"])
    audits = audits[(audits["audit_date"] >= window_start) & (audits["audit_date"] <= as_of)
                    & audits["irregularity_found"].fillna(False).astype(bool)]
    audited_tins = set(audits["tin"])

    operators = operators.join(per_control).join(quarters).join(per_return)
    operators["controls"] = operators["controls"].fillna(0)
    operators["quarters_with_irregularity"] = operators["quarters_with_irregularity"].fillna(0)
    operators["has_detected_irregularity"] = (operators["has_customs_irregularity"].fillna(False).astype(bool)
                                              | operators.index.isin(audited_tins))

    # indicator raw values and flags
    operators["risky_origin_share"] = _share(operators["import_lines_risky_origin"], operators["import_lines"])
    operators["below_norm_share"] = _share(operators["import_lines_below_norm"], operators["import_lines_with_norm"])
    operators["exempt_growth"] = (_share(operators["exempt_lines_recent"], operators["import_lines_recent"])
                                  - _share(operators["exempt_lines_earlier"], operators["import_lines_earlier"]))
    mismatch = _share(operators["vat_on_imports_claimed"] - operators["vat_paid_lcu"], operators["vat_paid_lcu"])
    operators["vat_mismatch"] = mismatch.where(operators["returns_filed"].fillna(0) > 0)
    for flag, (raw, code) in FLAG_INDICATORS.items():
        operators[flag] = _flag(operators[raw], params[f"cmp_{code}"], params[f"thr_{code}"])

    # size segments
    operators["size_segment"] = np.select(
        [operators["trade_value_usd"] >= params["size_large_min_usd"],
         operators["trade_value_usd"] >= params["size_medium_min_usd"]],
        ["large", "medium"], "small")

    # frequency weights: flags among operators with a detected irregularity
    detected = operators[operators["has_detected_irregularity"]]
    ones = pd.Series({flag: detected[flag].sum() for flag in FLAG_INDICATORS}, dtype=float)
    shares = ones / ones.sum() if ones.sum() else ones * np.nan
    significant = shares > params["weight_tolerance"]
    weights = (shares.where(significant) / shares[significant].sum()).fillna(0)

    operators["gri"] = sum(operators[flag] * weights[flag] for flag in FLAG_INDICATORS).round(6)
    operators["is_without_control"] = operators["controls"] == 0
    columns = ["size_segment", "trade_value_usd", "duty_paid_usd", "vat_paid_usd", "excise_paid_usd",
               *FLAG_INDICATORS, "is_without_control", "gri", "quarters_with_irregularity"]
    return operators[columns].reset_index()


def table4(operators: pd.DataFrame, params: dict) -> pd.DataFrame:
    """Operators, value and taxes per size segment and risk level (note Table 4)."""
    frame = operators.copy()
    frame["risk_level"] = np.select([frame["gri"] >= params["risk_cutoff_high"],
                                     frame["gri"] >= params["risk_cutoff_medium"]], ["high", "medium"], "low")
    frame["is_repeat_offender"] = frame["quarters_with_irregularity"] >= params["repeat_offender_min_quarters"]
    return (frame.groupby(["size_segment", "risk_level"])
            .agg(operators=("tin", "size"), trade_value_usd=("trade_value_usd", "sum"),
                 vat_paid_usd=("vat_paid_usd", "sum"), duty_paid_usd=("duty_paid_usd", "sum"),
                 excise_paid_usd=("excise_paid_usd", "sum"), repeat_offenders=("is_repeat_offender", "sum"),
                 operators_without_control=("is_without_control", "sum"))
            .reset_index().sort_values(["size_segment", "risk_level"]).reset_index(drop=True))


# ----------------------------------------------------------------------------- Polars peer
def _scan(data_dir: Path, table: str, columns: list[str] | None = None):
    import polars as pl

    frame = pl.scan_parquet([str(path) for path in _files(data_dir, table)], missing_columns="insert")
    return frame.select(columns) if columns else frame


def _to_date(frame, column: str):
    """The column as a date: parsed when the files store text (unparseable -> null, as pandas'
    errors="coerce"), cast otherwise."""
    import polars as pl

    if frame.collect_schema()[column] == pl.String:
        return frame.with_columns(pl.col(column).str.to_date("%Y-%m-%d", strict=False))
    return frame.with_columns(pl.col(column).cast(pl.Date))


def _polars_window_lines(data_dir: Path, params: dict):
    """The latest version of every line in the evaluation window (M1), valued in USD, and the
    window's dates (as_of, window_start, recent_half_start, month_of_window)."""
    import polars as pl

    col = pl.col
    data_dir = Path(data_dir)
    lines = (
        _to_date(_scan(data_dir, "declarations", DECLARATION_COLUMNS), "declaration_date")
        .with_columns(col("version").fill_null(1))
        .filter(col("declaration_date").is_not_null())
        # latest version of every line
        .sort("version")
        .unique(["declaration_id", "item_no"], keep="last")
        .collect()
    )

    # evaluation window (M1): the same calendar arithmetic as the pandas peer
    as_of = pd.Timestamp(lines["declaration_date"].max())
    window_start = (as_of - pd.DateOffset(months=params["window_months"]) + pd.Timedelta(days=1)).date()
    recent_half_start = (as_of - pd.DateOffset(months=params["half_months"]) + pd.Timedelta(days=1)).date()
    month_of_window = window_start.replace(day=1)
    as_of = as_of.date()

    rates = _to_date(_scan(data_dir, "exchange_rates"), "month_start")
    lcu = (rates.filter(col("currency") == params["national_currency"])
           .select("month_start", col("usd_per_unit").alias("lcu_rate")))
    has_quantity = (col("quantity") > 0).fill_null(False)
    lines = (
        lines.lazy()
        .filter(col("declaration_date").is_between(window_start, as_of))
        .with_columns(is_recent_half=col("declaration_date") >= recent_half_start,
                      month_start=col("declaration_date").dt.truncate("1mo"))
        .join(rates.rename({"usd_per_unit": "invoice_rate"}), on=["currency", "month_start"])
        .join(lcu, on="month_start")
        .with_columns(
            excise_paid=col("excise_paid").fill_null(0),
            customs_value_usd=col("customs_value") * col("invoice_rate"),
            duty_paid_usd=col("duty_paid") * col("lcu_rate"),
            vat_paid_usd=col("vat_paid") * col("lcu_rate"),
            is_exempt=col("exemption_code").is_not_null(),
            is_import=(col("flow") == "I").fill_null(False),
            value_unit=pl.when(has_quantity).then(col("quantity_unit").fill_null("U")).otherwise(pl.lit("KG")),
            divisor=pl.when(has_quantity).then(col("quantity"))
            .when(col("net_mass_kg") > 0).then(col("net_mass_kg")),
        )
        .with_columns(excise_paid_usd=col("excise_paid") * col("lcu_rate"),
                      unit_value_usd=col("customs_value_usd") / col("divisor"))
        .collect()
    ).lazy()
    return lines, (as_of, window_start, recent_half_start, month_of_window)


def _polars_examined_lines(controls, lines):
    """Lines examined in the window, with their origin and whether an examination found an
    irregularity."""
    import polars as pl

    col = pl.col
    # an examination without item_no covers every line of its declaration
    examinations = controls.filter(col("control_type") == "examination")
    line_keys = lines.select("declaration_id", "item_no", "origin_country")
    item_type = lines.collect_schema()["item_no"]
    by_item = (examinations.filter(col("item_no").is_not_null())
               .with_columns(col("item_no").cast(item_type))
               .join(line_keys, on=["declaration_id", "item_no"]))
    whole = examinations.filter(col("item_no").is_null()).drop("item_no").join(line_keys, on="declaration_id")
    examined = (
        pl.concat([by_item.select("declaration_id", "item_no", "origin_country", "is_irregular"),
                   whole.select("declaration_id", "item_no", "origin_country", "is_irregular")])
        .group_by("declaration_id", "item_no")
        .agg(col("origin_country").first(), col("is_irregular").max())
        .filter(col("origin_country").is_not_null())
        .collect()
    )
    return examined


def polars_operators(data_dir: Path, params: dict) -> pd.DataFrame:
    """The same computation as peer_operators in Polars' lazy API (issue 13): one plan per step,
    collected where a scalar (the as-of date, the risky countries, the weights) is needed.
    Follows pandas' rules where the libraries differ: null group keys are dropped, a null
    comparison is false."""
    import polars as pl

    col = pl.col
    data_dir = Path(data_dir)
    lines, (as_of, window_start, recent_half_start, month_of_window) = _polars_window_lines(data_dir, params)

    # controls in the window
    controls = (
        _to_date(_scan(data_dir, "control_results", ["declaration_id", "item_no", "tin", "control_type", "outcome",
                                                     "control_date"]), "control_date")
        .filter(col("control_date").is_between(window_start, as_of))
        .with_columns(is_irregular=(col("outcome") == "irregularity").fill_null(False))
    )

    examined = _polars_examined_lines(controls, lines)

    # risky countries: listed high risk, or a hit rate well above the overall one
    overall_hit_rate = examined["is_irregular"].mean()
    by_country = examined.group_by("origin_country").agg(
        count=pl.len(), rate=col("is_irregular").cast(pl.Float64).mean())
    derived = by_country.filter((col("count") >= params["risky_min_examined_lines"])
                                & (col("rate") >= params["risky_min_lift"] * overall_hit_rate))["origin_country"]
    listed = (_scan(data_dir, "country_risk").filter(col("risk_rating") == "high")
              .select("country_code").collect()["country_code"])
    risky_countries = set(listed.to_list()) | set(derived.to_list())

    # unit-value norms of import lines
    norms = (
        lines.filter(col("is_import") & col("unit_value_usd").is_not_null() & col("unit_value_usd").is_not_nan()
                     & col("hs_code").is_not_null())
        .group_by("hs_code", "value_unit")
        .agg(count=pl.len(), median=col("unit_value_usd").median())
        .filter(col("count") >= params["unit_value_min_lines"])
        .select("hs_code", "value_unit", lower_bound=params["unit_value_lower_bound_ratio"] * col("median"))
    )
    is_import = col("is_import")
    is_recent = col("is_recent_half")
    operators = (
        lines.join(norms, on=["hs_code", "value_unit"], how="left")
        .filter(col("tin").is_not_null())
        .group_by("tin")
        .agg(
            trade_value_usd=col("customs_value_usd").sum(),
            duty_paid_usd=col("duty_paid_usd").sum(),
            vat_paid_usd=col("vat_paid_usd").sum(),
            excise_paid_usd=col("excise_paid_usd").sum(),
            vat_paid_lcu=col("vat_paid").sum(),
            import_lines=is_import.sum(),
            import_lines_risky_origin=(is_import & col("origin_country").is_in(list(risky_countries))
                                       .fill_null(False)).sum(),
            import_lines_with_norm=(is_import & col("lower_bound").is_not_null()).sum(),
            import_lines_below_norm=(is_import & (col("unit_value_usd") < col("lower_bound")).fill_null(False)).sum(),
            import_lines_recent=(is_import & is_recent).sum(),
            exempt_lines_recent=(is_import & is_recent & col("is_exempt")).sum(),
            import_lines_earlier=(is_import & ~is_recent).sum(),
            exempt_lines_earlier=(is_import & ~is_recent & col("is_exempt")).sum(),
        )
    )

    # controls, returns and audits per operator
    controls = controls.filter(col("tin").is_not_null())
    per_control = controls.group_by("tin").agg(controls=pl.len(), has_customs_irregularity=col("is_irregular").max())
    quarters = (controls.filter(col("is_irregular"))
                .group_by("tin")
                .agg(quarters_with_irregularity=(col("control_date").dt.year() * 10
                                                 + col("control_date").dt.quarter()).n_unique()))
    per_return = (
        _to_date(_scan(data_dir, "tax_returns"), "period_start")
        .filter(col("period_start").is_between(month_of_window, as_of) & col("filed").fill_null(False)
                & col("tin").is_not_null())
        .group_by("tin")
        .agg(returns_filed=pl.len(), vat_on_imports_claimed=col("vat_on_imports_claimed").sum())
    )
    audited = (
        _to_date(_scan(data_dir, "tax_audits"), "audit_date")
        .filter(col("audit_date").is_between(window_start, as_of) & col("irregularity_found").fill_null(False))
        .select("tin").unique().with_columns(is_audited=pl.lit(True))
    )

    def share(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
        return numerator / pl.when(denominator != 0).then(denominator)

    def flag(values: pl.Expr, code: str) -> pl.Expr:
        threshold = params[f"thr_{code}"]
        hit = values >= threshold if params[f"cmp_{code}"] == ">=" else values > threshold
        # NaN (0/0 in float arithmetic) never flags, as in pandas
        return (hit & values.is_not_nan()).fill_null(False).cast(pl.Int64)

    operators = (
        operators.join(per_control, on="tin", how="left")
        .join(quarters, on="tin", how="left")
        .join(per_return, on="tin", how="left")
        .join(audited, on="tin", how="left")
        .with_columns(
            controls=col("controls").fill_null(0),
            quarters_with_irregularity=col("quarters_with_irregularity").fill_null(0),
            has_detected_irregularity=col("has_customs_irregularity").fill_null(False)
            | col("is_audited").fill_null(False),
            risky_origin_share=share(col("import_lines_risky_origin"), col("import_lines")),
            below_norm_share=share(col("import_lines_below_norm"), col("import_lines_with_norm")),
            exempt_growth=share(col("exempt_lines_recent"), col("import_lines_recent"))
            - share(col("exempt_lines_earlier"), col("import_lines_earlier")),
            vat_mismatch=pl.when(col("returns_filed").fill_null(0) > 0).then(
                share(col("vat_on_imports_claimed") - col("vat_paid_lcu"), col("vat_paid_lcu"))),
            size_segment=pl.when(col("trade_value_usd") >= params["size_large_min_usd"]).then(pl.lit("large"))
            .when(col("trade_value_usd") >= params["size_medium_min_usd"]).then(pl.lit("medium"))
            .otherwise(pl.lit("small")),
        )
        .with_columns(**{name: flag(col(raw), code) for name, (raw, code) in FLAG_INDICATORS.items()})
        .collect()
    )

    # frequency weights: flags among operators with a detected irregularity
    ones = operators.filter(col("has_detected_irregularity")).select(
        [col(name).sum().cast(pl.Float64) for name in FLAG_INDICATORS]).row(0, named=True)
    total = sum(ones.values())
    shares = {name: (value / total if total else float("nan")) for name, value in ones.items()}
    significant = {name: value for name, value in shares.items() if value > params["weight_tolerance"]}
    weights = {name: (shares[name] / sum(significant.values()) if name in significant else 0.0)
               for name in FLAG_INDICATORS}

    gri = pl.sum_horizontal([col(name) * weights[name] for name in FLAG_INDICATORS]).round(6)
    operators = operators.with_columns(gri=gri, is_without_control=col("controls") == 0)
    columns = ["tin", "size_segment", "trade_value_usd", "duty_paid_usd", "vat_paid_usd", "excise_paid_usd",
               *FLAG_INDICATORS, "is_without_control", "gri", "quarters_with_irregularity"]
    return operators.select(columns).to_pandas()
