"""Independent check of the segmentation and the global risk index (`cip check`).

Recomputes in pandas/numpy, from the raw files of the data folder and the project's
configuration (dbt_project.yml vars, seeds/config, the source contract), what the dbt
models compute for M1-M6: the rows staging keeps, the USD conversion, the evaluation
window, the size segments, every indicator's raw value and flag, the weights of the
four techniques and the global GRI with its risk level. It then compares that with the
warehouse (read-only) and exits non-zero on any difference.

Nothing here reads the dbt intermediate models or runs the project's models: the only
warehouse tables read are the marts being checked and, for the reconciliation of
totals, staging.stg_customs__declarations. Like the thresholds, each indicator's rule
is read from the catalogue (raw_value_sql, evaluated by an in-memory DuckDB over the
per-operator counts recomputed here); an indicator whose expression names a count the
check does not recompute stops it (indicator_flags).
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from cip.contract import column_key
from cip.paths import data_dir as default_data_dir
from cip.paths import db_path as default_db_path
from cip.paths import load_vars
from cip.paths import project_root

HELP = ("Recompute the staging filter, size segments, indicators, weights and global GRI "
        "independently in Python from the raw files and compare them with the warehouse.")

REL_TOL = 1e-9          # raw values, weights, totals: relative tolerance
GRI_DECIMALS = 6
MAX_EXAMPLES = 5


# --------------------------------------------------------------------------- configuration

def load_seed(name: str) -> pd.DataFrame:
    return pd.read_csv(project_root() / "seeds" / "config" / f"{name}.csv", dtype=str,
                       keep_default_na=False, na_values=[""])


@dataclass
class ContractTable:
    source: str
    name: str
    columns: list[dict] = field(default_factory=list)   # name, data_type, required, nullable, allowed
    key: list[str] = field(default_factory=list)
    optional: bool = False


def _meta(obj: dict) -> dict:
    meta = dict(obj.get("meta") or {})
    meta.update((obj.get("config") or {}).get("meta") or {})
    return meta


def load_contract() -> dict[tuple[str, str], ContractTable]:
    """The source contract as declared in models/staging/*/_*__sources.yml."""
    tables = {}
    for path in sorted((project_root() / "models" / "staging").glob("*/_*__sources.yml")):
        doc = yaml.safe_load(path.read_text()) or {}
        for source in doc.get("sources") or []:
            for table in source.get("tables") or []:
                meta = _meta(table)
                columns = []
                for column in table.get("columns") or []:
                    cmeta = _meta(column)
                    columns.append({
                        "name": column["name"].lower(),
                        "data_type": str(column.get("data_type", "varchar")).lower(),
                        "required": bool(cmeta.get("required", False)),
                        "nullable": cmeta.get("nullable", True) is not False,
                        "allowed": cmeta.get("allowed"),
                        "normalize": cmeta.get("normalize"),
                        "earliest": cmeta.get("earliest"),
                        "text_only": bool(cmeta.get("text_only", False)),
                        "per_declaration": bool(cmeta.get("per_declaration", False)),
                        "restore_leading_zeros": cmeta.get("restore_leading_zeros"),
                        "registered_in": cmeta.get("registered_in"),
                    })
                tables[(source["name"], table["name"])] = ContractTable(
                    source["name"], table["name"], columns, list(meta.get("key") or []),
                    bool(meta.get("optional", False)))
    return tables


# --------------------------------------------------------------------------- raw files

def raw_files(data: Path, table: str) -> list[Path]:
    """Same lookup as the read_raw_source macro (cip.raw_csv.raw_files)."""
    from cip import raw_csv

    return raw_csv.raw_files(data, table)


_DATE_RE = r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?\s*$"
_ZONE_RE = r".*[0-9](Z|[+-][0-9]{2}(:?[0-9]{2})?)$"
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
_WHITESPACE = " \t\r\n\u00a0"
# a control or invisible format character in an id or code (macro has_invisible_char)
_INVISIBLE = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2060\ufeff\u00ad]"
_NAN_MARK = "__nan__"      # frame column marking the cells of a Parquet double holding a real NaN


def _text(values: pd.Series) -> pd.Series:
    """Text trimmed, '' and whitespace-only as null (the reader's text_or_null)."""
    if pd.api.types.is_float_dtype(values):
        # a code exported as a number: 4254010.0 reads as '4254010'
        whole = values.notna() & np.isfinite(values.fillna(0)) & (values == np.trunc(values.fillna(0)))
        out = values.astype(object).where(values.notna(), None)
        out[whole.to_numpy(bool)] = values[whole].astype("int64").astype(str)
        out[(values.notna() & ~whole).to_numpy(bool)] = values[values.notna() & ~whole].astype(str)
        values = out
    elif not (values.dtype == object or pd.api.types.is_string_dtype(values)):
        values = values.astype("string")
    text = values.astype("string").str.strip(_WHITESPACE)
    text = text.mask(text == "")
    return text.astype(object).where(text.notna(), None)


def _to_type(values: pd.Series, column: dict | str) -> pd.Series:
    """The reader's typing (read_raw_source): null when unreadable (or not whole, for an
    integer). `column` is the contract column, or just its type."""
    column = {"data_type": column} if isinstance(column, str) else column
    data_type = column["data_type"]
    if data_type in ("varchar", "text", "string"):
        text = _text(values)
        allowed = [str(v) for v in column.get("allowed") or []]
        if column.get("normalize") == "upper" or (allowed and all(v == v.upper() for v in allowed)):
            return _text(text.astype("string").str.upper())
        if allowed and all(v == v.lower() for v in allowed):
            return _text(text.astype("string").str.lower())
        return text
    if data_type in ("integer", "int", "bigint"):
        numbers = pd.to_numeric(_text(values) if not pd.api.types.is_numeric_dtype(values) else values,
                                errors="coerce").astype(float)
        whole = np.isfinite(numbers) & (numbers == np.trunc(numbers)) & (numbers.abs() < 2**31)
        return numbers.where(whole)
    if data_type in ("double", "float", "decimal", "numeric", "real"):
        if pd.api.types.is_numeric_dtype(values):
            return values.astype(float)
        return pd.to_numeric(_text(values), errors="coerce").astype(float)
    if data_type == "date":
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            return values.dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")
        if pd.api.types.is_datetime64_any_dtype(values):
            return values.dt.normalize().astype("datetime64[ns]")
        text = _text(values).astype("string")
        out = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        retry = (out.isna() & text.notna()).to_numpy(bool)
        if retry.any():   # the other spellings DuckDB accepts (1-digit parts, a time part, a zone)
            zoned = text[retry].str.len().gt(10) & text[retry].str.match(_ZONE_RE)
            parts = text[retry].str.extract(_DATE_RE)
            joined = parts[0] + "-" + parts[1].str.zfill(2) + "-" + parts[2].str.zfill(2)
            plain = pd.to_datetime(joined, format="%Y-%m-%d", errors="coerce")
            if zoned.any():
                utc = pd.to_datetime(text[retry][zoned], errors="coerce", utc=True, format="ISO8601")
                plain[zoned.to_numpy(bool)] = utc.dt.tz_localize(None).dt.normalize()
            out[retry] = plain
        return out
    if data_type == "boolean":
        if values.dtype == bool:
            return values.astype(object)
        text = _text(values).astype("string").str.lower()
        out = pd.Series(None, index=values.index, dtype=object)
        out[text.isin(_TRUE).fillna(False).to_numpy(bool)] = True
        out[text.isin(_FALSE).fillna(False).to_numpy(bool)] = False
        return out
    return values


def _read_one(path: Path, config: dict | None = None) -> pd.DataFrame:
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        extra = {}
        for i, column in enumerate(table.schema):
            if pa.types.is_date(column.type):   # dates as datetime64 (pandas maps date32 to object otherwise)
                table = table.set_column(i, column.name, table.column(i).cast(pa.timestamp("ms")))
            elif pa.types.is_floating(column.type):   # a real NaN, not a null (pandas shows both as NaN)
                extra[_NAN_MARK + column.name.lower()] = pc.fill_null(pc.is_nan(table.column(i)), False).to_numpy(
                    zero_copy_only=False)
        frame = table.to_pandas()
        for name, mask in extra.items():
            frame[name] = mask
        return frame
    # CSV: the build's reader (dialect from the header line, every value as text, and
    # _cip_record_error for a record that does not fit the header)
    import duckdb

    from cip import raw_csv
    with duckdb.connect() as con:
        return con.execute(f"select * exclude (_cip_raw_file) from {raw_csv.reader(con, path, config)}").df()


def read_raw(data: Path, contract: ContractTable, config: dict | None = None) -> pd.DataFrame | None:
    """The raw rows of one contract table, typed, with _cast_error (bool: any reader
    rule broken: unreadable, not whole, NaN / infinite / too large, date out of range)
    and _source_file (relative to the data folder). None when the table is absent."""
    config = config or load_vars()
    files = raw_files(data, contract.name)
    if not files:
        return None
    frames = []
    for path in files:
        frame = _read_one(path, config)
        lowered = [column_key(c) for c in frame.columns]
        if len(set(lowered)) < len(lowered):
            raise SystemExit(f"cip check: {path} has a column twice (names differ only in case or spaces)")
        frame.columns = lowered
        missing = [c["name"] for c in contract.columns if c["required"] and c["name"] not in frame.columns]
        if missing:
            raise SystemExit(f"cip check: {path} lacks the required column(s) {', '.join(missing)}")
        for column in contract.columns:
            if (column.get("text_only") and column["name"] in frame.columns
                    and pd.api.types.is_numeric_dtype(frame[column["name"]])):
                raise SystemExit(f"cip check: {path}: column {column['name']} is a number; export it as text "
                                 "without losing leading zeros")
        frame["_source_file"] = path.relative_to(data).as_posix()
        frames.append(frame)
    if len(frames) > 1:
        # a column whose type drifted between the files of a folder is read as text, as the
        # build's union by name does (a date as timestamp in one file and text in another)
        for name in {c for f in frames for c in f.columns if not c.startswith(_NAN_MARK)}:
            kinds = {str(f[name].dtype) for f in frames if name in f.columns}
            if len(kinds) > 1:
                for frame in frames:
                    if name in frame.columns:
                        column = frame[name]
                        frame[name] = column.astype(object).map(str).where(column.notna(), None)
    raw = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    markers = config.get("null_markers") or []
    markers = [str(m) for m in ([markers] if isinstance(markers, str) else markers)]
    if markers:   # an export's spelling of a missing value is null (macro null_marker_list)
        for name in raw.columns:
            if raw[name].dtype == object or pd.api.types.is_string_dtype(raw[name]):
                trimmed = raw[name].astype("string").str.strip(_WHITESPACE)
                raw[name] = raw[name].mask(trimmed.isin(markers).fillna(False).to_numpy(bool), None)
    out = pd.DataFrame(index=raw.index)
    cast_error = np.zeros(len(raw), dtype=bool)
    if "_cip_record_error" in raw.columns:   # a CSV record that does not fit its header
        cast_error |= raw["_cip_record_error"].notna().to_numpy(bool)
    load_date = pd.Timestamp(str(config.get("load_date"))) if config.get("load_date") else pd.Timestamp.now().normalize()
    max_abs = float(config.get("max_abs_number", 1e15))
    for column in contract.columns:
        name = column["name"]
        if name not in raw.columns:
            out[name] = None
            continue
        present = raw[name]
        if present.dtype == object or pd.api.types.is_string_dtype(present):
            present = _text(present)
        typed = _to_type(raw[name], column)
        cast_error |= (present.notna() & pd.isna(typed)).to_numpy(bool)
        if column["data_type"] in ("double", "float", "decimal", "numeric", "real"):
            numbers = typed.astype(float)
            cast_error |= (numbers.notna() & ~(numbers.abs() <= max_abs)).to_numpy(bool)
            if _NAN_MARK + name in raw.columns:
                # files whose column is not a double have no mark (null after the concat): no NaN
                cast_error |= raw[_NAN_MARK + name].fillna(False).astype(bool).to_numpy(bool)
        if column.get("normalize") == "upper" and column["data_type"] in ("varchar", "text", "string"):
            cast_error |= typed.astype("string").str.contains(_INVISIBLE, regex=True, na=False).to_numpy(bool)
        if column["data_type"] == "date":
            earliest = pd.Timestamp(str(column.get("earliest") or config.get("earliest_date", "1990-01-01")))
            cast_error |= ((typed > load_date) | (typed < earliest)).fillna(False).to_numpy(bool)
        out[name] = typed
    out["_cast_error"] = cast_error
    out["_source_file"] = raw["_source_file"].to_numpy()
    return out


def _pattern(series: pd.Series, pattern: str) -> np.ndarray:
    """regexp_like(series, pattern) for non-null values; True where null (not checked)."""
    text = series.astype("string")
    matched = text.str.contains(pattern, regex=True, na=True)
    return matched.fillna(True).to_numpy(bool)


def contract_ok(frame: pd.DataFrame, contract: ContractTable) -> np.ndarray:
    """Rows passing the cast, required-value and allowed-value rules."""
    ok = ~frame["_cast_error"].to_numpy(bool)
    for column in contract.columns:
        values = frame[column["name"]]
        if not column["nullable"]:
            ok &= values.notna().to_numpy(bool)
        if column["allowed"]:
            allowed = {str(v) for v in column["allowed"]}
            ok &= (values.isna() | values.astype("string").isin(allowed)).fillna(True).to_numpy(bool)
    return ok


def first_of_key(frame: pd.DataFrame, key: list[str]) -> np.ndarray:
    """False for the 2nd, 3rd... row of a key (ordered by source file, then file order)."""
    if not key:
        return np.ones(len(frame), dtype=bool)
    order = frame["_source_file"].astype(str)
    sorted_frame = frame.assign(_order=order).sort_values("_order", kind="stable")
    keys = sorted_frame[key].astype(object).where(sorted_frame[key].notna(), "\x00null")
    dup = keys.duplicated(keep="first")
    return ~dup.reindex(frame.index).to_numpy(bool)


def restore_registered(frame: pd.DataFrame, contract: ContractTable, registers: dict | None) -> np.ndarray:
    """Macro checked_source: each column with meta restore_leading_zeros is restored in place
    against its register (registers: 'source.table.column' -> the staged values; the
    register is staged before it); one with meta registered_in must hold a registered value.
    Returns the rows to quarantine (ambiguous or not registered)."""
    bad_rows = np.zeros(len(frame), dtype=bool)
    for column in contract.columns:
        for meta in ("restore_leading_zeros", "registered_in"):
            spec = column[meta]
            if not spec:
                continue
            if spec not in (registers or {}):
                raise SystemExit(f"cip check: {contract.name}.{column['name']} is checked against {spec}, "
                                 "which cip check does not stage before it (check.stage)")
            register = registers[spec]
            values = frame[column["name"]]
            if meta == "restore_leading_zeros":
                frame[column["name"]], bad = restore_leading_zeros(values, register)
            else:   # the value must be registered (an empty register checks nothing)
                bad = (values.notna() & ~values.isin(register)).to_numpy(bool) & bool(register)
            bad_rows |= bad
    return bad_rows


def registers_of(taxpayers: pd.DataFrame | None) -> dict[str, set]:
    """The registers columns are restored against (meta restore_leading_zeros): the staged
    taxpayer register's TINs (an absent register restores nothing)."""
    return {"tax.taxpayers.tin": set() if taxpayers is None else set(taxpayers["tin"].dropna())}


def checked_source(data: Path, contracts: dict, source: str, table: str, extra=None,
                   config: dict | None = None, registers: dict | None = None) -> pd.DataFrame | None:
    """The clean rows of a raw table (checked_source macro): leading zeros restored, contract,
    key and extra rules."""
    contract = contracts[(source, table)]
    frame = read_raw(data, contract, config)
    if frame is None:
        return None
    ok = ~restore_registered(frame, contract, registers)
    ok &= contract_ok(frame, contract) & first_of_key(frame, contract.key)
    if extra is not None:
        ok &= extra(frame)
    return frame[ok].reset_index(drop=True)


def _null_or(mask: pd.Series) -> np.ndarray:
    """SQL `case when <cond> then reject end`: a null condition does not reject."""
    return mask.fillna(False).to_numpy(bool)


# --------------------------------------------------------------------------- staging

@dataclass
class Staged:
    declarations: pd.DataFrame
    controls: pd.DataFrame
    taxpayers: pd.DataFrame
    tax_returns: pd.DataFrame
    tax_audits: pd.DataFrame
    nomenclature: pd.DataFrame
    countries: pd.DataFrame
    sensitive: pd.DataFrame
    concordance: pd.DataFrame
    available: dict[str, bool]


_EMPTY_DTYPES = {"date": "datetime64[ns]", "double": "float64", "integer": "float64"}


def _empty(contract: ContractTable) -> pd.DataFrame:
    """An absent optional source: no rows, typed like a read one (dates stay datetimes)."""
    return pd.DataFrame({c["name"]: pd.Series(dtype=_EMPTY_DTYPES.get(c["data_type"], object))
                         for c in contract.columns})


def stage(data: Path, config: dict) -> Staged:
    contracts = load_contract()
    tin_re, hs_re = config["tin_pattern"], config["hs_code_pattern"]
    available = {f"{s}.{t}": bool(raw_files(data, t)) for (s, t) in contracts}

    def tin_ok(frame):
        return _pattern(frame["tin"], tin_re)

    registers: dict[str, set] = {}

    def get(source, table, extra=None):
        frame = checked_source(data, contracts, source, table, extra, config, registers)
        return frame if frame is not None else _empty(contracts[(source, table)])

    nomenclature = get("reference", "hs_nomenclature", lambda f: _pattern(f["hs_code"], hs_re)
                       & ~_null_or((f["duty_rate"] < 0) | (f["vat_rate"] < 0) | (f["excise_rate"] < 0)))
    countries = get("reference", "country_risk")
    sensitive = get("reference", "sensitive_goods")
    concordance = get("reference", "isic_hs_concordance")
    rates = get("reference", "exchange_rates", lambda f: ~_null_or(f["usd_per_unit"] <= 0)
                & ~_null_or(f["month_start"] != f["month_start"].dt.to_period("M").dt.start_time))
    taxpayers = get("tax", "taxpayers", tin_ok)
    registers.update(registers_of(taxpayers))
    tax_returns = get("tax", "tax_returns", lambda f: tin_ok(f) & ~_null_or(
        (f["vat_on_imports_claimed"] < 0) | (f["imports_declared"] < 0) | (f["exports_declared"] < 0)
        | (f["excise_declared"] < 0))
        & ~_null_or(f["period_start"] != f["period_start"].dt.to_period("M").dt.start_time))
    tax_audits = get("tax", "tax_audits", lambda f: tin_ok(f) & ~_null_or(f["amount_assessed"] < 0))
    declarations, lines = stage_declarations(data, contracts, config, nomenclature, countries, rates, registers)
    controls = get("customs", "control_results", lambda f: tin_ok(f)
                   & ~_null_or((f["control_type"] == "examination") & f["declaration_id"].isna())
                   & ~_null_or((f["outcome"] == "irregularity") & f["offence_type"].isna())
                   & ~_null_or(f["item_no"] < 1)
                   & ~_null_or((f["amount_reassessed"] < 0) | (f["amount_collected"] < 0))
                   & controls_belong(f, lines))
    controls["is_irregular"] = controls["outcome"] == "irregularity"
    controls["is_serious"] = controls["seriousness"] == "serious"
    controls["amount_reassessed_lcu"] = controls["amount_reassessed"].astype(float).fillna(0.0)

    return Staged(declarations, controls, taxpayers, tax_returns, tax_audits, nomenclature,
                  countries, sensitive, concordance, available)


def controls_belong(controls: pd.DataFrame, lines: pd.DataFrame) -> np.ndarray:
    """base_customs__control_results: a control naming a declaration names a staged one (a
    staged line when item_no is given) of the same operator, dated on or after it; one
    without a declaration names an operator with a staged line."""
    staged = lines[lines["_status"] == "staged"]
    known = set(lines["declaration_id"].dropna())
    staged_ids = set(staged["declaration_id"])
    known_lines = set(zip(lines["declaration_id"], lines["item_no"]))
    staged_lines = set(zip(staged["declaration_id"], staged["item_no"]))
    per_declaration = staged.groupby("declaration_id").agg(first_date=("declaration_date", "min"),
                                                           tins=("tin", "nunique"), tin=("tin", "max"))
    operators = set(staged["tin"])
    ok = np.ones(len(controls), dtype=bool)
    for i, row in enumerate(controls[["declaration_id", "item_no", "tin", "control_date"]].itertuples(index=False)):
        declaration, item, tin, date = row
        if declaration is None or pd.isna(declaration):
            ok[i] = tin is None or pd.isna(tin) or tin in operators
            continue
        if declaration not in known or declaration not in staged_ids:
            ok[i] = False
            continue
        if not pd.isna(item) and ((declaration, item) not in known_lines or (declaration, item) not in staged_lines):
            ok[i] = False
            continue
        facts = per_declaration.loc[declaration]
        if tin is not None and not pd.isna(tin) and facts["tins"] == 1 and tin != facts["tin"]:
            ok[i] = False
        elif not pd.isna(date) and date < facts["first_date"]:
            ok[i] = False
    return ok


def restore_hs_codes(codes: pd.Series, nomenclature_codes: set) -> pd.Series:
    """A code that lost its leading zero (04254010 exported as 4254010) becomes the
    zero-padded code when that is in the nomenclature and the delivered one is not."""
    padded = "0" + codes.fillna("")
    restore = codes.notna() & ~codes.isin(nomenclature_codes) & padded.isin(nomenclature_codes)
    return codes.where(~restore, padded)


def restore_leading_zeros(values: pd.Series, register: set) -> tuple[pd.Series, np.ndarray]:
    """Macro leading_zero_restorations: a value that lost its leading zeros (a TIN
    0012345678 exported as 12345678) and is not in the register becomes the register value
    when exactly one register value strips to it; when several do, it is ambiguous
    (quarantined). Returns the values and the ambiguous rows."""
    stripped = pd.Series([t.lstrip("0") for t in register if t.startswith("0")], dtype=object)
    counts = stripped.value_counts()
    unique = set(counts.index[counts == 1]) - register
    several = set(counts.index[counts > 1]) - register
    mapping = {t.lstrip("0"): t for t in register if t.startswith("0") and t.lstrip("0") in unique}
    ambiguous = values.isin(several).to_numpy(bool)
    return (values.replace(mapping) if mapping else values), ambiguous


def headers_disagree(raw: pd.DataFrame, is_staged: pd.Series, columns: list[str]) -> pd.Series:
    """The staged lines of a declaration whose staged lines differ on a header column
    (contract meta per_declaration; an empty value differs from a given one)."""
    variants = raw.loc[is_staged, ["declaration_id", *columns]].drop_duplicates()
    bad = variants["declaration_id"][variants["declaration_id"].duplicated()]
    return raw["declaration_id"].isin(set(bad)) & is_staged


def stage_declarations(data, contracts, config, nomenclature, countries, rates,
                       registers: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """base_customs__declarations + stg_customs__declarations: clean, latest version, USD.
    Also every raw line's key, operator, date and status (staged or not), for the controls."""
    contract = contracts[("customs", "declarations")]
    raw = read_raw(data, contract, config)
    if raw is None:
        raise SystemExit(f"cip check: no declarations in {data}")
    raw["hs_code"] = restore_hs_codes(raw["hs_code"], set(nomenclature["hs_code"]))
    ambiguous = restore_registered(raw, contract, registers)
    raw["line_version"] = raw["version"].fillna(1)
    raw["declaration_month"] = raw["declaration_date"].dt.to_period("M").dt.start_time
    rate_keys = rates[["currency", "month_start", "usd_per_unit"]]
    raw = raw.merge(rate_keys.rename(columns={"month_start": "declaration_month",
                                              "usd_per_unit": "invoice_usd_per_unit"}),
                    on=["currency", "declaration_month"], how="left")
    national = rate_keys[rate_keys["currency"] == config["national_currency"]]
    raw = raw.merge(national[["month_start", "usd_per_unit"]].rename(
        columns={"month_start": "declaration_month", "usd_per_unit": "lcu_usd_per_unit"}),
        on="declaration_month", how="left")

    ok = contract_ok(raw, contract) & ~ambiguous
    ok &= _pattern(raw["tin"], config["tin_pattern"])
    ok &= ~_null_or(raw["item_no"] < 1)
    ok &= ~_null_or(raw["version"] < 1)
    ok &= ~_null_or(raw["duty_rate"] < 0)
    hs_known = raw["hs_code"].isin(set(nomenclature["hs_code"]))
    ok &= _pattern(raw["hs_code"], config["hs_code_pattern"])
    ok &= (raw["hs_code"].isna() | hs_known).to_numpy(bool)
    ok &= (raw["origin_country"].isna() | raw["origin_country"].isin(set(countries["country_code"]))).to_numpy(bool)
    ok &= ~(raw["currency"].notna() & raw["declaration_date"].notna() & raw["invoice_usd_per_unit"].isna()).to_numpy(bool)
    ok &= ~(raw["declaration_date"].notna() & raw["lcu_usd_per_unit"].isna()).to_numpy(bool)
    ok &= ~_null_or(raw["customs_value"] <= 0)
    ok &= ~_null_or((raw["net_mass_kg"] <= 0) | (raw["quantity"] <= 0))
    ok &= ~_null_or((raw["duty_paid"] < 0) | (raw["vat_paid"] < 0) | (raw["excise_paid"] < 0))
    ok &= ~_null_or(raw["release_hours"] < 0)
    ok &= first_of_key(raw.assign(_version_key=raw["line_version"]), ["declaration_id", "item_no", "_version_key"])

    clean = raw[ok]
    latest = clean.groupby(["declaration_id", "item_no"])["line_version"].transform("max")
    is_staged = pd.Series(False, index=raw.index)
    is_staged[clean.index[(clean["line_version"] >= latest).to_numpy(bool)]] = True
    is_staged &= ~headers_disagree(raw, is_staged, [c["name"] for c in contract.columns if c["per_declaration"]])
    lines = raw[["declaration_id", "item_no", "tin", "declaration_date"]].assign(
        _status=np.where(is_staged, "staged", "other"))
    staged = raw[is_staged.to_numpy(bool)].copy().reset_index(drop=True)

    excise = staged["excise_paid"].astype(float).fillna(0.0)
    staged["is_exempt"] = staged["exemption_code"].notna()
    staged["customs_value_usd"] = staged["customs_value"] * staged["invoice_usd_per_unit"]
    staged["customs_value_lcu"] = staged["customs_value"] * staged["invoice_usd_per_unit"] / staged["lcu_usd_per_unit"]
    staged["duty_paid_lcu"] = staged["duty_paid"]
    staged["vat_paid_lcu"] = staged["vat_paid"]
    staged["excise_paid_lcu"] = excise
    staged["duty_paid_usd"] = staged["duty_paid"] * staged["lcu_usd_per_unit"]
    staged["vat_paid_usd"] = staged["vat_paid"] * staged["lcu_usd_per_unit"]
    staged["excise_paid_usd"] = excise * staged["lcu_usd_per_unit"]
    staged["hs_chapter"] = staged["hs_code"].str.slice(0, 2)
    return staged, lines


# --------------------------------------------------------------------------- window and indicators

@dataclass
class Window:
    as_of: pd.Timestamp
    start: pd.Timestamp
    recent_half_start: pd.Timestamp


def derived_as_of_date(declarations: pd.DataFrame, min_share: float) -> pd.Timestamp:
    """int_evaluation_window: the last date whose trailing 7-day line count (that day and
    the six before) is at least min_share of the median trailing 7-day count over the
    dates with lines."""
    daily = declarations.groupby("declaration_date").size().sort_index()
    if daily.empty:
        raise SystemExit("cip check: no staged declaration")
    dates = daily.index.to_numpy()
    cumulative = daily.cumsum().to_numpy()
    start = np.searchsorted(dates, dates - np.timedelta64(6, "D"), side="left")
    trailing = cumulative - np.where(start > 0, cumulative[np.maximum(start - 1, 0)], 0)
    qualifying = dates[trailing >= min_share * np.median(trailing)]
    return pd.Timestamp(qualifying.max())


def evaluation_window(declarations: pd.DataFrame, config: dict) -> Window:
    months = int(config["window_months"])
    as_of = (pd.Timestamp(str(config["as_of_date"])) if config.get("as_of_date")
             else derived_as_of_date(declarations, float(config.get("as_of_min_volume_share", 0.25))))
    start = as_of + pd.DateOffset(months=-months) + pd.DateOffset(days=1)
    recent = as_of + pd.DateOffset(months=-(months // 2)) + pd.DateOffset(days=1)
    return Window(as_of.normalize(), start.normalize(), recent.normalize())


def derived_risky(examined: pd.DataFrame, dimension: str, config: dict) -> pd.DataFrame:
    """derived_risk_by: hit rate per value; risky with support and lift over the overall rate."""
    rows = examined[examined[dimension].notna()]
    if rows.empty:
        return pd.DataFrame(columns=[dimension, "examined_lines", "irregular_lines", "is_derived_risky"])
    overall = rows["is_irregular"].mean()
    by_value = rows.groupby(dimension).agg(examined_lines=("is_irregular", "size"),
                                           irregular_lines=("is_irregular", "sum")).reset_index()
    hit_rate = by_value["irregular_lines"] / by_value["examined_lines"]
    by_value["is_derived_risky"] = ((by_value["examined_lines"] >= float(config["risky_min_examined_lines"]))
                                    & (hit_rate >= float(config["risky_min_lift"]) * overall))
    return by_value


def _combine(mode: str, derived: pd.Series, listed: pd.Series) -> pd.Series:
    if mode == "derived":
        return derived
    if mode == "reference":
        return listed
    return derived | listed


@dataclass
class Result:
    window: Window
    staged: Staged
    lines: pd.DataFrame                 # staged declaration lines in the window
    operators: pd.DataFrame             # per tin: size, values, gri, risk level
    flags: pd.DataFrame                 # tin, indicator_code, raw_value, flag
    weights: pd.DataFrame               # technique, gri_type, indicator_code, ones_count, score, share, ...
    active: list[str]


def _window_lines(declarations: pd.DataFrame, window: Window) -> pd.DataFrame:
    """int_declarations_in_window: the window's lines with their half and unit value."""
    in_window = declarations["declaration_date"].between(window.start, window.as_of)
    lines = declarations[in_window].copy().reset_index(drop=True)
    lines["is_recent_half"] = lines["declaration_date"] >= window.recent_half_start
    has_quantity = (lines["quantity"] > 0).fillna(False)
    lines["value_unit"] = np.where(has_quantity, lines["quantity_unit"].fillna("U"), "KG")
    divisor = lines["quantity"].where(has_quantity, lines["net_mass_kg"].where(lines["net_mass_kg"] > 0))
    lines["unit_value_usd"] = lines["customs_value_usd"] / divisor
    return lines


def _examined_lines(controls: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    """int_examined_lines: an examination without item_no covers every line of its declaration."""
    examinations = controls[controls["control_type"] == "examination"]
    line_keys = lines[["declaration_id", "item_no", "tin", "declarant_id", "hs_code", "origin_country"]]
    joined = examinations[["declaration_id", "item_no", "is_irregular", "is_serious"]].merge(
        line_keys, on="declaration_id", suffixes=("_control", ""))
    joined = joined[joined["item_no_control"].isna() | (joined["item_no_control"] == joined["item_no"])]
    examined = joined.groupby(["declaration_id", "item_no"], sort=False).agg(
        tin=("tin", "first"), declarant_id=("declarant_id", "first"), hs_code=("hs_code", "first"),
        origin_country=("origin_country", "first"), is_irregular=("is_irregular", "max"),
        is_serious=("is_serious", "max")).reset_index()
    examined["is_irregular"] = examined["is_irregular"].astype(bool)
    examined["is_serious"] = examined["is_serious"].astype(bool)
    return examined


def _risk_lists(staged: Staged, examined: pd.DataFrame, config: dict) -> tuple[set, set, set]:
    """int_risky_brokers, int_risky_hs_codes, int_risky_countries: the risky values."""
    mode = config["risky_reference_mode"]
    brokers = derived_risky(examined, "declarant_id", config)
    risky_brokers = set(brokers.loc[brokers["is_derived_risky"], "declarant_id"])

    hs_derived = derived_risky(examined, "hs_code", config)
    hs_codes = staged.nomenclature[["hs_code", "is_residual"]].copy()
    prefixes = list(staged.sensitive["hs_prefix"].dropna().unique())
    hs_codes["is_listed"] = hs_codes["hs_code"].apply(lambda code: any(code.startswith(p) for p in prefixes))
    hs_codes = hs_codes.merge(hs_derived[["hs_code", "is_derived_risky"]], on="hs_code", how="left")
    hs_codes["is_risky"] = _combine(mode, hs_codes["is_derived_risky"].fillna(False).astype(bool), hs_codes["is_listed"])
    risky_hs = set(hs_codes.loc[hs_codes["is_risky"], "hs_code"])

    country_derived = derived_risky(examined, "origin_country", config)
    countries = staged.countries[["country_code", "risk_rating"]].merge(
        country_derived[["origin_country", "is_derived_risky"]], left_on="country_code",
        right_on="origin_country", how="left")
    countries["is_risky"] = _combine(mode, countries["is_derived_risky"].fillna(False).astype(bool),
                                     countries["risk_rating"] == "high")
    risky_countries = set(countries.loc[countries["is_risky"], "country_code"])
    return risky_brokers, risky_hs, risky_countries


def _line_counts(lines: pd.DataFrame, staged: Staged, examined: pd.DataFrame, config: dict) -> pd.DataFrame:
    """int_operator_transactions: per tin, the line counts and sums (macros operator_line_measures, operator_line_flags)."""
    risky_brokers, risky_hs, risky_countries = _risk_lists(staged, examined, config)

    # unit-value norms of import lines per tariff line and unit
    imports_with_value = lines[(lines["flow"] == "I") & lines["unit_value_usd"].notna()]
    norms = imports_with_value.groupby(["hs_code", "value_unit"])["unit_value_usd"].agg(["size", "median"]).reset_index()
    norms = norms[norms["size"] >= int(config["unit_value_min_lines"])]
    norms["lower_bound"] = float(config["unit_value_lower_bound_ratio"]) * norms["median"]
    lines = lines.merge(norms[["hs_code", "value_unit", "lower_bound"]], on=["hs_code", "value_unit"], how="left")

    residual = staged.nomenclature.set_index("hs_code")["is_residual"].astype(bool)
    isic = staged.taxpayers.set_index("tin")["isic_code"]
    concordance_pairs = set(zip(staged.concordance["isic_code"], staged.concordance["hs_chapter"]))
    isic_with_concordance = set(staged.concordance["isic_code"])
    operator_isic = lines["tin"].map(isic)

    is_import = (lines["flow"] == "I").to_numpy(bool)
    is_export = (lines["flow"] == "E").to_numpy(bool)
    recent = lines["is_recent_half"].to_numpy(bool)
    exempt = lines["is_exempt"].to_numpy(bool)
    is_residual = lines["hs_code"].map(residual).fillna(False).to_numpy(bool)
    has_norm = lines["lower_bound"].notna().to_numpy(bool)
    below = (lines["unit_value_usd"] < lines["lower_bound"]).fillna(False).to_numpy(bool)
    isic_known = operator_isic.isin(isic_with_concordance).to_numpy(bool)
    consistent = pd.MultiIndex.from_arrays([operator_isic.astype(object), lines["hs_chapter"].astype(object)]).isin(
        list(concordance_pairs)) if len(lines) and concordance_pairs else np.zeros(len(lines), dtype=bool)
    value_usd = lines["customs_value_usd"].to_numpy(float)
    value_lcu = lines["customs_value_lcu"].to_numpy(float)

    parts = pd.DataFrame({
        "tin": lines["tin"],
        "lines": 1,
        "import_lines": is_import.astype(int),
        "export_lines": is_export.astype(int),
        "import_value_usd": np.where(is_import, value_usd, 0.0),
        "export_value_usd": np.where(is_export, value_usd, 0.0),
        "trade_value_usd": value_usd,
        "import_value_lcu": np.where(is_import, value_lcu, 0.0),
        "export_value_lcu": np.where(is_export, value_lcu, 0.0),
        "duty_paid_usd": lines["duty_paid_usd"], "vat_paid_usd": lines["vat_paid_usd"],
        "excise_paid_usd": lines["excise_paid_usd"], "duty_paid_lcu": lines["duty_paid_lcu"],
        "vat_paid_lcu": lines["vat_paid_lcu"], "excise_paid_lcu": lines["excise_paid_lcu"],
        "lines_high_risk_broker": lines["declarant_id"].isin(risky_brokers).astype(int),
        "lines_risky_hs": lines["hs_code"].isin(risky_hs).astype(int),
        "import_lines_risky_origin": (is_import & lines["origin_country"].isin(risky_countries).to_numpy(bool)).astype(int),
        "import_lines_with_norm": (is_import & has_norm).astype(int),
        "import_lines_below_norm": (is_import & below).astype(int),
        "import_lines_earlier": (is_import & ~recent).astype(int),
        "exempt_lines_earlier": (is_import & ~recent & exempt).astype(int),
        "import_lines_recent": (is_import & recent).astype(int),
        "exempt_lines_recent": (is_import & recent & exempt).astype(int),
        "lines_earlier": (~recent).astype(int),
        "residual_lines_earlier": (~recent & is_residual).astype(int),
        "lines_recent": recent.astype(int),
        "residual_lines_recent": (recent & is_residual).astype(int),
        "import_value_isic_known_usd": np.where(is_import & isic_known, value_usd, 0.0),
        "import_value_isic_inconsistent_usd": np.where(is_import & isic_known & ~consistent, value_usd, 0.0),
    })
    return parts.groupby("tin", sort=True).sum()


def _add_control_counts(ops: pd.DataFrame, controls: pd.DataFrame, examined: pd.DataFrame) -> pd.DataFrame:
    """int_operator_controls: examined and serious lines, quarters with an irregularity."""
    examined_by = examined.groupby("tin").agg(examined_lines=("is_serious", "size"),
                                              serious_examined_lines=("is_serious", "sum"))
    irregular = controls[controls["is_irregular"]]
    quarters = irregular.assign(quarter=irregular["control_date"].dt.to_period("Q")).groupby("tin")["quarter"].nunique()
    controls_by = controls.groupby("tin").size()
    ops = ops.join(examined_by, how="left").fillna({"examined_lines": 0, "serious_examined_lines": 0})
    ops["quarters_with_irregularity"] = quarters.reindex(ops.index).fillna(0)
    ops["controls"] = controls_by.reindex(ops.index).fillna(0)
    return ops


def _tax_counts(staged: Staged, window: Window) -> tuple[pd.DataFrame, pd.DataFrame]:
    """int_operator_tax_records: per registered tin, returns and audits of the window
    (and the audits per tin whether registered or not, for the outcomes)."""
    month_start = window.start.to_period("M").start_time
    returns = staged.tax_returns
    returns = returns[returns["period_start"].between(month_start, window.as_of)]
    filed = returns["filed"].fillna(False).astype(bool)
    ret = pd.DataFrame({"tin": returns["tin"], "returns_due": 1, "returns_filed": filed.astype(int)})
    for column, source in [("vat_on_imports_claimed_lcu", "vat_on_imports_claimed"),
                           ("imports_declared_lcu", "imports_declared"),
                           ("exports_declared_lcu", "exports_declared"),
                           ("excise_declared_lcu", "excise_declared")]:
        ret[column] = returns[source].astype(float).where(filed, 0.0)
    # SQL sum: null when every value is null
    returns_by = ret.groupby("tin").sum(min_count=1)
    audits = staged.tax_audits
    audits = audits[audits["audit_date"].between(window.start, window.as_of)].copy()
    audits["irregular"] = audits["irregularity_found"].fillna(False).astype(bool)
    audits["tp"] = audits["transfer_pricing_adjustment"].fillna(False).astype(bool)
    audits["year_irregular"] = audits["audit_date"].dt.year.where(audits["irregular"])
    audits_by = audits.groupby("tin").agg(tax_audits=("irregular", "size"), tax_audits_irregular=("irregular", "sum"),
                                          tax_audits_transfer_pricing=("tp", "sum"),
                                          years_with_tax_irregularity=("year_irregular", "nunique"))
    registered = pd.Index(staged.taxpayers["tin"].dropna().unique())
    tax = pd.DataFrame(index=registered).join(returns_by).join(audits_by)
    tax = tax.fillna({"returns_due": 0, "returns_filed": 0, "tax_audits": 0, "tax_audits_irregular": 0,
                      "tax_audits_transfer_pricing": 0, "years_with_tax_irregularity": 0})
    return tax, audits_by


def load_catalogue(staged: Staged) -> pd.DataFrame:
    """seeds/config/indicator_catalogue.csv with each indicator's active state."""
    catalogue = load_seed("indicator_catalogue")
    catalogue["is_enabled"] = catalogue["is_enabled"].str.lower() == "true"
    catalogue["threshold"] = catalogue["threshold"].astype(float)
    catalogue["expert_weight"] = catalogue["expert_weight"].astype(float)
    catalogue["is_active"] = catalogue["is_enabled"] & catalogue["required_sources"].apply(
        lambda text: all(staged.available.get(s, False) for s in str(text).split("|") if s))
    return catalogue


def indicator_flags(ops: pd.DataFrame, catalogue: pd.DataFrame) -> pd.DataFrame:
    """M2/M3: raw value and flag of every active indicator of the catalogue. The raw value is
    the catalogue's raw_value_sql (configuration, like the threshold) evaluated by DuckDB
    over the counts recomputed here; an expression naming a count this check does not
    compute, or a comparison it does not know, stops the check."""
    import duckdb

    counts = ops.drop(columns=["is_registered"], errors="ignore").astype(float).reset_index()
    connection = duckdb.connect()
    connection.register("operator_counts", counts)
    frames = []
    for row in catalogue[catalogue["is_active"]].itertuples():
        expression = str(row.raw_value_sql or "").strip()
        if not expression or expression == "nan":
            raise SystemExit(f"cip check: indicator {row.indicator_code} has no raw_value_sql in the catalogue")
        try:
            values = connection.execute(
                f"select tin, cast(({expression}) as double) as raw_value from operator_counts").df()
        except duckdb.Error as error:
            raise SystemExit(f"cip check: cannot evaluate indicator {row.indicator_code} ({expression}) over the "
                             f"counts cip check recomputes ({sorted(counts.columns)}): {error}; extend cip.check") from None
        values = values.set_index("tin")["raw_value"].astype(float).reindex(ops.index)
        if row.comparison == ">=":
            flag = values >= row.threshold
        elif row.comparison == ">":
            flag = values > row.threshold
        else:
            raise SystemExit(f"cip check: comparison {row.comparison!r} of {row.indicator_code} not understood")
        frames.append(pd.DataFrame({"tin": ops.index, "indicator_code": row.indicator_code,
                                    "raw_value": values.to_numpy(), "flag": flag.fillna(False).astype(int).to_numpy()}))
    connection.close()
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["tin", "indicator_code", "raw_value", "flag"])


def _outcomes(ops: pd.DataFrame, controls: pd.DataFrame, audits_by: pd.DataFrame, risk_types: pd.DataFrame) -> dict:
    """int_operator_outcomes: (detected, observed) per GRI type.
    Tax audits count here whether or not the operator is in the taxpayer register."""
    offence = controls[controls["is_irregular"]].groupby(["tin", "offence_type"]).size().unstack(fill_value=0)
    observed_customs = pd.Series(ops.index.isin(set(controls["tin"])), index=ops.index)
    all_audits = audits_by.reindex(ops.index).fillna(0)
    tax_audited = all_audits["tax_audits"] > 0
    global_detected = (ops.index.isin(set(controls.loc[controls["is_irregular"], "tin"]))
                       | (all_audits["tax_audits_irregular"] > 0))
    outcomes = {"global": (pd.Series(global_detected, index=ops.index), observed_customs | tax_audited)}
    for row in risk_types.itertuples():
        if row.outcome_source == "customs_offence":
            counts = offence[row.outcome_code].reindex(ops.index).fillna(0) if row.outcome_code in offence else \
                pd.Series(0, index=ops.index)
            outcomes[row.risk_type] = (counts > 0, observed_customs)
        elif row.outcome_code == "transfer_pricing":
            outcomes[row.risk_type] = (all_audits["tax_audits_transfer_pricing"] > 0, tax_audited)
        else:
            outcomes[row.risk_type] = (all_audits["tax_audits_irregular"] > 0, tax_audited)
    return outcomes


def _technique_scores(technique: str, members: list[str], stats: dict, expert: pd.Series, min_flagged: float) -> dict:
    scores = {}
    for code in members:
        st = stats[code]
        if technique == "equal":
            scores[code] = 1.0
        elif technique == "expert":
            scores[code] = float(expert[code])
        elif technique == "frequency":
            scores[code] = float(st["ones_count"])
        elif st["fd"] + st["fn"] >= min_flagged:
            scores[code] = max(math.log((st["fd"] + 0.5) * (st["un"] + 0.5)
                                        / ((st["fn"] + 0.5) * (st["ud"] + 0.5))), 0.0)
        else:
            scores[code] = 0.0
    return scores


def indicator_weights(flag_matrix: pd.DataFrame, active: pd.DataFrame, outcomes: dict,
                      risk_types: pd.DataFrame, config: dict) -> pd.DataFrame:
    """M4 (int_indicator_weights): the weights of the four techniques per GRI type."""
    weight_rows = []
    tolerance = float(config["weight_tolerance"])
    min_flagged = float(config["learned_min_flagged"])
    gri_types = [("global", list(active["indicator_code"]))]
    for row in risk_types.itertuples():
        members = [code for code, types in zip(active["indicator_code"], active["risk_types"])
                   if row.risk_type in str(types).split("|")]
        gri_types.append((row.risk_type, members))
    expert = active.set_index("indicator_code")["expert_weight"]
    for gri_type, members in gri_types:
        if not members:
            continue
        detected, observed = (s.to_numpy(bool) for s in outcomes[gri_type])
        stats = {}
        for code in members:
            flag = flag_matrix[code].to_numpy(int) == 1
            stats[code] = {
                "ones_count": int((flag & detected).sum()),
                "fd": int((observed & flag & detected).sum()), "fn": int((observed & flag & ~detected).sum()),
                "ud": int((observed & ~flag & detected).sum()), "un": int((observed & ~flag & ~detected).sum()),
            }
        for technique in ("equal", "expert", "frequency", "learned"):
            scores = _technique_scores(technique, members, stats, expert, min_flagged)
            total = sum(scores.values())
            shares = {c: (s / total if total != 0 else None) for c, s in scores.items()}
            significant = {c: (s is not None and s > tolerance) for c, s in shares.items()}
            sig_total = sum(shares[c] for c in members if significant[c])
            for code in members:
                weight_rows.append({
                    "technique": technique, "gri_type": gri_type, "indicator_code": code,
                    "ones_count": stats[code]["ones_count"], "score": scores[code], "share": shares[code],
                    "is_significant": significant[code],
                    "final_weight": shares[code] / sig_total if significant[code] else 0.0})
    return pd.DataFrame(weight_rows)


def _score_operators(ops: pd.DataFrame, flag_matrix: pd.DataFrame, weights: pd.DataFrame, config: dict) -> pd.DataFrame:
    """M5/M6 and M1 segments: global GRI under the selected technique, risk level, size segment."""
    selected = weights[(weights["technique"] == config["weighting_technique"]) & (weights["gri_type"] == "global")] \
        if len(weights) else weights
    selected_weights = selected.set_index("indicator_code")["final_weight"] if len(selected) else pd.Series(dtype=float)
    if len(selected_weights):
        matrix = flag_matrix[list(selected_weights.index)].to_numpy(float)
        gri_exact = matrix @ selected_weights.to_numpy(float)
    else:
        gri_exact = np.zeros(len(ops))
    ops["gri_exact"] = gri_exact
    ops["gri"] = np.round(gri_exact, GRI_DECIMALS)
    ops["risk_level"] = np.where(ops["gri"] >= float(config["risk_cutoff_high"]), "high",
                                 np.where(ops["gri"] >= float(config["risk_cutoff_medium"]), "medium", "low"))
    ops["size_segment"] = np.where(ops["trade_value_usd"] >= float(config["size_large_min_usd"]), "large",
                                   np.where(ops["trade_value_usd"] >= float(config["size_medium_min_usd"]), "medium", "small"))
    return ops


def compute(data: Path, config: dict) -> Result:
    staged = stage(data, config)
    window = evaluation_window(staged.declarations, config)
    lines = _window_lines(staged.declarations, window)
    controls = staged.controls
    controls = controls[controls["control_date"].between(window.start, window.as_of)].copy()
    examined = _examined_lines(controls, lines)

    ops = _line_counts(lines, staged, examined, config)
    ops = _add_control_counts(ops, controls, examined)
    tax, audits_by = _tax_counts(staged, window)
    ops = ops.join(tax, how="left")
    ops["is_registered"] = ops.index.isin(tax.index)

    catalogue = load_catalogue(staged)
    active = catalogue[catalogue["is_active"]]
    flags = indicator_flags(ops.drop(columns=["controls", "tax_audits"]), catalogue)

    risk_types = load_seed("compliance_risk_types")
    outcomes = _outcomes(ops, controls, audits_by, risk_types)
    flag_matrix = flags.pivot(index="tin", columns="indicator_code", values="flag").reindex(ops.index) \
        if len(flags) else pd.DataFrame(index=ops.index)
    weights = indicator_weights(flag_matrix, active, outcomes, risk_types, config)
    ops = _score_operators(ops, flag_matrix, weights, config)
    return Result(window, staged, lines, ops.reset_index(), flags, weights, list(active["indicator_code"]))


# --------------------------------------------------------------------------- comparison

def _close(a, b, rel=REL_TOL) -> np.ndarray:
    """Equal within rel x max(1, |a|, |b|); two nulls are equal, one null is not."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    both_null = np.isnan(a) & np.isnan(b)
    scale = np.maximum(1.0, np.maximum(np.abs(np.nan_to_num(a)), np.abs(np.nan_to_num(b))))
    return both_null | (np.abs(a - b) <= rel * scale)


class Report:
    def __init__(self) -> None:
        self.items: dict[str, tuple[int, int, list[str]]] = {}

    def add(self, item: str, compared: int, bad: list[str]) -> None:
        self.items[item] = (compared, len(bad), bad[:MAX_EXAMPLES])

    @property
    def mismatches(self) -> int:
        return sum(n for _, n, _ in self.items.values())

    def print(self, out=sys.stdout) -> None:
        width = max(len(k) for k in self.items) if self.items else 10
        for item, (compared, bad, examples) in self.items.items():
            status = "ok" if bad == 0 else f"{bad} MISMATCH{'ES' if bad > 1 else ''}"
            print(f"  {item:<{width}}  {compared:>9,} compared  {status}", file=out)
            for example in examples:
                print(f"      - {example}", file=out)


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "null"
    if isinstance(value, float):
        return f"{value:.12g}"
    return str(value)


def _keyed_diff(report: Report, item: str, mine: pd.DataFrame, theirs: pd.DataFrame, key: list[str],
                columns: dict[str, str]) -> None:
    """Compare columns (name -> 'exact' | 'close') of two frames on key, plus the key sets."""
    merged = mine.merge(theirs, on=key, how="outer", suffixes=("_py", "_wh"), indicator="side")
    bad = []
    for row in merged[merged["side"] != "both"].head(MAX_EXAMPLES * 4).itertuples():
        where = "only in Python" if row.side == "left_only" else "only in the warehouse"
        bad.append(f"{'/'.join(str(getattr(row, k)) for k in key)}: {where}")
    missing = int((merged["side"] != "both").sum())
    bad += [""] * (missing - len(bad)) if missing > len(bad) else []
    both = merged[merged["side"] == "both"]
    examples = [b for b in bad if b]
    count = missing
    for column, how in columns.items():
        py, wh = both[f"{column}_py"], both[f"{column}_wh"]
        if how == "close":
            differs = ~_close(py, wh)
        else:
            differs = ~((py.astype(object) == wh.astype(object)) | (py.isna() & wh.isna())).to_numpy(bool)
        count += int(differs.sum())
        for row in both[differs].head(MAX_EXAMPLES).itertuples(index=False):
            record = row._asdict()
            keys = "/".join(str(record[k]) for k in key)
            examples.append(f"{keys} {column}: python {_fmt(record[column + '_py'])} warehouse {_fmt(record[column + '_wh'])}")
    report.items[item] = (len(merged), count, examples[:MAX_EXAMPLES])


def compare(result: Result, db: Path, config: dict) -> Report:
    import duckdb

    report = Report()
    con = duckdb.connect(str(db), read_only=True)
    try:
        def query(sql: str) -> pd.DataFrame:
            return con.execute(sql).df()

        ops = result.operators
        window = result.window

        # staging: rows kept and the USD total of the window
        wh_staged = query("select count(*) as n from staging.stg_customs__declarations")["n"].iloc[0]
        examples = [] if wh_staged == len(result.staged.declarations) else [
            f"staged declaration lines: python {len(result.staged.declarations):,} warehouse {wh_staged:,}"]
        report.add("staging rows kept", 1, examples)

        as_of = query("select distinct as_of_date from marts.dim_operators")
        wh_as_of = [pd.Timestamp(v) for v in as_of["as_of_date"]]
        report.add("as-of date", 1, [] if wh_as_of in ([], [window.as_of]) else
                   [f"python {window.as_of.date()} warehouse {', '.join(str(v.date()) for v in wh_as_of)}"])

        # dim_operators: size segment, gri, risk level
        dim = query("select tin, size_segment, gri, risk_level, trade_value_usd from marts.dim_operators")
        mine = ops[["tin", "size_segment", "gri", "risk_level", "trade_value_usd"]]
        _keyed_diff(report, "dim_operators.trade_value_usd", mine[["tin", "trade_value_usd"]],
                    dim[["tin", "trade_value_usd"]], ["tin"], {"trade_value_usd": "close"})
        _keyed_diff(report, "dim_operators.size_segment", mine[["tin", "size_segment"]],
                    dim[["tin", "size_segment"]], ["tin"], {"size_segment": "exact"})
        merged = ops[["tin", "gri", "gri_exact"]].merge(dim[["tin", "gri"]], on="tin", suffixes=("_py", "_wh"))
        # the warehouse rounds to 6 decimals: a value on a rounding boundary may round either way
        bad_gri = ~(_close(merged["gri_py"], merged["gri_wh"], 1e-12)
                    | (np.abs(merged["gri_exact"] - merged["gri_wh"]) <= 0.5 * 10 ** -GRI_DECIMALS + 1e-12))
        report.add("dim_operators.gri", len(merged), [
            f"{row.tin}: python {row.gri_py:.6f} warehouse {_fmt(row.gri_wh)}"
            for row in merged[bad_gri].head(MAX_EXAMPLES).itertuples()] + [""] * max(0, int(bad_gri.sum()) - MAX_EXAMPLES))
        _keyed_diff(report, "dim_operators.risk_level", mine[["tin", "risk_level"]],
                    dim[["tin", "risk_level"]], ["tin"], {"risk_level": "exact"})

        # operator_indicator_flags: raw value and flag
        wh_flags = query("select tin, indicator_code, raw_value, cast(flag as integer) as flag "
                         "from marts.operator_indicator_flags")
        _keyed_diff(report, "operator_indicator_flags", result.flags, wh_flags, ["tin", "indicator_code"],
                    {"raw_value": "close", "flag": "exact"})

        # indicator_weights
        wh_weights = query("select technique, gri_type, indicator_code, ones_count, score, share, "
                           "is_significant, final_weight from marts.indicator_weights")
        wh_weights["ones_count"] = wh_weights["ones_count"].astype("Int64")
        mine_weights = result.weights.copy()
        mine_weights["ones_count"] = mine_weights["ones_count"].astype("Int64")
        mine_weights["share"] = mine_weights["share"].astype(float)
        _keyed_diff(report, "indicator_weights", mine_weights, wh_weights, ["technique", "gri_type", "indicator_code"],
                    {"ones_count": "exact", "score": "close", "share": "close",
                     "is_significant": "exact", "final_weight": "close"})

        # totals: size_distribution and segment_summary against staging and Python
        staged_total = query(
            "select coalesce(sum(customs_value_usd), 0) as v, count(distinct tin) as n "
            "from staging.stg_customs__declarations "
            f"where declaration_date between date '{window.start.date()}' and date '{window.as_of.date()}'").iloc[0]
        py_total = float(ops["trade_value_usd"].sum())
        bad = []
        if not _close([py_total], [staged_total["v"]])[0]:
            bad.append(f"window trade value: python {py_total:,.2f} staging {staged_total['v']:,.2f}")
        if int(staged_total["n"]) != len(ops):
            bad.append(f"window operators: python {len(ops):,} staging {int(staged_total['n']):,}")
        report.add("staged window totals", 2, bad)

        sizes = query("select size_segment, operators, trade_value_usd from marts.size_distribution")
        mine_sizes = ops.groupby("size_segment").agg(operators=("tin", "size"), trade_value_usd=("trade_value_usd", "sum"))
        mine_sizes = mine_sizes.reindex(["large", "medium", "small"]).fillna(0)
        mine_sizes.loc["total"] = [len(ops), py_total]
        mine_sizes = mine_sizes.reset_index()
        mine_sizes["operators"] = mine_sizes["operators"].astype(int)
        _keyed_diff(report, "size_distribution", mine_sizes, sizes, ["size_segment"],
                    {"operators": "exact", "trade_value_usd": "close"})
        bad = []
        total_row = sizes[sizes["size_segment"] == "total"]
        if len(total_row) and not _close([total_row["trade_value_usd"].iloc[0]], [staged_total["v"]])[0]:
            bad.append(f"size_distribution total {total_row['trade_value_usd'].iloc[0]:,.2f} "
                       f"vs staged {staged_total['v']:,.2f}")
        summary = query("select size_segment, risk_level, row_type, operators, trade_value_usd "
                        "from marts.segment_summary")
        total = summary[summary["row_type"] == "total"]
        if len(total) and not _close([total["trade_value_usd"].iloc[0]], [staged_total["v"]])[0]:
            bad.append(f"segment_summary total {total['trade_value_usd'].iloc[0]:,.2f} vs staged {staged_total['v']:,.2f}")
        report.add("marts totals vs staging", 2, bad)

        cells = ops.groupby(["size_segment", "risk_level"]).agg(
            operators=("tin", "size"), trade_value_usd=("trade_value_usd", "sum")).reset_index()
        grid = pd.MultiIndex.from_product([["large", "medium", "small"], ["high", "medium", "low"]],
                                          names=["size_segment", "risk_level"]).to_frame(index=False)
        cells = grid.merge(cells, how="left").fillna({"operators": 0, "trade_value_usd": 0.0})
        by_size = cells.groupby("size_segment")[["operators", "trade_value_usd"]].sum().reset_index()
        by_size["risk_level"] = "all"
        grand = pd.DataFrame([{"size_segment": "total", "risk_level": "all", "operators": len(ops),
                               "trade_value_usd": py_total}])
        mine_summary = pd.concat([cells, by_size, grand], ignore_index=True)
        mine_summary["operators"] = mine_summary["operators"].astype(int)
        _keyed_diff(report, "segment_summary", mine_summary,
                    summary[["size_segment", "risk_level", "operators", "trade_value_usd"]],
                    ["size_segment", "risk_level"], {"operators": "exact", "trade_value_usd": "close"})
    finally:
        con.close()
    return report


# --------------------------------------------------------------------------- CLI

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=None, help="raw data folder (default: CIP_DATA_DIR or data/demo)")
    parser.add_argument("--db", type=Path, default=None, help="DuckDB warehouse to check (default: CIP_DB_PATH)")
    parser.add_argument("--as-of", default=None, help="evaluation date (default: the vars, else the last declaration date)")
    parser.add_argument("--vars", default=None, help="dbt vars as YAML, as given to the build")


def validate_config(data: Path, overrides: dict) -> None:
    """Stop when a var breaks its rule, with the build's own rules and message (macro
    validate_config_vars, which every dbt build runs on-run-start): `dbt run-operation` on the
    same --vars, against a scratch DuckDB file. One rule set, kept in the macro."""
    import io
    import tempfile

    from cip.dbt import run_dbt

    log = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="cip-vars-") as scratch:
        code = run_dbt(["run-operation", "validate_config_vars", "--vars", yaml.safe_dump(overrides, default_flow_style=True)],
                       data=Path(data), db=Path(scratch) / "vars.duckdb", quiet=True, log=log)
    if code:
        text = log.getvalue()
        found = re.search(r"(Invalid configuration.*?)(?:\n\s*\n|$)", text, re.S)
        lines = [line.strip() for line in (found.group(1) if found else text).splitlines() if line.strip()]
        raise SystemExit("cip check: " + " ".join(lines[-12:] if not found else lines))


def check(data: Path, db: Path, vars_: str | dict | None = None, as_of: str | None = None,
          out=sys.stdout) -> int:
    """Run the check; prints the report and returns the number of mismatches."""
    started = time.monotonic()
    overrides = (yaml.safe_load(vars_) if isinstance(vars_, str) else dict(vars_ or {})) or {}
    if as_of:
        overrides["as_of_date"] = as_of
    if not Path(db).exists():
        raise SystemExit(f"cip check: no warehouse at {db}")
    if overrides:   # the project's own vars are checked by every build (on-run-start)
        validate_config(Path(data), overrides)
    config = load_vars(overrides)
    result = compute(Path(data), config)
    report = compare(result, Path(db), config)
    print(f"cip check: {data} against {db}", file=out)
    print(f"  window {result.window.start.date()} .. {result.window.as_of.date()}, "
          f"{len(result.lines):,} staged lines, {len(result.operators):,} operators compared, "
          f"{len(result.active)} active indicators, technique {config['weighting_technique']}", file=out)
    report.print(out)
    status = "PASS" if report.mismatches == 0 else f"FAIL: {report.mismatches} mismatch(es)"
    print(f"cip check: {status} in {time.monotonic() - started:.1f}s", file=out)
    return report.mismatches


def run(args: argparse.Namespace) -> int:
    data = args.data or default_data_dir()
    db = args.db or default_db_path()
    return 1 if check(data, db, args.vars, args.as_of) else 0


def main(argv: list[str] | None = None) -> int:
    """`python -m cip.check ...`: the same as `cip check ...`."""
    parser = argparse.ArgumentParser(prog="cip check", description=HELP)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
